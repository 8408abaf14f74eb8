"""Published priorities (public, no login): priorities, scoring rules, timetable, PDF.

Built only from the needs assessment and the published rules: nothing about a bid, a score or a
refuge location is read here.
"""

import streamlit as st

from app_pages import _shared as ui
from commissioning.procurement import timetable
from commissioning.publish import priorities
from commissioning.web import appdata

ui.guard("priorities")
ds = ui.dataset()
assessment = ui.assessment()
rules = ui.rules()

st.title("Published priorities")
st.markdown(f"**{ui.esc(rules.title)}.** What the commissioner will fund, and exactly how bids will be judged, "
            "published before bids are invited.")
ui.illustrative_banner(ds, "The needs assessment behind these priorities")
check = timetable.timetable_check_from_rules(rules)
if check is None:
    st.warning("The timetable does not give both the publication date and the date bids are invited.")
elif check.ok:
    st.success(f"**Timetable check passed.** {ui.esc(check.message)}", icon=":material/check_circle:")
else:
    st.error(f"**Timetable check failed.** {ui.esc(check.message)}", icon=":material/error:")

tab_priorities, tab_rules, tab_timetable, tab_sources = st.tabs(
    ["Priorities", "How bids are scored", "Timetable", "Data sources"])

with tab_priorities:
    for p in priorities.derive_priorities(assessment):
        with st.container(border=True):
            st.markdown(f"#### {p.rank}. {ui.esc(p.title)}" + ("  \n:orange-badge[illustrative]" if p.illustrative else ""))
            c1, c2, c3 = st.columns(3)
            c1.metric("Area-wide coverage", f"{p.coverage_pct:.0f}%")
            c2.metric("Authorities red", f"{p.red_count} of {len(ds.authorities)}")
            c3.metric(f"Gap where short ({p.unit})", f"{p.gap_total:,.1f}")
            st.markdown(ui.esc(p.rationale))
            st.caption(f"Benchmark source: {ui.esc(p.citation)}")
    st.subheader("Groups least well served")
    groups = priorities.group_provision(ds)
    st.markdown(ui.esc(priorities.group_summary(ds, groups)))
    st.dataframe(appdata.groups_table(ds, groups), hide_index=True, width="stretch")

with tab_rules:
    st.markdown(appdata.rules_summary(rules))
    st.subheader("Criteria and weights")
    st.dataframe(appdata.criteria_table(rules), hide_index=True, width="stretch",
                 column_config={"Guidance": st.column_config.TextColumn(width="large")})
    st.subheader("Scale")
    st.dataframe(appdata.scale_table(rules), hide_index=True)
    st.subheader("Pass/fail gates")
    st.markdown("\n".join(f"- **{ui.esc(g.title)}**" for g in rules.gates) or "None.")
    if rules.min_score_policy:
        st.subheader("If no bid meets the minimum scores")
        st.markdown(ui.esc(rules.min_score_policy))

with tab_timetable:
    st.dataframe(appdata.timetable_table(rules), hide_index=True)
    st.markdown(f"Priorities must be published at least {timetable.NOTICE_MONTHS} calendar months before "
                "bids are invited (the London Assembly review's recommendation).")

with tab_sources:
    st.markdown("Where every figure behind these priorities comes from. Need benchmarks and their "
                "citations are listed with each priority.")
    st.dataframe(appdata.sources_table(ds), hide_index=True, width="stretch",
                 column_config={"Link": st.column_config.LinkColumn(),
                                "Note": st.column_config.TextColumn(width="large")})

st.divider()
st.subheader("Download")


def build_pdf(progress):
    from commissioning.publish.pdf.priorities import build_priorities_pdf

    return build_priorities_pdf(assessment, rules, progress=progress)


ui.pdf_download("priorities", "published priorities PDF", "published_priorities.pdf", build_pdf)
