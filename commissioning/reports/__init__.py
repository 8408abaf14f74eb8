"""PDF reports built with reportlab from the same library functions the app uses.

- :func:`commissioning.reports.needs.build_needs_pdf` -- the needs assessment;
- :func:`commissioning.reports.priorities.build_priorities_pdf` -- the published priorities and
  scoring rules (no bid data, no service location);
- :func:`commissioning.reports.evaluation.build_evaluation_pdf` -- the evaluation report of a round.

Each returns the PDF as bytes and also writes it to ``out`` when given (a path, written
atomically, or a binary buffer). Import the module you need: the needs assessment pulls in
geopandas and matplotlib.
"""
