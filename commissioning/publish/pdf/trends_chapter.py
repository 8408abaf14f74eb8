"""The needs assessment's chapter on demand over time, as outline content (one source for the PDF
and the HTML): rates with 95% intervals against London, the forecast with its backtest, and need
over the contract period. Kept apart from needs.py, which calls :func:`trends_outline`, so the
chapter can change without touching the rest of the report.

Every forecast and estimate is marked *estimated*: in a boxed notice, in the text and in the
charts' captions and text alternatives. Each chart's text alternative gives the figures a sighted
reader takes from it; the table after it gives every figure.
"""

from __future__ import annotations

import pandas as pd

from commissioning.demand import forecast as fc
from commissioning.demand.contract import ContractPeriod, contract_outlook, london_need
from commissioning.demand.series import MonthlySeries, load_series_dir
from commissioning.demand.trends import (
    HIGHER,
    LONDON,
    LOWER,
    PER,
    SIMILAR,
    latest,
    trend_table,
)
from commissioning.needs.dataset import Dataset
from commissioning.publish.headline import digits_for
from commissioning.publish.outline import B, Outline
from commissioning.publish.pdf.style import estimated_words, fmt
from commissioning.publish.pdf.trend_charts import caterpillar_png, forecast_fan_png

MEASURE_WORDS = {"vawg_offences": "violence against women and girls (VAWG) offences",
                 "sexual_offences": "rape and other sexual offences"}


def trends_outline(ds: Dataset, gaps: pd.DataFrame, contract: ContractPeriod | None = None, *,
                   series: dict[str, MonthlySeries] | None = None, dpi: int = 200) -> Outline:
    """The chapter: one section per series measure in :data:`MEASURE_WORDS`, then need over the
    contract period (when ``contract`` is given). ``series`` defaults to the data's ``series/``;
    ``dpi``: chart resolution."""
    series = _series(ds, series)
    o = Outline().heading("Demand over time")
    measures = [m for m in MEASURE_WORDS if m in series]
    if not measures:
        return o.para("The data hold no monthly series, so trends and forecasts are not shown. Import them with "
                      "python -m commissioning import mps-vawg FILE --series.").page_break()
    tests = {m: fc.backtest(series[m], m) for m in measures}
    o.notice(estimated_words(ds.estimated_notes() + ["forecasts of demand and of need in future contract years"]),
             kind="estimated")
    o.para("How recorded demand has moved, month by month since the series begin, and where it is heading. Rates use "
           "the 12 months to the latest month, so seasons do not distort them; forecasts come from the model that "
           "beat the seasonal-naive baseline (the same month a year before) when tested on past years it had not "
           "seen.")
    for measure in measures:
        o.extend(_measure_section(ds, series[measure], measure, tests[measure], contract, dpi))
    if contract is not None:
        need, used = contract_outlook(ds, contract, gaps, series, tests)
        o.extend(_contract_section(ds, need, used, contract))
    return o


def contract_need_outline(ds: Dataset, gaps: pd.DataFrame, contract: ContractPeriod | None, *,
                          series: dict[str, MonthlySeries] | None = None) -> Outline:
    """Need over the contract period as a chapter of its own (for the published priorities); empty
    when there is no contract period or no monthly series."""
    series = _series(ds, series)
    if contract is None or not series:
        return Outline()
    need, tests = contract_outlook(ds, contract, gaps, series)
    return _contract_section(ds, need, tests, contract, level=1)


def _series(ds: Dataset, series: dict[str, MonthlySeries] | None) -> dict[str, MonthlySeries]:
    return load_series_dir(ds.data_dir) if series is None and ds.data_dir is not None else (series or {})


def _words(measure: str) -> str:
    return MEASURE_WORDS.get(measure, measure.replace("_", " "))


def _measure_section(ds: Dataset, series: MonthlySeries, measure: str, test: fc.Backtest,
                     contract: ContractPeriod | None, dpi: int) -> Outline:
    words = _words(measure)
    trend = trend_table(series, measure, ds.population.set_index("code")["population"])
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
    shown = history.iloc[-60:]
    title = f"{words[0].upper()}{words[1:]}"
    per_month = f"{measure.replace('_', ' ').replace('vawg', 'VAWG')} a month"

    o = Outline().heading(title, 2)
    o.para("The Metropolitan Police recorded ", B(f"{london['count']:,.0f}"),
           f" {words} in the {len(boroughs)} boroughs in the 12 months to {end}{change}: {london['rate']:,.0f} per "
           f"100,000 residents (95% interval {london['lower95']:,.0f} to {london['upper95']:,.0f}). "
           f"{int(counts.get(HIGHER, 0))} boroughs were significantly above the London rate, "
           f"{int(counts.get(SIMILAR, 0))} similar and {int(counts.get(LOWER, 0))} significantly below.")
    o.figure(caterpillar_png(boroughs, london["rate"], f"Per 100,000 residents, 12 months to {end}", dpi=dpi),
             alt=_caterpillar_alt(boroughs, london["rate"], words, end),
             caption="Each dot is a borough's rate, the bar its 95% interval (Byar's method); the dashed line is "
                     "London. A borough is significantly higher or lower when its whole interval lies above or below "
                     "London's rate.",
             data=boroughs[["code", "name", "count", "rate", "lower95", "upper95", "vs_london"]].round(1))
    o.figure(forecast_fan_png(shown, total, "London (the boroughs together): recorded and forecast", per_month,
                              dpi=dpi, contract=(contract.start, contract.end) if contract else None),
             alt=_forecast_alt(shown, total, words, len(boroughs), contract),
             caption=[B("Estimated."), f" Forecast for London: {fc.LABELS[test.chosen]}, the model chosen for the "
                      f"boroughs, fitted to the London total, with 80% and 95% intervals. Backtest over the boroughs, "
                      f"{test.accuracy()}."],
             data=_fan_data(shown, total))
    rows = [["Authority", "12 months", "Rate per 100,000", "95% interval", "Against London", "Change"]]
    for r in now.itertuples():
        rows.append([r.name, fmt(r.count, 0), fmt(r.rate, 0), f"{fmt(r.lower95, 0)}–{fmt(r.upper95, 0)}",
                     r.vs_london or "–", _change(r.change_pct)])
    o.table(rows, caption=f"{title} by borough: recorded in the 12 months to {end}, rate per 100,000 residents "
                          "with its 95% interval, against London, and change on the 12 months before",
            widths=[0.29, 0.11, 0.115, 0.16, 0.215, 0.11], align_right=[1, 2, 3, 5], total_row=True)
    o.para(f"Rates per {PER:,} residents (Census 2021) over the 12 months to {end}; change on the 12 months before. "
           "The City of London is not in MPS data.", style="small")
    return o.page_break()


def _change(pct: float) -> str:
    """A change in per cent with its sign: "+9%", "−1%" (a real minus), "0%"; "–" when unknown."""
    if pd.isna(pct):
        return "–"
    text = fmt(pct, 0)
    return ("+" + text if text != "0" and text[0].isdigit() else text) + "%"


def _caterpillar_alt(boroughs: pd.DataFrame, london_rate: float, words: str, end: str) -> str:
    """The dot chart in words: London's rate, the highest and lowest boroughs and who is above, near
    and below London (highest rate first, as the chart reads top to bottom)."""
    ranked = boroughs.sort_values("rate", ascending=False)
    top, bottom = ranked.iloc[0], ranked.iloc[-1]
    groups = []
    for label in (HIGHER, SIMILAR, LOWER):
        names = ranked.loc[ranked["vs_london"] == label, "name"].tolist()
        if names:
            groups.append(f"{label[0].upper()}{label[1:]} than London ({len(names)}): {', '.join(names)}."
                          if label != SIMILAR else f"Similar to London ({len(names)}): {', '.join(names)}.")
    return (f"Dot chart of each borough's rate of {words} per 100,000 residents in the 12 months to {end}, with its "
            f"95% interval, against the London rate of {london_rate:,.0f} (a dashed line). Highest: {top['name']} "
            f"{top['rate']:,.0f}; lowest: {bottom['name']} {bottom['rate']:,.0f}. " + " ".join(groups)
            + " The table below gives every borough's figures.")


def _forecast_alt(history: pd.Series, future: pd.DataFrame, words: str, boroughs: int,
                  contract: ContractPeriod | None) -> str:
    """The forecast chart in words: the recorded range and latest month, then the estimated forecast
    over the next 12 months and its intervals at the end."""
    month = lambda p: p.strftime("%B %Y")  # noqa: E731
    last = future.iloc[-1]
    shaded = (f" The contract period, {month(contract.start)} to {month(contract.end)}, is shaded."
              if contract is not None else "")
    return (f"Line chart of {words} a month in London (the {boroughs} boroughs together). Recorded, "
            f"{month(history.index[0])} to {month(history.index[-1])}: between {history.min():,.0f} and "
            f"{history.max():,.0f} a month, {history.iloc[-1]:,.0f} in {month(history.index[-1])}. Forecast "
            f"(estimated), {month(future['month'].iloc[0])} to {month(last['month'])}: "
            f"{future['forecast'].iloc[:12].mean():,.0f} a month on average over the first 12 months, and "
            f"{last['forecast']:,.0f} in {month(last['month'])} with an 80% interval of {last['lower80']:,.0f} to "
            f"{last['upper80']:,.0f} and a 95% interval of {last['lower95']:,.0f} to {last['upper95']:,.0f}."
            + shaded)


def _contract_section(ds: Dataset, need: pd.DataFrame, tests: dict, contract: ContractPeriod,
                      level: int = 2) -> Outline:
    totals = london_need(need)
    benches = ds.benchmarks.services
    labels = {s: b.label.split(" (")[0] for s, b in benches.items()}
    moving = set(need.loc[~need["basis"].str.startswith("held flat"), "service"])
    rows = [["Service", "Contract year", "Need (central)", "80% range", "95% range", "Provision today"]]
    for r in totals.loc[totals["service"].isin(moving)].itertuples():
        d = digits_for(benches[r.service].unit)
        year = f"Year {r.year}{' (extension)' if r.extension else ''}: {r.first_month} to {r.last_month}"
        rows.append([f"{labels[r.service]} ({benches[r.service].unit})", year, fmt(r.need, d),
                     f"{fmt(r.need_lower80, d)}–{fmt(r.need_upper80, d)}",
                     f"{fmt(r.need_lower95, d)}–{fmt(r.need_upper95, d)}", fmt(r.provision, d)])
    flat = totals.loc[~totals["service"].isin(moving)].drop_duplicates("service")
    ext = f" and up to {contract.extension_years} extension years" if contract.extension_years else ""
    o = Outline().heading("Need over the contract period", level)
    o.para(f"The contract starts in {contract.start.strftime('%B %Y')} and runs {contract.years} years{ext}. ",
           B("Estimated:"), " need in each contract year uses the demand forecasts, as a central figure with 80% and "
           "95% ranges; the further ahead, the wider the range.")
    if len(rows) > 1:
        o.table(rows, caption="Need in each contract year across London (estimated), with its 80% and 95% ranges, "
                              "against provision today",
                widths=[0.125, 0.38, 0.115, 0.13, 0.13, 0.12], align_right=range(2, 6))
        o.para("London totals: the central figure adds the boroughs' central figures; the ranges add their bounds, as "
               "if boroughs moved together (a cautious range). Authorities without a monthly series (the City of "
               "London) are held at today's need.", style="small")
    held = []
    for r in flat.itertuples():
        unit = benches[r.service].unit
        held.append(f"{labels[r.service]} {fmt(r.need, digits_for(unit))} {unit} against "
                    f"{fmt(r.provision, digits_for(unit))} today")
    if held:
        o.para("Needs set per head of population are held flat over the contract, as the data hold no population "
               "projection: " + "; ".join(held) + ".")
    for measure, t in tests.items():
        o.para(f"Model for {_words(measure)}: {fc.LABELS[t.chosen]}; {t.accuracy()}.", style="small")
    return o.page_break()


def _fan_data(history: pd.Series, future: pd.DataFrame) -> pd.DataFrame:
    """The forecast chart's figures: each month recorded, then each month forecast with its intervals."""
    recorded = pd.DataFrame({"month": history.index.astype(str), "recorded": history.to_numpy()})
    forecast = future.assign(month=future["month"].astype(str)).round(1)
    return pd.concat([recorded, forecast], ignore_index=True)
