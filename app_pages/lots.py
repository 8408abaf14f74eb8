"""Lots and scenarios (commissioner): contiguous lots for k, the scenario planner, the allocator."""

import streamlit as st

from app_pages import _shared as ui
from commissioning.spatial.lots import ALL
from commissioning.spatial.scenarios import Change, allocate, resolve_areas, run_scenario
from commissioning.web import appdata, svgmap, webmap

ui.guard("lots")
ds = ui.dataset()
gaps = ui.assessment().gaps
labels = appdata.service_labels(ds)
short = {s: label.split(" (")[0] for s, label in labels.items()}


@st.fragment
def lots_tab() -> None:
    """The lots map, balance and table: a fragment, so moving the slider reruns only this part."""
    st.caption("A scenario tool: these computed lots test other ways to split London. The published lots, which "
               "every document and round uses, are the rules' lots (see Published priorities).")
    c1, c2 = st.columns([1, 2])
    k = c1.slider("Number of lots (k)", 2, 8, 5, key="lots_k")
    balance_on = c2.selectbox("Balance need of", [ALL, *labels], key="lots_service",
                              format_func=lambda s: "all services (equal weight)" if s == ALL else labels[s])
    lots = ui.lots(k, balance_on)
    collection, centres = webmap.lots_collection(ui.boundary_features(), lots, short)
    map_col, side_col = st.columns([3, 2], gap="medium")
    with map_col:
        st.markdown(svgmap.svg_map(collection, f"Map of {k} commissioning lots, each labelled", labels=centres),
                    unsafe_allow_html=True)
    table = appdata.lots_table(lots, ds)
    with side_col:
        st.metric("Balance (largest lot need ÷ mean)", f"{lots.balance:.2f}",
                  help="1.00 means every lot carries the same need; every lot is one contiguous piece.")
        colours = webmap.lot_colours(lots.labels)
        st.html(webmap.legend_html([(colours[lot], f"{lot}: {n} authorities") for lot, n in
                                     zip(table["Lot"], table["Authorities"])], "Lots"))
        with st.expander("Members of each lot"):
            st.markdown("\n".join(f"- **{ui.esc(r.Lot)}**: {ui.esc(r.Members)}" for r in table.itertuples()))
    st.markdown("**Coverage of need per lot** (% of the benchmark met)")
    st.dataframe(table.drop(columns=["Members"]), hide_index=True, width="stretch")
    ui.csv_download(appdata.lots_summary_table(lots, ds), f"lots_k{k}.csv", key="lots_csv")


st.title("Lots and scenarios")
ui.illustrative_banner()
tab_lots, tab_scenario, tab_allocate = st.tabs(["Lots", "Scenario planner", "Allocator"])

with tab_lots:
    lots_tab()
# The scenario planner and the allocator use the lots chosen above (read from the slider's state).
lots = ui.lots(st.session_state.get("lots_k", 5), st.session_state.get("lots_service", ALL))

with tab_scenario:
    st.markdown("Add or remove capacity and see where the gaps move. Added capacity is shared over the "
                "chosen areas by need; removals cut every chosen area's provision by the same fraction.")
    changes = st.session_state.setdefault("scenario_changes", [])
    area_options = [*lots.labels, *sorted(ds.authorities.values())]
    with st.form("scenario_add", border=True):
        c1, c2, c3 = st.columns([2, 1, 3])
        service = c1.selectbox("Service", list(labels), format_func=short.get, key="scenario_service")
        delta = c2.number_input("Change (+ add, − remove)", value=2.0, step=0.5, key="scenario_delta")
        areas = c3.multiselect("Areas (authorities or current lots)", area_options, key="scenario_areas")
        if st.form_submit_button("Add change", icon=":material/add:"):
            with ui.user_errors(stop=False):
                codes = resolve_areas(ds, areas, lots)
                changes.append({"service": service, "delta": float(delta), "areas": codes,
                                "label": ", ".join(areas)})
    if changes:
        for i, change in enumerate(list(changes)):
            c1, c2 = st.columns([6, 1])
            unit = ds.benchmarks.services[change["service"]].unit
            c1.markdown(f"{i + 1}. **{change['delta']:+g} {unit}** {ui.esc(short[change['service']])} in {ui.esc(change['label'])}")
            if c2.button("Remove", key=f"scenario_remove_{i}", icon=":material/delete:"):
                changes.pop(i)
                st.rerun()
        with ui.user_errors(stop=False):
            scenario = run_scenario(ds, [Change(c["service"], c["delta"], c["areas"]) for c in changes],
                                    boundaries=ui.boundaries())
            before = scenario.diff["shortfall_before"].clip(lower=0).sum()
            after = scenario.diff["shortfall_after"].clip(lower=0).sum()
            m1, m2, m3 = st.columns(3)
            m1.metric("Gap where short, before", f"{before:,.1f}")
            m2.metric("Gap where short, after", f"{after:,.1f}", delta=f"{after - before:+,.1f}",
                      delta_color="inverse")
            reds = ((scenario.diff["status_before"] == "red").sum(), (scenario.diff["status_after"] == "red").sum())
            m3.metric("Authorities red", f"{reds[1]}", delta=f"{reds[1] - reds[0]:+d}", delta_color="inverse")
            table = appdata.scenario_table(scenario.diff, ds)
            st.dataframe(table, hide_index=True, width="stretch")
            ui.csv_download(table, "scenario.csv", key="scenario_csv")
    else:
        st.info("No changes yet: add one above.")

with tab_allocate:
    st.markdown("Place new posts where they cut the need-weighted shortfall most: each step goes to the "
                "authority whose uncovered share of need is largest, weighted by its need.")
    with st.form("allocate", border=True):
        c1, c2, c3 = st.columns(3)
        service = c1.selectbox("Service", list(labels), format_func=short.get, key="alloc_service")
        posts = c2.number_input("New posts (FTE or spaces)", min_value=0.0, value=5.0, step=0.5, key="alloc_posts")
        step = c3.selectbox("In steps of", [0.5, 1.0, 0.1], key="alloc_step")
        within = st.multiselect("Only in (optional)", area_options, key="alloc_areas")
        run = st.form_submit_button("Allocate", type="primary", icon=":material/calculate:")
    if run or "alloc_result" in st.session_state:
        with ui.user_errors(stop=False):
            if run:
                st.session_state["alloc_result"] = allocate(ds, service, posts, step, within or None, lots, gaps)
            result = st.session_state["alloc_result"]
            m1, m2, m3 = st.columns(3)
            m1.metric(f"Placed ({result.unit})", f"{result.placed:g} of {result.posts:g}")
            m2.metric("Need-weighted gap J, before", f"{result.objective_before:,.2f}")
            m3.metric("J after", f"{result.objective_after:,.2f}",
                      delta=f"{result.objective_after - result.objective_before:+,.2f}", delta_color="inverse")
            if result.unplaced > 0:
                st.info(f"{result.unplaced:g} {result.unit} not placed: every shortfall in scope is closed.")
            st.markdown("\n".join(f"- {ui.esc(line)}" for line in result.explanation()))
            table = appdata.allocation_table(result)
            st.dataframe(table, hide_index=True, width="stretch")
            ui.csv_download(table, f"allocation_{result.service}.csv", key="alloc_csv")
