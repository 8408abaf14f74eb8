"""Bids (support organisation): submit a bid to an open round — lot, price, consortium partners,
areas served, gate declarations and a written answer per criterion within its word limit — and
see one's own bids, and once the round is locked their assessment summaries. Bids are sealed until the deadline: nobody else sees their content before it."""

import streamlit as st

from app_pages import _shared as ui
from commissioning.procurement import lifecycle
from commissioning.publish import summaries
from commissioning.publish.pdf.summaries import summary_html, summary_pdf

user = ui.guard("bids")
store = ui.store()
now = ui.now()

st.title("Bids")
st.caption(f"Bidding as **{user.organisation or user.username}**. Your bid is sealed until the deadline: "
           "the commissioner sees only that it arrived, and the panel sees it only after the deadline.")
if st.session_state.get("bid_done"):
    ui.confirm(st.session_state.pop("bid_done"))

mine = store.my_bids(user.username)
st.header("Your bids")
if mine.empty:
    st.info("You have not submitted a bid yet.")
else:
    st.dataframe(ui.london_times(mine, "submitted_at").rename(columns={
                     "round": "Round", "bid_id": "Bid", "lot": "Lot", "price": "Price (£)",
                     "submitted_at": "Submitted", "partners": "Partners"})
                 [["Round", "Bid", "Lot", "Price (£)", "Submitted", "Partners"]], hide_index=True,
                 width="stretch")

    locked = [r for r in mine.itertuples() if store.round_info(int(r.round_id))["state"] == "locked"]
    for r in locked:
        with ui.user_errors(stop=False):
            summary = summaries.own_summary(store, user.username, int(r.key))
            st.download_button(f"Assessment summary for {r.bid_id} (PDF)", summary_pdf(summary),
                               file_name=f"{r.bid_id}.pdf", mime="application/pdf", key=f"summary_{r.key}",
                               icon=":material/download:")
            st.download_button(f"Assessment summary for {r.bid_id} (HTML)", summary_html(summary).encode("utf-8"),
                               file_name=f"{r.bid_id}.html", mime="text/html", key=f"summary_html_{r.key}",
                               icon=":material/download:")

st.header("Submit a bid")
open_rounds = store.open_rounds(now=now)
if open_rounds.empty:
    st.info("No round is taking bids now.")
    st.stop()
names = dict(zip(open_rounds["id"].astype(int), open_rounds["name"]))
round_id = st.selectbox("Round", list(names), format_func=names.get, key="bid_round")
rules = store.rules(round_id)
deadline = open_rounds.set_index("id").loc[round_id, "deadline"]
st.markdown(f"Bids close at **{lifecycle.london_text(deadline)}**. Late bids are refused.")
lots = store.lots_of(round_id)
if not lots:
    st.info("The commissioner has not published the lots of this round yet.")
    st.stop()

lot = st.selectbox("Lot", lots, key="bid_lot")
price = st.number_input(f"Price {rules.price_words()} (£)".replace("  ", " "), min_value=0.0, step=1000.0,
                        key="bid_price")
st.caption(ui.esc(rules.price_instruction()))
partners = st.text_area("Consortium partners (one per line; leave empty if you bid alone)", key="bid_partners")
areas = st.text_input("Areas served: borough code or name and capacity, e.g. E09000012:2;Newham:1.5",
                      key="bid_areas")
st.markdown("**Declarations**")
gates = {g.id: "pass" if st.checkbox(f"We meet: {g.title}", key=f"bid_gate_{g.id}") else "fail"
         for g in rules.gates}
st.markdown("**Written answers**")
answers, over = {}, []
for c in rules.panel_criteria:
    limit = lifecycle.word_limit(rules, c.id)
    with st.container(border=True):
        st.markdown(f"**{c.id}. {c.title}**")
        st.caption(c.guidance)
        answers[c.id] = st.text_area(f"Your answer to {c.id} (at most {limit} words)", key=f"bid_answer_{c.id}",
                                     height=150)
        words = lifecycle.count_words(answers[c.id])
        st.caption(f"{words} of {limit} words" + (" — over the limit" if words > limit else ""))
        if words > limit:
            over.append(c.id)
if over:
    st.warning(f"You cannot submit yet: the answer{'s' if len(over) > 1 else ''} to {', '.join(over)} "
               f"{'are' if len(over) > 1 else 'is'} over the word limit. Shorten {'them' if len(over) > 1 else 'it'} "
               "to submit.", icon=":material/block:")
if st.button("Submit the bid", type="primary", icon=":material/send:", disabled=bool(over)):
    with ui.user_errors(stop=False):
        ref = store.submit_bid(user.username, round_id, lot=lot, price=price,
                               partners=partners.splitlines(), areas=areas, gates=gates, answers=answers,
                               now=now)
        st.session_state["bid_done"] = f"Bid {ref} submitted for lot {lot}."
        st.rerun()
