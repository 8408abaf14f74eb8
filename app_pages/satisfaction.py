"""Victim satisfaction (public, no login): London and boroughs against their targets, groups, the
providers' client satisfaction beside the police survey (their approved returns in the store, else the
embedded example), the 2012 baseline, method and sources.

Only survey percentages, intervals and sample sizes (suppressed below 50) are shown; figures are
labelled real or illustrative; all text from data goes through st.dataframe / st.text (escaped).
"""

import base64
from html import escape

import streamlit as st

from app_pages import _shared as ui
from commissioning.satisfaction import publication as pub_mod
from commissioning.satisfaction.returns import SOURCE_LABEL

ui.guard("satisfaction")


@st.cache_resource(show_spinner=False)
def _inputs():
    return pub_mod.load_inputs()


@st.cache_data(show_spinner=False)
def _chart(quarter: str) -> tuple[bytes, str]:
    from commissioning.satisfaction.chart import chart_alt, chart_png

    pub = pub_mod.build_publication(_inputs(), quarter)
    return chart_png(pub), chart_alt(pub)


with ui.data_errors():
    # The providers' client satisfaction: their approved returns in the store when there are any,
    # the embedded example otherwise (read fresh on each run: a return approved a moment ago shows).
    inputs = pub_mod.with_approved_returns(_inputs(), ui.store().approved_returns())
    quarters = pub_mod.quarters(inputs.results)

st.title("Victim satisfaction")
st.markdown("How satisfied victims of crime in London are with the police service, against the annual targets "
            "the London Assembly review asked MOPAC to set, published every quarter.")
if not quarters:
    st.info("No quarterly police-survey results to publish yet.")
    st.stop()
quarter = st.selectbox("Quarter", quarters, index=len(quarters) - 1,
                       help="Calendar quarter; the police survey covers the 12 months to its last month.")
with ui.data_errors():
    pub = pub_mod.build_publication(inputs, quarter)

if pub.notes:
    st.warning("**Illustrative data.** These are not real figures: " + ui.esc("; ".join(pub.notes)) +
               ". The 2012 baseline is real (London Assembly review).", icon=":material/info:")
st.header("Headline")
st.text(pub.headline)
st.caption(ui.esc(pub_mod.targets_line(pub)))

tab_areas, tab_groups, tab_clients, tab_baseline, tab_method = st.tabs(
    ["London and boroughs", "Groups", "Service users (provider returns)", "2012 baseline", "Method and sources"])

with tab_areas:
    png, alt = _chart(quarter)
    # st.image gives the picture no text alternative, so the figure is written out with its alt text
    # (escaped: area names can come from an imported file).
    st.html(f'<figure style="margin:0"><img src="data:image/png;base64,{base64.b64encode(png).decode()}" '
            f'alt="{escape(alt, quote=True)}" style="width:100%;max-width:760px;height:auto">'
            "<figcaption>Victims satisfied by area, with 95% confidence intervals and targets</figcaption></figure>")
    st.caption(f"Text description: {ui.esc(alt)}")
    st.dataframe(pub_mod.areas_table(pub), hide_index=True, width="stretch")

with tab_groups:
    st.markdown("Each group's satisfaction and the gaps between groups, with 95% intervals.")
    st.dataframe(pub_mod.groups_table(pub), hide_index=True, width="stretch")
    if len(pub.gaps):
        st.dataframe(pub_mod.gaps_table(pub), hide_index=True, width="stretch")

with tab_clients:
    st.markdown(f"**Source: {SOURCE_LABEL}.** The police survey leaves out some victims, among them under-16s "
                "and survivors of domestic abuse. Commissioned providers report their own clients' satisfaction "
                "each quarter. These figures are shown beside the police survey, never added to it.")
    if inputs.files.get(SOURCE_LABEL) == pub_mod.STORE_RETURNS:
        st.markdown("These figures come from the providers' approved quarterly returns. The Basis column says "
                    "whether each row is real or illustrative.")
    else:
        st.markdown("No provider has an approved return yet, so these figures are the embedded example. "
                    "**They are illustrative, not real.**")
    if len(pub.clients):
        st.dataframe(pub_mod.clients_table(pub), hide_index=True, width="stretch")
    else:
        st.info(f"No provider returns for {quarter}.")

with tab_baseline:
    st.markdown("The review (January 2013) found the Metropolitan Police had the lowest victim satisfaction of the "
                "forces in England and Wales. It gives percentages without sample sizes, so they have no interval.")
    st.dataframe(pub_mod.baseline_table(pub), hide_index=True, width="stretch")

with tab_method:
    st.markdown(pub_mod.METHOD)
    st.dataframe(pub_mod.sources_table(pub), hide_index=True, width="stretch")

st.divider()
st.header("Download")
col_pdf, col_html = st.columns(2)


def build_pdf(progress):
    from commissioning.publish.satisfaction_document import build_pdf as pdf

    progress(0.2, "laying out pages")
    return pdf(pub)


def build_html(progress):
    from commissioning.publish.satisfaction_document import build_html as html

    progress(0.2, "drawing the chart")
    return html(pub).encode("utf-8")


with col_pdf:
    ui.pdf_download(f"satisfaction_{quarter}", f"{quarter} report (PDF)", f"victim_satisfaction_{quarter}.pdf",
                    build_pdf)
with col_html:
    ui.pdf_download(f"satisfaction_html_{quarter}", f"{quarter} report (HTML)", f"victim_satisfaction_{quarter}.html",
                    build_html, "text/html")
