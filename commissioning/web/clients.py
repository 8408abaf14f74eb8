"""Who is signing in, for throttling (:mod:`commissioning.store.logins`), when the app runs behind
a reverse proxy.

``X-Forwarded-For`` is a list each proxy appends to: ``client, proxy1, proxy2``. Everything left of
what the trusted proxies appended is whatever the client sent, so the left-most entry is the one a
guesser controls. Configuration (environment):

- ``COMMISSIONING_BEHIND_PROXY=1``: the app is only reachable through trusted proxies;
- ``COMMISSIONING_PROXY_HOPS`` (default 1): how many trusted proxies append to the header; the
  client is the entry that many places from the right (one proxy: the right-most).
"""

from __future__ import annotations

PROXY_ENV = "COMMISSIONING_BEHIND_PROXY"
HOPS_ENV = "COMMISSIONING_PROXY_HOPS"


def proxy_hops(env) -> int:
    """How many trusted proxies the environment names (0 when not behind a proxy)."""
    if env.get(PROXY_ENV, "").strip() != "1":
        return 0
    try:
        return max(1, int(env.get(HOPS_ENV, "1")))
    except ValueError:
        return 1


def forwarded_client(header: str | None, hops: int) -> str | None:
    """The address the outermost trusted proxy saw: the entry ``hops`` from the right of an
    ``X-Forwarded-For`` header (None without a header or when not behind a proxy)."""
    entries = [e.strip() for e in (header or "").split(",") if e.strip()]
    if hops < 1 or not entries:
        return None
    return entries[-hops] if len(entries) >= hops else entries[0]
