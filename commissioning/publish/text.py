"""Plain-text rendering of the gap table for the terminal."""

from __future__ import annotations

import pandas as pd

from commissioning.needs.assessment import Assessment
from commissioning.needs.dataset import Dataset


def illustrative_notice(ds: Dataset) -> str:
    notes = ds.illustrative_notes()
    if not notes:
        return ""
    return ("ILLUSTRATIVE DATA: " + "; ".join(notes) +
            " are illustrative, not real figures (see data/sources.yaml).")


def estimated_notice(ds: Dataset) -> str:
    notes = ds.estimated_notes()
    if not notes:
        return ""
    return ("ESTIMATED FIGURES: " + "; ".join(notes) +
            ". These are estimates, not recorded figures (see data/sources.yaml).")


def gap_table_text(assessment: Assessment) -> str:
    ds, gaps = assessment.dataset, assessment.gaps
    lines = []
    for notice in (illustrative_notice(ds), estimated_notice(ds)):
        if notice:
            lines += [notice, ""]
    totals = assessment.totals.set_index("service")
    for service, rows in gaps.groupby("service", sort=False):
        bench = ds.benchmarks.services[service]
        unit = bench.unit
        lines.append(f"{bench.label} — need: {bench.model.describe()} ({unit})")
        lines.append(f"  Source: {bench.model.citation}")
        lines.append(f"  {'Authority':<24}{'provision':>10}{'need':>10}{'shortfall':>11}{'coverage':>10}  status")
        for r in rows.itertuples():
            cov = "n/a" if pd.isna(r.coverage_pct) else f"{r.coverage_pct:.0f}%"
            lines.append(f"  {r.name:<24}{r.provision:>10.1f}{r.need:>10.1f}{r.shortfall:>11.1f}{cov:>10}  {r.status}")
        t = totals.loc[service]
        lines.append(f"  {'Total':<24}{t.provision:>10.1f}{t.need:>10.1f}{t.shortfall:>11.1f}"
                     f"{t.coverage_pct:>9.0f}%  {t.status}  (red {t.red}, amber {t.amber}, green {t.green};"
                     f" gaps where short: {t.gap_total:.1f} {unit})")
        lines.append("")
    lines.append(f"Status: green >= {ds.benchmarks.green_at:g}% coverage, amber >= {ds.benchmarks.amber_at:g}%, "
                 f"red below. {ds.benchmarks.status_citation}")
    return "\n".join(lines) + "\n"
