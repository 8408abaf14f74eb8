"""Importers for the real formats a commissioner holds, so illustrative data can be replaced.

===================  =========================================================  ==================
importer             input                                                      writes
===================  =========================================================  ==================
:func:`mps_crime`    London Datastore "MPS Borough Level Crime": MajorText,     demand.csv measures
                     MinorText, BoroughName, then one column per month YYYYMM   sexual_offences,
                                                                                rape_offences
:func:`mps_vawg`     MPS violence against women and girls by borough and        vawg_offences,
                     month: code, name, month (YYYY-MM), vawg_offences,         vawg_victims (and
                     vawg_victims                                               domestic_abuse_offences
                                                                                as a labelled proxy)
:func:`ons_population`  an ONS table by authority (code, name, population and   population.csv
                     optionally adult women columns)
:func:`services_register`  a services register (CSV/XLSX) with the headers     services.csv
                     listed in :data:`REGISTER_HEADERS`
===================  =========================================================  ==================

One module per source (``mps``, ``ons``, ``register``), the shared parsing in ``common`` and
the write in ``writing``. Each importer reads and checks its whole input and returns an :class:`Import`: the complete new
file as a table of text cells, and how the citations in ``sources.yaml`` change with it (the
importer's own entry, with the period actually imported, replaces the old one; entries the new file
no longer uses are dropped or narrowed). Nothing is written until :func:`write_import`, which
writes temporary files, validates them with the same readers
:func:`~commissioning.needs.dataset.load_dataset` uses, and only then commits them together
(:mod:`commissioning.needs.commit`, a redo journal), so a failed or killed import never leaves a
half-written file or citations that disagree with the figures.
"""

from commissioning.needs.importers.common import DemandUpdate, Import
from commissioning.needs.importers.mps import merge_demand, mps_crime, mps_vawg
from commissioning.needs.importers.ons import ons_population
from commissioning.needs.importers.register import services_register
from commissioning.needs.importers.writing import (
           source_changes,
           updated_sources,
           write_import,
)

__all__ = ["DemandUpdate", "Import", "merge_demand", "mps_crime", "mps_vawg", "ons_population", "services_register",
           "source_changes", "updated_sources", "write_import"]
