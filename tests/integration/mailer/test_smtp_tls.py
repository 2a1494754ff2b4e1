"""The mailer's SMTP client against a real SMTP server (aiosmtpd) that requires TLS and a
login: STARTTLS and smtps://, a wrong password, a certificate the mailer does not trust."""

from __future__ import annotations

import ssl
import uuid
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from tenant_mailer.settings import parse_smtp_url
from tenant_mailer.smtp import Transient, send
from tenantctl.ports import free_port
from tenantctl.tls import TlsFiles, make_local_ca

USER, PASSWORD = "relay-user", "relay-pass"
# aiosmtpd warns when AUTH is offered without STARTTLS; for smtps:// TLS is on from the
# first byte, which it does not count.
pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")


class Inbox:
    def __init__(self) -> None:
        self.received: list[tuple[str, bool, str | None]] = []  # (to, over TLS, login)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        # STARTTLS is recorded in the session; TLS from the first byte is the transport's.
        over_tls = session.ssl is not None or (
            server.transport.get_extra_info("ssl_object") is not None)
        self.received.append((",".join(envelope.rcpt_tos), over_tls, session.auth_data))
        return "250 OK"


def _authenticate(server: Any, session: Any, envelope: Any, mechanism: str,
                  auth_data: Any) -> AuthResult:
    ok = (isinstance(auth_data, LoginPassword) and auth_data.login == USER.encode()
          and auth_data.password == PASSWORD.encode())
    return AuthResult(success=ok, handled=False, auth_data=USER if ok else None)


@pytest.fixture(scope="module")
def tls(tmp_path_factory: pytest.TempPathFactory) -> TlsFiles:
    return make_local_ca(tmp_path_factory.mktemp("smtp-tls"))


def _server_context(files: TlsFiles) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(files.server_cert, files.server_key)
    return context


def _relay(inbox: Inbox, files: TlsFiles, *, implicit: bool) -> Controller:
    # A relay as a provider runs one: no command but EHLO before TLS, no login without it.
    common: dict[str, Any] = dict(hostname="127.0.0.1", port=free_port(),
                                  authenticator=_authenticate, auth_required=True)
    if implicit:
        # TLS from the first byte; aiosmtpd counts only STARTTLS for auth_require_tls.
        return Controller(inbox, ssl_context=_server_context(files), auth_require_tls=False,
                          **common)
    return Controller(inbox, tls_context=_server_context(files), require_starttls=True,
                      auth_require_tls=True, **common)


@pytest.fixture(params=["starttls", "smtps"])
def relay(request: pytest.FixtureRequest, tls: TlsFiles) -> Iterator[tuple[Inbox, str]]:
    inbox = Inbox()
    implicit = request.param == "smtps"
    controller = _relay(inbox, tls, implicit=implicit)
    controller.start()
    scheme, option = ("smtps", "") if implicit else ("smtp", "starttls=true&")
    url = f"{scheme}://{USER}:{{password}}@127.0.0.1:{controller.port}/?{option}ca_file={{ca}}"
    try:
        yield inbox, url
    finally:
        controller.stop()


def _email() -> EmailMessage:
    message = EmailMessage()
    message["From"], message["To"] = "platform@tenants.test", f"{uuid.uuid4().hex}@x.test"
    message["Subject"] = "Welcome"
    message.set_content("hello")
    return message


async def test_the_email_goes_over_tls_with_the_login(relay: tuple[Inbox, str],
                                                      tls: TlsFiles) -> None:
    inbox, url = relay
    message = _email()
    await send(parse_smtp_url(url.format(password=PASSWORD, ca=tls.ca_file)), message)
    assert inbox.received == [(message["To"], True, USER)]


async def test_a_wrong_password_keeps_the_email_for_later(relay: tuple[Inbox, str],
                                                         tls: TlsFiles) -> None:
    inbox, url = relay
    with pytest.raises(Transient, match="authentication"):
        await send(parse_smtp_url(url.format(password="wrong", ca=tls.ca_file)), _email())
    assert inbox.received == []


async def test_a_certificate_from_another_ca_is_refused_before_anything_is_sent(
        relay: tuple[Inbox, str], tmp_path: Path) -> None:
    inbox, url = relay
    stranger = make_local_ca(tmp_path / "another-ca")  # the mailer trusts this one only
    with pytest.raises(Transient, match="CERTIFICATE_VERIFY_FAILED"):
        await send(parse_smtp_url(url.format(password=PASSWORD, ca=stranger.ca_file)),
                   _email())
    assert inbox.received == []


async def test_starttls_asked_of_a_server_without_it_sends_nothing_in_the_clear() -> None:
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())  # no TLS at all
    controller.start()
    try:
        with pytest.raises(Transient, match="STARTTLS"):
            await send(parse_smtp_url(f"smtp://{USER}:{PASSWORD}@127.0.0.1:{controller.port}"
                                      "/?starttls=true"), _email())
    finally:
        controller.stop()
    assert inbox.received == []
