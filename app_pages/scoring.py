"""Scoring (panel member): declare conflicts of interest first; then my assigned, non-conflicted bids,
each criterion with the bidder's written answer beside its guidance and scale, my score and a
required comment (kept as a draft in the store as I go), saved to the store; "Next bid" moves on.
Other members' scores are never shown here."""

import streamlit as st

from app_pages import _shared as ui
from commissioning import auth
from commissioning.web import appdata

user = ui.guard("scoring")
store = ui.store()

st.title("Scoring")
if st.session_state.get("scoring_saved"):
    st.success(ui.esc(st.session_state.pop("scoring_saved")), icon=":material/check_circle:")
with ui.user_errors():
    assigned = store.bids_for_scorer(user.username)
    mine = store.my_scores(user.username)
    rounds = store.rounds().set_index("id")

if auth.can(user, "declare_conflict"):
    with st.expander("Declare a conflict of interest (before you score)", icon=":material/front_hand:"):
        st.markdown("Declare any link with a bidding organisation (employment, trusteeship, family, funding) "
                    "before scoring. A conflicted evaluator does not score that bidder: its bids leave your "
                    "list, and any scores you saved for them are withdrawn (the audit log keeps them).")
        with st.form("declare_conflict", clear_on_submit=True):
            organisation = st.selectbox("Organisation (one of your bidders, or type another)",
                                        sorted(assigned["organisation"].unique()), index=None,
                                        accept_new_options=True, key="declare_org",
                                        placeholder="Choose or type an organisation")
            note = st.text_area("Note (required): the nature of the conflict", key="declare_note")
            if st.form_submit_button("Declare conflict", icon=":material/front_hand:"):
                if not organisation:
                    st.error("Choose or type the organisation.")
                else:
                    with ui.user_errors(stop=False):
                        store.declare_conflict(user.username, organisation, note)
                        st.session_state["scoring_saved"] = (f"Conflict with {organisation} declared: you will "
                                                             "not score its bids.")
                        st.rerun()
        declared = store.my_conflicts(user.username)
        if len(declared):
            st.dataframe(ui.london_times(declared, "declared_at").rename(columns={
                             "organisation": "Organisation", "note": "Note", "declared_at": "Declared at"}),
                         hide_index=True, width="stretch")
            open_rounds = store.rounds()
            open_rounds = open_rounds.loc[open_rounds["state"] != "locked"] if len(open_rounds) else open_rounds
            unmatched = set(declared["organisation"])
            for open_round in open_rounds.get("id", []):
                unmatched &= set(store.unmatched_conflicts(user.username, int(open_round))["organisation"])
            if len(open_rounds) and unmatched:
                st.warning(f"{len(unmatched)} of your declarations match no bid in an open round. Check "
                           "the spelling against the organisation's name (a typo means the conflict "
                           "does not bind); if it is not bidding, nothing needs doing.",
                           icon=":material/warning:")
                st.dataframe({"Organisation as declared": sorted(unmatched)}, hide_index=True,
                             key="my_unmatched_conflicts")

if assigned.empty:
    st.info("No bids are assigned to you yet. The commissioner assigns bids to panel members; bids from "
            "an organisation you declared a conflict with are never assigned to you.")
    st.stop()

rules_of = {int(rid): store.rules(int(rid)) for rid in assigned["round_id"].unique()}
scored, total = appdata.scoring_progress(assigned, mine,
                                         {rid: len(r.panel_criteria) for rid, r in rules_of.items()})
st.progress(scored / total if total else 0.0, text=f"**{scored} of {total}** criterion scores done "
            f"across {len(assigned)} assigned bids")
if any(appdata.is_illustrative_round(rounds.loc[rid, "name"]) for rid in rules_of):
    st.warning("**Illustrative round.** The example bids are fictional and exist to show the workflow.",
               icon=":material/info:")
st.caption("You see only your own scores. Other panel members' scores stay private until the "
           "commissioner opens moderation. Prices are not shown to the quality panel.")

done = mine.groupby("key").size() if len(mine) else {}
overview = assigned.assign(
    scored=[f"{done.get(k, 0)} of {len(rules_of[r].panel_criteria)}" for k, r in zip(assigned["key"], assigned["round_id"])])
with st.expander(f"Your bids ({len(assigned)})", expanded=False):
    st.dataframe(overview.rename(columns={"bid_id": "Bid", "organisation": "Organisation", "lot": "Lot",
                                          "state": "Round state", "scored": "Scored"})
                 [["Bid", "Organisation", "Lot", "Round state", "Scored"]], hide_index=True, width="stretch")

by_key = assigned.set_index("key")
keys = assigned["key"].tolist()
if st.session_state.pop("scoring_next", False) and st.session_state.get("scoring_bid") in keys:
    st.session_state["scoring_bid"] = keys[(keys.index(st.session_state["scoring_bid"]) + 1) % len(keys)]
key = st.selectbox("Bid", keys, key="scoring_bid",
                   format_func=lambda k: f"{by_key.loc[k, 'bid_id']} — {by_key.loc[k, 'organisation']} "
                                         f"(lot {by_key.loc[k, 'lot']})")
bid = by_key.loc[key]
rules = rules_of[bid["round_id"]]
closed = bid["state"] != "scoring"
saved = {r.criterion: r for r in mine.loc[mine["key"] == key].itertuples()} if len(mine) else {}
scale = rules.scale
now = ui.now()
with ui.user_errors():
    answers = store.bid_answers(user.username, int(key), now=now)
    drafts = store.drafts(user.username, int(key))

st.header(ui.esc(f"{bid['bid_id']}: {bid['organisation']}"))
st.caption(ui.esc(f"Lot {bid['lot']} · round “{rounds.loc[bid['round_id'], 'name']}” ({bid['state']})"))
if bid["state"] == "locked":
    st.info("This round is locked: scores are final and shown read-only.")
elif bid["state"] == "moderation":
    st.info("Moderation is open: scoring is closed unless the commissioner reopens it.")
st.caption("Your choices and reasons are kept as drafts as you go, so a reload loses nothing; only "
           "**Save my scores** makes them scores.")


def keep_draft(criterion: str) -> None:
    with ui.user_errors(stop=False):
        store.save_draft(user.username, int(key), criterion, st.session_state.get(f"score_{key}_{criterion}"),
                         st.session_state.get(f"comment_{key}_{criterion}", ""))


descriptors = " · ".join(f"{v} {d}" for v, d in scale.descriptors.items())
entries = []
for c in rules.panel_criteria:
    with st.container(border=True):
        section = appdata.SECTION_LABELS.get(c.section, c.section).lower()
        minimum = f"; minimum to pass {c.min_score:g}" if c.min_score is not None else ""
        st.markdown(f"**{ui.esc(f'{c.id}. {c.title}')}** — {c.weight:g}% of {section}{minimum}")
        left, right = st.columns([3, 2], gap="medium")
        with left:
            st.markdown("**The bidder's answer**")
            with st.container(height=260, border=False):
                st.text(answers.get(c.id) or "(no written answer for this criterion)")
        with right:
            st.markdown("**Guidance**")
            st.markdown(ui.esc(c.guidance))
            st.caption(ui.esc(f"Scale: {descriptors}"))
            options = list(range(scale.min, c.max_score + 1))
            previous = saved.get(c.id)
            draft_score, draft_comment = drafts.get(c.id, (None, ""))
            start = int(previous.score) if previous is not None else (
                int(draft_score) if draft_score is not None else None)
            value = st.radio(f"Score for {ui.esc(c.id)}", options, horizontal=True, key=f"score_{key}_{c.id}",
                             index=options.index(start) if start is not None else None,
                             format_func=lambda v: f"{v} {ui.esc(scale.descriptors.get(v, ''))}", disabled=closed,
                             on_change=keep_draft, args=(c.id,))
            comment = st.text_area(f"Reason for your {ui.esc(c.id)} score (required)", key=f"comment_{key}_{c.id}",
                                   value=draft_comment if c.id in drafts else (
                                       previous.comment if previous is not None else ""),
                                   height=80, disabled=closed, on_change=keep_draft, args=(c.id,))
        entries.append((c, value, comment, previous))

save_col, next_col = st.columns(2)
submitted = save_col.button("Save my scores", type="primary", icon=":material/save:", disabled=closed,
                            key=f"save_scores_{key}")
if next_col.button("Next bid", icon=":material/arrow_forward:", disabled=len(keys) < 2, key="scoring_next_bid"):
    st.session_state["scoring_next"] = True
    st.rerun()

if submitted:
    rows, problems = [], []
    for c, value, comment, previous in entries:
        if value is None and not comment.strip():
            continue
        if value is None:
            problems.append(f"{c.id}: choose a score")
        elif not comment.strip():
            problems.append(f"{c.id}: a score needs a comment (the reason for it)")
        elif previous is None or float(previous.score) != float(value) or previous.comment != comment.strip():
            rows.append((int(key), c.id, float(value), comment.strip()))
    if problems:
        st.error(ui.esc("Not saved: " + "; ".join(problems) + "."))
    elif not rows:
        st.info("Nothing new to save.")
    else:
        with ui.user_errors(stop=False):
            count = store.save_scores(user.username, rows)
            st.session_state["scoring_saved"] = f"Saved {count} score{'s' if count != 1 else ''} for {bid['bid_id']}."
            st.rerun()
