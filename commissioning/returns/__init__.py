"""Provision reported by the providers themselves: quarterly returns (issue 13).

A *return* is one support organisation's figures for one calendar quarter: per service type and
borough served, capacity in post, referrals received and refused for lack of capacity, cases open,
median days to first contact and client satisfaction. Modules:

- ``quarters``: calendar quarters (``2026Q3`` = July-September), due dates;
- ``layout``: the columns, their units and the rules a value must meet;
- ``reader``: CSV and XLSX returns read and checked (every error names file or sheet, row, column);
- ``template``: the XLSX template with instructions and validation lists;
- ``provision``: approved returns as the services table of a needs assessment *as of a quarter*,
  with the source of every service type's figures;
- ``review``: who has returned, who is late, changes since the last quarter;
- ``series``: coverage, refused referrals and waiting times per borough across quarters;
- ``suppression``: primary and secondary suppression of small counts;
- ``publication``: the quarterly publication's tables; ``document``: its HTML and PDF.
"""
