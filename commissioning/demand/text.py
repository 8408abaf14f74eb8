"""Plain-text rendering of need over the contract period for the terminal."""

from __future__ import annotations

import pandas as pd

from commissioning.demand.contract import ContractPeriod, london_need
from commissioning.needs.dataset import Dataset

ESTIMATE_MARK = ("ESTIMATED: need in future contract years comes from forecasts of demand; each figure is a "
                 "central estimate with its 80% range (95% in --format csv), not a recorded figure.")


def contract_words(contract: ContractPeriod) -> str:
    extra = f", plus up to {contract.extension_years} extension year(s)" if contract.extension_years else ""
    return f"contract from {contract.start.strftime('%B %Y')}, {contract.years} years{extra}"


def contract_need_text(ds: Dataset, table: pd.DataFrame, tests: dict, contract: ContractPeriod) -> str:
    years = table[["year", "first_month", "extension"]].drop_duplicates().sort_values("year")
    heads = [f"Y{r.year}{'*' if r.extension else ''} {r.first_month[:4]}-{str(int(r.first_month[:4]) + 1)[2:]}"
             for r in years.itertuples()]
    lines = [ESTIMATE_MARK, f"Need over the contract period: {contract_words(contract)} (* = extension year).", ""]
    lines += [f"Model: {t.describe()}" for t in tests.values()]
    lines += [""] if tests else []
    totals = london_need(table)
    for service, rows in table.groupby("service", sort=False):
        bench = ds.benchmarks.services[service]
        bases = sorted(set(rows["basis"]))
        lines.append(f"{bench.label} — need: {bench.model.describe()} ({bench.unit}); {'; '.join(bases)}")
        lines.append(f"  {'Authority':<24}{'provision':>10}" + "".join(f"{h:>22}" for h in heads))
        for _, borough in rows.groupby("code", sort=False):
            cells = []
            for r in borough.itertuples():
                cells.append(f"{r.need:.1f} ({r.need_lower80:.1f}-{r.need_upper80:.1f})")
            lines.append(f"  {borough['name'].iloc[0]:<24}{borough['provision'].iloc[0]:>10.1f}"
                         + "".join(f"{c:>22}" for c in cells))
        london = totals.loc[totals["service"] == service]
        lines.append(f"  {'Total':<24}{london['provision'].iloc[0]:>10.1f}" + "".join(
            f"{f'{r.need:.1f} ({r.need_lower80:.1f}-{r.need_upper80:.1f})':>22}" for r in london.itertuples()))
        lines.append("  95% range of the total: " + "; ".join(
            f"Y{r.year} {r.need_lower95:.1f}-{r.need_upper95:.1f}" for r in london.itertuples()))
        lines.append("")
    lines.append("'provision' is today's provision. Totals add the boroughs' central figures; their ranges add the "
                 "boroughs' bounds (as if boroughs moved together). Rate-based needs are held flat: no "
                 "population projection is in the data.")
    return "\n".join(lines) + "\n"
