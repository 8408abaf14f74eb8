"""Moderation and ranking (commissioner, panel chair): panel spread with disagreements flagged,
moderated scores (chosen, confirmed, beside the panel's scores and comments and the bid's answer)
with the chair's note and a separate reason for the bidder, the ranking per lot with explanations and rank sensitivity, locking,
and downloads (ranking CSV, 360Giving-style awards)."""

import streamlit as st

from app_pages import _shared as ui
from commissioning import auth
from commissioning.procurement.awards import awards_csv, awards_json
from commissioning.procurement.sensitivity import rank_sensitivity
from commissioning.web import appdata

user = ui.guard("moderation")
store = ui.store()

st.title("Moderation and ranking")
rounds = store.rounds()
if rounds.empty:
    st.info("No bidding round yet. Create one on the Rounds page or with `python -m commissioning round create`.")
    st.stop()

names = {int(i): n for i, n in zip(rounds["id"], rounds["name"])}
round_id = st.selectbox("Round", list(names)[::-1], format_func=names.get, key="moderation_round")
state = rounds.set_index("id").loc[round_id, "state"]
rules = store.rules(round_id)
if appdata.is_illustrative_round(names[round_id]):
    st.warning("**Illustrative round.** The organisations, prices and scores are fictional.", icon=":material/info:")

steps = {"scoring": "1 Scoring", "moderation": "2 Moderation", "locked": "3 Locked"}
st.markdown(" → ".join(f"**{label}**" if key == state else label for key, label in steps.items()))

c1, c2 = st.columns(2)
if state == "scoring" and auth.can(user, "open_moderation"):
    if c1.button("Open moderation", type="primary", icon=":material/lock_open:"):
        with ui.user_errors(stop=False):
            store.open_moderation(user.username, round_id, now=ui.now())
            st.rerun()
if state == "moderation" and auth.can(user, "lock_round"):
    if c1.button("Lock the round", type="primary", icon=":material/lock:",
                 help="Scores and moderation become final; awards can then be exported."):
        st.session_state["confirm_lock"] = True
    if st.session_state.get("confirm_lock"):
        st.warning("Locking is final: no score or moderated score can change afterwards.")
        if c2.button("Yes, lock it", icon=":material/lock:"):
            with ui.user_errors(stop=False):
                store.lock_round(user.username, round_id)
                st.session_state.pop("confirm_lock", None)
                st.rerun()

if state == "moderation" and auth.can(user, "reopen_scoring"):
    with st.expander("Reopen scoring (scores are closed while moderation is open)", icon=":material/undo:"):
        reason = st.text_area("Why (recorded in the audit log)", key="reopen_note")
        if st.button("Reopen scoring", key="reopen_button"):
            with ui.user_errors(stop=False):
                store.reopen_scoring(user.username, round_id, reason)
                st.rerun()

if state == "scoring":
    st.info("Panel scores stay private until the commissioner opens moderation.")
    st.stop()

shortfall = ui.assessment().gaps if any(c.type == "need_alignment" for c in rules.criteria) else None
with ui.user_errors():
    _, bids, scores, moderation = store.engine_inputs(user.username, round_id)
    conflicted = set(store.conflicted_bids(user.username, round_id))
    result = store.rank(user.username, round_id, shortfall=shortfall)
if conflicted:
    st.warning(f"You declared a conflict of interest with the organisation behind {len(conflicted)} "
               "bid(s) of this round. They are hidden from you here; another chair moderates them.",
               icon=":material/front_hand:")
    bids = bids.loc[~bids["bid_id"].isin(conflicted)]
spread = appdata.spread_table(result, moderation)
tab_spread, tab_ranking, tab_downloads = st.tabs(["Panel spread", "Ranking", "Downloads"])

with tab_spread:
    flagged = spread.loc[spread["flag"]]
    open_flags = flagged.loc[flagged["moderated"].isna()]
    st.markdown(f"**{len(flagged)}** of {len(spread)} bid × criterion scores of bids in the running have a panel "
                f"spread of {rules.spread_flag:g} points or more; **{len(open_flags)}** of those have no moderated "
                "score yet (the ranking flags them).")
    only = st.toggle("Show disagreements only", value=bool(len(flagged)), key="spread_only")
    shown = flagged if only else spread
    shown = shown.assign(flag=shown["flag"].map({True: "⚑ disagreement", False: ""}),
                         moderated=shown["moderated"].map(lambda v: "—" if v != v else f"{v:g}"))
    st.dataframe(shown.rename(columns={
        "bid_id": "Bid", "criterion": "Criterion", "scores": "Panel scores", "n": "n", "min": "Min", "max": "Max",
        "spread": "Spread", "consensus": rules.consensus.capitalize(), "flag": "Flag",
        "moderated": "Moderated", "note": "Moderation note"}), hide_index=True, width="stretch")

    with ui.user_errors():
        record = store.moderation_record(user.username, round_id)
    if len(record):
        st.header("Moderated scores")
        outside = int(record["outside_range"].sum())
        st.caption(f"Who set each moderated score, and whether it lies outside the panel's range "
                   f"({outside} outside); a score outside the range rests on its note.")
        st.dataframe(ui.london_times(record, "decided_at").assign(outside_range=record["outside_range"].map({True: "⚠ outside the panel's range",
                                                                              False: ""}))
                     .rename(columns={"bid_id": "Bid", "criterion": "Criterion", "score": "Moderated",
                                      "note": "Note (the panel's record)", "reason": "Reason for the bidder",
                                      "set_by": "Set by", "decided_at": "When",
                                      "panel_min": "Panel min", "panel_max": "Panel max",
                                      "outside_range": "Range"}), hide_index=True, width="stretch")

    if state == "moderation" and auth.can(user, "moderate"):
        st.header("Record a moderated score")
        c1, c2 = st.columns(2)
        bid_id = c1.selectbox("Bid", sorted(bids["bid_id"]), key="mod_bid")
        criterion = c2.selectbox("Criterion", [c.id for c in rules.panel_criteria], key="mod_criterion",
                                 format_func=lambda cid: f"{cid} {rules.criterion(cid).title}")
        key = store.bid_key(round_id, bid_id)
        with ui.user_errors(stop=False):
            answer = store.bid_answers(user.username, key, now=ui.now()).get(criterion)
            st.markdown(f"**The bid's answer to {criterion}**")
            st.markdown(ui.esc(answer) if answer else "_This bid has no written answer on file for this criterion._")
        given = scores.loc[(scores["bid_id"] == bid_id) & (scores["criterion"] == criterion)]
        st.markdown(f"**The panel's scores on {criterion}** (of {rules.criterion(criterion).max_score})")
        st.markdown("\n".join(f"- **{ui.esc(r.scorer)}: {r.score:g}**. {ui.esc(r.comment)}" for r in given.itertuples())
                    or "_No panel score on this criterion._")
        with st.form("moderate", border=True):
            score = st.number_input("Moderated score (choose one: there is no default)", min_value=float(rules.scale.min),
                                    max_value=float(rules.criterion(criterion).max_score), step=1.0, value=None,
                                    placeholder="Choose a score", key="mod_score")
            note = st.text_area("Note for the panel's record (required; the bidder never sees it)", key="mod_note")
            reason = st.text_area("Reason for the bidder (required; shown in its assessment summary)",
                                  key="mod_reason")
            if st.form_submit_button("Check before recording", type="primary", icon=":material/fact_check:"):
                st.session_state["mod_pending"] = {"bid_id": bid_id, "criterion": criterion, "score": score,
                                                   "note": note, "reason": reason}
        pending = st.session_state.get("mod_pending")
        if pending and (pending["bid_id"], pending["criterion"]) == (bid_id, criterion):
            if pending["score"] is None:
                st.error("Choose the moderated score: there is no default.")
            else:
                with st.container(border=True):
                    st.markdown(f"Record **{pending['score']:g}** for bid **{ui.esc(bid_id)}** on **{criterion}**?")
                    st.markdown(f"The bidder will read: “{ui.esc(pending['reason'])}”")
                    y, n = st.columns(2)
                    if y.button("Yes, record it", type="primary", key="mod_confirm", icon=":material/gavel:"):
                        with ui.user_errors(stop=False):
                            store.record_moderation(user.username, key, criterion, pending["score"], pending["note"],
                                                    reason=pending["reason"])
                            st.session_state.pop("mod_pending")
                            st.session_state["mod_done"] = f"Moderated score {pending['score']:g} recorded for " \
                                                           f"{bid_id} {criterion}."
                            st.rerun()
                    if n.button("Change it", key="mod_change"):
                        st.session_state.pop("mod_pending")
                        st.rerun()
        if st.session_state.get("mod_done"):
            st.success(st.session_state.pop("mod_done"), icon=":material/check_circle:")
    elif state == "moderation":
        st.caption("Moderated scores are recorded by the panel chair.")

with tab_ranking:
    table = appdata.ranking_table(result)
    table = table.loc[~table["Bid"].isin(conflicted)]
    with st.spinner("Rank sensitivity…"):
        sensitivity = rank_sensitivity(result, n_draws=5000, seed=0).set_index("bid_id")
    table["Keeps rank %"] = table["Bid"].map((100 * sensitivity["keep_share"]).round(0))
    table["Ranked first %"] = table["Bid"].map((100 * sensitivity["first_share"]).round(0))
    st.caption("Sensitivity: share of 5,000 draws of the weights around the published ones (Dirichlet, "
               "concentration 100) in which the bid keeps its rank, and in which it comes first in its lot.")
    order = ["Rank", "Bid", "Organisation", "Total", "Quality", "Social value", "Price points", "Keeps rank %",
             "Ranked first %", "Status", "Reasons", "Price (£)"]
    for lot, rows in table.groupby("Lot", sort=False):
        st.header(f"Lot {ui.esc(lot)}")
        st.dataframe(rows[order], hide_index=True, width="stretch",
                     column_config={"Price (£)": st.column_config.NumberColumn(format="£%d"),
                                    "Keeps rank %": st.column_config.NumberColumn(format="%d%%"),
                                    "Ranked first %": st.column_config.NumberColumn(format="%d%%"),
                                    "Reasons": st.column_config.TextColumn(width="large")})
        for bid_id in rows["Bid"]:
            with st.expander(f"Why {ui.esc(bid_id)} scored as it did"):
                explanation = result.explain(bid_id)
                st.code(explanation.text(), language=None)

with tab_downloads:
    ui.csv_download(table.drop(columns=["Keeps rank %", "Ranked first %"]), f"ranking_round{round_id}.csv",
                    "Download ranking CSV", key="ranking_csv")
    st.header("Awards (360Giving style)")
    if state != "locked":
        st.info("Awards are exported once the round is locked.")
    elif auth.can(user, "export_awards"):
        c1, c2, c3 = st.columns(3)
        funder_name = c1.text_input("Funder name", "Mayor's Office for Policing and Crime", key="aw_funder")
        funder_id = c2.text_input("Funder org-id", "GB-EXAMPLE-FUNDER", key="aw_funder_id")
        prefix = c3.text_input("360Giving prefix", "360G-example", key="aw_prefix")
        st.caption("A winner is cleared by the chair's recorded decision on each of its flags (Rounds page).")
        grants = None
        with ui.user_errors(stop=False):
            grants = store.awards(user.username, round_id, funder_id=funder_id, funder_name=funder_name,
                                  id_prefix=prefix, shortfall=shortfall)
        if grants is not None:
            d1, d2 = st.columns(2)
            d1.download_button("Download awards JSON", awards_json(grants).encode("utf-8"),
                               f"awards_round{round_id}.json", "application/json", icon=":material/download:")
            d2.download_button("Download awards CSV", awards_csv(grants).encode("utf-8"),
                               f"awards_round{round_id}.csv", "text/csv", icon=":material/download:")
