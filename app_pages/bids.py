"""Bids (support organisation): answer the commissioner's questions about one's bids; see one's bids
and amend or withdraw them until the deadline; submit a bid to an open round — lot, price,
consortium partners, areas served, gate declarations and a written answer per criterion within its
word limit — with a draft kept; and once the summaries are issued, download one's assessment
summary. Bids are sealed until the deadline: nobody else sees their content before it."""


import streamlit as st

from app_pages import _shared as ui
from commissioning.procurement import lifecycle
from commissioning.publish import summaries
from commissioning.publish.pdf.summaries import summary_html, summary_pdf

user = ui.guard("bids")
store = ui.store()
now = ui.now()

st.title("Bids")
st.caption(f"Bidding as **{ui.esc(user.organisation or user.username)}**. Your bid is sealed until the deadline: "
           "the commissioner sees only that it arrived, and the panel sees it only after the deadline.")


def london(moment) -> str:
    """An ISO time or aware datetime as London time, the zone named (the one formatter)."""
    return lifecycle.london_text(moment)


def confirmed(where: str) -> None:
    """The confirmation of the action taken in section ``where``, shown there (where the user is)."""
    done = st.session_state.get("bid_done")
    if done and done[0] == where:
        st.session_state.pop("bid_done")
        st.success(done[1], icon=":material/check_circle:")


def done(where: str, message: str) -> None:
    st.session_state["bid_done"] = (where, message)
    st.rerun()


def bid_fields(rules, prefix: str, initial: dict) -> tuple[dict, list[str]]:
    """The bid form's fields (price, partners, areas, declarations, answers) under keys ``prefix_*``,
    filled from ``initial``; returns the values and the criteria whose answers are over the limit."""
    values = {
        "price": st.number_input(f"Price {rules.price_words()} (£)".replace("  ", " "), min_value=0.0, step=1000.0,
                                 value=float(initial.get("price") or 0.0), key=f"{prefix}_price"),
        "partners": st.text_area("Consortium partners (one per line; leave empty if you bid alone)",
                                 value="\n".join(initial.get("partners") or []), key=f"{prefix}_partners"),
        "areas": st.text_input("Areas served: borough code or name and capacity, e.g. E09000012:2;Newham:1.5",
                               value=initial.get("areas") or "", key=f"{prefix}_areas")}
    st.caption(ui.esc(rules.price_instruction()))
    st.markdown("**Declarations**")
    gates = initial.get("gates") or {}
    values["gates"] = {g.id: "pass" if st.checkbox(f"We meet: {g.title}", value=gates.get(g.id) == "pass",
                                                   key=f"{prefix}_gate_{g.id}") else "fail"
                       for g in rules.gates}
    st.markdown("**Written answers**")
    answers, over = {}, []
    for c in rules.panel_criteria:
        limit = lifecycle.word_limit(rules, c.id)
        with st.container(border=True):
            st.markdown(f"**{c.id}. {ui.esc(c.title)}**")
            st.caption(ui.esc(c.guidance))
            answers[c.id] = st.text_area(f"Your answer to {c.id} (at most {limit} words)", height=150,
                                         value=(initial.get("answers") or {}).get(c.id, ""),
                                         key=f"{prefix}_answer_{c.id}")
            words = lifecycle.count_words(answers[c.id])
            st.caption(f"{words} of {limit} words" + (" — over the limit" if words > limit else ""))
            if words > limit:
                over.append(c.id)
    values["answers"] = answers
    values["partners"] = values["partners"].splitlines()
    return values, over


def over_limit_note(over: list[str]) -> None:
    if over:
        st.error(f"Shorten the answer{'s' if len(over) > 1 else ''} to {', '.join(over)}: "
                 "a bid with an answer over its word limit cannot be sent.", icon=":material/block:")


# -- questions from the commissioner -------------------------------------------------------------

questions = store.my_clarifications(user.username)
waiting = questions.loc[questions["answer"].isna()]
if len(questions):
    st.header("Questions about your bids")
    st.caption("The commissioner or the panel chair asks these after the deadline, for example to explain a "
               "price. Your answer is recorded with its date; an answer cannot be changed once sent.")
    for q in waiting.itertuples():
        with st.container(border=True):
            st.markdown(f"**Bid {ui.esc(q.bid_id)}**, asked {london(q.asked_at)}")
            st.markdown(ui.esc(q.question))
            text = st.text_area("Your answer", key=f"clar_answer_{q.id}")
            if st.button("Send the answer", key=f"clar_send_{q.id}", type="primary", icon=":material/send:"):
                with ui.user_errors(stop=False):
                    store.answer_clarification(user.username, int(q.id), text, now=now)
                    done(f"question {q.id}", f"Your answer about bid {q.bid_id} was sent.")
            confirmed(f"question {q.id}")
    answered = questions.loc[questions["answer"].notna()]
    for q in answered.itertuples():
        confirmed(f"question {q.id}")
    if len(answered):
        st.dataframe(answered.assign(asked_at=answered["asked_at"].map(london),
                                     answered_at=answered["answered_at"].map(london))
                     .rename(columns={"bid_id": "Bid", "question": "Question", "asked_at": "Asked (London time)",
                                      "answer": "Your answer", "answered_at": "Answered (London time)"})
                     [["Bid", "Question", "Asked (London time)", "Your answer", "Answered (London time)"]],
                     hide_index=True, width="stretch")

# -- your bids ------------------------------------------------------------------------------------

mine = store.my_bids(user.username)
st.header("Your bids")
confirmed("withdrawn")
if mine.empty:
    st.info("You have not submitted a bid yet.")
for r in mine.itertuples():
    info = store.round_info(int(r.round_id))
    still_open = info["state"] == "scoring" and info["deadline"] is not None and now < info["deadline"]
    with st.container(border=True):
        st.subheader(f"Bid {r.bid_id}: lot {r.lot}, round {r.round}")
        st.markdown(f"Price **£{r.price:,.0f}** · last sent {london(r.submitted_at)}"
                    + (f" · partners: {ui.esc(r.partners)}" if r.partners else ""))
        confirmed(f"bid {r.key}")
        rules = store.rules(int(r.round_id))
        if still_open:
            st.caption(f"You can amend or withdraw this bid until {london(info['deadline'])}. "
                       "Every version is kept.")
            versions = store.bid_versions(user.username, int(r.round_id), r.bid_id, now=now)
            current = versions.iloc[-1].to_dict()
            with st.expander("Read or amend this bid", icon=":material/edit:"):
                values, over = bid_fields(rules, f"amend_{r.key}", current)
                over_limit_note(over)
                if st.button("Send the amended bid", key=f"amend_send_{r.key}", type="primary", disabled=bool(over),
                             icon=":material/send:"):
                    with ui.user_errors(stop=False):
                        version = store.amend_bid(user.username, int(r.key), now=now, **values)
                        done(f"bid {r.key}", f"Bid {r.bid_id} amended: version {version} is the one the panel "
                                             "will read.")
            with st.expander("Withdraw this bid", icon=":material/delete:"):
                st.markdown("A withdrawn bid leaves the round: the panel never sees it. You can bid again "
                            "before the deadline.")
                sure = st.checkbox(f"I want to withdraw bid {r.bid_id}", key=f"withdraw_sure_{r.key}")
                if st.button("Withdraw the bid", key=f"withdraw_{r.key}", disabled=not sure):
                    with ui.user_errors(stop=False):
                        store.withdraw_bid(user.username, int(r.key), now=now)
                        done("withdrawn", f"Bid {r.bid_id} was withdrawn.")
        elif info["state"] == "locked":
            with ui.user_errors(stop=False):
                if store.summaries_notice(int(r.round_id)) is None:
                    st.info("The round is decided. Your assessment summary follows when the commissioner "
                            "issues the summaries to every bidder.")
                else:
                    summary = summaries.own_summary(store, user.username, int(r.key))
                    st.markdown(f"Assessment summaries issued on **{summary.notice:%d %B %Y}**; the standstill "
                                f"runs to the end of **{summary.standstill_end:%d %B %Y}**.")
                    st.download_button(f"Assessment summary for {r.bid_id} (PDF)", summary_pdf(summary),
                                       file_name=f"{r.bid_id}.pdf", mime="application/pdf", key=f"summary_{r.key}",
                                       icon=":material/download:")
                    st.download_button(f"Assessment summary for {r.bid_id} (HTML)",
                                       summary_html(summary).encode("utf-8"), file_name=f"{r.bid_id}.html",
                                       mime="text/html", key=f"summary_html_{r.key}", icon=":material/download:")
        else:
            st.caption("Bids have closed: the panel is assessing the bids.")

for round_id in sorted(set(mine["round_id"].astype(int))):
    published = store.published_clarifications(user.username, round_id)
    if len(published):
        st.header("Clarifications published to every bidder")
        st.dataframe(published.assign(published_at=published["published_at"].map(london))
                     .rename(columns={"question": "Question", "answer": "Answer",
                                      "published_at": "Published (London time)"}), hide_index=True, width="stretch")

# -- a new bid --------------------------------------------------------------------------------

st.header("Submit a bid")
rounds = store.open_rounds(now=now)
if rounds.empty:
    st.info("No round is taking bids now.")
    st.stop()
for r in rounds.loc[~rounds["open"]].itertuples():
    st.info(f"Round **{ui.esc(r.name)}**: bids are taken from **{r.opens:%d %B %Y}** until "
            f"**{london(r.deadline)}**. The form appears here on the first day.", icon=":material/event:")
open_rounds = rounds.loc[rounds["open"]]
if open_rounds.empty:
    st.stop()
names = dict(zip(open_rounds["id"].astype(int), open_rounds["name"]))
round_id = st.selectbox("Round", list(names), format_func=names.get, key="bid_round")
rules = store.rules(round_id)
st.markdown(f"Bids close **{london(open_rounds.set_index('id').loc[round_id, 'deadline'])}**. Late bids are refused.")
bid_lots = set(mine.loc[mine["round_id"] == round_id, "lot"])
lots = [lot for lot in store.lots_of(round_id) if lot not in bid_lots]
if not store.lots_of(round_id):
    st.info("The commissioner has not published the lots of this round yet.")
    st.stop()
if not lots:
    confirmed("new bid")
    st.info("You have bid for every lot of this round; amend a bid above.")
    st.stop()

draft = store.bid_draft(user.username, round_id) or {}
if draft:
    st.caption(f"Your draft, saved {london(draft['updated_at'])}, is filled in below.")
lot = st.selectbox("Lot", lots, key="bid_lot", index=lots.index(draft["lot"]) if draft.get("lot") in lots else 0)
values, over = bid_fields(rules, "bid", draft)
over_limit_note(over)
c1, c2 = st.columns(2)
if c1.button("Submit the bid", type="primary", icon=":material/send:", disabled=bool(over), key="bid_submit"):
    with ui.user_errors(stop=False):
        ref = store.submit_bid(user.username, round_id, lot=lot, now=now, **values)
        done("new bid", f"Bid {ref} submitted for lot {lot}. It is listed under Your bids, where you can "
                        "amend or withdraw it until the deadline.")
if c2.button("Save as draft", icon=":material/save:", key="bid_save_draft"):
    with ui.user_errors(stop=False):
        store.save_bid_draft(user.username, round_id, {"lot": lot, **values}, now=now)
        st.success(f"Draft saved {london(now)}. Only you can see it; it is not a bid until you submit it.",
                   icon=":material/check_circle:")
confirmed("new bid")
