"""Sign-in throttling, kept in the store so every app server behind one database shares it.

Failed sign-ins are counted per username and per client (an IP address or a browser session).
After ``FREE_ATTEMPTS`` failures in a row, each further attempt waits: 30 s, then double after
each further failure, at most 15 minutes (the NCSC's advice is to throttle or lock out rather than
let guessing run at full speed). A success clears the username's count; counts left alone for
``WINDOW_S`` start again from zero. Unknown usernames are counted like real ones, so a lock-out
tells nothing about which accounts exist. Every sign-in, failed and successful, is audited.

An attempt is counted *before* the password is checked (:meth:`LoginsMixin.start_login`), so many
parallel guesses cannot slip past the limit; :meth:`LoginsMixin.finish_login` then records the
outcome.
"""

from __future__ import annotations

import math
import time

from sqlalchemy import delete, insert, select, update

from commissioning.errors import AccessDenied
from commissioning.store.policy import as_typed
from commissioning.store.schema import login_throttle, users

FREE_ATTEMPTS = {"username": 5, "client": 20}   # a client may be a shared office address
BASE_LOCK_S, MAX_LOCK_S, WINDOW_S = 30.0, 900.0, 900.0


class LoginLocked(AccessDenied):
    """Too many failed sign-ins: ``retry_after`` seconds to wait."""

    def __init__(self, retry_after: float):
        self.retry_after = retry_after
        minutes = max(1, math.ceil(retry_after / 60))
        super().__init__("Too many failed sign-ins. Try again in "
                         f"{minutes} minute{'s' if minutes != 1 else ''}.")


def lock_seconds(failures: int, kind: str) -> float:
    """How long the next attempt waits after ``failures`` failures in a row (0 while free)."""
    over = failures - FREE_ATTEMPTS[kind]
    return 0.0 if over < 0 else min(BASE_LOCK_S * 2 ** over, MAX_LOCK_S)


def _subjects(username: str, client: str) -> list[tuple[str, str]]:
    return [("username", as_typed(username).strip().casefold()[:300]), ("client", as_typed(client)[:300])]


class LoginsMixin:

    def start_login(self, username: str, client: str, *, now: float | None = None) -> None:
        """Count a sign-in attempt for ``username`` from ``client`` before its password is checked;
        raise :class:`LoginLocked` (counting nothing) while either is locked out."""
        now = time.time() if now is None else now
        with self._write() as conn:
            rows = {}
            for kind, subject in _subjects(username, client):
                rows[kind, subject] = conn.execute(select(login_throttle).where(
                    login_throttle.c.kind == kind, login_throttle.c.subject == subject)).mappings().first()
            waits = [r["locked_until"] - now for r in rows.values() if r is not None]
            if waits and max(waits) > 0:
                raise LoginLocked(max(waits))
            for (kind, subject), row in rows.items():
                fresh = row is None or now - row["last_failure"] > WINDOW_S
                failures = 1 if fresh else row["failures"] + 1
                wait = lock_seconds(failures, kind)
                values = {"failures": failures, "last_failure": now, "locked_until": now + wait if wait else 0.0}
                if row is None:
                    conn.execute(insert(login_throttle).values(kind=kind, subject=subject, **values))
                else:
                    conn.execute(update(login_throttle).where(
                        login_throttle.c.kind == kind, login_throttle.c.subject == subject).values(**values))

    def finish_login(self, username: str, client: str, succeeded: bool) -> None:
        """Record how the attempt :meth:`start_login` counted ended: a success clears the
        username's count (and its lock); a failure stays counted. Both are audited."""
        (_, user_key), (_, client_key) = _subjects(username, client)
        with self._write() as conn:
            typed = as_typed(username).strip()
            known = conn.execute(select(users.c.id).where(users.c.username == typed)).first()
            name = typed if known else "(unknown username)"
            if succeeded:
                conn.execute(delete(login_throttle).where(login_throttle.c.kind == "username",
                                                          login_throttle.c.subject == user_key))
                self._uncount_client(conn, client_key)
                self._audit(conn, self._user(conn, name), "login", f"sign-in {name}", None,
                            {"client": client_key})
                return
            counts = {r["kind"]: r for r in conn.execute(select(login_throttle).where(
                ((login_throttle.c.kind == "username") & (login_throttle.c.subject == user_key))
                | ((login_throttle.c.kind == "client") & (login_throttle.c.subject == client_key))
            )).mappings()}
            detail = {"client": client_key}
            for kind, row in counts.items():
                detail[f"{kind}_failures"] = row["failures"]
                if row["locked_until"] > row["last_failure"]:
                    detail[f"{kind}_locked_s"] = round(row["locked_until"] - row["last_failure"])
            self._audit(conn, None, "login.locked" if any(k.endswith("_locked_s") for k in detail)
                        else "login.failed", f"sign-in {name}", None, detail)

    def _uncount_client(self, conn, client_key: str) -> None:
        # start_login counted the attempt as a failure; a success takes that back, so an office
        # where many people sign in from one address is not locked out by its own successes.
        row = conn.execute(select(login_throttle).where(
            login_throttle.c.kind == "client", login_throttle.c.subject == client_key)).mappings().first()
        if row is not None:
            failures = max(row["failures"] - 1, 0)
            wait = lock_seconds(failures, "client")
            conn.execute(update(login_throttle).where(
                login_throttle.c.kind == "client", login_throttle.c.subject == client_key).values(
                failures=failures, locked_until=min(row["locked_until"], row["last_failure"] + wait) if wait else 0.0))
