"""What a quarter's publication says: the same content for the public page, the PDF and the HTML.

For quarter ``YYYYQn`` (calendar quarters) the police survey's rolling 12 months ending in the
quarter's last month is shown for London and each borough against its target, with the groups and
their gaps; the providers' client satisfaction for the same quarter is shown beside it, never mixed
in. Police-survey cells with fewer than 50 respondents are suppressed (and any group that would give
one away); the providers' figures are the returns publication's, suppressed by its one rule (counts 1
to 9, and any cell that would give one away).
Every table says whether its figures are real or illustrative.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from pathlib import Path

import pandas as pd

from commissioning import safeio
from commissioning.errors import InputError
from commissioning.paths import DEFAULT_DATA_DIR
from commissioning.satisfaction.areas import BCU, BOROUGH, Areas, read_areas
from commissioning.satisfaction.measures import (
    MIN_RESPONDENTS,
    group_gaps,
    group_label,
    measure,
    suppress,
)
from commissioning.satisfaction.results import read_results
from commissioning.returns.publication import CLIENT_COLUMNS, client_satisfaction
from commissioning.satisfaction.returns import (
    SOURCE_LABEL,
    quarter_end,
    read_returns_satisfaction,
)
from commissioning.satisfaction.targets import Targets, read_targets
from commissioning.stats import NO_CHANGE

DATA_DIR = DEFAULT_DATA_DIR / "satisfaction"
DEFAULT_RESULTS = DATA_DIR / "results.csv"
DEFAULT_TARGETS = DATA_DIR / "targets.yaml"
DEFAULT_RETURNS = DATA_DIR / "provider_returns_illustrative.csv"
SOURCE_IDS = ("london_assembly_victim_care_2013", "illustrative_satisfaction")
STATUS_WORDS = {"above": "Above target", "below": "Below target",
                "not significant": "Not significantly different", "no target": "No target"}
CHANGE_WORDS = {"up": "Up", "down": "Down", NO_CHANGE: "No significant change", "": "–"}
SUPPRESSED = "suppressed"
METHOD = (f"Percentages are of victims who answered; each has a 95% confidence interval (Wilson score "
          f"interval, Wilson 1927, as ONS and OHID use). A result is above (below) its target only when "
          f"the whole interval is at or above (below) it; a change since the previous quarter is reported "
          f"only when the two intervals do not overlap; a gap between groups is significant when its 95% "
          f"interval (Newcombe 1998) leaves out zero. Figures from fewer than {MIN_RESPONDENTS} respondents "
          f"are suppressed, as is any group from which a suppressed one could be worked out. In the providers' "
          f"figures, as in their quarterly publication, counts from 1 to 9 are suppressed, and so is any other "
          f"count from which one could be worked out.")


@dataclass
class Inputs:
    """The files behind a publication, read and checked."""

    results: pd.DataFrame
    targets: Targets | None
    returns: pd.DataFrame | None
    areas: Areas
    files: dict[str, str] = field(default_factory=dict)  # what -> file name, for the sources section
    embedded: bool = True


def load_inputs(results: Path | None = None, targets: Path | None = None, returns: Path | None = None,
                areas: Path | None = None, *, embedded_returns: bool = True) -> Inputs:
    """Read the results, targets, provider returns and BCU areas; ``None`` = the embedded files
    (the embedded provider returns only with ``embedded_returns`` and the embedded results)."""
    area_list = read_areas(areas)
    embedded = results is None
    results_path = DEFAULT_RESULTS if results is None else Path(results)
    targets_path = DEFAULT_TARGETS if targets is None and embedded else targets
    returns_path = DEFAULT_RETURNS if returns is None and embedded and embedded_returns else returns
    table = read_results(results_path, area_list)
    goals = read_targets(targets_path, area_list) if targets_path is not None else None
    clients = (read_returns_satisfaction(returns_path, illustrative=Path(returns_path) == DEFAULT_RETURNS)
               if returns_path is not None else None)
    files = {"police survey results": results_path.name}
    if targets_path is not None:
        files["targets"] = Path(targets_path).name
    if returns_path is not None:
        files[SOURCE_LABEL] = Path(returns_path).name
    return Inputs(table, goals, clients, area_list, files, embedded)


#: Where the providers' client satisfaction comes from when the app uses the store (``Inputs.files``).
STORE_RETURNS = "the providers' approved quarterly returns"


def with_approved_returns(inputs: Inputs, approved: pd.DataFrame) -> Inputs:
    """``inputs`` with the providers' client satisfaction taken from approved returns
    (``Store.approved_returns()``, each row labelled real or illustrative by its ``basis``) in place
    of a file's, when there are any approved returns; ``inputs`` unchanged when there are none.
    ``inputs.files[SOURCE_LABEL]`` then says :data:`STORE_RETURNS`."""
    if approved.empty:
        return inputs
    return replace(inputs, returns=approved,
                   files={**inputs.files, SOURCE_LABEL: STORE_RETURNS})


def quarters(results: pd.DataFrame) -> list[str]:
    """Quarters (``YYYYQn``) that have police-survey results with counts, oldest first."""
    periods = sorted(p for p in results.loc[results["respondents"].notna(), "period_end"].unique()
                     if int(p[5:]) % 3 == 0)
    return [f"{p[:4]}Q{int(p[5:]) // 3}" for p in periods]


@dataclass
class Publication:
    quarter: str
    period_end: str
    headline: str
    areas: pd.DataFrame      # London-wide, BCUs, boroughs: group 'all', measured, with 'suppressed'
    groups: pd.DataFrame     # London-wide groups, measured, with 'suppressed'
    gaps: pd.DataFrame       # group gaps London-wide
    clients: pd.DataFrame    # providers' client satisfaction for the quarter, displayed (may be empty)
    baseline: pd.DataFrame   # the earliest real London-wide results (the review's 2012 baseline)
    targets: Targets | None
    notes: list[str]         # what is illustrative, in plain words
    sources: list[dict]


def build_publication(inputs: Inputs, quarter: str) -> Publication:
    period = quarter_end(quarter)
    measured = suppress(measure(inputs.results, inputs.targets))
    now = measured[measured["period_end"] == period]
    if now.empty:
        have = ", ".join(sorted(measured["period_end"].unique())[-4:])
        raise InputError(f"no police-survey results for the 12 months to {period} (quarter {quarter})",
                         expected=f"a results file with period_end {period}; latest periods: {have}")
    london_wide = now["area_code"].map(inputs.areas.is_london_wide)
    shown_kinds = now["area_kind"].isin([BOROUGH, BCU]) | london_wide
    areas = now[shown_kinds & (now["group"] == "all")].copy()
    areas["order"] = [0 if lw else 1 if k == BCU else 2 for lw, k in zip(london_wide[areas.index], areas["area_kind"])]
    areas = areas.sort_values(["order", "area_name"]).drop(columns="order").reset_index(drop=True)
    groups = now[london_wide & (now["group"] != "all")].sort_values("group").reset_index(drop=True)
    gaps = group_gaps(now[london_wide])
    clients = _clients(inputs.returns, quarter)
    baseline = measured[measured["area_code"].map(inputs.areas.is_london_wide) & (measured["basis"] == "real")
                        & measured["respondents"].isna()].sort_values(["group", "period_end"])
    notes = _notes(now, inputs, clients)
    return Publication(quarter, period, _headline(areas, period), areas, groups, gaps, clients, baseline,
                       inputs.targets, notes, _sources(inputs))


def _clients(returns: pd.DataFrame | None, quarter: str) -> pd.DataFrame:
    """The quarter's client satisfaction: the returns publication's own table (one computation, one
    suppression), so both publications and both pages show the same cells."""
    if returns is None:
        return pd.DataFrame(columns=CLIENT_COLUMNS)
    return client_satisfaction(returns.loc[returns["quarter"] == quarter])[0]


def _headline(areas: pd.DataFrame, period: str) -> str:
    when = f"In the 12 months to {month_name(period)}"
    top = areas[areas["area_code"].isin(["E23000001", "E12000007"])]
    if top.empty or top.iloc[0]["suppressed"]:
        return f"{when}, no London-wide police-survey result is available to publish."
    r = top.iloc[0]
    text = f"{when}, {r.satisfied_pct:.1f}% of victims surveyed by the {r.area_name} were satisfied with the service"
    if math.isnan(r.respondents):
        text += " (sample size not published, so no confidence interval)."
    else:
        text += (f" (95% confidence interval {r.lower95:.1f}% to {r.upper95:.1f}%; {int(r.respondents):,} "
                 "respondents).")
    if r.status == "no target":
        text += " There is no target for this year."
    elif r.status == "not significant":
        text += f" That is not significantly different from the {r.target_pct:g}% target."
    else:
        text += f" That is {r.status} the {r.target_pct:g}% target."
    if r.change in ("up", "down"):
        text += f" Satisfaction is {r.change} since the 12 months to {month_name(r.previous_period)}."
    elif r.change:
        text += f" There is no significant change since the 12 months to {month_name(r.previous_period)}."
    return text


def month_name(period: str) -> str:
    """'2026-09' -> 'September 2026'."""
    return pd.Timestamp(f"{period}-01").strftime("%B %Y")


def _notes(now: pd.DataFrame, inputs: Inputs, clients: pd.DataFrame) -> list[str]:
    notes = []
    flagged = now[now["basis"] == "illustrative"]
    if len(flagged):
        notes.append(f"police-survey results ({len(flagged)} of {len(now)} rows)")
    if inputs.targets is not None and inputs.targets.illustrative:
        notes.append("the targets")
    if len(clients) and (clients["Basis"] == "illustrative").any():
        notes.append(SOURCE_LABEL)
    return notes


def _sources(inputs: Inputs) -> list[dict]:
    listed = safeio.load_yaml(DEFAULT_DATA_DIR / "sources.yaml") or []
    by_id = {s.get("id"): s for s in listed}
    sources = []
    if (inputs.results["source"] == SOURCE_IDS[0]).any():
        sources.append(by_id.get(SOURCE_IDS[0], {"name": "London Assembly review of victim care (2013)"}))
    if inputs.embedded:
        sources.append(by_id.get(SOURCE_IDS[1], {"name": "illustrative data", "illustrative": True}))
    for what, name in inputs.files.items():
        if not inputs.embedded:
            sources.append({"name": f"{what}: {name}", "publisher": "as supplied", "period": "", "licence": "",
                            "illustrative": False})
    return sources


# ------------------------------------------------------------------------------------------------
# Display tables (strings), the same on the page, in the PDF and in the HTML
# ------------------------------------------------------------------------------------------------

def pct(value: float, digits: int = 1) -> str:
    return "–" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:.{digits}f}%"


def points(value: float) -> str:
    """A signed difference in percentage points, with a real minus sign (U+2212): "+3.3", "−6.1"."""
    return f"{value:+.1f}".replace("-", "\u2212")


def count(n: float) -> str:
    return "not published" if math.isnan(n) else f"{int(n):,}"


def interval(lower: float, upper: float) -> str:
    if math.isnan(lower):
        return "not available"
    return f"{lower:.1f}% to {upper:.1f}%"


def areas_table(pub: Publication) -> pd.DataFrame:
    """Area, respondents, satisfied, interval, target, status, change, basis: suppressed cells say so."""
    rows = []
    for r in pub.areas.itertuples():
        hidden = bool(r.suppressed)
        rows.append({"Area": r.area_name, "Respondents": SUPPRESSED if hidden else count(r.respondents),
                     "Satisfied": SUPPRESSED if hidden else pct(r.satisfied_pct),
                     "95% interval": SUPPRESSED if hidden else interval(r.lower95, r.upper95),
                     "Target": pct(r.target_pct, 0) if not math.isnan(r.target_pct) else "none",
                     "Against target": SUPPRESSED if hidden else STATUS_WORDS[r.status],
                     "Change": SUPPRESSED if hidden else CHANGE_WORDS[r.change],
                     "Basis": r.basis})
    return pd.DataFrame(rows)


def groups_table(pub: Publication) -> pd.DataFrame:
    rows = []
    for r in pub.groups.itertuples():
        hidden = bool(r.suppressed)
        rows.append({"Group": group_label(r.group), "Area": r.area_name,
                     "Respondents": SUPPRESSED if hidden else count(r.respondents),
                     "Satisfied": SUPPRESSED if hidden else pct(r.satisfied_pct),
                     "95% interval": SUPPRESSED if hidden else interval(r.lower95, r.upper95),
                     "Basis": r.basis})
    return pd.DataFrame(rows)


def gaps_table(pub: Publication) -> pd.DataFrame:
    return pd.DataFrame([{"Comparison": g.comparison, "Satisfied": f"{pct(g.first_pct)} vs {pct(g.second_pct)}",
                          "Gap (points)": points(g.gap_pts),
                          "95% interval": f"{points(g.lower95)} to {points(g.upper95)}",
                          "Significant": "yes" if g.significant else "no"} for g in pub.gaps.itertuples()],
                        columns=["Comparison", "Satisfied", "Gap (points)", "95% interval", "Significant"])


def clients_table(pub: Publication) -> pd.DataFrame:
    """Providers' client satisfaction (:func:`commissioning.returns.publication.client_satisfaction`)."""
    return pub.clients


def baseline_table(pub: Publication) -> pd.DataFrame:
    return pd.DataFrame([{"Group": group_label(r.group), "Satisfied": pct(r.satisfied_pct, 0),
                          "12 months to": month_name(r.period_end), "Source": "London Assembly review (2013)"}
                         for r in pub.baseline.itertuples()],
                        columns=["Group", "Satisfied", "12 months to", "Source"])


def sources_table(pub: Publication) -> pd.DataFrame:
    return pd.DataFrame([{"Source": s.get("name", ""), "Publisher": s.get("publisher", ""),
                          "Period": s.get("period", ""), "Licence": s.get("licence", ""),
                          "Illustrative": "yes" if s.get("illustrative") else "no"} for s in pub.sources],
                        columns=["Source", "Publisher", "Period", "Licence", "Illustrative"])


def targets_line(pub: Publication) -> str:
    if pub.targets is None:
        return "No targets file was given, so no result is compared with a target."
    t = pub.targets
    text = (f"Targets set by {t.set_by} on {t.set_on.day} {t.set_on:%B %Y}; a result is compared with the target "
            "for its calendar year.")
    return text + (" These targets are illustrative." if t.illustrative else "")
