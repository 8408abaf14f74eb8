"""Invitation emails, sent where SMTP is configured: ``COMMISSIONING_SMTP_HOST``,
``COMMISSIONING_SMTP_PORT`` (default 25) and ``COMMISSIONING_SMTP_FROM``. Without a host nothing is
sent and the app shows the commissioner the link to pass on. (Plain SMTP to a relay the
organisation runs; no password or TLS settings yet.)"""

from __future__ import annotations

import os
import smtplib
from dataclasses import dataclass
from email.message import EmailMessage

from commissioning.errors import InputError

HOST_ENV, PORT_ENV, FROM_ENV = "COMMISSIONING_SMTP_HOST", "COMMISSIONING_SMTP_PORT", "COMMISSIONING_SMTP_FROM"


@dataclass(frozen=True)
class Smtp:
    host: str
    port: int
    sender: str


def smtp_config(env: dict | None = None) -> Smtp | None:
    """The SMTP relay the environment names, or None when ``COMMISSIONING_SMTP_HOST`` is unset."""
    env = os.environ if env is None else env
    host = str(env.get(HOST_ENV, "")).strip()
    if not host:
        return None
    port_text = str(env.get(PORT_ENV, "")).strip() or "25"
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise InputError(f"{PORT_ENV}={port_text!r}", column=PORT_ENV, expected="a port number, 1 to 65535")
    sender = str(env.get(FROM_ENV, "")).strip()
    if "@" not in sender:
        raise InputError(f"{FROM_ENV}={sender!r}", column=FROM_ENV, expected="the sender's email address")
    return Smtp(host, int(port_text), sender)


def invitation_message(smtp: Smtp, to: str, username: str, role_label: str, link: str, expires: str) -> EmailMessage:
    message = EmailMessage()
    message["From"], message["To"] = smtp.sender, to
    message["Subject"] = "Your account for victim services commissioning"
    message.set_content(
        f"You have been given a {role_label} account, username {username}, on the victim services "
        f"commissioning toolkit.\n\nSet your password here (the link works once, until {expires}):\n{link}\n\n"
        "If you did not expect this, ignore this email.\n")
    return message


def send_invitation(smtp: Smtp, to: str, username: str, role_label: str, link: str, expires: str) -> None:
    """Send the invitation link; an InputError (shown to the commissioner, with the link to pass on
    by hand) when the relay refuses or cannot be reached."""
    if "@" not in str(to):
        raise InputError(f"email address {to!r}", column="email", expected="an address like name@example.org")
    try:
        with smtplib.SMTP(smtp.host, smtp.port, timeout=20) as client:
            client.send_message(invitation_message(smtp, to, username, role_label, link, expires))
    except (OSError, smtplib.SMTPException) as err:
        raise InputError(f"the invitation email could not be sent ({type(err).__name__}); pass the link on "
                         "yourself", column="email") from err
