"""Demand over time (commissioner): 12-month rates with 95% intervals, borough against London,
the forecast with its 80% and 95% bands and backtest accuracy, and need over the contract period."""

import altair as alt
import pandas as pd
import streamlit as st

from app_pages import _shared as ui
from commissioning.demand import forecast as fc
from commissioning.demand.contract import contract_from_rules, contract_outlook, london_need
from commissioning.demand.series import load_series_dir
from commissioning.demand.trends import LONDON, latest, trend_table

ui.guard("trends")
ds = ui.dataset()

MEASURE_WORDS = {"vawg_offences": "VAWG offences", "vawg_victims": "VAWG victims",
                 "sexual_offences": "Sexual offences (rape and other)", "rape_offences": "Rape offences"}
HORIZON = 36
AGAINST = {"significantly higher": "significantly higher than", "similar": "similar to",
           "significantly lower": "significantly lower than"}


@st.cache_resource(show_spinner=False)
def _series(key: str):
    return load_series_dir(ds.data_dir)


@st.cache_resource(show_spinner="Testing the forecast models against seasonal naive…")
def _backtest(key: str, measure: str):
    return fc.backtest(_series(key)[measure], measure)


@st.cache_resource(show_spinner=False)
def _forecast(key: str, measure: str, model: str, scale: float):
    return fc.forecast_series(_series(key)[measure], measure, HORIZON, model, scale)


st.title("Demand over time")
ui.illustrative_banner(ds)
key = str(ds.data_dir)
with ui.user_errors():
    series = _series(key)
if not series:
    st.info("No monthly series in the data folder: import them with "
            "`python -m commissioning import mps-vawg FILE --series` and `import mps-crime FILE --series`.")
    st.stop()

left, right = st.columns(2)
options = [m for m in MEASURE_WORDS if m in series] + [m for m in series if m not in MEASURE_WORDS]
measure = left.selectbox("Measure", options, format_func=lambda m: MEASURE_WORDS.get(m, m), key="trend_measure")
data = series[measure]
names = data.names
code = right.selectbox("Borough", list(names), format_func=names.get, key="trend_borough")
words = MEASURE_WORDS.get(measure, measure)

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
st.caption(f"{names[code]}: {row['rate']:,.0f} per 100,000 residents a year (95% interval {row['lower95']:,.0f} to "
           f"{row['upper95']:,.0f}), {AGAINST[row['vs_london']]} London's {london['rate']:,.0f}, in the 12 months to "
           f"{row['month'].strftime('%B %Y')}.")

st.subheader("Rate over 12 months, against London")
shown = trend.loc[trend["code"].isin([code, LONDON])].copy()
shown["month"] = shown["month"].dt.to_timestamp()
shown["Area"] = shown["name"]
band = alt.Chart(shown.loc[shown["code"] == code]).mark_area(opacity=0.25).encode(
    x=alt.X("month:T", title="12 months ending"), y=alt.Y("lower95:Q", title="per 100,000 residents"), y2="upper95:Q")
lines = alt.Chart(shown).mark_line().encode(
    x="month:T", y="rate:Q", color=alt.Color("Area:N", scale=alt.Scale(range=["#1d70b8", "#0b0c0c"])),
    strokeDash=alt.StrokeDash("Area:N"),
    tooltip=[alt.Tooltip("Area:N"), alt.Tooltip("month:T", format="%b %Y"), alt.Tooltip("rate:Q", format=",.0f"),
             alt.Tooltip("lower95:Q", format=",.0f"), alt.Tooltip("upper95:Q", format=",.0f")])
st.altair_chart(band + lines, width="stretch")
st.caption(f"Lines: {words} in the 12 months ending each month, per 100,000 residents (Census 2021), for "
           f"{names[code]} and London (the {len(names)} boroughs together); shaded: {names[code]}'s 95% interval.")

table = now.reset_index()[["name", "count", "rate", "lower95", "upper95", "vs_london", "change_pct"]].rename(columns={
    "name": "Area", "count": "Last 12 months", "rate": "Rate per 100k", "lower95": "95% lower", "upper95": "95% upper",
    "vs_london": "Against London", "change_pct": "Change on year before %"})
st.dataframe(table.style.format({"Last 12 months": "{:,.0f}", "Rate per 100k": "{:,.0f}", "95% lower": "{:,.0f}",
                                 "95% upper": "{:,.0f}", "Change on year before %": "{:+.1f}"}),
             hide_index=True, height=300, width="stretch")
ui.csv_download(table, f"trend_{measure}.csv", label="Download the rates (CSV)", key="trend_csv")

st.subheader("Forecast")
with ui.user_errors():
    test = _backtest(key, measure)
    future = _forecast(key, measure, test.chosen, test.scale)
st.info(f"**Estimated.** The forecast is an estimate with 80% and 95% intervals. Model: {fc.LABELS[test.chosen]}, "
        f"chosen by a rolling-origin backtest. {test.describe()}.", icon=":material/calculate:")
past = data.matrix(measure)[code].iloc[-36:]
actual = pd.DataFrame({"month": past.index.to_timestamp(), "value": past.to_numpy(), "Series": "Recorded"})
ahead = future.loc[future["code"] == code].copy()
ahead["month"] = ahead["month"].dt.to_timestamp()
ahead["Series"] = "Forecast (estimated)"
base = alt.Chart(ahead).encode(x=alt.X("month:T", title="Month"))
chart = (base.mark_area(opacity=0.15).encode(y=alt.Y("lower95:Q", title=f"{words} a month"), y2="upper95:Q")
         + base.mark_area(opacity=0.3).encode(y="lower80:Q", y2="upper80:Q")
         + base.mark_line(strokeDash=[4, 3]).encode(y="forecast:Q")
         + alt.Chart(actual).mark_line(color="#0b0c0c").encode(x="month:T", y="value:Q"))
st.altair_chart(chart, width="stretch")
st.caption(f"{names[code]}: recorded {words} a month (solid) and the forecast (dashed) with its 80% (darker) and "
           f"95% (lighter) intervals, {HORIZON} months ahead.")
accuracy = test.summary().assign(widening=lambda f: f["model"].map(test.scales),
                                  model=lambda f: f["model"].map(fc.LABELS)).rename(columns={
    "model": "Model", "median_relative_mae": "Error vs seasonal naive (median borough)",
    "coverage80": "80% interval coverage", "boroughs_better": "Boroughs better than seasonal naive",
    "widening": "Interval widening to hold 80%"})
st.dataframe(accuracy.style.format({"Error vs seasonal naive (median borough)": "{:.2f}",
                                    "80% interval coverage": "{:.0%}", "Interval widening to hold 80%": "×{:.2f}"}),
             hide_index=True, width="stretch")

st.subheader("Need over the contract period")
rules = ui.rules()
contract = contract_from_rules(rules)
if contract is None:
    st.info("The scoring rules give no contract period (timetable.contract_start and contract.years).")
    st.stop()


@st.cache_resource(show_spinner="Forecasting need for each contract year…")
def _outlook(key: str, uses: tuple):
    return contract_outlook(ds, contract, ui.assessment().gaps)


with ui.user_errors():
    need, tests = _outlook(key, tuple(sorted((s, b.use) for s, b in ds.benchmarks.services.items())))
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
st.dataframe(shown.style.format({c: "{:,.1f}" for c in shown.columns[2:]}), hide_index=True, width="stretch")
ui.csv_download(need, "need_over_contract.csv", label="Download need per borough and contract year (CSV)",
                key="contract_csv")
