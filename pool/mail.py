"""Sending e-mail over SMTP (smtplib + email.message), or to the console in development."""

from __future__ import annotations

import smtplib
import ssl
import sys
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from typing import TYPE_CHECKING, Protocol

from flask import current_app

from pool.db import utcnow

if TYPE_CHECKING:
    from pool.models import OutboxMessage


class MailError(Exception):
    """Sending failed; the message stays in the outbox for another attempt."""


class Mailer(Protocol):
    def send(self, message: OutboxMessage) -> None: ...


def sender_domain(mail_from: str) -> str:
    address = parseaddr(mail_from)[1]
    return address.rpartition("@")[2] or "localhost"


def build_email(message: OutboxMessage, mail_from: str) -> EmailMessage:
    email = EmailMessage()
    email["From"] = mail_from
    email["To"] = message.recipient
    email["Subject"] = message.subject
    email["Date"] = format_datetime(utcnow())
    # Stable per row: a retry after an uncertain send carries the same Message-ID.
    email["Message-ID"] = message.message_id(sender_domain(mail_from))
    email["Auto-Submitted"] = "auto-generated"
    email.set_content(message.body_text)
    if message.body_html:
        email.add_alternative(message.body_html, subtype="html")
    if message.calendar:
        # Calendar programs read METHOD from the part's parameters as well as from the file.
        method = "CANCEL" if "METHOD:CANCEL" in message.calendar else "REQUEST"
        email.add_attachment(
            message.calendar.encode(),
            maintype="text",
            subtype="calendar",
            filename="termin.ics",
            params={"method": method},
        )
    return email


class SMTPMailer:
    def __init__(
        self,
        host: str,
        port: int,
        *,
        user: str | None,
        password: str | None,
        starttls: bool,
        mail_from: str,
        timeout: int = 30,
    ) -> None:
        self.host, self.port = host, port
        self.user, self.password = user, password
        self.starttls, self.mail_from, self.timeout = starttls, mail_from, timeout

    def send(self, message: OutboxMessage) -> None:
        email = build_email(message, self.mail_from)
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
                if self.starttls:
                    smtp.starttls(context=ssl.create_default_context())
                if self.user:
                    smtp.login(self.user, self.password or "")
                smtp.send_message(email)
        except (OSError, smtplib.SMTPException) as exc:
            raise MailError(f"{type(exc).__name__}: {exc}") from exc


class ConsoleMailer:
    """Development without SMTP_HOST: the mail is printed to the console."""

    def __init__(self, mail_from: str, stream=None) -> None:
        self.mail_from = mail_from
        self.stream = stream

    def send(self, message: OutboxMessage) -> None:
        email = build_email(message, self.mail_from)
        stream = self.stream or sys.stdout
        stream.write("=" * 72 + "\n")
        stream.write(f"E-Mail (nicht versendet, kein SMTP_HOST gesetzt) an {message.recipient}\n")
        stream.write(f"Betreff: {message.subject}\nMessage-ID: {email['Message-ID']}\n\n")
        stream.write(message.body_text.rstrip() + "\n")
        stream.write("=" * 72 + "\n")
        stream.flush()


def mailer_from_config() -> Mailer:
    cfg = current_app.config
    if cfg.get("SMTP_HOST"):
        return SMTPMailer(
            cfg["SMTP_HOST"],
            cfg["SMTP_PORT"],
            user=cfg.get("SMTP_USER"),
            password=cfg.get("SMTP_PASSWORD"),
            starttls=cfg.get("SMTP_STARTTLS", False),
            mail_from=cfg["MAIL_FROM"],
            timeout=cfg.get("SMTP_TIMEOUT", 30),
        )
    if cfg["ENV_NAME"] == "production":
        raise RuntimeError("SMTP_HOST is not set: production mode does not print mail.")
    return ConsoleMailer(cfg["MAIL_FROM"])


__all__ = ["ConsoleMailer", "MailError", "Mailer", "SMTPMailer", "mailer_from_config"]
