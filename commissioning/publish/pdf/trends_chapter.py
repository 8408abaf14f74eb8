"""The needs PDF's chapter on demand over time: rates with 95% intervals against London, the
forecast with its backtest, and need over the contract period. Kept apart from needs.py, which
calls :func:`trend_flowables`, so the chapter can change without touching the rest of the report.

Every forecast and estimate is marked *estimated* in a boxed notice and in the text.
"""

from __future__ import annotations

import pandas as pd
from reportlab.lib import colors
from reportlab.platypus import PageBreak, Spacer, Table, TableStyle

from commissioning.demand import forecast as fc
from commissioning.demand.contract import ContractPeriod, contract_outlook, london_need
from commissioning.demand.series import MonthlySeries, load_series_dir
from commissioning.demand.trends import LONDON, PER, latest, trend_table
from commissioning.needs.dataset import Dataset
from commissioning.publish.pdf.style import CONTENT_WIDTH, FONT, data_table, esc, fmt, heading, para, png_image
from commissioning.publish.pdf.trend_charts import caterpillar_png, forecast_fan_png

MEASURE_WORDS = {"vawg_offences": "violence against women and girls (VAWG) offences",
                 "sexual_offences": "rape and other sexual offences"}
ESTIMATE_FILL, ESTIMATE_EDGE = colors.HexColor("#e8f1f8"), colors.HexColor("#1d70b8")


def estimated_mark(notes: list[str]) -> list:
    """A boxed 'Estimated figures' notice (blue, apart from the yellow illustrative mark)."""
    if not notes:
        return []
    text = ("ESTIMATED FIGURES. These are estimates made from real figures, not recorded ones: "
            + esc("; ".join(notes)) + ".")
    box = Table([[para(text, "mark")]], colWidths=[CONTENT_WIDTH])
    box.setStyle(TableStyle([("FONTNAME", (0, 0), (-1, -1), FONT), ("BACKGROUND", (0, 0), (-1, -1), ESTIMATE_FILL),
                             ("BOX", (0, 0), (-1, -1), 1.2, ESTIMATE_EDGE),
                             ("LEFTPADDING", (0, 0), (-1, -1), 8), ("RIGHTPADDING", (0, 0), (-1, -1), 8),
                             ("TOPPADDING", (0, 0), (-1, -1), 6), ("BOTTOMPADDING", (0, 0), (-1, -1), 6)]))
    return [box, Spacer(1, 8)]


def _measure_section(ds: Dataset, series: MonthlySeries, measure: str, test: fc.Backtest,
                     contract: ContractPeriod | None, dpi: int) -> list:
    words = MEASURE_WORDS.get(measure, measure.replace("_", " "))
    population = ds.population.set_index("code")["population"]
    trend = trend_table(series, measure, population)
    now = latest(trend)
    london = now.loc[now["code"] == LONDON].iloc[0]
    boroughs = now.loc[now["code"] != LONDON]
    counts = boroughs["vs_london"].value_counts()
    end = london["month"].strftime("%B %Y")
    change = "" if pd.isna(london["change_pct"]) else (
        f", {abs(london['change_pct']):.0f}% {'more' if london['change_pct'] >= 0 else 'fewer'} than in the "
        "12 months before")
    horizon = max((contract.end - series.last_month).n, 12) if contract is not None else 36
    history = series.matrix(measure).sum(axis=1)
    total = fc.fit(history.to_numpy(), test.chosen).forecast(horizon, test.scale)
    total.insert(0, "month", pd.period_range(history.index[-1] + 1, periods=horizon, freq="M"))
    title = f"{words[0].upper()}{words[1:]}"
    story = [heading(title, 2),
             para(f"The Metropolitan Police recorded <b>{london['count']:,.0f}</b> {esc(words)} in the "
                  f"{len(boroughs)} boroughs in the 12 months to {end}{change}: {london['rate']:,.0f} per 100,000 "
                  f"residents (95% interval {london['lower95']:,.0f} to {london['upper95']:,.0f}). "
                  f"{int(counts.get('significantly higher', 0))} boroughs were significantly above the London "
                  f"rate, {int(counts.get('similar', 0))} similar and {int(counts.get('significantly lower', 0))} "
                  "significantly below."),
             png_image(caterpillar_png(boroughs, london["rate"], f"Per 100,000 residents, 12 months to {end}",
                                       dpi=dpi)),
             para("Each dot is a borough's rate, the bar its 95% interval (Byar's method); the dashed line is "
                  "London. A borough is significantly higher or lower when its whole interval lies above or "
                  "below London's rate.", "small"),
             png_image(forecast_fan_png(history.iloc[-60:], total,
                                        "London (the boroughs together): recorded and forecast",
                                        f"{measure.replace('_', ' ').replace('vawg', 'VAWG')} a month", dpi=dpi,
                                        contract=(contract.start, contract.end) if contract else None)),
             para(f"<b>Estimated.</b> Forecast for London: {esc(fc.LABELS[test.chosen])}, the model chosen for "
                  f"the boroughs, fitted to the London total, with 80% and 95% intervals. Backtest over the "
                  f"boroughs: {esc(test.describe())}.", "small")]
    rows = [["Authority", "12 months", "Rate per 100,000", "95% interval", "Against London", "Change"]]
    for r in now.itertuples():
        rows.append([esc(r.name), fmt(r.count, 0), fmt(r.rate, 0), f"{fmt(r.lower95, 0)}–{fmt(r.upper95, 0)}",
                     esc(r.vs_london or "–"), "–" if pd.isna(r.change_pct) else f"{r.change_pct:+.0f}%"])
    story += [data_table(rows, [0.28, 0.11, 0.13, 0.15, 0.22, 0.11], align_right=range(1, 4), total_row=True),
              para(f"Rates per {PER:,} residents (Census 2021) over the 12 months to {end}; change on the 12 "
                   "months before. The City of London is not in MPS data.", "small"),
              PageBreak()]
    return story


def _contract_section(ds: Dataset, need: pd.DataFrame, tests: dict, contract: ContractPeriod, level: int = 2) -> list:
    totals = london_need(need)
    labels = {s: b.label.split(" (")[0] for s, b in ds.benchmarks.services.items()}
    units = {s: b.unit for s, b in ds.benchmarks.services.items()}
    moving = set(need.loc[~need["basis"].str.startswith("held flat"), "service"])
    rows = [["Service", "Contract year", "Need (central)", "80% range", "95% range", "Provision today"]]
    for r in totals.loc[totals["service"].isin(moving)].itertuples():
        year = f"Year {r.year}{' (extension)' if r.extension else ''}: {r.first_month} to {r.last_month}"
        rows.append([esc(f"{labels[r.service]} ({units[r.service]})"), esc(year), fmt(r.need),
                     f"{fmt(r.need_lower80)}–{fmt(r.need_upper80)}", f"{fmt(r.need_lower95)}–{fmt(r.need_upper95)}",
                     fmt(r.provision)])
    flat = totals.loc[~totals["service"].isin(moving)].drop_duplicates("service")
    ext = f" and up to {contract.extension_years} extension years" if contract.extension_years else ""
    story = [heading("Need over the contract period", level),
             para(f"The contract starts in {contract.start.strftime('%B %Y')} and runs {contract.years} years{ext}. "
                  "<b>Estimated:</b> need in each contract year uses the demand forecasts, as a central figure "
                  "with 80% and 95% ranges; the further ahead, the wider the range.")]
    if len(rows) > 1:
        story += [data_table(rows, [0.13, 0.37, 0.11, 0.13, 0.13, 0.13], align_right=range(2, 6)),
                  para("London totals: the central figure adds the boroughs' central figures; the ranges add their "
                       "bounds, as if boroughs moved together (a cautious range). Authorities without a monthly "
                       "series (the City of London) are held at today's need.", "small")]
    if len(flat):
        story.append(para("Needs set per head of population are held flat over the contract, as the data hold no "
                          "population projection: " + esc("; ".join(
                              f"{labels[r.service]} {fmt(r.need)} {units[r.service]} against {fmt(r.provision)} today"
                              for r in flat.itertuples())) + "."))
    story += [para(f"Model for {esc(t.describe())}.", "small") for t in tests.values()]
    return story + [PageBreak()]


def trend_flowables(ds: Dataset, gaps: pd.DataFrame, contract: ContractPeriod | None = None, *,
                    series: dict[str, MonthlySeries] | None = None, dpi: int = 200) -> list:
    """The chapter: one section per series measure in :data:`MEASURE_WORDS`, then need over the
    contract period (when ``contract`` is given). ``series`` defaults to the data's ``series/``."""
    series = load_series_dir(ds.data_dir) if series is None and ds.data_dir is not None else (series or {})
    story = [heading("Demand over time")]
    measures = [m for m in MEASURE_WORDS if m in series]
    if not measures:
        return story + [para("The data hold no monthly series, so trends and forecasts are not shown. Import them "
                             "with <i>python -m commissioning import mps-vawg FILE --series</i>."), PageBreak()]
    tests = {m: fc.backtest(series[m], m) for m in measures}
    notes = ds.estimated_notes() + ["forecasts of demand and of need in future contract years"]
    story += estimated_mark(notes)
    story.append(para("How recorded demand has moved, month by month since the series begin, and where it is "
                      "heading. Rates use the 12 months to the latest month, so seasons do not distort them; "
                      "forecasts come from the model that beat the seasonal-naive baseline (the same month a "
                      "year before) when tested on past years it had not seen."))
    for measure in measures:
        story += _measure_section(ds, series[measure], measure, tests[measure], contract, dpi)
    if contract is not None:
        need, used = contract_outlook(ds, contract, gaps, series, tests)
        story += _contract_section(ds, need, used, contract)
    return story


def contract_need_flowables(ds: Dataset, gaps: pd.DataFrame, contract: ContractPeriod | None, *,
                            series: dict[str, MonthlySeries] | None = None) -> list:
    """Need over the contract period as a chapter of its own (for the published priorities); empty
    when there is no contract period or no monthly series."""
    series = load_series_dir(ds.data_dir) if series is None and ds.data_dir is not None else (series or {})
    if contract is None or not series:
        return []
    need, tests = contract_outlook(ds, contract, gaps, series)
    return _contract_section(ds, need, tests, contract, level=1)
