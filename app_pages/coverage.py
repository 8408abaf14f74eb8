"""Coverage (commissioner): choropleth of the authorities by service and measure, with the table."""

import streamlit as st

from app_pages import _shared as ui
from commissioning.spatial.layers import service_points
from commissioning.web import appdata, svgmap, webmap

ui.guard("coverage")
ds = ui.dataset()
assessment = ui.assessment()
gaps = assessment.gaps

st.title("Coverage")
ui.illustrative_banner()

labels = appdata.service_labels(ds)
left, right = st.columns([2, 3])
service = left.selectbox("Service", list(labels), format_func=labels.get, key="coverage_service")
measure_key = right.radio("Measure", list(webmap.MEASURES), horizontal=True, key="coverage_measure",
                          format_func=lambda m: {"coverage": "Coverage %", "shortfall": "Shortfall",
                                                 "access": "Access score"}[m])
bench = ds.benchmarks.services[service]
unit = bench.unit
measure = webmap.MEASURES[measure_key]

table = appdata.coverage_table(gaps, service, ui.access(service))
drawn = webmap.choropleth(ui.boundary_features(), table, measure_key, unit,
                          amber_at=ds.benchmarks.amber_at, green_at=ds.benchmarks.green_at)
points = webmap.point_records(service_points(ds, service), bench.label.split(" (")[0], unit)

# Totals from the unrounded gap table (the assessment's), as the CLI and the PDFs give them: `table`
# is rounded for display, and a sum of rounded figures drifts (151.5 FTE instead of 151.6).
totals = assessment.totals.set_index("service").loc[service]
m1, m2, m3, m4 = st.columns(4)
m1.metric(f"Provision ({unit})", f"{totals['provision']:,.1f}")
m2.metric(f"Need ({unit})", f"{totals['need']:,.1f}")
m3.metric("Coverage", f"{totals['coverage_pct']:.0f}%" if totals["need"] else "n/a")
m4.metric("Authorities red", f"{int((table['status'] == 'red').sum())} of {len(table)}")

label = measure.label.replace("{unit}", unit)
map_col, table_col = st.columns([3, 2], gap="medium")
with map_col:
    st.html(webmap.legend_html(drawn.legend, label, horizontal=True,
                               note=f"{measure.reading} In brackets: the number of authorities."))
    st.markdown(svgmap.svg_map(drawn.collection, drawn.alt, points=points), unsafe_allow_html=True)
    notes = []
    if points:
        notes.append(f"Orange dots: {bench.label.split(' (')[0]} services that are not confidential.")
    notes.append("Point at an authority or a dot for its figures.")
    if ds.services.loc[ds.services["service"] == service, "confidential"].any():
        notes.append("Refuge and other confidential locations are never shown.")
    if measure_key == "access":
        notes.append("Access: E2SFCA (Luo & Qi 2009), 10 km catchment, Gaussian decay, from each authority's "
                     "centre; confidential capacity is placed at the centres of the authorities it serves.")
    st.caption(ui.esc(" ".join(notes)))

with table_col:
    shown = appdata.display_table(table, unit)
    extra = ["Access per 100k"] if measure_key == "access" else []
    compact = shown[["Authority", "Coverage %", f"Shortfall ({unit})", "Status", *extra]]
    styled = compact.style.map(appdata.status_style, subset=["Status"]).format(
        {"Coverage %": "{:.0f}%", f"Shortfall ({unit})": "{:.1f}", **{c: "{:.1f}" for c in extra}},
        na_rep="no figure")
    st.dataframe(styled, hide_index=True, height=505, width="stretch")
    ui.csv_download(shown, f"coverage_{service}.csv", label="Download the full table (CSV)")

st.caption(ui.esc(f"Need model: {bench.model.describe()} ({unit}). Source: {bench.model.citation}") + " "
           f"Status: green at {ds.benchmarks.green_at:g}% coverage or more, amber from "
           f"{ds.benchmarks.amber_at:g}%, red below.")
