"""Hands one email to the SMTP server (stdlib smtplib, in a thread)."""

from __future__ import annotations

import asyncio
import smtplib
import ssl
from email.message import EmailMessage

from tenant_mailer.settings import SmtpSettings


class Permanent(Exception):
    """The server refused the email for good (5xx): sending it again cannot help."""


class Transient(Exception):
    """Not sent this time (server down, 4xx, a dropped connection): try again later."""


async def send(settings: SmtpSettings, message: EmailMessage) -> None:
    try:
        await asyncio.to_thread(_send, settings, message)
    except smtplib.SMTPRecipientsRefused as exc:
        codes = [code for code, _ in exc.recipients.values()]
        if all(500 <= code < 600 for code in codes):
            raise Permanent(f"recipients refused: {exc.recipients}") from exc
        raise Transient(str(exc)) from exc
    except smtplib.SMTPAuthenticationError as exc:
        # A wrong password is the operator's to fix: keep the email until it works.
        raise Transient(f"SMTP authentication failed: {exc}") from exc
    except smtplib.SMTPResponseException as exc:
        if 500 <= exc.smtp_code < 600:
            raise Permanent(f"{exc.smtp_code} {exc.smtp_error!r}") from exc
        raise Transient(f"{exc.smtp_code} {exc.smtp_error!r}") from exc
    except (smtplib.SMTPException, OSError) as exc:
        raise Transient(repr(exc)) from exc


def _context(settings: SmtpSettings) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=settings.ca_file)


def _send(settings: SmtpSettings, message: EmailMessage) -> None:
    smtp: smtplib.SMTP
    if settings.implicit_tls:
        smtp = smtplib.SMTP_SSL(settings.host, settings.port, timeout=settings.timeout,
                                context=_context(settings))
    else:
        smtp = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout)
    with smtp:
        if settings.starttls:
            smtp.starttls(context=_context(settings))
        if settings.username is not None and settings.password is not None:
            smtp.login(settings.username, settings.password)
        smtp.send_message(message)
