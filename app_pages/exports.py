"""Exports (commissioner): the documents (needs assessment, published priorities, evaluation
report) as PDF and as accessible HTML, each built with a progress bar and then offered for download."""

import streamlit as st

from app_pages import _shared as ui
from commissioning.web import appdata

user = ui.guard("exports")
assessment = ui.assessment()

st.title("Exports")
ui.illustrative_banner("The needs assessment")
st.caption("Documents are built on this server from the same library functions as the pages, each as a PDF "
           "and as an accessible HTML page (publish the HTML beside the PDF). "
           "No refuge location appears in any of them.")

with st.container(border=True):
    st.header("Needs assessment")
    st.write("Coverage maps and tables for every service, accessibility, the published lots and the resulting priorities.")

    def needs_inputs() -> dict:
        """What both versions of the needs assessment are built from (so the HTML carries every chapter)."""
        from commissioning.demand.contract import contract_from_rules

        return {"boundaries": ui.boundaries(), "contract": contract_from_rules(ui.rules()), "rules": ui.rules(),
                "returns": ui.store().approved_returns()}

    def build_needs(progress):
        from commissioning.publish.pdf.needs import build_needs_pdf

        return build_needs_pdf(assessment, progress=progress, **needs_inputs())

    ui.pdf_download("needs", "needs assessment PDF", "needs_assessment.pdf", build_needs)

    def build_needs_page(progress):
        from commissioning.publish.pdf.needs import build_needs_html

        return build_needs_html(assessment, progress=progress, **needs_inputs())

    ui.pdf_download("needs_html", "needs assessment HTML", "needs_assessment.html", build_needs_page, "text/html")

with st.container(border=True):
    st.header("Published priorities")
    st.write("The public document: priorities, scoring rules and timetable (the same as the public page).")

    def build_priorities(progress):
        from commissioning.publish.pdf.priorities import build_priorities_pdf

        return build_priorities_pdf(assessment, ui.rules(), progress=progress)

    ui.pdf_download("priorities_export", "published priorities PDF", "published_priorities.pdf", build_priorities)

    def build_priorities_page(progress):
        from commissioning.publish.pdf.priorities import build_priorities_html

        return build_priorities_html(assessment, ui.rules(), progress=progress)

    ui.pdf_download("priorities_html", "published priorities HTML", "published_priorities.html",
                    build_priorities_page, "text/html")

with st.container(border=True):
    st.header("Evaluation report")
    store = ui.store()
    rounds = store.rounds()
    ready = rounds.loc[rounds["state"] != "scoring"] if not rounds.empty else rounds
    if ready.empty:
        st.info("Available once a round has reached moderation.")
    else:
        names = {int(i): n for i, n in zip(ready["id"], ready["name"])}
        round_id = st.selectbox("Round", list(names)[::-1], format_func=names.get, key="export_round")
        st.write("Ranking per lot with each bid's explanation, panel spread (members pseudonymised), "
                 "moderation notes, the panel and its conflict of interest declarations, and rank sensitivity.")

        def build_evaluation(progress):
            return appdata.evaluation_report_pdf(store, user.username, round_id, gaps=assessment.gaps, progress=progress)

        ui.pdf_download(f"evaluation_{round_id}", "evaluation report PDF", f"evaluation_round{round_id}.pdf",
                        build_evaluation)

        def build_evaluation_page(progress):
            return appdata.evaluation_report_pdf(store, user.username, round_id, gaps=assessment.gaps,
                                                 progress=progress, format="html")

        ui.pdf_download(f"evaluation_html_{round_id}", "evaluation report HTML", f"evaluation_round{round_id}.html",
                        build_evaluation_page, "text/html")
