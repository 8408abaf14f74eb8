"""Over time: coverage, referrals refused and waiting times per borough and London, quarter by quarter,
from approved returns.

- coverage_pct: 100 × provision / need for the quarter, where provision is the returns' capacity
  (apportioned like any multi-borough service, :func:`commissioning.needs.assessment.apportion`) and
  need the service's need model; only for service types with returns in that quarter;
- refused_pct: 100 × referrals refused for lack of capacity / referrals received;
- waiting_days: the referral-weighted mean of providers' median days to first contact.

Refused and waiting figures come from the quarter's publication tables, so a figure suppressed there
(small counts) is NaN here too: the series are safe to publish.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from commissioning.needs.dataset import Dataset
from commissioning.returns.provision import RETURNS, assess_quarter
from commissioning.returns.publication import (
    LONDON,
    LONDON_WIDE,
    build_publication,
    default_labels,
)
from commissioning.returns.suppression import TOTAL

COLUMNS = ["quarter", "service", "code", "name", "coverage_pct", "refused_pct", "waiting_days"]
LONDON_CODE = "E12000007"


def over_time(ds: Dataset, approved: pd.DataFrame, quarters: list[str] | None = None) -> pd.DataFrame:
    """Long table :data:`COLUMNS`: one row per quarter, returned service type and area (the boroughs
    and London, code E12000007)."""
    quarters = quarters or sorted(set(approved["quarter"]))
    labels = {s: (b.label, b.unit) for s, b in ds.benchmarks.services.items()} or default_labels()
    names = dict(zip(ds.population["code"], ds.population["name"]))
    codes_by_name = {v: k for k, v in names.items()}
    frames = []
    for quarter in quarters:
        gaps, sources = assess_quarter(ds, approved, quarter)
        pub = build_publication(approved, quarter, labels)
        for service, source in sources.items():
            if source.source != RETURNS:
                continue
            rows = gaps.loc[gaps["service"] == service]
            coverage = dict(zip(rows["code"], rows["coverage_pct"]))
            need, provision = rows["need"].sum(), rows["provision"].sum()
            coverage[LONDON_CODE] = 100.0 * provision / need if need > 0 else math.nan
            refused, waiting = _published(pub, service, codes_by_name)
            for code in [*names, LONDON_CODE]:
                frames.append({"quarter": quarter, "service": service, "code": code,
                               "name": names.get(code, LONDON), "coverage_pct": coverage.get(code, math.nan),
                               "refused_pct": refused.get(code, math.nan), "waiting_days": waiting.get(code, math.nan)})
    return pd.DataFrame(frames, columns=COLUMNS)


def _published(pub, service: str, codes_by_name: dict[str, str]) -> tuple[dict, dict]:
    audited = pub.suppressed.get(service)
    if audited is None:
        return {}, {}
    values, hidden = audited.values, audited.hidden
    table = pub.services[service].set_index("Area")
    refused, waiting = {}, {}
    for area in values.index:
        if area == LONDON_WIDE:
            continue
        code = LONDON_CODE if area == TOTAL else codes_by_name.get(area)
        referrals, refused_n = values.loc[area, "referrals"], values.loc[area, "referrals_refused"]
        if not (hidden.loc[area, "referrals"] or hidden.loc[area, "referrals_refused"]) and referrals > 0 \
                and not math.isnan(refused_n):
            refused[code] = 100.0 * refused_n / referrals
        wait_text = table.loc[LONDON if area == TOTAL else area, "Median days to contact"]
        waiting[code] = _float(wait_text)
    return refused, waiting


def _float(text: str) -> float:
    try:
        return float(str(text).replace(",", ""))
    except ValueError:
        return math.nan


def borough_against_london(series: pd.DataFrame, service: str, code: str) -> pd.DataFrame:
    """Wide table for a chart: quarter, then ``<measure> (<borough>)`` and ``<measure> (London)``."""
    mine = series.loc[(series["service"] == service) & series["code"].isin([code, LONDON_CODE])]
    out = mine.pivot_table(index="quarter", columns="name",
                           values=["coverage_pct", "refused_pct", "waiting_days"], dropna=False)
    out.columns = [f"{measure} ({name})" for measure, name in out.columns]
    return out.reset_index()


def chart_png(series: pd.DataFrame, service: str, code: str, label: str, *, dpi: int = 150) -> bytes:
    """Three small panels (coverage, refused, waiting) of one borough against London, as PNG."""
    import io

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    mine = series.loc[series["service"] == service]
    borough = mine.loc[mine["code"] == code]
    london = mine.loc[mine["code"] == LONDON_CODE]
    fig, axes = plt.subplots(1, 3, figsize=(9, 2.8), dpi=dpi)
    for ax, (measure, title) in zip(axes, [("coverage_pct", "Coverage of need (%)"),
                                           ("refused_pct", "Referrals refused (%)"),
                                           ("waiting_days", "Median days to contact")]):
        ax.plot(london["quarter"], london[measure], color="#505a5f", marker="s", linestyle="--", label="London")
        if code != LONDON_CODE:
            ax.plot(borough["quarter"], borough[measure], color="#1d70b8", marker="o",
                    label=borough["name"].iloc[0] if len(borough) else code)
        ax.set_title(title, fontsize=9)
        ax.tick_params(labelsize=7)
        ax.set_ylim(bottom=0)
        ax.grid(axis="y", color="#dddddd")
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
    handles, names = axes[0].get_legend_handles_labels()
    fig.legend(handles, names, fontsize=8, frameon=False, loc="lower center", ncol=2)
    fig.suptitle(label, fontsize=10)
    fig.tight_layout(rect=(0, 0.08, 1, 1))
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    plt.close(fig)
    return buffer.getvalue()


def chart_alt(series: pd.DataFrame, service: str, code: str) -> str:
    """A text alternative for :func:`chart_png`: the figures, quarter by quarter."""
    mine = series.loc[(series["service"] == service) & series["code"].isin([code, LONDON_CODE])]
    parts = []
    for name, rows in mine.groupby("name", sort=False):
        items = [f"{r.quarter} coverage {_pct(r.coverage_pct)}, refused {_pct(r.refused_pct)}, "
                 f"waiting {_days(r.waiting_days)}" for r in rows.itertuples()]
        parts.append(f"{name}: " + "; ".join(items))
    return "Line charts by quarter. " + ". ".join(parts) + "."


def _pct(value: float) -> str:
    return "not available" if value is None or np.isnan(value) else f"{value:.0f}%"


def _days(value: float) -> str:
    return "not available" if value is None or np.isnan(value) else f"{value:.1f} days"
