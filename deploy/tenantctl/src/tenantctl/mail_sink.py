"""A local SMTP server that keeps what it receives: `tenantctl dev`'s mail, and the tests'.

Every accepted email is kept in memory and, given a directory, written there as
<n>-<recipient>.eml, so a person can read what the platform sent.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller


@dataclass(frozen=True)
class Received:
    recipients: tuple[str, ...]
    message: EmailMessage

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    @property
    def body(self) -> str:
        part = self.message.get_body(("plain",))
        return part.get_content() if part is not None else ""


@dataclass
class _Handler:
    directory: Path | None
    received: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    # Tests hold the 250 after DATA (the email is kept; the client waits) to crash the
    # sender then.
    release: threading.Event = field(default_factory=threading.Event)
    arrived: threading.Event = field(default_factory=threading.Event)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        import asyncio

        raw = envelope.original_content or envelope.content
        message = message_from_bytes(raw, policy=policy.default)
        assert isinstance(message, EmailMessage)
        with self.lock:
            self.received.append(Received(tuple(envelope.rcpt_tos), message))
            count = len(self.received)
        if self.directory is not None:
            name = "".join(c if c.isalnum() or c in "@.-" else "_"
                           for c in envelope.rcpt_tos[0])
            (self.directory / f"{count:04d}-{name}.eml").write_bytes(raw)
        # Kept before the 250 is sent, as a mail server queues it: a sender that dies
        # while held here has had its email delivered without knowing it.
        self.arrived.set()
        await asyncio.get_running_loop().run_in_executor(None, self.release.wait)
        return "250 Message accepted for delivery"


class MailSink:
    def __init__(self, port: int, directory: Path | None = None,
                 host: str = "127.0.0.1") -> None:
        if directory is not None:
            directory.mkdir(parents=True, exist_ok=True)
        self.host, self.port, self.directory = host, port, directory
        self._handler = _Handler(directory)
        self._handler.release.set()
        self._controller: Controller | None = None

    @property
    def url(self) -> str:
        return f"smtp://{self.host}:{self.port}"

    def start(self) -> MailSink:
        self._controller = Controller(self._handler, hostname=self.host, port=self.port)
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._handler.release.set()  # a held email must not hang the shutdown
            self._controller.stop()
            self._controller = None

    def received(self) -> list[Received]:
        with self._handler.lock:
            return list(self._handler.received)

    def to(self, address: str) -> list[Received]:
        return [r for r in self.received() if address in r.recipients]

    def hold(self) -> threading.Event:
        """Emails wait at DATA until release(); returns the event set when one arrives."""
        self._handler.arrived.clear()
        self._handler.release.clear()
        return self._handler.arrived

    def release(self) -> None:
        self._handler.release.set()
