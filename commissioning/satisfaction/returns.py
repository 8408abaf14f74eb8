"""The second source: commissioned providers' own client-satisfaction figures, from their quarterly returns.

The police survey leaves out some victims (under-16s and domestic-abuse survivors among them), so the
review asks for a balanced evidence base. Provider returns are a long CSV
``provider,service,quarter,code,capacity,referrals,referrals_refused,cases_open,waiting_days_median,
clients_surveyed,clients_satisfied`` (``quarter`` like ``2026Q3``, a calendar quarter; blank = not
reported). Only ``provider``, ``quarter``, ``code``, ``clients_surveyed`` and ``clients_satisfied`` are
used here; ``code`` is a London borough (ONS code or name), ``E12000007`` or ``London`` for pan-London
work, which counts towards London only.

These figures are labelled "provider returns (service users)" everywhere and are never added into
the police-survey figures: they are shown beside them.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from commissioning.errors import InputError

SOURCE_LABEL = "provider returns (service users)"
NEEDED = ["provider", "quarter", "code", "clients_surveyed", "clients_satisfied"]
_QUARTER_RE = re.compile(r"^(\d{4})Q([1-4])$")


def quarter_end(quarter: str) -> str:
    """The last month (``YYYY-MM``) of a calendar quarter ``YYYYQn``."""
    match = _QUARTER_RE.match(quarter)
    if not match:
        raise InputError(f"quarter {quarter!r}", expected="YYYYQn, e.g. 2026Q3 (calendar quarters)")
    return f"{match.group(1)}-{3 * int(match.group(2)):02d}"


def read_returns_satisfaction(path: str | Path, *, illustrative: bool = False) -> pd.DataFrame:
    """The return rows of a returns file (CSV or XLSX), read and checked by the one returns reader
    (:func:`commissioning.returns.reader.read_returns`), each labelled by ``basis`` (illustrative or
    real). Providers' client satisfaction is computed from them by
    :func:`commissioning.returns.publication.client_satisfaction`, the same computation as the
    returns publication's."""
    from commissioning.needs.models import load_benchmarks
    from commissioning.paths import DEFAULT_DATA_DIR
    from commissioning.returns.reader import read_returns

    service_types = list(load_benchmarks(DEFAULT_DATA_DIR / "benchmarks.yaml").services)
    rows = read_returns(path, service_types, skip_empty_rows=True)
    return rows.assign(basis="illustrative" if illustrative else "real")
