"""A real SMTP server on 127.0.0.1 (aiosmtpd) that keeps what it accepts and misbehaves on cue:
it refuses an address always or only as a copy, or drops the connection after a message's data.
"""

from __future__ import annotations

import email
import email.policy
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller

REFUSED = "550 5.1.1 mailbox unavailable"


@dataclass
class Received:
    sender: str
    rcpt: list[str]
    message: EmailMessage

    @property
    def to(self) -> str:
        return str(self.message["To"])

    @property
    def cc(self) -> str:
        return str(self.message["Cc"] or "")

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    @property
    def text(self) -> str:
        return self.message.get_body(("plain",)).get_content()

    @property
    def html(self) -> str | None:
        part = self.message.get_body(("html",))
        return part.get_content() if part is not None else None


class Mailbox:
    """An aiosmtpd handler that keeps every message it received.

    ``reject``: addresses refused with 550 at RCPT. ``reject_copy``: refused only when another
    recipient came first (the copy of a message). ``drop_after_data``: a message to one of these
    is received whole (it is kept: the server may well deliver it), then the connection is cut
    before the reply to its data.
    """

    def __init__(self) -> None:
        self.received: list[Received] = []
        self.reject: set[str] = set()
        self.reject_copy: set[str] = set()
        self.drop_after_data: set[str] = set()
        self.lock = threading.Lock()

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str,
                          rcpt_options: list[str]) -> str:
        if address in self.reject or (address in self.reject_copy and envelope.rcpt_tos):
            return REFUSED
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.lock:
            self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), message))
        if self.drop_after_data & set(envelope.rcpt_tos):
            server.transport.abort()  # the reply below is never written
        return "250 OK"

    def take(self) -> list[Received]:
        with self.lock:
            out, self.received = self.received, []
        return out


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def serving(mailbox: Mailbox, **options: Any) -> Iterator[int]:
    """Run ``mailbox`` on a free port of 127.0.0.1; yields the port."""
    port = free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port, **options)
    controller.start()
    try:
        yield port
    finally:
        controller.stop()
