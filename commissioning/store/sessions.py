"""Sign-in sessions and invitation links, kept in the store so that every tab, every app server
and the CLI see the same ones.

A session is a random token (``secrets.token_urlsafe(32)``, 256 bits); the store keeps only its
SHA-256, so a copy of the database signs nobody in. A session ends when it is unused for its idle
limit, at its absolute limit, when its user signs out (:meth:`SessionsMixin.end_session`: every tab
holding it is signed out on its next run) and when the account is deactivated (every session of
the account). An invitation is a one-time link token, hashed the same way, that lets the invitee
set a first password before it expires.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from sqlalchemy import select, update

from commissioning.errors import InputError
from commissioning.store.base import User, _now, require_action
from commissioning.store.policy import check_password
from commissioning.store.schema import invitations, sessions, users

IDLE_LIMIT = dt.timedelta(minutes=30)
ABSOLUTE_LIMIT = dt.timedelta(hours=12)
INVITATION_LIMIT = dt.timedelta(days=7)
#: ``last_seen`` is written at most this often, so that page runs do not queue behind one another
#: for a write each; the idle limit is kept to within this much.
TOUCH_EVERY = dt.timedelta(seconds=30)


def token_hash(token: str) -> str:
    """What the store keeps of a session or invitation token."""
    return hashlib.sha256(str(token).encode("utf-8")).hexdigest()


def _iso(when: dt.datetime) -> str:
    return when.isoformat(timespec="microseconds")


def _at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


class SessionsMixin:

    def create_session(self, user: User | str, *, idle: dt.timedelta = IDLE_LIMIT,
                       absolute: dt.timedelta = ABSOLUTE_LIMIT, now: dt.datetime | None = None) -> str:
        """Start a session for the active account ``user`` (its password already checked, e.g. by
        ``auth.authenticate``); return its token, which is shown nowhere and stored only hashed."""
        if idle <= dt.timedelta(0) or absolute <= dt.timedelta(0):
            raise InputError("session limits must be positive", column="session limits")
        now = _now(now)
        token = secrets.token_urlsafe(32)
        with self._write() as conn:
            actor = self._actor(conn, user)
            conn.execute(sessions.insert().values(
                token_hash=token_hash(token), user_id=actor.id, created_at=_iso(now), last_seen=_iso(now),
                expires_at=_iso(now + absolute), idle_seconds=int(idle.total_seconds())))
            self._audit(conn, actor, "session.start", f"session of {actor.username}", None,
                        {"idle_minutes": round(idle.total_seconds() / 60), "expires_at": _iso(now + absolute)})
        return token

    def session_user(self, token: str | None, *, now: dt.datetime | None = None, touch: bool = True) -> User | None:
        """The account a live session belongs to (and, with ``touch``, the session's use recorded),
        or None when the token is unknown, revoked, idle too long, past its limit or its account
        is deactivated."""
        if not token:
            return None
        now = _now(now)
        with self._read() as conn:
            row = conn.execute(select(sessions, users.c.username, users.c.role, users.c.display_name,
                                      users.c.organisation, users.c.active)
                               .join(users, users.c.id == sessions.c.user_id)
                               .where(sessions.c.token_hash == token_hash(token))).mappings().first()
        if row is None or row["revoked_at"] is not None or not row["active"]:
            return None
        last_seen = _at(row["last_seen"])
        if now >= _at(row["expires_at"]) or now - last_seen >= dt.timedelta(seconds=row["idle_seconds"]):
            return None
        if touch and now - last_seen >= TOUCH_EVERY:
            with self._write() as conn:
                conn.execute(update(sessions).where(sessions.c.id == row["id"], sessions.c.revoked_at.is_(None))
                             .values(last_seen=_iso(now)))
        return User(row["username"], row["role"], id=row["user_id"], display_name=row["display_name"],
                    organisation=row["organisation"] or "")

    def end_session(self, token: str | None) -> bool:
        """Sign out: revoke the session (every tab holding it is signed out). Returns whether a live
        session was ended."""
        if not token:
            return False
        with self._write() as conn:
            row = conn.execute(select(sessions).where(sessions.c.token_hash == token_hash(token))).mappings().first()
            if row is None or row["revoked_at"] is not None:
                return False
            conn.execute(update(sessions).where(sessions.c.id == row["id"]).values(revoked_at=_iso(_now(None))))
            user = _user_by_id(conn, row["user_id"])
            self._audit(conn, user, "session.end", f"session of {user.username}", None, {"reason": "signed out"})
        return True

    def end_all_sessions(self, actor: User | str, username: str) -> int:
        """End every live session of ``username``: one's own, or anyone's for a role that manages
        accounts. Returns how many were ended."""
        with self._write() as conn:
            actor = self._actor(conn, actor)
            if actor.username != username:
                require_action(actor, "manage_accounts")
            target = self._user(conn, username)
            return self._end_sessions(conn, actor, target, "ended by " + actor.username)

    def _end_sessions(self, conn, actor: User | None, target: User, reason: str) -> int:
        ended = conn.execute(update(sessions).where(sessions.c.user_id == target.id, sessions.c.revoked_at.is_(None))
                             .values(revoked_at=_iso(_now(None)))).rowcount
        if ended:
            self._audit(conn, actor, "session.end_all", f"sessions of {target.username}", None,
                        {"ended": ended, "reason": reason})
        return ended

    # -- invitations -----------------------------------------------------------------------------

    def invite_user(self, actor: User | str, username: str, role: str, *, display_name: str | None = None,
                    organisation: str | None = None, email: str | None = None,
                    valid_for: dt.timedelta = INVITATION_LIMIT, now: dt.datetime | None = None) -> str:
        """Add an account without a password and return a one-time invitation token with which the
        invitee sets one (before ``valid_for`` runs out). Inviting an existing account that has
        never set a password issues a new token and cancels the old one."""
        now = _now(now)
        token = secrets.token_urlsafe(32)
        with self._write() as conn:
            actor = self._actor(conn, actor, "manage_accounts")
            existing = conn.execute(select(users).where(users.c.username == str(username).strip())).mappings().first()
            if existing is None:
                target = self._insert_user(conn, actor, username, role, None, display_name, organisation)
            elif existing["password_hash"] is None and existing["role"] == role:
                target = User.from_row(existing)
                conn.execute(update(invitations).where(invitations.c.user_id == target.id,
                                                       invitations.c.used_at.is_(None)).values(used_at=_iso(now)))
            else:
                raise InputError(f"user {existing['username']!r} exists already", column="username",
                                 expected="a new username, or an invited account that has not set a password")
            conn.execute(invitations.insert().values(
                token_hash=token_hash(token), user_id=target.id, email=(email or "").strip() or None,
                created_by=actor.id, created_at=_iso(now), expires_at=_iso(now + valid_for)))
            self._audit(conn, actor, "user.invite", f"user {target.username}", None,
                        {"role": target.role, "expires_at": _iso(now + valid_for),
                         "email": bool((email or "").strip())})
        return token

    def invitation_user(self, token: str | None, *, now: dt.datetime | None = None) -> User | None:
        """The account an unused, unexpired invitation is for, or None."""
        if not token:
            return None
        with self._read() as conn:
            row = self._live_invitation(conn, token, _now(now))
            return None if row is None else _user_by_id(conn, row["user_id"])

    def accept_invitation(self, token: str, password: str, *, now: dt.datetime | None = None) -> User:
        """Set the invitee's first password through the link (once); return the account."""
        now = _now(now)
        with self._write() as conn:
            row = self._live_invitation(conn, token, now)
            if row is None:
                raise InputError("this invitation link has expired or has been used already",
                                 expected="a new invitation from a commissioner")
            target = _user_by_id(conn, row["user_id"])
            check_password(password, target.username)
            conn.execute(update(users).where(users.c.id == target.id).values(password_hash=self._hasher.hash(password)))
            conn.execute(update(invitations).where(invitations.c.id == row["id"]).values(used_at=_iso(now)))
            self._audit(conn, target, "user.invite.accept", f"user {target.username}", None, {"password": "set"})
        return target

    def _live_invitation(self, conn, token: str, now: dt.datetime):
        row = conn.execute(select(invitations, users.c.active).join(users, users.c.id == invitations.c.user_id)
                           .where(invitations.c.token_hash == token_hash(token))).mappings().first()
        if row is None or row["used_at"] is not None or not row["active"] or now >= _at(row["expires_at"]):
            return None
        return row


def _user_by_id(conn, user_id: int) -> User:
    return User.from_row(conn.execute(select(users).where(users.c.id == user_id)).mappings().one())
