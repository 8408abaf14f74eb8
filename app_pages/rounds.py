"""Rounds (commissioner; the panel chair for clarifications and flags): create a round from a rules
file (its rules are published and hashed), import bids and answers, see what arrived (sealed until
the deadline) and read the bids after it, send questions to bidders (who answer on their Bids page)
and publish answers of general interest, decide the flags that block the lock, and issue the
assessment summaries once with their notice date."""

import tempfile
from pathlib import Path

import streamlit as st

from app_pages import _shared as ui
from commissioning import auth
from commissioning.paths import DEFAULT_RULES
from commissioning.procurement import lifecycle
from commissioning.procurement.bid_files import read_answers, read_bid_file
from commissioning.procurement.rules import load_rules, parse_rules

user = ui.guard("rounds")
store = ui.store()
now = ui.now()

st.title("Rounds")
if st.session_state.get("rounds_done"):
    st.success(st.session_state.pop("rounds_done"), icon=":material/check_circle:")


def done(message: str) -> None:
    st.session_state["rounds_done"] = message
    st.rerun()


def uploaded_path(upload, folder: Path) -> Path:
    """An uploaded file on disk under its own name, so errors name the file the user chose."""
    path = folder / Path(upload.name).name
    path.write_bytes(upload.getvalue())
    return path


if auth.can(user, "manage_round"):
    with st.expander("Create a round from a rules file", icon=":material/add_circle:"):
        st.markdown("Creating a round publishes its rules: they are stored with their SHA-256 and never "
                    "change (a new version is a new round). The timetable must give bidders at least three "
                    "months' notice (`timetable.bids_invited`), and `timetable.bids_close` sets the deadline.")
        name = st.text_input("Round name", key="round_name")
        shipped = sorted(DEFAULT_RULES.parent.glob("*.yaml"))
        choice = st.selectbox("Rules file", [p.name for p in shipped], key="round_rules")
        upload = st.file_uploader("…or upload a rules file (YAML)", type=["yaml", "yml"], key="round_upload")
        if st.button("Create the round", type="primary", key="round_create", icon=":material/add:"):
            with ui.user_errors(stop=False):
                rules = (parse_rules(upload.getvalue().decode("utf-8"), source=upload.name) if upload
                         else load_rules(DEFAULT_RULES.parent / choice))
                rid = store.publish_round(user.username, name.strip(), rules, now=now)
                done(f"Round “{name.strip()}” created (id {rid}); rules published with SHA-256 "
                     f"{store.round_info(rid)['rules_sha256'][:12]}….")

rounds = store.rounds()
if rounds.empty:
    st.info("No round yet.")
    st.stop()
names = {int(i): n for i, n in zip(rounds["id"], rounds["name"])}
round_id = st.selectbox("Round", list(names)[::-1], format_func=names.get, key="rounds_round")
info = store.round_info(round_id)
if info["deadline"] is None:
    sealed = False
    st.markdown(f"State **{info['state']}** · imported whole from files (no intake, no deadline)")
else:
    sealed = now < info["deadline"]
    st.markdown(f"State **{info['state']}** · bids close at **{lifecycle.london_text(info['deadline'])}** · rules "
                f"SHA-256 `{info['rules_sha256'][:16]}…`" + (" · **sealed** until the deadline" if sealed else ""))

if auth.can(user, "manage_round"):
    with st.expander("Add a lot, or import bids (CSV or XLSX) and answers", icon=":material/upload:"):
        lot = st.text_input("New lot name", key="rounds_lot")
        if st.button("Add the lot", key="rounds_add_lot"):
            with ui.user_errors(stop=False):
                store.add_lot(user.username, round_id, lot.strip())
                done(f"Lot {lot.strip()} added.")
        bids_file = st.file_uploader("Bids (the columns of `score --bids`, optional `partners`)",
                                     type=["csv", "xlsx"], key="rounds_bids")
        answers_file = st.file_uploader("Answers (bid_id, criterion, answer)", type=["csv", "xlsx"],
                                        key="rounds_answers")
        if bids_file and st.button("Import the bids", type="primary", key="rounds_import"):
            with ui.user_errors(stop=False), tempfile.TemporaryDirectory() as folder:
                answers = read_answers(uploaded_path(answers_file, Path(folder))) if answers_file else None
                imported = store.import_bids(user.username, round_id,
                                             read_bid_file(uploaded_path(bids_file, Path(folder))),
                                             answers, now=now)
                done(f"Imported {len(imported)} bids.")

    st.header("Bids received")
    received = store.received_bids(user.username, round_id, now=now)
    if sealed:
        st.caption("Sealed: until the deadline you see only that a bid arrived, and when.")
    st.dataframe(received.drop(columns=["key"], errors="ignore"), hide_index=True, width="stretch")
    if not sealed and len(received):
        with st.expander("Read a bid", icon=":material/description:"):
            read_keys = dict(zip(received["bid_id"], received["key"]))
            read = st.selectbox("Bid", list(read_keys), key="rounds_read_bid")
            with ui.user_errors(stop=False):
                answers = store.bid_answers(user.username, int(read_keys[read]), now=now)
                rules = store.rules(round_id)
                if not answers:
                    st.info("This bid has no written answers on file.")
                for c in rules.panel_criteria:
                    if c.id in answers:
                        st.markdown(f"**{c.id}. {ui.esc(c.title)}**")
                        st.markdown(ui.esc(answers[c.id]))

if sealed:
    st.stop()

st.header("Clarifications")
with ui.user_errors():
    bids = store.round_bids(user.username, round_id, now=now)
    asked = store.clarifications(user.username, round_id)
if auth.can(user, "clarify") and not bids.empty:
    keys = dict(zip(bids["bid_id"], bids["key"]))
    with st.form("clarify", clear_on_submit=True):
        bid = st.selectbox("Bid", list(keys), key="clar_bid")
        question = st.text_area("Question to the bidder (e.g. explain an abnormally low price)", key="clar_q")
        if st.form_submit_button("Send the question", icon=":material/forum:"):
            with ui.user_errors(stop=False):
                store.ask_clarification(user.username, int(keys[bid]), question, now=now)
                done(f"Question sent to the bidder of {bid}. A bidder with an account answers on its Bids page.")
    waiting = asked.loc[asked["answer"].isna()]
    if len(waiting):
        with st.expander("Record an answer received outside the app (a bid imported from a file, whose "
                         "bidder has no account here)", icon=":material/mail:"):
            with st.form("clar_answer", clear_on_submit=True):
                cid = st.selectbox("Question awaiting an answer", waiting["id"].tolist(), key="clar_open",
                                   format_func=lambda i: f"{asked.set_index('id').loc[i, 'bid_id']}: "
                                                         f"{asked.set_index('id').loc[i, 'question'][:80]}")
                text = st.text_area("The bidder's answer, as received", key="clar_open_answer")
                if st.form_submit_button("Record the answer"):
                    with ui.user_errors(stop=False):
                        store.record_answer(user.username, int(cid), text, now=now)
                        done("Answer recorded.")
st.dataframe(ui.london_times(asked, "asked_at", "answered_at", "published_at").rename(columns={
                 "bid_id": "Bid", "question": "Question", "asked_by": "Asked by", "asked_at": "Asked",
                 "answer": "Answer", "answered_at": "Answered", "answered_by": "Answered by",
                 "published_at": "Published"})
             .drop(columns=["id"]), hide_index=True, width="stretch")
unpublished = asked.loc[asked["answer"].notna() & asked["published_at"].isna()]
if auth.can(user, "publish_clarification") and len(unpublished):
    with st.expander("Publish an answer of general interest to every bidder", icon=":material/campaign:"):
        st.caption("Every bidder of the round reads the published wording on its Bids page. Name no bid "
                   "and no bidder: a wording that names the bidder is refused.")
        cid = st.selectbox("Exchange", unpublished["id"].tolist(), key="pub_clar",
                           format_func=lambda i: f"{asked.set_index('id').loc[i, 'bid_id']}: "
                                                 f"{asked.set_index('id').loc[i, 'question'][:80]}")
        chosen = asked.set_index("id").loc[cid]
        pub_q = st.text_area("Question as published", chosen["question"], key=f"pub_q_{cid}")
        pub_a = st.text_area("Answer as published", chosen["answer"], key=f"pub_a_{cid}")
        if st.button("Publish to every bidder", key="pub_send", icon=":material/campaign:"):
            with ui.user_errors(stop=False):
                store.publish_clarification(user.username, int(cid), pub_q, pub_a, now=now)
                done("Published to every bidder of the round, without naming the bid.")

if info["state"] == "locked":
    st.header("Assessment summaries")
    notice = store.summaries_notice(round_id)
    if notice is not None:
        start, end = lifecycle.standstill(notice)
        st.success(f"Issued to every bidder with notice date **{notice:%d %B %Y}**. The standstill runs from "
                   f"{start:%d %B %Y} to the end of {end:%d %B %Y} (eight working days); bidders download "
                   "theirs on their Bids page.", icon=":material/check_circle:")
    elif auth.can(user, "issue_summaries"):
        st.markdown("Issue the summaries once, to every bidder, with one notice date: the standstill runs from it "
                    "and it cannot change afterwards.")
        day = st.date_input("Notice date", value=lifecycle.london_date(now), min_value=lifecycle.london_date(now),
                            format="DD/MM/YYYY", key="summaries_notice")
        start, end = lifecycle.standstill(day)
        st.caption(f"With this notice date the standstill runs from {start:%d %B %Y} to the end of {end:%d %B %Y}.")
        sure = st.checkbox("Issuing is final: I have checked the ranking and the reasons", key="summaries_sure")
        if st.button("Issue the assessment summaries", type="primary", disabled=not sure, key="summaries_issue",
                     icon=":material/outgoing_mail:"):
            with ui.user_errors(stop=False):
                store.issue_summaries(user.username, round_id, day, now=now)
                done(f"Assessment summaries issued with notice date {day:%d %B %Y}.")
    else:
        st.info("The commissioner issues the assessment summaries.")
    st.stop()

st.header("Flags to decide before the lock")
if info["state"] != "moderation":
    st.info("Flags are decided once moderation is open.")
    st.stop()
with ui.user_errors():
    pending = store.open_flags(user.username, round_id)
    decided = store.flag_decisions(user.username, round_id)
if not pending:
    st.success("No open flag: the round can be locked.", icon=":material/check_circle:")
else:
    st.warning(f"{len(pending)} open flag{'s' if len(pending) != 1 else ''} block the lock.", icon=":material/flag:")
    st.dataframe([{"Bid": f.bid_id, "Flag": f.text} for f in pending], hide_index=True, width="stretch")
    if auth.can(user, "resolve_flag"):
        with st.form("resolve", clear_on_submit=True):
            bid = st.selectbox("Bid", sorted({f.bid_id for f in pending}), key="resolve_bid")
            note = st.text_area("Decision and why (recorded on every open flag of the bid)", key="resolve_note")
            if st.form_submit_button("Record the decision", type="primary", icon=":material/gavel:"):
                with ui.user_errors(stop=False):
                    resolved = store.resolve_flags(user.username, round_id, bid, note, now=now)
                    done(f"Decision recorded on {len(resolved)} flag{'s' if len(resolved) != 1 else ''} of {bid}.")
if len(decided):
    st.dataframe(ui.london_times(decided, "decided_at").rename(columns={
                     "bid_id": "Bid", "flag": "Flag", "note": "Decision", "decided_by": "By", "decided_at": "When"}),
                 hide_index=True, width="stretch")
