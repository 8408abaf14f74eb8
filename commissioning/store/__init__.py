"""The store: one database for accounts, rounds, bids, the panel, scores, moderation and the audit log.

``open_store(path_or_url)`` gives a :class:`Store`; each concern is a module of its own
(``users``, ``rounds``, ``panel``, ``scores``, ``audit``) over the plumbing in ``base`` and the
tables and migrations in ``schema``. The rules the store enforces are listed in ``database``.
"""

from commissioning.organisations import names_match, organisation_key, organisation_keys
from commissioning.store.base import ROLE_LABELS, ROLES, SCORING_ROLES, STATES, User
from commissioning.store.database import Store, open_store
from commissioning.store.logins import LoginLocked
from commissioning.store.migrations import MIGRATIONS

__all__ = ["LoginLocked", "MIGRATIONS", "ROLE_LABELS", "ROLES", "SCORING_ROLES", "STATES", "Store", "User",
           "names_match", "open_store", "organisation_key", "organisation_keys"]
