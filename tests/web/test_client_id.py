"""Issue 22, item 13: behind a proxy the client is the X-Forwarded-For entry the trusted proxy
appended, not the left-most one the client writes itself (22 of 22 spoofed sign-ins escaped the
per-client limit)."""

from __future__ import annotations

import pytest

from commissioning.web.clients import forwarded_client, proxy_hops


def test_the_entry_the_trusted_proxy_appended_is_the_client():
    spoofed = "203.0.113.7, 198.51.100.20"        # the client wrote the first, the proxy appended the second
    assert forwarded_client(spoofed, 1) == "198.51.100.20"
    assert forwarded_client("1.1.1.1, 2.2.2.2, 198.51.100.20, 10.0.0.2", 2) == "198.51.100.20"
    assert forwarded_client("198.51.100.20", 2) == "198.51.100.20"   # fewer entries than hops
    assert forwarded_client("", 1) is None and forwarded_client(None, 1) is None
    assert forwarded_client(spoofed, 0) is None                         # not behind a proxy: ignored


def test_hops_come_from_the_environment():
    assert proxy_hops({}) == 0
    assert proxy_hops({"COMMISSIONING_BEHIND_PROXY": "1"}) == 1
    assert proxy_hops({"COMMISSIONING_BEHIND_PROXY": "1", "COMMISSIONING_PROXY_HOPS": "2"}) == 2
    assert proxy_hops({"COMMISSIONING_BEHIND_PROXY": "1", "COMMISSIONING_PROXY_HOPS": "x"}) == 1
    assert proxy_hops({"COMMISSIONING_PROXY_HOPS": "2"}) == 0


def test_spoofed_left_entries_all_count_as_one_client(tmp_path):
    from commissioning import auth
    from commissioning.store import open_store
    from commissioning.store.logins import FREE_ATTEMPTS, LoginLocked

    store = open_store(tmp_path / "s.sqlite")
    store.create_user("boss", "lantern orbit meadow 42")
    for i in range(FREE_ATTEMPTS["client"]):
        client = forwarded_client(f"192.0.2.{i}, 198.51.100.20", 1)
        auth.authenticate(store, f"guess{i}", "not the password", client=f"ip:{client}")
    with pytest.raises(LoginLocked):
        auth.authenticate(store, "guess-last", "not the password",
                          client=f"ip:{forwarded_client('192.0.2.99, 198.51.100.20', 1)}")
