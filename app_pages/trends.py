"""Demand over time (commissioner): 12-month rates with 95% intervals, borough against London,
the forecast with its 80% and 95% bands and backtest accuracy, and need over the contract period."""

import pandas as pd
import streamlit as st

from app_pages import _shared as ui
from commissioning.demand import forecast as fc
from commissioning.demand.contract import contract_from_rules, london_need
from commissioning.demand.trends import LONDON, latest, trend_table
from commissioning.web.htmltable import html_table
from commissioning.web.svgchart import Band, Line, time_chart

ui.guard("trends")
ds = ui.dataset()

AGAINST = {"significantly higher": "significantly higher than", "similar": "similar to",
           "significantly lower": "significantly lower than"}
BLUE, BLACK = "#1d70b8", "#0b0c0c"


st.title("Demand over time")
ui.illustrative_banner()
with ui.user_errors():
    series = ui.trend_series()
if not series:
    st.info("No monthly series in the data folder: import them with "
            "`python -m commissioning import mps-vawg FILE --series` and `import mps-crime FILE --series`.")
    st.stop()

left, right = st.columns(2)
measure = left.selectbox("Measure", ui.trend_measures(series), format_func=lambda m: ui.TREND_MEASURES.get(m, m),
                         key="trend_measure")
data = series[measure]
names = data.names
code = right.selectbox("Borough", list(names), format_func=names.get, key="trend_borough")
words = ui.TREND_MEASURES.get(measure, measure)

population = ds.population.set_index("code")["population"]
trend = trend_table(data, measure, population)
now = latest(trend).set_index("code")
row, london = now.loc[code], now.loc[LONDON]
m1, m2, m3 = st.columns(3)
m1.metric(f"{words}, last 12 months", f"{row['count']:,.0f}",
          delta=None if pd.isna(row["change_pct"]) else f"{row['change_pct']:+.0f}% on the year before",
          delta_color="off")
m2.metric("Rate per 100,000 residents", f"{row['rate']:,.0f}",
          help="95% interval by Byar's method (as in OHID Fingertips)")
m3.metric("Against London", row["vs_london"].capitalize(), help=f"London: {london['rate']:,.0f} per 100,000")
place = ui.esc(names[code])
st.caption(f"{place}: {row['rate']:,.0f} per 100,000 residents a year (95% interval {row['lower95']:,.0f} to "
           f"{row['upper95']:,.0f}), {AGAINST[row['vs_london']]} London's {london['rate']:,.0f}, in the 12 months to "
           f"{row['month'].strftime('%B %Y')}.")

st.header("Rate over 12 months, against London")
shown = trend.loc[trend["code"].isin([code, LONDON])].copy()
shown["month"] = shown["month"].dt.to_timestamp()


def rate_line(area: str, colour: str, dash: str = "") -> Line:
    rows = shown.loc[shown["code"] == area]
    hover = [f"{r.name}, 12 months to {r.month:%b %Y}: {r.rate:,.0f} per 100,000 (95% interval {r.lower95:,.0f} to "
             f"{r.upper95:,.0f})" for r in rows.itertuples()]
    return Line(rows["month"], rows["rate"], rows["name"].iloc[0], colour, dash, hover)


own = shown.loc[shown["code"] == code]
st.markdown(time_chart(
    [Band(own["month"], own["lower95"], own["upper95"], f"{names[code]} 95% interval", BLUE, 0.25)],
    [rate_line(code, BLUE), rate_line(LONDON, BLACK, "8 5")],
    f"Line chart of {words} per 100,000 residents over 12 months, {names[code]} against London, "
    f"from {own['month'].min():%B %Y} to {own['month'].max():%B %Y}",
    "per 100,000 residents", "12 months ending"), unsafe_allow_html=True)
st.caption(f"Lines: {words} in the 12 months ending each month, per 100,000 residents (Census 2021), for "
           f"{place} (solid) and London (dashed; the {len(names)} boroughs together); shaded: {place}'s 95% interval.")

table = now.reset_index()[["name", "count", "rate", "lower95", "upper95", "vs_london", "change_pct"]].rename(columns={
    "name": "Area", "count": "Last 12 months", "rate": "Rate per 100k", "lower95": "95% lower", "upper95": "95% upper",
    "vs_london": "Against London", "change_pct": "Change on year before %"})
st.html(html_table(table, f"{words} in the 12 months to {row['month']:%B %Y}: count and rate per 100,000 residents "
                   "with its 95% interval, for every borough and London",
                   formats={"Last 12 months": ",.0f", "Rate per 100k": ",.0f", "95% lower": ",.0f",
                            "95% upper": ",.0f", "Change on year before %": "+.1f"}, max_height_rem=20))
ui.csv_download(table, f"trend_{measure}.csv", label="Download the rates (CSV)", key="trend_csv")

st.header("Forecast")
with ui.user_errors():
    test = ui.backtest(measure)
    future = ui.forecast(measure, test.chosen, test.scale)
st.info(f"**Estimated.** The forecast is an estimate with 80% and 95% intervals. Model: {fc.LABELS[test.chosen]}, "
        f"chosen by a rolling-origin backtest. {ui.esc(test.describe())}.", icon=":material/calculate:")
past = data.matrix(measure)[code].iloc[-36:]
past_months = past.index.to_timestamp()
ahead = future.loc[future["code"] == code].copy()
ahead["month"] = ahead["month"].dt.to_timestamp()
recorded = Line(past_months, past.to_numpy(), "Recorded", BLACK,
                hover=[f"{m:%b %Y}: {v:,.0f} recorded" for m, v in zip(past_months, past.to_numpy())])
forecast = Line(ahead["month"], ahead["forecast"], "Forecast (estimated)", BLUE, "8 5",
                hover=[f"{r.month:%b %Y}: forecast {r.forecast:,.0f} (estimated; 80% interval {r.lower80:,.0f} to "
                       f"{r.upper80:,.0f}, 95% interval {r.lower95:,.0f} to {r.upper95:,.0f})"
                       for r in ahead.itertuples()])
st.markdown(time_chart(
    [Band(ahead["month"], ahead["lower95"], ahead["upper95"], "95% interval", BLUE, 0.15),
     Band(ahead["month"], ahead["lower80"], ahead["upper80"], "80% interval", BLUE, 0.3)],
    [recorded, forecast],
    f"Line chart of {words} a month in {names[code]}: recorded from {past_months.min():%B %Y} to "
    f"{past_months.max():%B %Y}, then the estimated forecast to {ahead['month'].max():%B %Y} with its 80% and 95% "
    "intervals", f"{words} a month", "Month"), unsafe_allow_html=True)
st.caption(f"{place}: recorded {words} a month (solid) and the forecast (dashed) with its 80% (darker) and "
           f"95% (lighter) intervals, {ui.FORECAST_MONTHS} months ahead.")
accuracy = test.summary().assign(widening=lambda f: f["model"].map(test.scales),
                                  model=lambda f: f["model"].map(fc.LABELS)).rename(columns={
    "model": "Model", "median_relative_mae": "Error vs seasonal naive (median borough)",
    "coverage80": "80% interval coverage", "boroughs_better": "Boroughs better than seasonal naive",
    "widening": "Interval widening to hold 80%"})
st.html(html_table(accuracy, "How each model did in the backtest, against seasonal naive",
                   formats={"Error vs seasonal naive (median borough)": ".2f", "80% interval coverage": ".0%",
                            "Interval widening to hold 80%": lambda v: f"×{v:.2f}"}))

st.header("Need over the contract period")
contract = contract_from_rules(ui.rules())
if contract is None:
    st.info("The scoring rules give no contract period (timetable.contract_start and contract.years).")
    st.stop()
with ui.user_errors():
    need, tests = ui.contract_outlook()
totals = london_need(need)
labels = {s: b.label.split(" (")[0] for s, b in ds.benchmarks.services.items()}
totals["Service"] = totals["service"].map(labels)
totals["Contract year"] = [f"Year {r.year}{' (extension)' if r.extension else ''}: {r.first_month} to {r.last_month}"
                           for r in totals.itertuples()]
shown = totals[["Service", "Contract year", "need", "need_lower80", "need_upper80", "need_lower95", "need_upper95",
                "provision"]].rename(columns={"need": "Need (central)", "need_lower80": "80% low",
                                              "need_upper80": "80% high", "need_lower95": "95% low",
                                              "need_upper95": "95% high", "provision": "Provision today"})
st.info(f"**Estimated.** Need in each year of the contract (from {contract.start.strftime('%B %Y')}, "
        f"{contract.years} years plus up to {contract.extension_years} extension years) for London as a whole. "
        "Caseload needs follow the demand forecasts; needs set per head of population are held flat, as the data "
        "hold no population projection.", icon=":material/calculate:")
st.html(html_table(shown, "Estimated need for London in each contract year, with 80% and 95% ranges, and "
                   "provision today", formats=dict.fromkeys(shown.columns[2:], ",.1f")))
ui.csv_download(need, "need_over_contract.csv", label="Download need per borough and contract year (CSV)",
                key="contract_csv")
