"""Quarterly performance (public, no login): what commissioned support services reported each quarter
(provision, referrals, referrals refused for lack of capacity, waiting times, client satisfaction with
95% intervals) by borough and London, from approved returns only, small counts suppressed; coverage,
refused referrals and waiting times over time, a borough against London; PDF and HTML per quarter.
No provider's own figures and no refuge location are shown; text from data is shown escaped."""

import base64
from html import escape

import streamlit as st

from app_pages import _shared as ui
from commissioning.publish import returns_document as document
from commissioning.returns import series
from commissioning.returns.publication import METHOD, build_publication, quarters
from commissioning.returns.quarters import describe
from commissioning.web import appdata

ui.guard("performance")


@st.cache_data(show_spinner=False, ttl=60)
def _approved(location: str):
    return ui.store().approved_returns()


@st.cache_data(show_spinner=False, ttl=60)
def _publication(location: str, quarter: str):
    return build_publication(_approved(location), quarter)


@st.cache_data(show_spinner="Working out coverage over time…", ttl=60)
def _series(location: str):
    return series.over_time(ui.dataset(), _approved(location))


location = appdata.db_location()
with ui.user_errors():
    approved = _approved(location)

st.title("Quarterly performance")
st.markdown("What commissioned support services for victims (IDVAs, ISVAs, refuges) reported each quarter: "
            "how much provision they had, how many referrals they could not take for lack of capacity, how long "
            "people waited, and how satisfied their clients were. Figures count only once a commissioner has "
            "approved them.")
available = quarters(approved)
if not available:
    st.info("No approved returns to publish yet.")
    st.stop()
quarter = st.selectbox("Quarter", available, index=len(available) - 1, key="performance_quarter",
                       format_func=lambda q: f"{q} ({describe(q)})")
with ui.user_errors():
    pub = _publication(location, quarter)
if pub.notes:
    st.warning("**Illustrative data.** These are not real figures: " + "; ".join(pub.notes) + ".",
               icon=":material/info:")
st.header("Headline")
st.text(pub.headline)

names = [pub.labels[s][0] for s in pub.services]
tabs = st.tabs(names + ["Client satisfaction", "Over time", "Method"])
for tab, (service, table) in zip(tabs, pub.services.items()):
    with tab:
        st.caption(f"{pub.labels[service][0]}, {describe(quarter)}. 'suppressed': a small count, or a cell "
                   "that would give one away.")
        st.dataframe(table, hide_index=True, width="stretch")
with tabs[len(names)]:
    st.caption("Clients asked by their support service whether they were satisfied, all services, with 95% "
               "intervals. Shown beside the police victim survey, never added to it.")
    st.dataframe(pub.clients, hide_index=True, width="stretch")
with tabs[len(names) + 1]:
    with ui.user_errors():
        over = _series(location)
    kinds = [s for s in pub.labels if s in set(over["service"])]
    if not kinds:
        st.info("No service type has returns yet.")
    else:
        col_service, col_area = st.columns(2)
        service = col_service.selectbox("Service", kinds, format_func=lambda s: pub.labels[s][0],
                                        key="performance_service")
        areas = over.loc[over["service"] == service, ["code", "name"]].drop_duplicates()
        code = col_area.selectbox("Borough", areas["code"].tolist(), key="performance_area",
                                  format_func=dict(zip(areas["code"], areas["name"])).get)
        label = f"{pub.labels[service][0].split(' (')[0]}: {dict(zip(areas['code'], areas['name']))[code]} against London"
        png = series.chart_png(over, service, code, label)
        alt = series.chart_alt(over, service, code)
        st.html(f'<figure style="margin:0"><img src="data:image/png;base64,{base64.b64encode(png).decode()}" '
                f'alt="{escape(alt, quote=True)}" style="width:100%;max-width:900px;height:auto">'
                f"<figcaption>{escape(label)}, by quarter</figcaption></figure>")
        st.caption(f"Text description: {alt}")
        st.dataframe(series.borough_against_london(over, service, code), hide_index=True, width="stretch")
with tabs[len(names) + 2]:
    st.markdown(METHOD)

st.divider()
st.header("Download")
col_pdf, col_html = st.columns(2)
with col_pdf:
    ui.pdf_download(f"performance_{quarter}", f"{quarter} figures (PDF)", f"provider_returns_{quarter}.pdf",
                    lambda progress: document.build_pdf(pub))
with col_html:
    ui.pdf_download(f"performance_html_{quarter}", f"{quarter} figures (HTML)", f"provider_returns_{quarter}.html",
                    lambda progress: document.build_html(pub).encode("utf-8"), "text/html")
