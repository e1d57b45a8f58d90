"""Failure alerts: a failed run sends the coordinators one Vietnamese e-mail (what failed, when,
the one-line reason, the link to the run), received by a real SMTP server on 127.0.0.1; an alert
that cannot go out never hides the run's own failure."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import yaml

from tests.conftest import CONFIG
from tests.smtp_sinks import Mailbox, free_port, serving
from ttcs.campaign.settings import load_campaign
from ttcs.reminders import alerts
from ttcs.reminders.notify import Mailer

NIGHT = dt.datetime(2025, 9, 29, 15, 0, tzinfo=dt.UTC)  # 22:00 in Vietnam
COORDINATORS = ["dieuphoi@so-vhttdl.example", "truongphong@so-vhttdl.example"]


def _campaign(tmp: Path, port: int) -> Path:
    path = tmp / "campaign.yaml"
    path.write_text(yaml.safe_dump({
        "title": "Thử nghiệm", "province": "44", "data_as_of": "2025-09-30",
        "deadline": "2025-09-30T17:00:00+07:00", "form": str(CONFIG / "form.yaml"),
        "contacts": "contacts.csv", "output_dir": "out", "database": "sqlite:///state.db",
        "coordinators": [{"name": f"Cán bộ {n}", "email": e} for n, e in enumerate(COORDINATORS)]
        + [{"name": "Không có email", "phone": "0912345678"}],
        "smtp": {"host": "127.0.0.1", "port": port, "sender": "ttcs@so-vhttdl.example"},
        "backend": {"kind": "local", "local": {"folder": "communes"}},
    }, allow_unicode=True), encoding="utf-8")
    (tmp / "communes").mkdir(exist_ok=True)
    return path


FAILURE = alerts.Failure("nightly", "nightly 29/09/2025 22:00 — Quảng Trị", False,
                         dt.datetime(2025, 9, 29, 15, 4, tzinfo=dt.UTC),
                         "cơ sở dữ liệu trạng thái bị hỏng", "http://127.0.0.1:4200/runs/flow-run/x")


def test_the_alert_says_what_failed_when_why_and_where(tmp_path: Path) -> None:
    campaign = load_campaign(_campaign(tmp_path, 25))
    alert = alerts.compose(campaign, FAILURE)

    assert alert.to == tuple(COORDINATORS)
    assert alert.subject == "[ttcs] Lượt chạy nightly 29/09/2025 22:00 — Quảng Trị không thành công"
    assert alert.text.splitlines() == [
        'Lượt chạy "nightly 29/09/2025 22:00 — Quảng Trị" (thu thập và kiểm tra báo cáo hằng '
        "đêm) không thành công.",
        "Thời điểm: 29/09/2025 22:04 (giờ Asia/Ho_Chi_Minh).",
        "Lý do: cơ sở dữ liệu trạng thái bị hỏng",
        "Xem lượt chạy: http://127.0.0.1:4200/runs/flow-run/x",
        f"Sau khi khắc phục, chạy lại: ttcs nightly --config {campaign.source}",
    ]
    assert '<a href="http://127.0.0.1:4200/runs/flow-run/x">' in alert.html
    crashed = alerts.compose(campaign, FAILURE.__class__(**{**FAILURE.__dict__, "crashed": True,
                                                            "link": None}))
    assert crashed.subject.endswith("bị dừng đột ngột")
    assert "Xem lượt chạy: trong giao diện Prefect, mục Runs" in crashed.text


def test_a_campaign_without_coordinators_email_cannot_be_alerted(tmp_path: Path) -> None:
    from ttcs.reminders.reminder_log import SendError

    campaign = load_campaign(_campaign(tmp_path, 25)).model_copy(update={"coordinators": []})
    mailbox = Mailbox()
    with serving(mailbox) as port:
        try:
            alerts.send(Mailer("127.0.0.1", port, False, "ttcs@x.example"),
                        alerts.compose(campaign, FAILURE))
        except SendError as exc:
            refused = str(exc)
    assert refused == "chưa khai email của cán bộ điều phối (coordinators)"
    assert mailbox.take() == []


def _runs_alerts(prefect_harness: None, tmp_path: Path, port: int) -> dict:
    """A nightly and a reminder run on a damaged state database, then a nightly whose alert
    cannot go out (no SMTP server listens)."""
    from flows.nightly import nightly
    from flows.remind import remind

    config = _campaign(tmp_path, port)
    (tmp_path / "state.db").write_bytes(os.urandom(64 * 1024))
    states = {"nightly": nightly(str(config), NIGHT, return_state=True),
              "remind": remind(str(config), NIGHT + dt.timedelta(hours=11), return_state=True)}
    return {"config": config, "states": states}


def test_a_failed_run_alerts_the_coordinators_once(prefect_harness, tmp_path: Path) -> None:
    from prefect.client.orchestration import get_client
    from prefect.settings import PREFECT_API_URL

    from flows.nightly import nightly

    mailbox = Mailbox()
    with serving(mailbox) as port:
        ran = _runs_alerts(prefect_harness, tmp_path, port)
    received = mailbox.take()
    states = ran["states"]
    assert all(state.is_failed() for state in states.values())

    # One message per failed run (the remind run's), to every coordinator with an e-mail.
    assert len(received) == 2
    ui = PREFECT_API_URL.value().removesuffix("/api")
    with get_client(sync_client=True) as client:
        runs = {kind: client.read_flow_run(state.state_details.flow_run_id)
                for kind, state in states.items()}
    assert runs["nightly"].name == "nightly 29/09/2025 22:00 — Quảng Trị"
    assert runs["remind"].name == "remind 30/09/2025 09:00 — Quảng Trị"
    for mail, kind in zip(received, ("nightly", "remind"), strict=True):
        assert mail.rcpt == COORDINATORS and mail.message["X-TTCS-Alert"] == kind
        assert mail.subject == f"[ttcs] Lượt chạy {runs[kind].name} không thành công"
        lines = mail.text.splitlines()
        assert lines[1].startswith("Thời điểm: ") and lines[1][11:13].isdigit()
        reason = states[kind].result(raise_on_failure=False)
        assert lines[2] == f"Lý do: {reason}" and "cơ sở dữ liệu trạng thái" in lines[2]
        assert "Traceback" not in mail.text and "\n  File " not in mail.text
        assert lines[3] == f"Xem lượt chạy: {ui}/runs/flow-run/{runs[kind].id}"

    # No SMTP server listening: the alert fails, the run still fails with its own reason.
    still = nightly(str(_campaign(tmp_path, free_port())), NIGHT, return_state=True)
    assert still.is_failed()
    assert "cơ sở dữ liệu" in str(still.result(raise_on_failure=False))


def test_a_missing_communes_folder_fails_the_night_and_alerts_once(prefect_harness,
                                                                  tmp_path: Path) -> None:
    """An unmounted share or a mistyped folder is never a night where every unit looks
    unreachable (and would be told to send its file again): the run fails in one line and the
    coordinators hear of it."""
    import shutil

    from flows.nightly import nightly

    mailbox = Mailbox()
    with serving(mailbox) as port:
        config = _campaign(tmp_path, port)
        shutil.rmtree(tmp_path / "communes")
        state = nightly(str(config), NIGHT, return_state=True)
    (alert,) = mailbox.take()
    assert state.is_failed()
    reason = str(state.result(raise_on_failure=False))
    assert reason.startswith(f"không thấy thư mục bảng tính của các đơn vị {tmp_path / 'communes'}")
    assert f"Lý do: {reason}" in alert.text.splitlines()
    assert not (tmp_path / "out" / "status.json").exists()  # no night recorded as if all failed
