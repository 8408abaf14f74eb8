"""Issue 21: sign-in sessions and invitations in the store, on SQLite and PostgreSQL (``db_url``):
a session lasts across page runs, ends when idle too long, at its absolute limit, on sign-out (every
holder of the token) and when the account is deactivated; tokens are kept only as SHA-256; an
invitation link sets a first password once, before it expires."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from sqlalchemy import select

from commissioning.errors import AccessDenied, InputError
from commissioning.store import open_store
from commissioning.store.schema import audit, invitations, sessions

BOSS_PW = "correct horse battery staple"
MEMBER_PW = "gavel-quiet-lantern"
T0 = dt.datetime(2027, 3, 1, 9, 0, tzinfo=dt.UTC)


@pytest.fixture()
def store(db_url):
    store = open_store(db_url)
    boss = store.create_user("boss", BOSS_PW)
    store.add_member(boss, "pat", role="panel", password=MEMBER_PW)
    yield store
    store.close()


def _actions(store) -> list[str]:
    with store._read() as conn:
        return list(conn.execute(select(audit.c.action).order_by(audit.c.id)).scalars())


def test_a_session_lasts_while_used_and_ends_when_idle(store):
    token = store.create_session("pat", idle=dt.timedelta(minutes=30), now=T0)
    assert store.session_user(token, now=T0 + dt.timedelta(minutes=29)).username == "pat"
    # used at 09:29, so still live at 09:58 (29 minutes idle), then idle from 09:58 to 10:28
    assert store.session_user(token, now=T0 + dt.timedelta(minutes=58)).role == "panel"
    assert store.session_user(token, now=T0 + dt.timedelta(minutes=87)) is not None
    assert store.session_user(token, now=T0 + dt.timedelta(minutes=87 + 30)) is None
    assert store.session_user("not-a-token", now=T0) is None
    assert store.session_user(None) is None


def test_a_session_ends_at_its_absolute_limit_however_busy(store):
    token = store.create_session("pat", idle=dt.timedelta(minutes=30), absolute=dt.timedelta(hours=12), now=T0)
    for minutes in range(20, 12 * 60, 20):   # used every 20 minutes all day
        assert store.session_user(token, now=T0 + dt.timedelta(minutes=minutes)) is not None, minutes
    assert store.session_user(token, now=T0 + dt.timedelta(hours=12)) is None


def test_signing_out_ends_the_session_for_every_holder_and_is_audited(store):
    token = store.create_session("pat", now=T0)
    other = store.create_session("pat", now=T0)    # another browser
    assert store.end_session(token) is True
    assert store.session_user(token, now=T0) is None
    assert store.end_session(token) is False       # already ended
    assert store.session_user(other, now=T0).username == "pat"
    assert _actions(store)[-3:] == ["session.start", "session.start", "session.end"]


def test_deactivating_an_account_ends_all_its_sessions(store):
    tokens = [store.create_session("pat", now=T0) for _ in range(3)]
    boss = store.create_session("boss", now=T0)
    store.deactivate_user("boss", "pat", "left the panel")
    assert [store.session_user(t, now=T0) for t in tokens] == [None, None, None]
    assert store.session_user(boss, now=T0).username == "boss"
    store.reactivate_user("boss", "pat")
    assert [store.session_user(t, now=T0) for t in tokens] == [None, None, None]   # reactivation revives none
    assert "session.end_all" in _actions(store)


def test_only_a_manager_ends_someone_elses_sessions(store):
    token = store.create_session("boss", now=T0)
    with pytest.raises(AccessDenied):
        store.end_all_sessions("pat", "boss")
    assert store.end_all_sessions("pat", "pat") == 0
    assert store.end_all_sessions("boss", "boss") == 1
    assert store.session_user(token, now=T0) is None


def test_tokens_are_stored_only_as_their_sha256(store, db_url):
    token = store.create_session("pat", now=T0)
    invite = store.invite_user("boss", "sam", "chair", now=T0)
    assert len(token) >= 43 and len(invite) >= 43     # 32 random bytes, URL-safe base64
    with store._read() as conn:
        kept = [r.token_hash for r in conn.execute(select(sessions.c.token_hash))]
        kept += [r.token_hash for r in conn.execute(select(invitations.c.token_hash))]
        dumped = " ".join(str(tuple(r)) for table in (sessions, invitations, audit)
                          for r in conn.execute(select(table)))
    assert kept == [hashlib.sha256(token.encode()).hexdigest(), hashlib.sha256(invite.encode()).hexdigest()]
    assert token not in dumped and invite not in dumped


def test_a_deactivated_account_cannot_start_a_session(store):
    store.deactivate_user("boss", "pat", "left")
    with pytest.raises(AccessDenied):
        store.create_session("pat", now=T0)


def test_an_invitation_sets_a_first_password_once_before_it_expires(store):
    token = store.invite_user("boss", "refuge_lead", "provider", organisation="Safe Haven Refuges",
                              email="lead@example.org", valid_for=dt.timedelta(days=7), now=T0)
    assert store.verify_password("refuge_lead", MEMBER_PW) is None          # no password yet
    assert store.invitation_user(token, now=T0 + dt.timedelta(days=6)).organisation == "Safe Haven Refuges"
    assert store.invitation_user(token, now=T0 + dt.timedelta(days=7)) is None   # expired
    with pytest.raises(InputError, match="at least"):
        store.accept_invitation(token, "short", now=T0)
    user = store.accept_invitation(token, MEMBER_PW, now=T0 + dt.timedelta(days=1))
    assert user.username == "refuge_lead" and store.verify_password("refuge_lead", MEMBER_PW) == user
    with pytest.raises(InputError, match="expired or has been used"):
        store.accept_invitation(token, "another-long-passphrase", now=T0 + dt.timedelta(days=1))
    assert {"user.invite", "user.invite.accept"} <= set(_actions(store))


def test_an_expired_invitation_is_refused_and_a_new_one_replaces_the_old(store):
    first = store.invite_user("boss", "sam", "chair", valid_for=dt.timedelta(hours=48), now=T0)
    with pytest.raises(InputError, match="expired"):
        store.accept_invitation(first, MEMBER_PW, now=T0 + dt.timedelta(hours=48))
    second = store.invite_user("boss", "sam", "chair", now=T0 + dt.timedelta(hours=49))
    assert store.invitation_user(first, now=T0) is None                    # cancelled by the new one
    assert store.accept_invitation(second, MEMBER_PW, now=T0 + dt.timedelta(hours=50)).role == "chair"
    with pytest.raises(InputError, match="exists already"):                # has a password now
        store.invite_user("boss", "sam", "chair", now=T0 + dt.timedelta(hours=51))


def test_only_a_commissioner_invites(store):
    with pytest.raises(AccessDenied):
        store.invite_user("pat", "eve", "commissioner", now=T0)


def test_a_tab_checking_its_session_does_not_keep_it_alive(store):
    token = store.create_session("pat", idle=dt.timedelta(minutes=30), now=T0)
    for minutes in (10, 20, 29):      # an open tab's check every so often, nobody using it
        assert store.session_user(token, now=T0 + dt.timedelta(minutes=minutes), touch=False) is not None
    assert store.session_user(token, now=T0 + dt.timedelta(minutes=30), touch=False) is None
