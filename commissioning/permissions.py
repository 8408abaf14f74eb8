"""Who may do what: the roles and the one permission table.

The store refuses an action to any role not listed here (``store.base.StoreBase._actor``) and the
app offers a control only to the roles listed here (``auth.can``); neither keeps a list of its own,
and ``tests/core/test_permissions.py`` checks that no store operation names a role directly.
"""

from __future__ import annotations

COMMISSIONER, CHAIR, PANEL, PROVIDER, PUBLIC = "commissioner", "chair", "panel", "provider", "public"

#: Roles an account can have ("public" is the absence of a login).
ROLES = (COMMISSIONER, CHAIR, PANEL, PROVIDER)
ROLE_LABELS = {COMMISSIONER: "Commissioner", CHAIR: "Panel chair", PANEL: "Panel member",
               PROVIDER: "Support organisation", PUBLIC: "Public"}
SCORING_ROLES = (PANEL, CHAIR)

#: Every action of a signed-in user and the roles that may take it.
ACTIONS: dict[str, frozenset[str]] = {
    # rounds
    "manage_round": frozenset({COMMISSIONER}),        # publish, import bids, answers and scores, lots
    "open_moderation": frozenset({COMMISSIONER}),
    "reopen_scoring": frozenset({COMMISSIONER}),
    "lock_round": frozenset({COMMISSIONER}),
    "export_awards": frozenset({COMMISSIONER}),       # assessment summaries and 360Giving awards
    "clarify": frozenset({COMMISSIONER, CHAIR}),       # ask a bidder; record an answer to an imported bid
    "answer_clarification": frozenset({PROVIDER}),    # a bidder answers the questions to its own bids
    "publish_clarification": frozenset({COMMISSIONER, CHAIR}),   # to every bidder, the bid unnamed
    "read_clarifications": frozenset({PROVIDER}),     # the published ones and those to one's own bids
    "issue_summaries": frozenset({COMMISSIONER}),     # once, with the notice date the standstill runs from
    "resolve_flag": frozenset({COMMISSIONER, CHAIR}),
    "read_audit": frozenset({COMMISSIONER, CHAIR}),
    # contracts (issue 23): create from a locked round, extend, end, rate against the KPIs
    "manage_contracts": frozenset({COMMISSIONER}),
    "view_contracts": frozenset({COMMISSIONER}),
    # the panel
    "manage_panel": frozenset({COMMISSIONER}),
    "view_panel": frozenset({COMMISSIONER, CHAIR}),
    "declare_conflict": frozenset({PANEL, CHAIR}),        # one's own
    "record_conflict": frozenset({COMMISSIONER}),         # for a member, e.g. from a paper form
    "score": frozenset(SCORING_ROLES),
    "view_scores": frozenset({COMMISSIONER, CHAIR}),
    "moderate": frozenset({CHAIR}),
    # support organisations
    "bid": frozenset({PROVIDER}),
    "submit_return": frozenset({COMMISSIONER, PROVIDER}),
    "read_returns": frozenset({COMMISSIONER, PROVIDER}),
    "review_returns": frozenset({COMMISSIONER}),
    # accounts
    "manage_accounts": frozenset({COMMISSIONER}),
    "view_accounts": frozenset({COMMISSIONER, CHAIR}),
    "manage_demo": frozenset({COMMISSIONER}),          # load and remove the demonstration data
}


def may(role: str, action: str) -> bool:
    """Whether ``role`` may take ``action`` (an unknown action is a programming error)."""
    return role in ACTIONS[action]
