"""Accounts in the store: the first commissioner, members, passwords (argon2id), deactivation."""

from __future__ import annotations

import secrets

import pandas as pd
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import (
    Boolean,
    func,
    insert,
    select,
    update,
)

from commissioning.errors import AccessDenied, InputError, StoreError
from commissioning.store.base import ROLES, User, utc_now
from commissioning.store.policy import as_typed, check_password, check_username
from commissioning.store.schema import users


class UsersMixin:
    _dummy: str | None = None   # an argon2 hash of a random secret, made once per process

    def create_user(self, username: str, password: str, role: str = "commissioner",
                    display_name: str | None = None) -> User:
        """Create the first account (bootstrap); afterwards a commissioner uses :meth:`add_member`."""
        with self._write() as conn:
            if conn.execute(select(func.count()).select_from(users)).scalar():
                raise AccessDenied("accounts exist already: a commissioner adds members")
            return self._insert_user(conn, None, username, role, password, display_name)

    def add_member(self, actor: User | str, username: str, role: str = "panel",
                   password: str | None = None, display_name: str | None = None,
                   organisation: str | None = None) -> User:
        """Add an account (commissioner only). Without a password the member cannot sign in yet.
        A ``provider`` account (a support organisation's) names its ``organisation``."""
        with self._write() as conn:
            actor = self._actor(conn, actor, "manage_accounts")
            return self._insert_user(conn, actor, username, role, password, display_name, organisation)

    def _insert_user(self, conn, actor, username, role, password, display_name, organisation=None) -> User:
        username = check_username(username)
        organisation = str(organisation or "").strip()
        if password:
            check_password(password, username)
        if role not in ROLES:
            raise InputError(f"unknown role {role!r}", column="role", expected=", ".join(ROLES))
        if role == "provider" and not organisation:
            raise InputError("a support organisation's account needs the organisation's name",
                             column="organisation")
        # Case-insensitively: "Pat" and "pat" would share a sign-in throttle and confuse people.
        taken = conn.execute(select(users.c.username).where(
            func.lower(users.c.username) == username.lower())).scalar()
        if taken:
            raise StoreError(f"user {username!r} exists already" + (f" (as {taken!r})" if taken != username else ""))
        digest = self._hasher.hash(password) if password else None
        uid = conn.execute(insert(users).values(
            username=username, display_name=display_name or username, role=role,
            password_hash=digest, created_at=utc_now(), organisation=organisation or None)).inserted_primary_key[0]
        self._audit(conn, actor, "user.add", f"user {username}", None,
                    {"role": role} | ({"organisation": organisation} if organisation else {}))
        return User(username, role, id=uid, display_name=display_name or username, organisation=organisation)

    def set_password(self, actor: User | str, username: str, password: str) -> None:
        """Set a password: one's own, or anyone's for a commissioner. Refused (InputError) when
        :mod:`~commissioning.store.policy` finds it weak."""
        check_password(password, username)
        with self._write() as conn:
            actor = self._actor(conn, actor)
            if actor.username != username and actor.role != "commissioner":
                raise AccessDenied("only a commissioner sets another member's password")
            target = self._user(conn, username)
            conn.execute(update(users).where(users.c.id == target.id)
                         .values(password_hash=self._hasher.hash(password)))
            self._audit(conn, actor, "user.password", f"user {username}")

    def verify_password(self, username: str, password: str) -> User | None:
        """The user if ``password`` matches their argon2 hash, else None (rehashes outdated hashes).

        An unknown user, an account without a password and a deactivated one are checked against
        a dummy hash, so the time taken does not tell which usernames exist."""
        with self._read() as conn:
            row = conn.execute(select(users).where(users.c.username == as_typed(username))).mappings().first()
        usable = row is not None and bool(row["password_hash"]) and bool(row["active"])
        try:
            self._hasher.verify(row["password_hash"] if usable else self._dummy_hash(), password)
        except (VerificationError, InvalidHashError):
            return None
        if not usable:
            return None
        if self._hasher.check_needs_rehash(row["password_hash"]):
            with self._write() as conn:
                conn.execute(update(users).where(users.c.id == row["id"])
                             .values(password_hash=self._hasher.hash(password)))
        return User.from_row(row)

    def _dummy_hash(self) -> str:
        if UsersMixin._dummy is None:
            UsersMixin._dummy = self._hasher.hash(secrets.token_hex(16))
        return UsersMixin._dummy

    def active_user(self, username: str) -> User | None:
        """The account as stored now (its current role), or None when it is unknown or
        deactivated: what an app session re-reads on every page run."""
        with self._read() as conn:
            row = conn.execute(select(users).where(users.c.username == str(username))).mappings().first()
        return User.from_row(row) if row is not None and row["active"] else None

    def get_user(self, username: str) -> User:
        with self._read() as conn:
            return self._user(conn, username)

    def accounts(self, actor: User | str) -> pd.DataFrame:
        """Every account (commissioner or chair): username, display_name, role, active (bool).
        No password hashes."""
        with self._read() as conn:
            self._actor(conn, actor, "view_accounts")
            rows = conn.execute(select(users.c.username, users.c.display_name, users.c.role,
                                       users.c.active).order_by(users.c.id)).mappings().all()
        frame = pd.DataFrame(rows, columns=["username", "display_name", "role", "active"])
        return frame.astype({"active": bool})

    def account_list(self) -> pd.DataFrame:
        """Every account for set-up on the server side (first run, the ``users`` command, panel
        set-up): username, display_name, role, active, can_sign_in (has a password), created_at.
        No hashes."""
        with self._read() as conn:
            rows = conn.execute(select(users.c.username, users.c.display_name, users.c.role,
                                       users.c.active.cast(Boolean).label("active"),
                                       users.c.password_hash.isnot(None).label("can_sign_in"),
                                       users.c.created_at, users.c.organisation)
                                .order_by(users.c.id)).mappings().all()
        frame = pd.DataFrame(rows, columns=["username", "display_name", "role", "active", "can_sign_in",
                                            "created_at", "organisation"])
        return frame.fillna({"organisation": ""})

    def deactivate_user(self, actor: User | str, username: str, note: str) -> None:
        """Deactivate an account (commissioner), e.g. a member who leaves the panel; ``note`` says
        why. The account can no longer sign in, act or be assigned bids; its record, assignments
        and scores stay (the scores still count in the ranking); its sessions end at once. The
        last active commissioner cannot be deactivated."""
        if not str(note or "").strip():
            raise InputError("deactivating an account needs a note saying why", column="note")
        with self._write() as conn:
            actor = self._actor(conn, actor, "manage_accounts")
            target = self._user_row(conn, username)
            if not target["active"]:
                raise StoreError(f"{target['username']} is already deactivated")
            if target["role"] == "commissioner":
                active_commissioners = conn.execute(
                    select(func.count()).select_from(users)
                    .where(users.c.role == "commissioner", users.c.active == 1)).scalar()
                if active_commissioners <= 1:
                    raise StoreError(f"{target['username']} is the last active commissioner: "
                                     "add or reactivate another commissioner first")
            conn.execute(update(users).where(users.c.id == target["id"]).values(active=0))
            self._audit(conn, actor, "user.deactivate", f"user {target['username']}",
                        {"active": True}, {"active": False, "note": str(note).strip()})
            self._end_sessions(conn, actor, User.from_row(target), "account deactivated")

    def reactivate_user(self, actor: User | str, username: str) -> None:
        """Let a deactivated account sign in and be assigned bids again (commissioner)."""
        with self._write() as conn:
            actor = self._actor(conn, actor, "manage_accounts")
            target = self._user_row(conn, username)
            if target["active"]:
                raise StoreError(f"{target['username']} is active already")
            conn.execute(update(users).where(users.c.id == target["id"]).values(active=1))
            self._audit(conn, actor, "user.reactivate", f"user {target['username']}",
                        {"active": False}, {"active": True})
