"""Issue 21, sessions in the app (AppTest): a sign-in is a session in the store; signing out in one
tab signs out every tab holding it; an ended session says why; a link opened while signed out shows
its page after the sign-in. (The cookie that carries the session across reloads and new tabs is
tested in Chromium: tests/browser/test_sessions_browser.py.)"""

from __future__ import annotations

import datetime as dt

import pytest
from streamlit.testing.v1 import AppTest

from commissioning import auth
from commissioning.store import open_store
from commissioning.web import sessions

TIMEOUT = 90
PASSWORD = "a-long-test-password"


@pytest.fixture
def store(tmp_path, monkeypatch):
    location = tmp_path / "app.sqlite"
    monkeypatch.setenv("COMMISSIONING_DB", str(location))
    for name in ("COMMISSIONING_ADMIN_USER", "COMMISSIONING_ADMIN_PASSWORD", "COMMISSIONING_DEMO",
                 sessions.IDLE_ENV, sessions.MAX_ENV):
        monkeypatch.delenv(name, raising=False)
    s = open_store(location)
    auth.create_user(s, "boss", "commissioner", PASSWORD)
    auth.create_user(s, "pat", "panel", PASSWORD)
    yield s
    s.close()


def app() -> AppTest:
    return AppTest.from_file("../../app.py", default_timeout=TIMEOUT)


def login(at: AppTest, username: str) -> AppTest:
    at.sidebar.text_input(key="login_username").input(username)
    at.sidebar.text_input(key="login_password").input(PASSWORD)
    return at.sidebar.button[0].click().run()


def live_sessions(store) -> int:
    from sqlalchemy import func, select

    from commissioning.store.schema import sessions as table

    with store._read() as conn:
        return conn.execute(select(func.count()).select_from(table).where(table.c.revoked_at.is_(None))).scalar()


def test_sign_in_starts_a_session_and_sign_out_ends_it_in_every_tab(store):
    first = login(app().run(), "pat")
    assert not first.exception and [t.value for t in first.title] == ["Scoring"]
    token = first.session_state["session_token"]
    assert store.session_user(token).username == "pat" and live_sessions(store) == 1
    second = app()                                    # another tab of the same browser session
    second.session_state["session_token"] = token
    second.session_state["user"] = auth.User("pat", "panel")
    second.switch_page("app_pages/scoring.py").run()  # a link to /scoring
    assert [t.value for t in second.title] == ["Scoring"]
    first.sidebar.button[0].click().run()             # Log out in the first tab
    assert "user" not in first.session_state and live_sessions(store) == 0
    second.run()                                      # the second tab's next run
    assert "user" not in second.session_state
    assert any("your session has ended" in w.value for w in second.sidebar.warning)
    assert not second.title and "Please log in on the left" in second.error[0].value   # Scoring is hidden
    actions = store.audit_log("boss")["action"].tolist()
    assert actions[-3:] == ["login", "session.start", "session.end"]


def test_an_idle_session_signs_the_tab_out(store, monkeypatch):
    at = login(app().run(), "boss")
    token = at.session_state["session_token"]
    later = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=31)
    assert store.session_user(token, now=later, touch=False) is None      # 30 minutes by default
    monkeypatch.setattr(type(store), "session_user", lambda self, t, **kw: None)
    at.run()
    assert "user" not in at.session_state
    assert any("unused for 30 minutes or open for 12 hours" in w.value for w in at.sidebar.warning)


def test_a_link_opened_while_signed_out_shows_its_page_after_sign_in(store):
    at = app().run()
    at.switch_page("app_pages/scoring.py").run()      # /scoring, signed out
    assert "Please log in on the left" in at.error[0].value and not at.title
    login(at, "pat")
    assert not at.exception and [t.value for t in at.title] == ["Scoring"]
    # From the public front page, a sign-in goes to the role's own home page instead.
    front = login(app().run(), "boss")
    assert [t.value for t in front.title] == ["Coverage"]


def test_bad_session_limits_are_a_clear_error(monkeypatch):
    monkeypatch.setenv(sessions.IDLE_ENV, "half an hour")
    with pytest.raises(sessions.InputError, match="COMMISSIONING_SESSION_IDLE_MINUTES"):
        sessions.limits()
    assert sessions.limits({sessions.IDLE_ENV: "15", sessions.MAX_ENV: "8"}) == sessions.Limits(
        dt.timedelta(minutes=15), dt.timedelta(hours=8))


def test_a_hand_over_code_works_once():
    box = sessions.Handovers(seconds=60)
    code = box.issue("the-token", 3600)
    assert box.claim(code) == ("the-token", 3600) and box.claim(code) is None
    assert sessions.Handovers(seconds=0).claim(sessions.Handovers(seconds=0).issue("t", 1)) is None


def _post(route, body: bytes, headers: dict[str, str], scheme: str = "http"):
    import asyncio

    from starlette.requests import Request

    scope = {"type": "http", "method": "POST", "path": route.path, "scheme": scheme, "query_string": b"",
             "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
             "server": ("127.0.0.1", 8501)}

    async def receive():
        return {"type": "http.request", "body": body, "more_body": False}

    return asyncio.run(route.endpoint(Request(scope, receive)))


@pytest.fixture
def routes():
    yield sessions.routes()
    sessions._mounted.clear()     # the other app tests run without the routes, as `streamlit run app.py`


def test_the_session_route_sets_an_http_only_strict_cookie_once_and_refuses_other_sites(routes):
    start, signout = routes
    code = sessions.HANDOVERS.issue("the-session-token", 43200)
    refused = _post(start, code.encode(), {"host": "app.example.org", "origin": "https://evil.example"})
    assert refused.status_code == 403
    ok = _post(start, code.encode(), {"host": "app.example.org", "origin": "https://app.example.org"}, "https")
    cookie = ok.headers["set-cookie"]
    assert ok.status_code == 204 and cookie.startswith(f"{sessions.COOKIE}=the-session-token;")
    assert all(part in cookie for part in ("HttpOnly", "SameSite=strict", "Secure", "Max-Age=43200", "Path=/"))
    assert _post(start, code.encode(), {"host": "app.example.org"}).status_code == 400     # used once
    cleared = _post(signout, b"", {"host": "app.example.org"})
    assert cleared.status_code == 204 and 'Max-Age=0' in cleared.headers["set-cookie"]
    assert sessions.routes_mounted()
