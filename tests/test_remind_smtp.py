"""Reminders tell the truth (issue 11) against real SMTP servers on 127.0.0.1: a refused copy,
a reply lost after the message's data, clean failures before it, and a run where every send
fails. Runs go through `ttcs remind` (in-process, and once as a real subprocess) and the remind
flow on the Prefect test server; each test counts what the server received.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from aiosmtpd.smtp import AuthResult
from typer.testing import CliRunner

from tests.smtp_sinks import Mailbox, free_port, serving
from tests.test_remind import COORDINATOR, EXCLUDED, local, mail, write_campaign, write_contacts
from ttcs.campaign import registry
from ttcs.campaign.settings import load_campaign
from ttcs.cli.app import app
from ttcs.reminders.notify import Mailer
from ttcs.reminders.reminder_log import ReminderLog, SendError, Unconfirmed
from ttcs.state.store import open_store

UNIT_A, UNIT_B = [u.code for u in registry.units("44") if u.code != EXCLUDED][:2]
MORNING, LATER = local(27, 8), local(27, 9, 30)  # stage -3 twice; the data is fresh for both


@pytest.fixture(scope="module")
def collected(prefect_harness, tmp_path_factory) -> Path:
    """A state database after one nightly run without workbooks: every unit owes its report."""
    from flows.nightly import nightly

    tmp = tmp_path_factory.mktemp("remind-smtp")
    config = write_campaign(tmp, free_port())
    write_contacts(tmp / "contacts.csv", [])
    nightly(str(config), local(26, 22))
    return tmp / "state.db"


def campaign_in(tmp: Path, collected: Path, port: int, **changes) -> Path:
    """A campaign reaching UNIT_A and UNIT_B by e-mail, with a copy of the collected database."""
    config = write_campaign(tmp, port, **changes)
    write_contacts(tmp / "contacts.csv", [{"code": code, "email": mail(code)}
                                         for code in (UNIT_A, UNIT_B)])
    with sqlite3.connect(collected) as source, sqlite3.connect(tmp / "state.db") as copy:
        source.backup(copy)
    return config


def remind(config: Path, now) -> tuple[int, list[dict], str]:
    """`ttcs remind --json` in-process: exit code, the JSON on stdout, stderr."""
    result = CliRunner().invoke(app, ["remind", "--config", str(config), "--now",
                                      now.isoformat(), "--json"])
    return result.exit_code, json.loads(result.stdout), result.stderr


def log_of(config: Path) -> dict:
    return ReminderLog(open_store(load_campaign(config).database)).entries()


def test_refused_copy_the_commune_gets_its_message_once(collected, tmp_path) -> None:
    mailbox = Mailbox()
    mailbox.reject_copy = {COORDINATOR}
    with serving(mailbox) as port:
        reminders = {"stages": [-3, 0], "window_start": "07:30", "window_end": "17:00",
                     "cc_coordinators_from": 1}
        config = campaign_in(tmp_path, collected, port, reminders=reminders)
        code, sent, stderr = remind(config, MORNING)
        first = mailbox.take()
        code_again, again, _ = remind(config, LATER)
        second = mailbox.take()
    assert code == 0, stderr
    assert sorted(r.rcpt[0] for r in first) == sorted([mail(UNIT_A), mail(UNIT_B), COORDINATOR])
    assert all(r.cc == COORDINATOR for r in first if r.rcpt[0] != COORDINATOR)  # as addressed
    assert [r["result"] for r in sent] == ["sent", "sent"]
    assert all(COORDINATOR in r["error"] and "550" in r["error"] for r in sent)
    (digest,) = [r for r in first if r.rcpt == [COORDINATOR]]
    assert "Bản sao (cc) không gửi được (2 tin" in digest.text
    assert f"{UNIT_A} {registry.unit(UNIT_A).name} — mốc -3" in digest.text.split("Bản sao")[1]
    assert "2 bản sao bị từ chối" in digest.subject
    assert (code_again, again) == (0, [])
    assert [r.rcpt for r in second] == [[COORDINATOR]]  # the digest only: nothing sent twice
    entries = log_of(config)
    assert {(e.status, e.attempts) for e in entries.values()} == {("sent", 1)}
    assert len(entries) == 2


def test_reply_lost_after_data_is_unconfirmed_and_never_resent(collected, tmp_path) -> None:
    mailbox = Mailbox()
    mailbox.drop_after_data = {mail(UNIT_A)}
    with serving(mailbox) as port:
        config = campaign_in(tmp_path, collected, port)
        code, sent, stderr = remind(config, MORNING)
        first = mailbox.take()
        code_again, again, stderr_again = remind(config, LATER)
        second = mailbox.take()
    assert sorted(r.rcpt[0] for r in first) == sorted([mail(UNIT_A), mail(UNIT_B), COORDINATOR])
    assert {r["unit"]: r["result"] for r in sent} == {UNIT_A: "unconfirmed", UNIT_B: "sent"}
    assert code == 1 and stderr.count("\n") == 1 and "1 tin chưa xác nhận" in stderr
    (digest,) = [r for r in first if r.rcpt == [COORDINATOR]]
    assert "Chưa xác nhận đã gửi (1 tin" in digest.text
    assert f"{UNIT_A} {registry.unit(UNIT_A).name} — mốc -3 (trước hạn 3 ngày) — email" in (
        digest.text)
    assert (code_again, again) == (0, []), stderr_again
    assert [r.rcpt for r in second] == [[COORDINATOR]]  # UNIT_A is not sent again
    assert "Chưa xác nhận đã gửi (1 tin" in second[0].text
    assert "không trả lời sau khi nhận nội dung" in second[0].text
    entry = log_of(config)[(UNIT_A, -3, "email")]
    assert (entry.status, entry.attempts) == ("unconfirmed", 1)


def test_every_send_failing_exits_1_with_one_line_and_the_json(collected, tmp_path) -> None:
    """A real `ttcs remind` process: the terminal shows one line, never a traceback."""
    from prefect.settings import PREFECT_API_URL

    mailbox = Mailbox()
    mailbox.reject = {mail(UNIT_A), mail(UNIT_B), COORDINATOR}
    env = {**os.environ, "PREFECT_API_URL": PREFECT_API_URL.value()}
    with serving(mailbox) as port:
        config = campaign_in(tmp_path, collected, port)
        result = subprocess.run(
            [str(Path(sys.executable).with_name("ttcs")), "remind", "--config", str(config),
             "--now", MORNING.isoformat(), "--json"],
            capture_output=True, text=True, env=env, timeout=300)
    assert mailbox.received == []
    assert result.returncode == 1
    (line,) = result.stderr.splitlines()
    assert line.startswith("Lỗi: Lượt nhắc chưa trọn vẹn: 2 tin gửi không thành công")
    assert "bản tổng hợp chưa gửi được" in line and "Traceback" not in result.stderr
    reported = json.loads(result.stdout)
    assert [(r["unit"], r["result"]) for r in reported] == [(UNIT_A, "failed"), (UNIT_B, "failed")]
    assert all("550" in r["error"] for r in reported)
    assert {e.status for e in log_of(config).values()} == {"failed"}  # retried on a later run


def mailer(port: int, **options) -> Mailer:
    return Mailer("127.0.0.1", port, False, "ttcs@so.example", **options)


def send(port: int, **options) -> None:
    mailer(port, **options).send([mail(UNIT_A)], [COORDINATOR], "Thử", "Xin chào",
                                 "<p>Xin chào</p>")


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_failures_before_the_message_went_out_are_clean() -> None:
    """Refused main recipient, server down, login refused: SendError, and nothing received —
    not even the coordinators' copy."""
    mailbox = Mailbox()
    mailbox.reject = {mail(UNIT_A)}
    with serving(mailbox) as port, pytest.raises(SendError, match="550"):
        send(port)
    with pytest.raises(SendError, match="không kết nối"):
        send(free_port())

    def refuse(*_args) -> AuthResult:
        return AuthResult(success=False, handled=False)  # handled=False: aiosmtpd answers 535

    refusing = serving(mailbox, authenticator=refuse, auth_require_tls=False)
    with refusing as port, pytest.raises(SendError, match="535"):
        send(port, username="so@so.example", password="sai")
    assert mailbox.received == []


def test_reply_lost_after_data_raises_unconfirmed_not_send_error() -> None:
    mailbox = Mailbox()
    mailbox.drop_after_data = {mail(UNIT_A)}
    with serving(mailbox) as port, pytest.raises(Unconfirmed):
        send(port)
    assert [r.rcpt for r in mailbox.received] == [[mail(UNIT_A), COORDINATOR]]


def test_apprise_to_several_services_partly_sent_is_unconfirmed_never_resent() -> None:
    """One of the unit's two services took the message: a retry would repeat it there."""
    from ttcs.reminders.notify import send_apprise
    from ttcs.reminders.reminder_log import SendError, Unconfirmed

    closed = free_port()
    mailbox = Mailbox()
    with serving(mailbox) as port:
        live = f"mailto://127.0.0.1:{port}/a@cau.example?from=ttcs@so.example"
        dead = f"mailto://127.0.0.1:{closed}/b@cau.example?from=ttcs@so.example"
        with pytest.raises(Unconfirmed):
            send_apprise(f"{live} {dead}", "Nhắc báo cáo", "Nội dung")
        assert [r.to for r in mailbox.take()] == ["a@cau.example"]
        with pytest.raises(SendError):  # one service, refused: nothing went out, a clean failure
            send_apprise(dead, "Nhắc báo cáo", "Nội dung")
        assert mailbox.take() == []
