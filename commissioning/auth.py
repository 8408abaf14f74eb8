"""Roles, pages and accounts for the app: the one place that decides who may see what.

Five audiences: ``commissioner``, ``chair`` (panel chair), ``panel`` (panel member), ``provider``
(support organisation) and ``public`` (nobody logged in). Who may take which action is
:data:`commissioning.permissions.ACTIONS`, the table the store enforces too. Every page calls :func:`require` with the session's user and its page id;
the navigation lists only :func:`allowed_pages` of the user's role. Pages never test roles
themselves.

Accounts live in the store's ``users`` table with argon2id password hashes (argon2-cffi, hashed
and verified by ``store.Store``). There is
no default password: the first commissioner comes from ``COMMISSIONING_ADMIN_USER`` /
``COMMISSIONING_ADMIN_PASSWORD`` (see :func:`ensure_admin`) or from
``python -m commissioning users create``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import pandas as pd

from commissioning.errors import AccessDenied, InputError
from commissioning.permissions import (  # noqa: F401 (re-exported for the pages)
    ACTIONS,
    CHAIR,
    COMMISSIONER,
    PANEL,
    PROVIDER,
    PUBLIC,
    ROLE_LABELS,
    ROLES,
)
from commissioning.store import LoginLocked, Store, User  # noqa: F401 (LoginLocked re-exported)
from commissioning.store.policy import (  # noqa: F401
    MIN_PASSWORD_LENGTH,
    check_password,
    check_username,
)


ADMIN_USER_ENV = "COMMISSIONING_ADMIN_USER"
ADMIN_PASSWORD_ENV = "COMMISSIONING_ADMIN_PASSWORD"


@dataclass(frozen=True)
class Page:
    """A page of the app: id (also its URL path), title, and the roles that may open it."""

    id: str
    title: str
    roles: frozenset[str]
    icon: str


#: Every page, in menu order.
PAGES: dict[str, Page] = {p.id: p for p in (
    Page("priorities", "Published priorities", frozenset({PUBLIC, COMMISSIONER, CHAIR, PANEL, PROVIDER}),
         ":material/campaign:"),
    Page("satisfaction", "Victim satisfaction", frozenset({PUBLIC, COMMISSIONER, CHAIR, PANEL, PROVIDER}),
         ":material/sentiment_satisfied:"),
    Page("performance", "Quarterly performance", frozenset({PUBLIC, COMMISSIONER, CHAIR, PANEL, PROVIDER}),
         ":material/monitoring:"),
    Page("coverage", "Coverage", frozenset({COMMISSIONER}), ":material/map:"),
    Page("lots", "Lots and scenarios", frozenset({COMMISSIONER}), ":material/grid_view:"),
    Page("trends", "Demand over time", frozenset({COMMISSIONER}), ":material/trending_up:"),
    Page("bids", "Bids", frozenset({PROVIDER}), ":material/upload_file:"),
    Page("rounds", "Rounds", frozenset({COMMISSIONER, CHAIR}), ":material/event_note:"),
    Page("scoring", "Scoring", frozenset({PANEL, CHAIR}), ":material/rate_review:"),
    Page("panel_setup", "Panel set-up", frozenset({COMMISSIONER}), ":material/group:"),
    Page("moderation", "Moderation and ranking", frozenset({COMMISSIONER, CHAIR}), ":material/balance:"),
    Page("returns_review", "Returns review", frozenset({COMMISSIONER}), ":material/fact_check:"),
    Page("contracts", "Contracts", frozenset({COMMISSIONER}), ":material/handshake:"),
    Page("exports", "Exports", frozenset({COMMISSIONER}), ":material/picture_as_pdf:"),
    Page("returns", "Quarterly returns", frozenset({PROVIDER}), ":material/assignment:"),
)}


#: The page each role lands on after logging in.
HOME = {PUBLIC: "priorities", COMMISSIONER: "coverage", CHAIR: "moderation", PANEL: "scoring",
        PROVIDER: "bids"}


def role_of(user: User | None) -> str:
    return PUBLIC if user is None else user.role


def allowed_pages(role: str) -> list[str]:
    """Page ids the role may open, in menu order (an unknown role opens none)."""
    return [p.id for p in PAGES.values() if role in p.roles]


def home_page(role: str) -> str:
    return HOME.get(role, "priorities")


def can_open(role: str, page_id: str) -> bool:
    page = PAGES.get(page_id)
    return page is not None and role in page.roles


def can(user: User | None, action: str) -> bool:
    """Whether ``user`` may take ``action`` (a key of :data:`ACTIONS`) on the pages."""
    return role_of(user) in ACTIONS[action]


def require(user: User | None, page_id: str) -> User | None:
    """Return ``user`` if it may open ``page_id``; otherwise raise :class:`AccessDenied`.

    The one access check every page makes before showing anything.
    """
    if page_id not in PAGES:
        raise AccessDenied(f"There is no page {page_id!r}.")
    if can_open(role_of(user), page_id):
        return user
    page = PAGES[page_id]
    needed = " or ".join(ROLE_LABELS[r] for r in ROLES if r in page.roles)
    if user is None:
        raise AccessDenied(f"{page.title} is for signed-in users ({needed}). Please log in.")
    raise AccessDenied(f"{page.title} is open to {needed} accounts only; you are signed in as "
                       f"{ROLE_LABELS[user.role]}.")


# ------------------------------------------------------------------------------------------------
# Accounts (a thin layer over the store's users table; the store hashes with argon2id)
# ------------------------------------------------------------------------------------------------

def confirm_password(password: str, repeat: str) -> str:
    """A new password typed twice: the two must match and be long enough (InputError otherwise)."""
    if (password or "") != (repeat or ""):
        raise InputError("the two passwords differ", column="password",
                         expected="the same password typed twice")
    return check_password(password)


def check_role(role: str) -> str:
    if role not in ROLES:
        raise InputError(f"unknown role {role!r}", column="role", expected=f"one of {', '.join(ROLES)}")
    return role


def authenticate(store: Store, username: str, password: str, *, client: str | None = None) -> User | None:
    """The account if ``password`` matches its stored argon2 hash, else None (the same answer, in
    the same time, for an unknown user, a wrong password and an account without a password).

    ``client`` names where the attempt comes from (an IP address, else a browser session id):
    failed attempts are throttled per username and per client (``store.logins``), and
    :class:`LoginLocked` (an AccessDenied saying how long to wait) is raised while locked out.
    """
    if not username or not password:
        return None
    username, client = str(username).strip(), str(client or "unknown client")
    store.start_login(username, client)
    found = store.verify_password(username, password)
    ok = found is not None and found.role in ROLES
    store.finish_login(username, client, ok)
    return found if ok else None


def create_user(store: Store, username: str, role: str, password: str, *, by: str | None = None,
                display_name: str | None = None, organisation: str | None = None) -> User:
    """Create an account with an argon2 password hash.

    The first account of a store must be a commissioner (it then adds everyone else). Later
    accounts are added on behalf of commissioner ``by`` (default: the first commissioner), which
    the audit log records. Raises InputError for a bad username, role or password, or when the
    username is taken.
    """
    username, role = check_username(username), check_role(role)
    password = check_password(password, username)
    existing = store.account_list()
    if username in set(existing["username"]):
        raise InputError(f"user {username!r} exists already", column="username",
                         expected="a new username (or set a password with the store's set_password)")
    if existing.empty:
        if role != COMMISSIONER:
            raise InputError("the first account must be a commissioner", column="role",
                             expected="--role commissioner")
        made = store.create_user(username, password, role, display_name)
    else:
        made = store.add_member(_acting_commissioner(existing, by), username, role, password, display_name,
                                organisation)
    return made


def _acting_commissioner(existing: pd.DataFrame, by: str | None) -> str:
    commissioners = existing.loc[existing["role"] == COMMISSIONER]
    active = commissioners.loc[commissioners["active"], "username"]
    actor = by or (active.iloc[0] if len(active) else None)
    if actor is None:
        raise InputError("no active commissioner account", column="by",
                         expected="the username of an active commissioner")
    if actor not in set(active):
        state = "an active" if actor in set(commissioners["username"]) else "a"
        raise InputError(f"{actor!r} is not {state} commissioner", column="by",
                         expected="the username of an active commissioner")
    return actor


def set_password(store: Store, username: str, password: str, *, by: str | None = None) -> None:
    """Set an existing account's password (argon2), on behalf of commissioner ``by`` (default: the
    first commissioner). Raises InputError for an unknown user or a weak password."""
    password = check_password(password, username)
    existing = store.account_list()
    if username not in set(existing["username"]):
        raise InputError(f"no user {username!r}", column="username", expected="an existing username")
    store.set_password(_acting_commissioner(existing, by), username, password)


def ensure_admin(store: Store, env: dict | None = None) -> User | None:
    """First run: create the commissioner named by ``COMMISSIONING_ADMIN_USER`` with the password in
    ``COMMISSIONING_ADMIN_PASSWORD`` when that account does not exist. There is no default: with
    either variable unset nothing is created and None is returned. An existing account is left
    as it is (its password is not reset)."""
    env = os.environ if env is None else env
    username, password = env.get(ADMIN_USER_ENV, "").strip(), env.get(ADMIN_PASSWORD_ENV, "")
    if not username or not password:
        return None
    existing = store.account_list().set_index("username")
    if username in existing.index:
        return store.get_user(username)
    return create_user(store, username, COMMISSIONER, password)
