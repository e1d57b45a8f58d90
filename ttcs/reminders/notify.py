"""Channels: e-mail over SMTP (the default), and any apprise URL per unit.

E-mail talks SMTP itself (:mod:`smtplib`, one step at a time) rather than through apprise,
because the reminder log needs two facts apprise's e-mail plugin hides: which recipients the
server refused at RCPT (a refused copy must not fail a message its main recipient accepted), and
whether the connection was lost after the whole message had gone out (then the server may have
accepted it: :class:`~ttcs.reminders.reminder_log.Unconfirmed`, never resent) or before (a clean
:class:`~ttcs.reminders.reminder_log.SendError`, retried). Mode: ``starttls: true`` → STARTTLS,
port 465 → implicit TLS, otherwise plain SMTP. An e-mail carries our plain text and our HTML.

Other apprise URLs (Telegram, Zalo through a webhook, …) get the plain text through apprise;
a failure there is a failure (apprise tells no more).

The SMTP password comes from the environment variable named in ``smtp.password_env`` or, in the
Prefect tasks, from the Secret block named in ``smtp.password_secret_block`` (passed in here).
"""

from __future__ import annotations

import email.policy
import logging
import os
import re
import smtplib
import ssl
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from email.header import Header
from email.mime.application import MIMEApplication
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import formataddr, formatdate, make_msgid
from typing import TYPE_CHECKING, Any

from ttcs.errors import ConfigError
from ttcs.reminders.messages import XLSX, issues_workbook
from ttcs.reminders.reminder_log import SendError, Unconfirmed

if TYPE_CHECKING:
    from ttcs.campaign.settings import Campaign, Smtp
    from ttcs.reminders.remind import Digest, Reminder

APP_ID = "ttcs"
SMTP_TIMEOUT = 60.0  # seconds per SMTP read or write, the reply to the message included
_LINE_START_DOT = re.compile(rb"^\.", re.MULTILINE)


def smtp_password(smtp: Smtp, secret: str | None = None) -> str | None:
    """The SMTP password: ``secret`` (from a Prefect Secret block) or the named env variable."""
    if secret is not None:
        return secret
    if smtp.password_env:
        value = os.environ.get(smtp.password_env)
        if not value:
            raise ConfigError(f"smtp.password_env: biến môi trường {smtp.password_env} chưa được "
                              "đặt (mật khẩu SMTP)")
        return value
    return None


@dataclass(frozen=True)
class Delivery:
    """An e-mail the server accepted for at least one main recipient."""

    accepted: tuple[str, ...]
    refused: Mapping[str, str] = field(default_factory=dict)  # address → the server's reply

    @property
    def note(self) -> str | None:
        """The refused recipients, for the log and the digest (None when all accepted)."""
        if not self.refused:
            return None
        return "máy chủ SMTP từ chối " + "; ".join(
            f"{address}: {reply}" for address, reply in self.refused.items())


@dataclass(frozen=True)
class Attachment:
    name: str  # the file name the recipient sees
    content: bytes
    subtype: str  # of application/…

    def part(self) -> MIMEApplication:
        part = MIMEApplication(self.content, self.subtype)
        part.add_header("Content-Disposition", "attachment",
                        filename=("utf-8", "", self.name))
        return part


@dataclass(frozen=True)
class Mailer:
    """The campaign's SMTP server: one connection and one transaction per e-mail."""

    host: str
    port: int
    starttls: bool
    sender: str
    sender_name: str = ""
    username: str | None = None
    password: str | None = None
    reply_to: tuple[str, ...] = ()
    timeout: float = SMTP_TIMEOUT

    @classmethod
    def from_campaign(cls, campaign: Campaign, password: str | None = None) -> Mailer:
        smtp = campaign.smtp
        return cls(
            host=smtp.host, port=smtp.port, starttls=smtp.starttls, sender=smtp.sender,
            sender_name=f"{campaign.department} {campaign.province_info.name}",
            username=smtp.username, password=password,
            reply_to=tuple(c.email for c in campaign.coordinators if c.email))

    def send(self, to: Sequence[str], cc: Sequence[str], subject: str, text: str,
             html: str, attachments: Sequence[Attachment] = (),
             headers: Mapping[str, str] | None = None) -> Delivery:
        """Send one e-mail (plain text and HTML, then any attachments) to ``to`` with ``cc`` in
        copy; ``headers`` are added as they are (``X-…`` headers naming what the e-mail is).

        It goes out when at least one address of ``to`` is accepted; refused addresses are in the
        :class:`Delivery`. :class:`SendError` when nothing went out (no main recipient accepted:
        the transaction is abandoned before DATA, so no copy goes either); :class:`Unconfirmed`
        when the connection was lost after the whole message was sent, before the server's reply.
        """
        if not to:
            raise SendError("không có người nhận")
        payload = self.message(to, cc, subject, text, html, attachments, headers)
        try:
            smtp = self._connect()
        except (OSError, smtplib.SMTPException) as exc:
            raise SendError(f"không kết nối hoặc đăng nhập được máy chủ SMTP {self.host}:"
                            f"{self.port}: {_reason(exc)}") from None
        try:
            delivery = self._transaction(smtp, to, cc, payload)
        except (OSError, smtplib.SMTPException) as exc:  # before the message was sent
            raise SendError(f"mất kết nối với máy chủ SMTP trước khi gửi nội dung: "
                            f"{_reason(exc)}") from None
        finally:
            smtp.close()
        return delivery

    def message(self, to: Sequence[str], cc: Sequence[str], subject: str, text: str,
                html: str, attachments: Sequence[Attachment] = (),
                headers: Mapping[str, str] | None = None) -> bytes:
        """The e-mail as sent: headers, the plain text and the HTML alternative, then the
        attachments (CRLF lines).

        Built the compat32 way, as apprise did: the modern policy splits a long Vietnamese
        sender name into encoded words mid-word, which Python's own parser reads back with a
        space inside a word ("Qu ảng Trị").
        """
        body = MIMEMultipart("alternative")
        body.attach(MIMEText(text, "plain", "utf-8"))
        body.attach(MIMEText(html, "html", "utf-8"))
        message = body
        if attachments:
            message = MIMEMultipart("mixed")
            message.attach(body)
            for attachment in attachments:
                message.attach(attachment.part())
        message["Subject"] = Header(subject, "utf-8")
        message["From"] = formataddr((self.sender_name, self.sender), charset="utf-8")
        message["To"] = ", ".join(to)
        if cc:
            message["Cc"] = ", ".join(cc)
        if self.reply_to:
            message["Reply-To"] = ", ".join(self.reply_to)
        message["Date"] = formatdate(localtime=True)
        message["Message-ID"] = make_msgid(domain=self.sender.rpartition("@")[2] or None)
        message["X-Application"] = APP_ID
        for name, value in (headers or {}).items():
            message[name] = value
        return message.as_bytes(policy=email.policy.compat32.clone(linesep="\r\n"))

    def _connect(self) -> smtplib.SMTP:
        if self.port == 465 and not self.starttls:
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout,
                                                  context=ssl.create_default_context())
        else:
            smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        try:
            if self.starttls:
                smtp.starttls(context=ssl.create_default_context())
            if self.username:
                smtp.login(self.username, self.password or "")
        except BaseException:
            smtp.close()
            raise
        return smtp

    def _transaction(self, smtp: smtplib.SMTP, to: Sequence[str], cc: Sequence[str],
                     payload: bytes) -> Delivery:
        smtp.ehlo_or_helo_if_needed()
        code, reply = smtp.mail(self.sender)
        if code != 250:
            raise SendError(f"máy chủ SMTP từ chối người gửi {self.sender}: {code} "
                            f"{_text(reply)}")
        refused = {}
        for address in dict.fromkeys([*to, *cc]):
            code, reply = smtp.rcpt(address)
            if code not in (250, 251):
                refused[address] = f"{code} {_text(reply)}"
        if all(address in refused for address in to):
            with suppress(OSError, smtplib.SMTPException):
                smtp.rset()
            raise SendError(Delivery((), refused).note or "")
        _data(smtp, payload)
        with suppress(OSError, smtplib.SMTPException):
            smtp.quit()
        accepted = tuple(a for a in dict.fromkeys([*to, *cc]) if a not in refused)
        return Delivery(accepted, refused)


def _data(smtp: smtplib.SMTP, payload: bytes) -> None:
    """The DATA step. Until the last byte is handed to the socket the server cannot have
    accepted the message (a failure is clean); after that, a lost reply is :class:`Unconfirmed`.
    """
    code, reply = smtp.docmd("DATA")
    if code != 354:
        raise SendError(f"máy chủ SMTP từ chối lệnh DATA: {code} {_text(reply)}")
    body = _LINE_START_DOT.sub(b"..", payload)
    if not body.endswith(b"\r\n"):
        body += b"\r\n"
    smtp.send(body + b".\r\n")
    try:
        code, reply = smtp.getreply()
    except (OSError, smtplib.SMTPException) as exc:
        raise Unconfirmed(f"máy chủ SMTP không trả lời sau khi nhận nội dung thư "
                          f"({_reason(exc)}); thư có thể đã được nhận") from None
    if not 200 <= code < 300:
        raise SendError(f"máy chủ SMTP không nhận thư: {code} {_text(reply)}")


def _text(reply: bytes | str) -> str:
    """A server reply on one line (a multi-line reply arrives joined by newlines)."""
    return " ".join((reply.decode(errors="replace") if isinstance(reply, bytes) else reply).split())


def _reason(exc: BaseException) -> str:
    if isinstance(exc, smtplib.SMTPResponseException):
        return f"{exc.smtp_code} {_text(exc.smtp_error)}"
    return str(exc) or type(exc).__name__


def send_apprise(url: str, subject: str, text: str) -> None:
    """Send plain text to any apprise URL (one or several, separated by spaces or commas)."""
    _notify(url, subject, text)


def describe(url: str) -> str:
    """An apprise URL as it may be shown (tokens and passwords masked by apprise)."""
    import apprise

    app = apprise.Apprise(asset=_asset())
    if not app.add(url):
        return url.split("://")[0] + "://… (URL không hợp lệ)"
    return ", ".join(service.url(privacy=True).split("?")[0] for service in app)


class Channels:
    """Sends a planned reminder, or the digest, on its channel."""

    def __init__(self, mailer: Mailer) -> None:
        self.mailer = mailer

    def send(self, reminder: Reminder) -> str | None:
        """Send ``reminder``; the refused copies, if any (see :meth:`Mailer.send`)."""
        if reminder.channel == "email":
            return self.mailer.send([reminder.target], reminder.cc, reminder.subject,
                                    reminder.text, reminder.html, _attachments(reminder),
                                    {"X-TTCS-Unit": reminder.unit,
                                     "X-TTCS-Stage": str(reminder.stage)}).note
        if reminder.channel == "apprise":
            send_apprise(reminder.target, reminder.subject, reminder.text)
            return None
        raise SendError(f"kênh không hỗ trợ: {reminder.channel}")

    def send_digest(self, digest: Digest) -> Delivery:
        return self.mailer.send(digest.to, [], digest.subject, digest.text, digest.html,
                                headers={"X-TTCS-Digest": "1"})


def _attachments(reminder: Reminder) -> list[Attachment]:
    """The issues workbook an e-mail reminder carries (local campaigns), built when sent."""
    if not reminder.attachment:
        return []
    content = issues_workbook(reminder.unit, reminder.unit_name, reminder.issues)
    return [Attachment(reminder.attachment, content, XLSX.removeprefix("application/"))]


def _asset() -> Any:
    import apprise

    return apprise.AppriseAsset(app_id=APP_ID, app_desc="ttcs", storage_mode="memory")


def _notify(url: str, subject: str, body: str) -> None:
    import apprise

    app = apprise.Apprise(asset=_asset())
    if not app.add(url):
        raise SendError("địa chỉ gửi (URL apprise) không hợp lệ")
    with _apprise_debug():
        result = app.notify(body=body, title=subject, body_format=apprise.NotifyFormat.TEXT,
                            log_level=logging.DEBUG)
    if not result and len(app) > 1:  # some of the unit's services may have sent it
        raise Unconfirmed(f"không phải mọi địa chỉ apprise đều nhận tin: {_failure(result)}")
    if not result:
        raise SendError(_failure(result))


def _failure(result: Any) -> str:
    """Why apprise could not send: its warnings plus the SMTP/socket exception it logged."""
    lines: list[str] = []
    for service in getattr(result, "results", ()):
        for attempt in getattr(service, "attempts", ()):
            for entry in attempt.logs:
                message = str(entry.message)
                if message.startswith("Socket Exception: "):
                    lines.append(message.removeprefix("Socket Exception: "))
                elif entry.level not in ("DEBUG", "TRACE", "INFO"):
                    lines.append(message)
    return "; ".join(dict.fromkeys(lines)) or "apprise không gửi được (không rõ lý do)"


_debug_lock = threading.Lock()
_debug_users = 0
_debug_saved: tuple[int, bool] = (logging.NOTSET, True)
_debug_sink = logging.NullHandler()  # so that Python's last-resort handler prints nothing


@contextmanager
def _apprise_debug() -> Iterator[None]:
    """Let apprise record DEBUG lines (the SMTP reply of a refused recipient is logged at DEBUG)
    into its per-call result, without passing them to the application's log handlers.

    Thread-safe: the logger is changed by the first concurrent sender, restored by the last.
    """
    global _debug_users, _debug_saved
    logger = logging.getLogger("apprise")
    with _debug_lock:
        if _debug_users == 0:
            _debug_saved = (logger.level, logger.propagate)
            logger.setLevel(logging.DEBUG)
            logger.propagate = False
            logger.addHandler(_debug_sink)
        _debug_users += 1
    try:
        yield
    finally:
        with _debug_lock:
            _debug_users -= 1
            if _debug_users == 0:
                logger.removeHandler(_debug_sink)
                logger.setLevel(_debug_saved[0])
                logger.propagate = _debug_saved[1]
