"""The panel store: rounds, lots, bids, panel members, assignments, conflicts, scores, moderation, audit.

An embedded SQLite database by default (``open_store("panel.sqlite")``) or PostgreSQL
(``open_store("postgresql+psycopg://user@host/db")``). Every write runs in one transaction; on SQLite the database is
in WAL mode with a busy timeout and writes take ``BEGIN IMMEDIATE`` so concurrent writers queue
instead of failing, and ``synchronous=FULL`` so a committed score survives a crash.

Schema migrations are versioned without alembic (one small schema, one embedded database): the
``schema_version`` table records the applied steps and :data:`MIGRATIONS` lists them in order; the
missing ones run in a single transaction when a store is opened.

Rules the API enforces (the acting user is always a parameter and is re-read from the database):

- roles: ``commissioner`` (sets up rounds, members, assignments; opens moderation; locks),
  ``chair`` (moderates, may also score), ``panel`` (scores), ``public`` (no panel access);
- a scorer with a declared conflict of interest cannot be assigned to, see or score that
  organisation's bids; declaring one withdraws existing assignments and scores for it;
- a scorer sees and changes only their own scores; all scores are visible to the chair and
  commissioner only once moderation is open;
- taking an assignment back withdraws the member's scores for that bid (audited with the old
  values); once moderation is open only when the caller says so (``withdraw_scores=True``);
- a deactivated account cannot sign in or act, gets no new assignments, and keeps its scores
  (they still count); the last active commissioner cannot be deactivated;
- every score needs a comment, every moderation decision a note;
- the round moves ``scoring`` -> ``moderation`` -> ``locked``; once locked nothing changes;
- a round created by ``publish_round`` keeps its rules' text and SHA-256 and has a deadline: bids
  are taken in the bidding window only (late ones refused and logged) and are sealed until the
  deadline (only the submitting provider sees a bid's content); conflicts are matched against every
  organisation of a bid (lead and consortium partners);
- scoring closes while moderation is open (the commissioner may reopen it, audited); the lock is
  refused while a bid in the running has a flag (abnormally low price, unmoderated spread) without
  a recorded decision;
- a scorer or chair with a declared conflict of interest cannot see the panel's scores of, score
  or moderate that organisation's bids (names matched as :mod:`.organisations` says, consortium
  members included);
- passwords and usernames follow :mod:`.policy` (NCSC: length and a deny-list); sign-ins are
  throttled per username and per client (:mod:`.logins`);
- every change appends to the audit log (who, what, when, old and new value), a SHA-256 hash
  chain that the database refuses to update, delete or replace (SQLite triggers, PostgreSQL
  trigger function); ``python -m commissioning audit verify`` checks it.

PostgreSQL (``postgresql+psycopg://...``) is tested like SQLite; there every write transaction
takes one advisory lock, so writers queue as on SQLite.
"""

from __future__ import annotations

from pathlib import Path

from commissioning.store.audit import AuditMixin
from commissioning.store.base import StoreBase, make_engine
from commissioning.store.clarifications import ClarificationsMixin
from commissioning.store.contracts import ContractsMixin
from commissioning.store.demo import DemoMixin
from commissioning.store.intake import IntakeMixin
from commissioning.store.logins import LoginsMixin
from commissioning.store.outcomes import OutcomesMixin
from commissioning.store.panel import PanelMixin
from commissioning.store.returns import ReturnsMixin
from commissioning.store.review import ReviewMixin
from commissioning.store.rounds import RoundsMixin
from commissioning.store.scores import ScoresMixin
from commissioning.store.sessions import SessionsMixin
from commissioning.store.users import UsersMixin


class Store(IntakeMixin, ReviewMixin, ClarificationsMixin, OutcomesMixin, UsersMixin, LoginsMixin, RoundsMixin,
            PanelMixin, ScoresMixin, ReturnsMixin, ContractsMixin, SessionsMixin, DemoMixin,
            AuditMixin, StoreBase):
    """Panel workflow over one database. Use :func:`open_store` to get one."""


def open_store(url_or_path: str | Path) -> Store:
    """Open (and create or migrate) a store: a file path for SQLite, or a SQLAlchemy URL."""
    store = Store(make_engine(url_or_path))
    store.migrate()
    store._dummy_hash()   # made now, so the first unknown-user sign-in takes no longer than the others
    return store
