"""Issue 21, accounts from the app (AppTest): a commissioner invites any role (a support
organisation's account with its organisation); the link is shown to pass on, or emailed through a
real SMTP server (aiosmtpd, started here) where SMTP is configured; the invitee sets a password
through the link once and is signed in; every step is audited."""

from __future__ import annotations

import re

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Message
from harness import free_port
from streamlit.testing.v1 import AppTest

from commissioning import auth
from commissioning.store import open_store
from commissioning.web import mail

TIMEOUT = 90
PASSWORD = "a-long-test-password"


@pytest.fixture
def store(tmp_path, monkeypatch):
    location = tmp_path / "app.sqlite"
    monkeypatch.setenv("COMMISSIONING_DB", str(location))
    monkeypatch.setenv("COMMISSIONING_BASE_URL", "https://commissioning.example.org")
    for name in ("COMMISSIONING_ADMIN_USER", "COMMISSIONING_ADMIN_PASSWORD", "COMMISSIONING_DEMO",
                 mail.HOST_ENV, mail.PORT_ENV, mail.FROM_ENV):
        monkeypatch.delenv(name, raising=False)
    s = open_store(location)
    auth.create_user(s, "boss", "commissioner", PASSWORD)
    yield s
    s.close()


def invite(role: str, username: str, email: str = "", organisation: str | None = None) -> AppTest:
    at = AppTest.from_file("../../app_pages/panel_setup.py", default_timeout=TIMEOUT)
    at.session_state["user"] = auth.User("boss", "commissioner")
    at.run()
    at.selectbox(key="invite_role").set_value(role).run()
    at.text_input(key="invite_username").input(username)
    if organisation is not None:
        at.text_input(key="invite_org").input(organisation)
    at.text_input(key="invite_email").input(email)
    at.button(key="FormSubmitter:invite-Create the invitation").click().run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def accept(token: str, password: str = PASSWORD) -> AppTest:
    at = AppTest.from_file("../../app.py", default_timeout=TIMEOUT)
    at.query_params["invite"] = token
    at.run()
    at.text_input(key="invite_password").input(password)
    at.text_input(key="invite_repeat").input(password)
    return at.button[0].click().run()


def test_an_invited_support_organisation_sets_its_password_through_the_link_once(store):
    at = invite(auth.PROVIDER, "refuge_lead", organisation="Safe Haven Refuges")
    link = at.code[0].value
    assert link.startswith("https://commissioning.example.org/?invite=")
    assert "works once, until" in at.success[0].value and "(London time)" in at.success[0].value
    token = link.split("invite=", 1)[1]
    assert store.invitation_user(token).organisation == "Safe Haven Refuges"
    welcome = accept(token)
    assert not welcome.exception
    assert welcome.session_state["user"].username == "refuge_lead"
    assert [t.value for t in welcome.title] == ["Bids"]               # a support organisation's home page
    assert store.verify_password("refuge_lead", PASSWORD).organisation == "Safe Haven Refuges"
    again = AppTest.from_file("../../app.py", default_timeout=TIMEOUT)
    again.query_params["invite"] = token
    again.run()
    assert "expired or has been used" in again.error[0].value and not again.text_input
    actions = store.audit_log("boss")["action"].tolist()
    assert ["user.add", "user.invite"] == actions[1:3] and "user.invite.accept" in actions


def test_a_weak_password_is_refused_and_the_link_still_works(store):
    token = invite(auth.PANEL, "pat").code[0].value.split("invite=", 1)[1]
    refused = accept(token, "short")
    assert refused.error and "user" not in refused.session_state
    assert accept(token).session_state["user"].role == auth.PANEL


def test_the_invitation_is_emailed_where_smtp_is_configured(store, monkeypatch):
    received = []

    class Inbox(Message):
        def handle_message(self, message):
            received.append(message)

    controller = Controller(Inbox(), hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        monkeypatch.setenv(mail.HOST_ENV, "127.0.0.1")
        monkeypatch.setenv(mail.PORT_ENV, str(controller.port))
        monkeypatch.setenv(mail.FROM_ENV, "commissioning@example.org")
        at = invite(auth.CHAIR, "sam", email="sam@example.org")
    finally:
        controller.stop()
    assert not at.code                                            # nothing to pass on by hand
    assert "emailed to sam@example.org" in at.success[0].value.replace("\u2060", "")
    assert len(received) == 1 and received[0]["To"] == "sam@example.org"
    body = received[0].get_payload(decode=True).decode()
    token = re.search(r"\?invite=([A-Za-z0-9_-]+)", body).group(1)
    assert store.invitation_user(token).username == "sam"


def test_an_unreachable_mail_server_shows_the_link_instead(store, monkeypatch):
    monkeypatch.setenv(mail.HOST_ENV, "127.0.0.1")
    monkeypatch.setenv(mail.PORT_ENV, str(free_port()))          # nobody listening
    monkeypatch.setenv(mail.FROM_ENV, "commissioning@example.org")
    at = invite(auth.PANEL, "lee", email="lee@example.org")
    assert "could not be sent" in at.warning[-1].value and at.code[0].value.startswith("https://")
