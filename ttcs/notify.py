"""Channels, all through apprise: e-mail over SMTP (the default) and any apprise URL per unit.

E-mail uses apprise's ``mailto://`` (plain, ``mode=insecure``) or ``mailtos://`` (``mode=starttls``,
or ``mode=ssl`` on port 465) URL built from the campaign's ``smtp`` settings, with the SMTP host
given explicitly (``smtp=``) so apprise never guesses a provider from the sender's domain. An
e-mail carries the HTML message; apprise adds a plain-text part converted from it. Other apprise
URLs (Telegram, Zalo through a webhook, …) get the plain text.

The SMTP password comes from the environment variable named in ``smtp.password_env`` or, in the
Prefect tasks, from the Secret block named in ``smtp.password_secret_block`` (passed in here).
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode

from ttcs.errors import ConfigError
from ttcs.reminder_log import SendError

if TYPE_CHECKING:
    from ttcs.campaign import Campaign, Smtp
    from ttcs.remind import Digest, Reminder

APP_ID = "ttcs"


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
class Mailer:
    """SMTP settings turned into apprise e-mail URLs."""

    host: str
    port: int
    starttls: bool
    sender: str
    sender_name: str = ""
    username: str | None = None
    password: str | None = None
    reply_to: tuple[str, ...] = ()

    @classmethod
    def from_campaign(cls, campaign: Campaign, password: str | None = None) -> Mailer:
        smtp = campaign.smtp
        return cls(
            host=smtp.host, port=smtp.port, starttls=smtp.starttls, sender=smtp.sender,
            sender_name=f"{campaign.department} {campaign.province_info.name}",
            username=smtp.username, password=password,
            reply_to=tuple(c.email for c in campaign.coordinators if c.email))

    @property
    def mode(self) -> str:
        if self.starttls:
            return "starttls"
        return "ssl" if self.port == 465 else "insecure"

    def url(self, to: Sequence[str], cc: Sequence[str] = ()) -> str:
        scheme = "mailto" if self.mode == "insecure" else "mailtos"
        auth = ""
        if self.username:
            auth = quote(self.username, safe="")
            if self.password:
                auth += ":" + quote(self.password, safe="")
            auth += "@"
        params = {"from": self.sender, "smtp": self.host, "mode": self.mode}
        if self.sender_name:
            params["name"] = self.sender_name
        if cc:
            params["cc"] = ",".join(cc)
        if self.reply_to:
            params["reply"] = ",".join(self.reply_to)
        targets = "/".join(quote(address, safe="@") for address in to)
        return (f"{scheme}://{auth}{self.host}:{self.port}/{targets}?"
                + urlencode(params, quote_via=quote))

    def send(self, to: Sequence[str], cc: Sequence[str], subject: str, body_html: str) -> None:
        """Send one HTML e-mail (apprise adds the plain-text part); :class:`SendError` if not."""
        if not to:
            raise SendError("không có người nhận")
        _notify(self.url(to, cc), subject, body_html, html=True)


def send_apprise(url: str, subject: str, text: str) -> None:
    """Send plain text to any apprise URL (one or several, separated by spaces or commas)."""
    _notify(url, subject, text, html=False)


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

    def send(self, reminder: Reminder) -> None:
        if reminder.channel == "email":
            self.mailer.send([reminder.target], reminder.cc, reminder.subject, reminder.html)
        elif reminder.channel == "apprise":
            send_apprise(reminder.target, reminder.subject, reminder.text)
        else:
            raise SendError(f"kênh không hỗ trợ: {reminder.channel}")

    def send_digest(self, digest: Digest) -> None:
        self.mailer.send(digest.to, [], digest.subject, digest.html)


def _asset() -> Any:
    import apprise

    return apprise.AppriseAsset(app_id=APP_ID, app_desc="ttcs", storage_mode="memory")


def _notify(url: str, subject: str, body: str, *, html: bool) -> None:
    import apprise

    app = apprise.Apprise(asset=_asset())
    if not app.add(url):
        raise SendError("địa chỉ gửi (URL apprise) không hợp lệ")
    body_format = apprise.NotifyFormat.HTML if html else apprise.NotifyFormat.TEXT
    with _apprise_debug():
        result = app.notify(body=body, title=subject, body_format=body_format,
                            log_level=logging.DEBUG)
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
