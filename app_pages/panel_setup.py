"""Panel set-up (commissioner): the panel members and chairs of a round, their passwords, which bids
each scores (and taking bids back), conflicts of interest, and deactivating members who leave. The
store enforces the rules (a member with a declared conflict is never assigned that organisation's
bids; scores are withdrawn only with the audit log keeping them, and once moderation is open only
when confirmed); this page shows its refusals as errors."""

import streamlit as st

from app_pages import _shared as ui
from commissioning import auth
from commissioning.web import appdata

user = ui.guard("panel_setup")
store = ui.store()

st.title("Panel set-up")
if st.session_state.get("panel_done"):
    ui.confirm(ui.esc(st.session_state.pop("panel_done")))


def done(message: str) -> None:
    st.session_state["panel_done"] = message
    st.rerun()


accounts = store.account_list()
with ui.user_errors():
    status = store.accounts(user.username)
active = {u: bool(a) for u, a in zip(status["username"], status["active"])}
scorers = accounts.loc[accounts["role"].isin([auth.PANEL, auth.CHAIR])]
scorer_label = {u: f"{u} ({auth.ROLE_LABELS[r]}{'' if active[u] else ', deactivated'})"
                for u, r in zip(scorers["username"], scorers["role"])}
rounds = store.rounds()
round_id = None
if rounds.empty:
    st.info("No bidding round yet: members can be added now, bids assigned once a round exists.")
else:
    names = {int(i): n for i, n in zip(rounds["id"], rounds["name"])}
    round_id = st.selectbox("Round", list(names)[::-1], format_func=names.get, key="panel_round")
    state = rounds.set_index("id").loc[round_id, "state"]
    if appdata.is_illustrative_round(names[round_id]):
        st.warning("**Illustrative round.** The organisations are fictional; its members (panel-a, ...) were "
                   "imported without passwords.", icon=":material/info:")
    with ui.user_errors():
        round_bids = store.round_bids(user.username, round_id, now=ui.now())
        assigned = store.assignments(user.username, round_id)
with ui.user_errors():
    declarations = store.conflicts(user.username)

tab_panel, tab_invite, tab_add, tab_password, tab_assign, tab_unassign, tab_conflict, tab_active = st.tabs(
    ["Panel", "Invite someone", "Add a member", "Passwords", "Assign bids", "Take bids back",
     "Conflicts of interest", "Deactivate or reactivate"])

with tab_panel:
    if round_id is not None:
        st.markdown(f"**Panel members and chairs**, with their bids in “{ui.esc(names[round_id])}” ({state})")
        table = appdata.panel_table(accounts, assigned)
        inactive = [not active[u] for u in table["Username"]]
        table.insert(3, "Status", ["deactivated" if off else "active" for off in inactive])
        table.loc[inactive, "Can sign in"] = "no: deactivated"
        st.dataframe(table, hide_index=True, width="stretch")
        with ui.user_errors():
            progress = store.progress(user.username, round_id)
        st.markdown("**Scoring progress** (bids with every criterion scored, of those assigned)")
        st.dataframe(progress.rename(columns={"username": "Member", "assigned": "Bids assigned",
                                              "scored": "Bids fully scored", "criteria_scored": "Scores saved",
                                              "criteria_due": "Scores due"}), hide_index=True, width="stretch")
    st.markdown("**Conflict of interest declarations** (all rounds)")
    if declarations.empty:
        st.caption("No conflict of interest has been declared.")
    else:
        st.dataframe(ui.london_times(declarations, "declared_at").rename(columns={"username": "Member", "organisation": "Organisation",
                                                  "note": "Note", "declared_at": "Declared at"}),
                     hide_index=True, width="stretch")
        if round_id is not None:
            with ui.user_errors(stop=False):
                unmatched = store.unmatched_conflicts(user.username, round_id)
                if len(unmatched):
                    st.warning(f"{len(unmatched)} declaration(s) match no bid in “{ui.esc(names[round_id])}”. "
                               "Check the name against the bids (a typo means the conflict does not "
                               "bind); an organisation that is not bidding needs nothing.",
                               icon=":material/warning:")
                    st.dataframe(unmatched[["username", "organisation"]].rename(
                        columns={"username": "Member", "organisation": "Organisation as declared"}),
                        hide_index=True, width="stretch", key="unmatched_conflicts")

with tab_invite:
    st.caption("Invite a commissioner, a panel member or chair, or a support organisation. The person sets "
               "their own password through a link that works once, for 7 days. With an email address and "
               "the server's email set up, the link is emailed; otherwise it is shown here to pass on.")
    invite_role = st.selectbox("Role", list(auth.ROLES), format_func=auth.ROLE_LABELS.get, key="invite_role")
    with st.form("invite", clear_on_submit=True):
        c1, c2 = st.columns(2)
        invite_username = c1.text_input("Username (no spaces)", key="invite_username")
        invite_name = c2.text_input("Display name", key="invite_name")
        invite_org = (st.text_input("Support organisation (as it names itself)", key="invite_org")
                      if invite_role == auth.PROVIDER else None)
        invite_email = st.text_input("Email address (optional)", key="invite_email")
        if st.form_submit_button("Create the invitation", type="primary", icon=":material/mail:"):
            with ui.user_errors(stop=False):
                ui.invite(invite_username, invite_role, invite_name, invite_org, invite_email)
    ui.invitation_notice()

with tab_add:
    with st.form("panel_add", clear_on_submit=True):
        c1, c2 = st.columns(2)
        username = c1.text_input("Username (no spaces)", key="add_username")
        display_name = c2.text_input("Display name", key="add_name")
        role = st.radio("Role", [auth.PANEL, auth.CHAIR], format_func=auth.ROLE_LABELS.get, horizontal=True,
                        key="add_role")
        c1, c2 = st.columns(2)
        password = c1.text_input(f"Password (at least {auth.MIN_PASSWORD_LENGTH} characters)", type="password",
                                 key="add_password", autocomplete="new-password")
        repeat = c2.text_input("Password again", type="password", key="add_repeat", autocomplete="new-password")
        if st.form_submit_button("Add member", type="primary", icon=":material/person_add:"):
            with ui.user_errors(stop=False):
                auth.confirm_password(password, repeat)
                made = auth.create_user(store, username, role, password, by=user.username,
                                        display_name=display_name.strip() or None)
                done(f"Added {made.username} ({auth.ROLE_LABELS[made.role]}).")

with tab_password:
    st.caption("Set a first password (members imported with a round have none and cannot sign in yet) "
               "or reset a forgotten one. Tell the member their password in person or by phone.")
    with st.form("panel_password", clear_on_submit=True):
        can_sign_in = dict(zip(accounts["username"], accounts["can_sign_in"]))
        who = st.selectbox("Account", accounts["username"].tolist(), key="pw_user",
                           format_func=lambda u: u if can_sign_in[u] else f"{u} (no password yet)")
        c1, c2 = st.columns(2)
        password = c1.text_input(f"New password (at least {auth.MIN_PASSWORD_LENGTH} characters)",
                                 type="password", key="pw_password", autocomplete="new-password")
        repeat = c2.text_input("New password again", type="password", key="pw_repeat", autocomplete="new-password")
        if st.form_submit_button("Set password", type="primary", icon=":material/key:"):
            with ui.user_errors(stop=False):
                auth.confirm_password(password, repeat)
                auth.set_password(store, who, password, by=user.username)
                done(f"Password set for {who}.")

with tab_assign:
    if round_id is None or scorers.empty:
        st.info("Assigning needs a round and at least one panel member or chair.")
    else:
        with st.container(border=True):
            st.markdown("**Bulk assignment**: every chosen member to every bid of a lot, except bids where the "
                        "member declared a conflict with the lead or a consortium partner.")
            lots = sorted(round_bids["lot"].unique()) if len(round_bids) else []
            b1, b2 = st.columns([1, 2])
            bulk_lot = b1.selectbox("Lot", ["(every lot)"] + lots, key="bulk_lot")
            bulk_members = b2.multiselect("Members", scorers.loc[[active[u] for u in scorers["username"]],
                                                                 "username"].tolist(), key="bulk_members")
            if st.button("Assign the lot's bids", key="bulk_assign", disabled=not bulk_members,
                         icon=":material/group_add:"):
                with ui.user_errors(stop=False):
                    made, skipped = store.bulk_assign(user.username, round_id, bulk_members,
                                                      None if bulk_lot == "(every lot)" else bulk_lot, now=ui.now())
                    done(f"{made} assignments in place" + (
                        "; not assigned for a conflict: " + ", ".join(f"{m} / {b}" for m, b in skipped)
                        if skipped else "."))
        member = st.selectbox("Member", scorers["username"].tolist(), format_func=scorer_label.get,
                              key="assign_member")
        own = declarations.loc[declarations["username"] == member, "organisation"]
        if len(own):
            st.caption(ui.esc(f"{member} declared a conflict with: {'; '.join(own)}.") + " The store refuses those bids.")
        options = appdata.assignable_bids(round_bids, assigned, member).set_index("key")
        chosen = st.multiselect("Bids to assign", options.index.tolist(), key="assign_bids",
                                format_func=lambda k: appdata.bid_label(options.loc[k]),
                                placeholder="All of this round's bids are assigned to this member"
                                if options.empty else "Choose bids")
        if st.button("Assign", type="primary", icon=":material/assignment_ind:", disabled=not chosen,
                     key="assign_button"):
            with ui.user_errors(stop=False):
                count = store.assign_bids(user.username, member, chosen)
                done(f"Assigned {count} bid{'s' if count != 1 else ''} to {member}.")

with tab_unassign:
    holders = [] if round_id is None else [u for u in scorers["username"] if u in set(assigned["username"])]
    if not holders:
        st.info("No bids are assigned in this round.")
    else:
        member = st.selectbox("Member", holders, format_func=scorer_label.get, key="unassign_member")
        theirs = assigned.loc[assigned["username"] == member, "key"].tolist()
        labels = appdata.assigned_labels(round_bids, assigned)
        chosen = st.multiselect("Bids to take back", theirs, key="unassign_bids", placeholder="Choose bids",
                                format_func=labels.get)
        withdraw = False
        if state == "scoring":
            st.caption("Any scores the member gave these bids are withdrawn with them; the audit log keeps "
                       "the withdrawn scores.")
        elif state == "moderation" and chosen:
            with ui.user_errors(stop=False):
                given = store.all_scores(user.username, round_id)
                scored = sorted(set(given.loc[(given["scorer"] == member) & given["key"].isin(chosen), "bid_id"]))
                if scored:
                    st.warning(ui.esc(f"Moderation is open and {member} has scored {', '.join(scored)}."),
                               icon=":material/warning:")
                    withdraw = st.checkbox(f"Withdraw {member}'s scores for {', '.join(scored)} (the audit log "
                                           "keeps them)", key="unassign_confirm")
        if st.button("Take back", type="primary", icon=":material/assignment_return:", disabled=not chosen,
                     key="unassign_button"):
            with ui.user_errors(stop=False):
                count = store.unassign(user.username, member, chosen, withdraw_scores=withdraw)
                done(f"Took {count} bid{'s' if count != 1 else ''} back from {member}.")

with tab_conflict:
    st.caption("Record a conflict a member told you about. It applies to every round: the member's "
               "assignments to and scores for that organisation's bids are withdrawn (the audit log keeps "
               "them) and the store refuses new ones.")
    if scorers.empty:
        st.info("Add a panel member or chair first.")
    else:
        bidders = sorted(round_bids["organisation"].unique()) if round_id is not None else []
        with st.form("panel_conflict", clear_on_submit=True):
            member = st.selectbox("Member", scorers["username"].tolist(), format_func=scorer_label.get,
                                  key="conflict_member")
            organisation = st.selectbox("Organisation (a bidder in the round above, or type another)", bidders,
                                        index=None, accept_new_options=True, key="conflict_org",
                                        placeholder="Choose or type an organisation")
            note = st.text_area("Note (required): the nature of the conflict", key="conflict_note")
            if st.form_submit_button("Record conflict", type="primary", icon=":material/front_hand:"):
                if not organisation:
                    st.error("Choose or type the organisation.")
                else:
                    with ui.user_errors(stop=False):
                        store.declare_conflict(user.username, organisation, note, member=member)
                        done(f"Recorded {member}'s conflict with {organisation}.")

with tab_active:
    st.caption("When a member leaves the panel: a deactivated account can no longer sign in or be assigned "
               "bids. Its record, assignments and scores are kept, and its scores still count; take back "
               "the bids it will not score on the “Take bids back” tab.")
    others = [u for u in accounts["username"] if u != user.username]
    if not others:
        st.info("No other accounts.")
    else:
        who = st.selectbox("Account", others, key="active_user",
                           format_func=lambda u: u if active[u] else f"{u} (deactivated)")
        if active[who]:
            with st.form("panel_deactivate", clear_on_submit=True):
                note = st.text_area("Note (required): why the account is deactivated", key="deactivate_note")
                if st.form_submit_button("Deactivate member", type="primary", icon=":material/person_off:"):
                    with ui.user_errors(stop=False):
                        store.deactivate_user(user.username, who, note)
                        done(f"Deactivated {who}: they can no longer sign in.")
        elif st.button("Reactivate", icon=":material/person_check:", key="reactivate_button"):
            with ui.user_errors(stop=False):
                store.reactivate_user(user.username, who)
                done(f"Reactivated {who}.")
