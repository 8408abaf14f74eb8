"""Published priorities (public, no login): priorities, scoring rules, timetable, PDF.

Built only from the needs assessment and the published rules: nothing about a bid, a score or a
refuge location is read here.
"""

import pandas as pd
import streamlit as st

from app_pages import _shared as ui
from commissioning.procurement import timetable
from commissioning.publish import lots, priorities
from commissioning.web import appdata
from commissioning.web.htmltable import html_table
from commissioning.web.prioritycards import priority_cards_html

TAB_KEY = "public_tab"

ui.guard("priorities")
ds = ui.dataset()
assessment = ui.assessment()
rules = ui.rules()

st.title("Published priorities")
st.markdown(f"**{ui.esc(rules.title)}.** What the commissioner will fund, and exactly how bids will be judged, "
            "published before bids are invited.")
ui.illustrative_banner("The needs assessment behind these priorities")
check = timetable.timetable_check_from_rules(rules)
if check is None:
    st.warning("The timetable does not give both the publication date and the date bids are invited.")
elif check.ok:
    st.success(f"**Timetable check passed.** {ui.esc(check.message)}", icon=":material/check_circle:")
else:
    st.error(f"**Timetable check failed.** {ui.esc(check.message)}", icon=":material/error:")

# Only the open tab is drawn (a rerun when another is chosen): the browser builds one tab's
# content on opening the page, not four (issue 16: the public page's load time).
tab_priorities, tab_rules, tab_timetable, tab_sources = st.tabs(
    ["Priorities", "How bids are scored", "Timetable", "Data sources"], key=TAB_KEY, on_change="rerun")

if tab_priorities.open:
    with tab_priorities:
        st.header("What the commissioner will fund")
        st.html(priority_cards_html(ui.published_priorities(), len(ds.authorities)))
        st.header("Lots: need, provision and the gap")
        problem = lots.lots_problem(rules, ds)
        if not rules.lots:
            st.markdown("The rules publish no lots: bids are invited for the whole area as one lot.")
        elif problem:
            st.warning(ui.esc(f"The rules' lots do not fit the authorities of the data ({problem})."))
        else:
            st.markdown("\n".join(f"- **{ui.esc(lot.name)}:** {ui.esc(lots.lot_words(lot))}" for lot in rules.lots))
            rows = lots.lot_gap_rows(assessment, rules)
            st.html(html_table(pd.DataFrame(rows[1:], columns=rows[0]),
                               "Need, provision and the gap in each published lot, by service"))
            st.caption("Gap where short = the sum of the shortfalls of the lot's authorities below their benchmark; "
                       "net shortfall = the lot's need minus its provision (a minus sign: more provision than need).")
        st.markdown(f"**Price.** {ui.esc(rules.price_instruction())}")
        st.header("Groups least well served")
        groups = ui.group_provision()
        st.markdown(ui.esc(priorities.group_summary(ds, groups)))
        shares = appdata.groups_table(ds, groups)
        st.html(html_table(shares, "Specialist services for each group, and their share of each service's capacity (%)",
                           formats={c: ".1f" for c in shares.columns if c.endswith("share %")}))

if tab_rules.open:
    with tab_rules:
        st.markdown(appdata.rules_summary(rules))
        st.header("Criteria and weights")
        st.html(html_table(appdata.criteria_table(rules), "Each criterion, its weight and the points it carries"))
        st.header("Scale")
        st.html(html_table(appdata.scale_table(rules), "What each score means", stretch=False))
        st.header("Pass/fail gates")
        st.markdown("\n".join(f"- **{ui.esc(g.title)}**" for g in rules.gates) or "None.")
        if rules.min_score_policy:
            st.header("If no bid meets the minimum scores")
            st.markdown(ui.esc(rules.min_score_policy))

if tab_timetable.open:
    with tab_timetable:
        st.html(html_table(appdata.timetable_table(rules), "Milestones and their dates", stretch=False))
        st.markdown(f"Priorities must be published at least {timetable.NOTICE_MONTHS} calendar months before "
                    "bids are invited (the London Assembly review's recommendation).")

if tab_sources.open:
    with tab_sources:
        st.markdown("Where every figure behind these priorities comes from. Need benchmarks and their "
                    "citations are listed with each priority.")
        st.html(html_table(appdata.sources_table(ds), "Sources of the data", links=["Link"]))

st.divider()
st.header("Download")


def build_pdf(progress):
    from commissioning.publish.pdf.priorities import build_priorities_pdf

    return build_priorities_pdf(assessment, rules, progress=progress)


ui.pdf_download("priorities", "published priorities PDF", "published_priorities.pdf", build_pdf)
