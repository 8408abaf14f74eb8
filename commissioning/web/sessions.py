"""How a sign-in reaches the browser: an HttpOnly, SameSite=Strict cookie holding the session token.

Streamlit 1.67 reads cookies (``st.context.cookies``, from the WebSocket handshake) but a page run
cannot set one: it has no HTTP response of its own, and JavaScript can set only cookies that
scripts can read back. So the app runs as an ``st.App`` (``serve.py``) with two small routes of its
own, :func:`routes`:

- ``POST /api/session`` takes a one-time hand-over code (random, single use, 60 seconds, kept in
  this server process only, :data:`HANDOVERS`) and answers with ``Set-Cookie`` for the session token
  the code stands for; the page that signed in fetches it once. The token itself never reaches a
  script or a URL.
- ``POST /api/signout`` clears the cookie. Signing out revokes the session in the store anyway, so
  a stale cookie signs nobody in.

Both refuse a request whose ``Origin`` is another site. No Streamlit import here (the library's
rule); Starlette is what ``st.App`` serves routes with.
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
import threading
import time
from dataclasses import dataclass

from commissioning.errors import InputError

COOKIE = "commissioning_session"
SESSION_PATH = "/api/session"
SIGNOUT_PATH = "/api/signout"
IDLE_ENV = "COMMISSIONING_SESSION_IDLE_MINUTES"
MAX_ENV = "COMMISSIONING_SESSION_MAX_HOURS"
DEFAULT_IDLE_MINUTES, DEFAULT_MAX_HOURS = 30, 12
HANDOVER_SECONDS = 60


@dataclass(frozen=True)
class Limits:
    idle: dt.timedelta
    absolute: dt.timedelta


def limits(env: dict | None = None) -> Limits:
    """The session limits: ``COMMISSIONING_SESSION_IDLE_MINUTES`` (default 30) without use, and
    ``COMMISSIONING_SESSION_MAX_HOURS`` (default 12) in all. InputError for a value that is not a
    positive number."""
    env = os.environ if env is None else env
    values = []
    for name, default in ((IDLE_ENV, DEFAULT_IDLE_MINUTES), (MAX_ENV, DEFAULT_MAX_HOURS)):
        text = str(env.get(name, "")).strip()
        try:
            value = float(text) if text else float(default)
        except ValueError:
            value = float("nan")
        if not value > 0 or value == float("inf"):
            raise InputError(f"{name}={text!r}", column=name, expected="a positive number")
        values.append(value)
    return Limits(dt.timedelta(minutes=values[0]), dt.timedelta(hours=values[1]))


class Handovers:
    """One-time codes standing for session tokens, for :data:`HANDOVER_SECONDS`, in this process."""

    def __init__(self, seconds: float = HANDOVER_SECONDS):
        self._seconds = seconds
        self._codes: dict[str, tuple[str, int, float]] = {}
        self._lock = threading.Lock()

    def issue(self, token: str, max_age: int) -> str:
        code = secrets.token_urlsafe(32)
        now = time.monotonic()
        with self._lock:
            self._codes = {c: v for c, v in self._codes.items() if v[2] > now}
            self._codes[code] = (token, int(max_age), now + self._seconds)
        return code

    def claim(self, code: str) -> tuple[str, int] | None:
        """(token, cookie lifetime in seconds) for a live code, once; None otherwise."""
        with self._lock:
            found = self._codes.pop(str(code), None)
        if found is None or found[2] <= time.monotonic():
            return None
        return found[0], found[1]


HANDOVERS = Handovers()
_mounted = threading.Event()


def routes_mounted() -> bool:
    """Whether this server process serves :func:`routes` (``streamlit run serve.py``); without them
    (``streamlit run app.py``) a sign-in lasts only as long as its tab."""
    return _mounted.is_set()


def _same_origin(request) -> bool:
    origin = request.headers.get("origin")
    if origin is None:
        return True
    host = request.headers.get("host", "")
    return origin.split("://", 1)[-1].rstrip("/") == host


def routes() -> list:
    """The two routes (Starlette) that set and clear the session cookie."""
    from starlette.responses import Response
    from starlette.routing import Route

    async def start(request):
        if not _same_origin(request):
            return Response("cross-site request refused", status_code=403)
        claimed = HANDOVERS.claim((await request.body()).decode("ascii", "replace").strip())
        if claimed is None:
            return Response("unknown or expired hand-over code", status_code=400)
        token, max_age = claimed
        response = Response(status_code=204, headers={"Cache-Control": "no-store"})
        response.set_cookie(COOKIE, token, max_age=max_age, path="/", httponly=True, samesite="strict",
                            secure=request.url.scheme == "https")
        return response

    async def signout(request):
        if not _same_origin(request):
            return Response("cross-site request refused", status_code=403)
        response = Response(status_code=204, headers={"Cache-Control": "no-store"})
        response.delete_cookie(COOKIE, path="/", httponly=True, samesite="strict",
                               secure=request.url.scheme == "https")
        return response

    _mounted.set()
    return [Route(SESSION_PATH, start, methods=["POST"]), Route(SIGNOUT_PATH, signout, methods=["POST"])]


def cookie_script(path: str, body: str = "") -> str:
    """The script a page runs once to call one of the routes (``body``: a hand-over code, which is
    URL-safe base64 and so needs no escaping)."""
    if body and not all(c.isalnum() or c in "-_" for c in body):
        raise ValueError("a hand-over code is URL-safe base64")
    return (f"<script>fetch('{path}', {{method: 'POST', credentials: 'same-origin', "
            f"body: '{body}'}});</script>")
