"""A campaign that ends, unconfirmed sends resolved by the coordinator, and the digest in the dry
run — through `ttcs remind` in-process, the remind flow on the Prefect test server, and a real
SMTP server on 127.0.0.1 that counts what it received.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from typer.testing import CliRunner

from tests import test_remind_smtp
from tests.smtp_sinks import Mailbox, serving
from tests.test_remind import COORDINATOR, local, mail
from tests.test_remind_smtp import LATER, MORNING, UNIT_A, UNIT_B, campaign_in, log_of, remind
from ttcs.campaign.settings import load_campaign
from ttcs.cli.app import app
from ttcs.reminders.remind import ended, last_day

collected = test_remind_smtp.collected  # the fixture: a database after one nightly run
STAGES = {"stages": [-3, 0], "window_start": "07:30", "window_end": "17:00"}


def ttcs_remind(config: Path, *args: str):
    return CliRunner().invoke(app, ["remind", "--config", str(config), *args])


def test_after_stop_after_nothing_is_sent_not_even_the_digest(collected, tmp_path) -> None:
    mailbox = Mailbox()
    with serving(mailbox) as port:
        config = campaign_in(tmp_path, collected, port,
                             reminders=STAGES | {"stop_after": "2025-09-27"})
        code, sent, _ = remind(config, MORNING)  # the last day: still sends
        first = mailbox.take()
        after = local(28, 8)
        real = ttcs_remind(config, "--now", after.isoformat())
        dry = ttcs_remind(config, "--now", after.isoformat(), "--dry-run")
        dry_json = ttcs_remind(config, "--now", after.isoformat(), "--dry-run", "--json")
        later = mailbox.take()
    assert code == 0 and len(sent) == 2 and len(first) == 3  # two units and the digest
    assert later == []
    line = ("Chiến dịch đã kết thúc (lượt nhắc cuối cùng trong ngày 27/09/2025, "
            "reminders.stop_after): không nhắc đơn vị nào, không gửi bản tổng hợp.\n")
    assert (real.exit_code, real.stdout) == (0, line)
    assert (dry.exit_code, dry.stdout) == (0, line)
    assert json.loads(dry_json.stdout) == []
    assert len(log_of(config)) == 2


def test_the_default_end_is_a_week_after_the_last_stage(tmp_path) -> None:
    from tests.test_remind import write_campaign

    campaign = load_campaign(write_campaign(tmp_path, 25))  # stages up to +3, deadline 30/09
    assert last_day(campaign) == dt.date(2025, 10, 10)
    assert not ended(local(10, 16, month=10), campaign)
    assert ended(local(11, 8, month=10), campaign)


def test_unconfirmed_sends_are_resolved_as_sent_or_retry(collected, tmp_path) -> None:
    mailbox = Mailbox()
    mailbox.drop_after_data = {mail(UNIT_A), mail(UNIT_B)}
    with serving(mailbox) as port:
        config = campaign_in(tmp_path, collected, port, reminders=STAGES)
        code, sent, _ = remind(config, MORNING)
        mailbox.take()
        mailbox.drop_after_data = set()
        retry = ttcs_remind(config, "--resolve", UNIT_A, "--stage", "-3", "--as", "retry")
        done = ttcs_remind(config, "--resolve", UNIT_B, "--stage", "-3", "--as", "sent")
        again = ttcs_remind(config, "--resolve", UNIT_B, "--stage", "-3", "--as", "sent")
        code_later, resent, _ = remind(config, LATER)
        later = mailbox.take()
    assert code == 1 and {r["result"] for r in sent} == {"unconfirmed"}
    assert (retry.exit_code, retry.stdout) == (
        0, f"{UNIT_A} mốc -3 email: sẽ gửi lại ở lượt nhắc sau nếu mốc vẫn hiện hành.\n")
    assert (done.exit_code, done.stdout) == (0, f"{UNIT_B} mốc -3 email: ghi là đã gửi.\n")
    assert again.exit_code == 2 and again.stderr.count("\n") == 1
    assert f"không có tin chưa xác nhận nào của đơn vị {UNIT_B} ở mốc -3" in again.stderr
    assert code_later == 0 and [(r["unit"], r["result"]) for r in resent] == [(UNIT_A, "sent")]
    assert sorted(r.rcpt[0] for r in later) == sorted([mail(UNIT_A), COORDINATOR])
    (digest,) = [r for r in later if r.rcpt == [COORDINATOR]]
    assert "Chưa xác nhận" not in digest.text and "chưa xác nhận" not in digest.subject
    entries = log_of(config)
    assert (entries[(UNIT_A, -3, "email")].status, entries[(UNIT_A, -3, "email")].attempts) == (
        "sent", 2)
    resolved = entries[(UNIT_B, -3, "email")]
    assert resolved.status == "sent" and resolved.attempts == 1
    assert resolved.error.startswith("cán bộ điều phối xác nhận đã gửi (trước đó: unconfirmed, ")


def test_dry_run_shows_the_digest_after_the_messages(collected, tmp_path) -> None:
    config = campaign_in(tmp_path, collected, 25, deadline="2025-09-30", reminders=STAGES)
    shown = ttcs_remind(config, "--now", MORNING.isoformat(), "--dry-run")
    as_json = ttcs_remind(config, "--now", MORNING.isoformat(), "--dry-run", "--digest",
                          "--json")
    assert shown.exit_code == 0, shown.stderr
    note = "Hạn nộp ghi không kèm giờ: tính đến hết ngày 30/9/2025 (23:59:59)"
    assert f"Hạn nộp: 23:59 ngày 30/09/2025 ({note}) — còn 3 ngày." in shown.stdout
    out = shown.stdout
    assert out.index("Kính gửi") < out.index(f"Bản tổng hợp gửi {COORDINATOR}")
    digest = json.loads(as_json.stdout)["digest"]
    assert set(digest) == {"to", "subject", "text"} and digest["to"] == [COORDINATOR]
    assert digest["subject"].endswith(": 2 tin đã gửi")
    assert f"Hạn nộp: 23:59 ngày 30/09/2025 ({note}) — còn 3 ngày; mốc hiện hành -3" in (
        digest["text"])
    assert "Đã nhắc 2 đơn vị (2 tin):" in digest["text"]
    assert digest["text"] in out
    assert len(log_of(config)) == 0  # nothing written


def test_digest_flag_needs_the_dry_run(collected, tmp_path) -> None:
    config = campaign_in(tmp_path, collected, 25)
    result = ttcs_remind(config, "--now", MORNING.isoformat(), "--digest")
    assert result.exit_code == 2 and "--digest chỉ dùng cùng --dry-run" in result.stderr
