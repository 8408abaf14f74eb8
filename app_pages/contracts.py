"""Contracts (commissioner): the contracts a locked round's winning bids became (created here once
the standstill has ended), a contract's capacity and its KPI ratings per quarter and year from
approved returns, the evidence for extending or re-procuring, extending or ending it (audited), and
the next round's gap with the contracts in place."""

import datetime as dt

import streamlit as st

from app_pages import _shared as ui
from commissioning import auth
from commissioning.procurement.lifecycle import london_date
from commissioning.web import contractsdata as cd

user = ui.guard("contracts")
store = ui.store()
today = london_date(ui.now())

st.title("Contracts")
if st.session_state.get("contracts_done"):
    st.success(st.session_state.pop("contracts_done"), icon=":material/check_circle:")

rounds = store.rounds()
locked = rounds.loc[rounds["state"] == "locked"] if len(rounds) else rounds
with ui.user_errors():
    listed = store.contracts_list(user.username)
pending = [r for r in locked.itertuples() if r.id not in set(listed["round_id"])]
if pending and auth.can(user, "manage_contracts"):
    with st.expander("Create contracts from a locked round", expanded=listed.empty):
        choice = st.selectbox("Round", pending, format_func=lambda r: ui.esc(r.name), key="contracts_round")
        with ui.user_errors(stop=False):
            st.caption(f"The standstill ends on {store.standstill_end(choice.id):%d %B %Y}; contracts can be "
                       "signed from the next day.")
        signed = st.date_input("Signed on", value=today, max_value=today, key="contracts_signed")
        illustrative = st.checkbox("A rehearsal on fictional bids (label the contracts illustrative)",
                                   key="contracts_illustrative")
        if st.button("Create the contracts", type="primary", key="contracts_create"):
            with ui.user_errors():
                ids = store.create_contracts(user.username, choice.id, signed,
                                             basis="illustrative" if illustrative else "real", now=ui.now())
            st.session_state["contracts_done"] = f"Created {len(ids)} contracts from {choice.name}."
            st.rerun()

if listed.empty:
    st.info("No contracts yet. Each winning bid of a locked round becomes a contract once the standstill has ended.")
    st.stop()
if (listed["basis"] == "illustrative").any():
    st.warning("**Illustrative data.** Contracts labelled illustrative are a rehearsal on fictional bids.",
               icon=":material/info:")
table = cd.contracts_table(listed)
st.dataframe(table, hide_index=True, width="stretch")
ui.csv_download(listed, "contracts.csv", key="contracts_csv")

st.header("A contract's performance")
cid = st.selectbox("Contract", listed["id"].tolist(), key="contract_id",
                   format_func=lambda i: ui.esc(f"{i}: lot {listed.set_index('id').at[i, 'lot']}, "
                                                f"{listed.set_index('id').at[i, 'supplier']}"))
with ui.user_errors():
    info, ratings, evidence = store.contract_performance(user.username, cid, today=today)
ds = ui.dataset()
st.markdown(f"**{ui.esc(info['supplier'])}**" + (f" with {ui.esc(', '.join(info['partners']))}" if info["partners"]
                                                  else "")
            + f", lot {ui.esc(info['lot'])}: {ui.esc(info['start_date'])} to {ui.esc(info['end_date'])}, "
            f"services {ui.esc(', '.join(info['services']))}.")
st.dataframe(cd.capacity_table(info["capacity"], ds.authorities, info["capacity_service"]), hide_index=True)
st.subheader("KPI ratings")
if ratings.empty:
    st.info("No approved returns match this contract yet (supplier or partner, its services, its boroughs).")
else:
    st.caption("From approved quarterly returns. Rates with 95% Wilson intervals; approaching: the figure misses "
               "the target but meets the looser level, or its interval still reaches the target.")
    st.dataframe(cd.ratings_table(ratings), hide_index=True, width="stretch")
if evidence is not None:
    st.subheader("Extend or re-procure?")
    st.markdown(ui.esc(evidence.headline))
    for title, lines in (("For extending", evidence.for_extending), ("For re-procuring", evidence.for_reprocuring)):
        if lines:
            st.markdown(f"**{title}**\n\n" + "\n".join(f"- {ui.esc(line)}" for line in lines))

if auth.can(user, "manage_contracts") and info["status"] == "active":
    left = info["extension_years"] - info["extension_years_used"]
    col_extend, col_end = st.columns(2)
    with col_extend:
        if left:
            years = st.number_input("Extension years", min_value=1, max_value=left, value=1, key="contract_years")
            if st.button("Extend the contract", key="contract_extend"):
                with ui.user_errors():
                    end = store.extend_contract(user.username, cid, int(years))
                st.session_state["contracts_done"] = f"Contract {cid} now ends on {end:%d %B %Y}."
                st.rerun()
    with col_end:
        on = st.date_input("Last day", value=today, key="contract_end_on")
        reason = st.text_input("Why it ends", key="contract_end_reason", max_chars=500)
        if st.button("End the contract", key="contract_end"):
            with ui.user_errors():
                store.end_contract(user.username, cid, on, reason)
            st.session_state["contracts_done"] = f"Contract {cid} ends on {on:%d %B %Y}."
            st.rerun()

st.header("The next round's gap with these contracts in place")
day = st.date_input("As of", value=max(today, dt.date.fromisoformat(listed["start"].min())), key="contracts_as_of")
with ui.user_errors():
    gap = cd.gap_with_contracts(ds, store.contract_capacity_on(day), store.approved_returns(), day)
st.caption("Provision per service from the first source with figures: contracts in place, then approved "
           "returns of the last quarter before the date, then the services register.")
ui.illustrative_banner()
st.dataframe(gap, hide_index=True, width="stretch")
