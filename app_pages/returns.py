"""Quarterly returns (support organisations): the organisation's own returns and any query from the
commissioner, the XLSX template, and this quarter's return by form or upload. The store decides what an
account may see and send (only its own organisation's returns); every figure is checked like a file,
and errors name the form row or the file's sheet, row and column. Text from data is shown escaped."""

import io

import streamlit as st

from app_pages import _shared as ui
from commissioning.errors import InputError
from commissioning.returns.layout import LABELS, MEASURES
from commissioning.returns.template import build_template
from commissioning.web import returnsdata as rd

user = ui.guard("returns")
store = ui.store()
with ui.user_errors():
    organisation = store.get_user(user.username).organisation   # as the store knows it, not the session
ds = ui.dataset()
types = ds.service_types
labels = {s: b.label for s, b in ds.benchmarks.services.items()}

st.title("Quarterly returns")
st.markdown("Each quarter, tell your commissioner how much provision you had in post, how many referrals you "
            "received and could not take for lack of capacity, how long people waited and how satisfied your "
            "clients were. **Blank means not reported, never zero.** Never give a refuge's address or location.")
st.text(f"Organisation: {organisation}")
if st.session_state.get("returns_done"):
    st.success(st.session_state.pop("returns_done"), icon=":material/check_circle:")

with ui.user_errors():
    mine = store.returns_list(user.username)
st.header("Your returns")
if mine.empty:
    st.info("You have not sent a return yet.")
else:
    for row in mine.loc[mine["status"] == "queried"].itertuples():
        st.warning(f"Your commissioner has queried your return for {row.quarter}. Please correct it and send it "
                   "again. Their note:", icon=":material/help:")
        st.text(row.query_note)
    st.dataframe(rd.my_returns_table(mine), hide_index=True, width="stretch")

quarter = st.selectbox("Quarter", rd.recent_quarters(), index=1, key="returns_quarter",
                       help="Calendar quarters: 2026Q3 is July to September 2026.")
buffer = io.BytesIO()
build_template(labels, organisation=organisation, quarter=quarter).save(buffer)
st.download_button("Download the XLSX template", buffer.getvalue(), file_name=f"return_{quarter}.xlsx",
                   mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                   icon=":material/download:", key="returns_template")

with ui.user_errors():
    existing = store.return_rows(user.username, quarter)


def submit(rows, how: str) -> None:
    with ui.user_errors():
        store.submit_return(user.username, organisation, quarter, rows)
    st.session_state.pop("returns_form_" + quarter, None)
    st.session_state["returns_done"] = f"Your return for {quarter} was sent ({how}, {len(rows)} rows). " \
                                       "Your commissioner will review it."
    st.rerun()


tab_form, tab_upload = st.tabs(["Fill in the form", "Upload a file"])
with tab_form:
    st.caption("One row per service and borough served; choose London for pan-London work. Sending replaces "
               "any return you sent for this quarter.")
    start = rd.form_from_rows(existing) if len(existing) else rd.blank_form(types)
    column_config = {
        "service": st.column_config.SelectboxColumn("Service", options=types, required=True,
                                                    help="; ".join(f"{k}: {v}" for k, v in labels.items())),
        "borough": st.column_config.SelectboxColumn("Borough", options=rd.PLACES, required=True),
        "notes": st.column_config.TextColumn("Notes", max_chars=2000),
        **{m: st.column_config.NumberColumn(m.replace("_", " ").capitalize(), min_value=0, help=LABELS[m],
                                            step=1 if m not in ("capacity", "waiting_days_median") else 0.1)
           for m in MEASURES},
    }
    with st.form(f"returns_form_{quarter}"):
        edited = st.data_editor(start, num_rows="dynamic", hide_index=True, column_config=column_config,
                                key="returns_editor_" + quarter, width="stretch")
        sent = st.form_submit_button(f"Send the return for {quarter}", type="primary")
    if sent:
        with ui.user_errors():
            rows = rd.rows_from_form(edited, organisation, quarter, types)
        submit(rows, "form")

with tab_upload:
    upload = st.file_uploader("The filled-in template (.xlsx) or a CSV return", type=["xlsx", "csv"],
                              key="returns_upload")
    if upload is not None and st.button("Send this file", key="returns_send_file", type="primary"):
        with ui.user_errors():
            frame = rd.rows_from_upload(upload.name, upload.getvalue(), types)
            found = frame["quarter"].iloc[0]
            if found != quarter:
                raise InputError(f"the file is for {found}", file=upload.name,
                                    expected=f"the quarter chosen above, {quarter}")
        submit(frame, "file")

if len(existing):
    st.header(f"What you sent for {quarter}")
    st.dataframe(rd.rows_table(existing), hide_index=True, width="stretch")
