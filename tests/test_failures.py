"""Every failure is one Vietnamese line and an exit code, never a traceback on the terminal:
Google credential files mixed up, Google out of reach (refused, TLS), Google refusing the key,
a failed flow run, an unexpected exception, Ctrl+C. Retries that cannot help are not made.

The terminal is the point of the subprocess tests; the others call the typer app or the flow
in-process against the fake Google.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import socket
import ssl
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from fakegoogle import FakeGoogle
from tests.gsheets_setup import TZ, _campaign, google_settings
from ttcs.cli.app import app
from ttcs.cli.common import RunFailed, flow_result
from ttcs.cli.prefect_server import free_port
from ttcs.errors import UserError
from ttcs.google.transport import network_reason

ROOT = Path(__file__).resolve().parent.parent
PROVINCE = "12"
NIGHT = dt.datetime(2025, 9, 29, 22, 0, tzinfo=TZ)


@pytest.fixture(scope="module")
def fake():
    with FakeGoogle() as google:
        yield google


def google_campaign(folder: Path, fake: FakeGoogle, key: dict[str, Any] | str | None = None,
                    **gsheets: Any) -> Path:
    """A gsheets campaign on the fake; ``key`` replaces the service-account key file."""
    settings = google_settings(fake, folder / "key.json", "folder", "summary")
    settings["gsheets"].update(gsheets)
    if key is not None:
        text = key if isinstance(key, str) else json.dumps(key)
        (folder / "key.json").write_text(text, encoding="utf-8")
    (folder / "contacts.csv").write_text("", encoding="utf-8")
    return _campaign(folder / "campaign.yaml", PROVINCE, settings)


def ttcs(home: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """The real command, its log file under ``home``."""
    home.mkdir(exist_ok=True)
    return subprocess.run([str(Path(sys.executable).with_name("ttcs")), *args],
                          capture_output=True, text=True, timeout=300,
                          env={**os.environ, "HOME": str(home), **env})


def one_line(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    assert "Traceback" not in stderr
    return lines[0]


def _broken_key(fake: FakeGoogle) -> dict[str, Any]:
    info = fake.service_account_info()
    return info | {"private_key": info["private_key"].replace("\n", "\n#", 3)}


KEY_MIXUPS = {
    "client_secret": (lambda f: f.oauth_client_info(),
                      "là tệp ứng dụng OAuth (client_secret), không phải khóa tài khoản dịch vụ"),
    "sign-in token": (lambda f: f.authorized_user_info(),
                      "là token đăng nhập OAuth của một người dùng, không phải khóa tài khoản"),
    "other JSON": (lambda f: {"hello": "world"},
                   "không mang dấu hiệu của tệp thông tin xác thực Google nào"),
    "not JSON": (lambda f: "-----BEGIN PRIVATE KEY-----", "không phải tệp JSON"),
    "no private key": (lambda f: f.service_account_info() | {"private_key": ""},
                       "khóa tài khoản dịch vụ thiếu private_key"),
    "broken private key": (_broken_key, "khóa riêng (private_key) của tài khoản dịch vụ"),
}


@pytest.mark.parametrize("given", KEY_MIXUPS)
def test_a_wrong_key_file_is_one_line_naming_what_it_is(fake, tmp_path, given) -> None:
    make, said = KEY_MIXUPS[given]
    config = google_campaign(tmp_path, fake, make(fake))
    fake.reset_counts()
    result = CliRunner().invoke(app, ["provision", "--dry-run", "--config", str(config)])
    assert result.exit_code == 2, result.output
    line = one_line(result.stderr)
    assert line.startswith("Lỗi: ") and said in line, line
    assert str(tmp_path / "key.json") in line
    assert fake.counts() == {}  # told before any request


@pytest.mark.parametrize("where", ["endpoint refused", "token_uri refused", "TLS"])
def test_google_out_of_reach_is_one_line_exit_1(fake, tmp_path, where) -> None:
    closed = f"127.0.0.1:{free_port()}"  # nothing listens there
    if where == "endpoint refused":
        config = google_campaign(tmp_path, fake, api_endpoint=f"http://{closed}")
        said = f"(oauth2.googleapis.com qua {closed}): máy chủ từ chối kết nối"
    elif where == "token_uri refused":
        key = fake.service_account_info() | {"token_uri": f"http://{closed}/token"}
        config = google_campaign(tmp_path, fake, key)
        said = f"({closed}): máy chủ từ chối kết nối"
    else:  # https to the fake, which speaks plain HTTP
        config = google_campaign(tmp_path, fake, api_endpoint=fake.url.replace("http:", "https:"))
        said = "lỗi TLS"
    result = ttcs(tmp_path / "home", "provision", "--dry-run", "--config", str(config))
    assert result.returncode == 1, result.stderr
    line = one_line(result.stderr)
    assert line.startswith("Lỗi: không kết nối được tới Google ") and said in line, line
    assert line.endswith("(đã thử 6 lần); kiểm tra mạng"), line  # max_retries 5, then no more


def test_offline_nightly_is_one_line_its_traceback_in_the_log(prefect_harness, fake,
                                                              tmp_path) -> None:
    from prefect.settings import PREFECT_API_URL

    config = google_campaign(tmp_path, fake, api_endpoint=f"http://127.0.0.1:{free_port()}")
    home = tmp_path / "home"
    result = ttcs(home, "nightly", "--config", str(config), "--now", NIGHT.isoformat(),
                  PREFECT_API_URL=str(PREFECT_API_URL.value()))
    assert result.returncode == 1, result.stderr
    line = one_line(result.stderr)
    assert line.startswith("Lỗi: Lượt chạy nightly không thành công: không kết nối được tới "
                           "Google (oauth2.googleapis.com qua 127.0.0.1:"), line
    assert "Traceback" not in result.stdout
    # Prefect's report of the failed task and flow, tracebacks included, is in the log file.
    log = (home / ".ttcs" / "logs" / "ttcs.log").read_text(encoding="utf-8")
    assert "Traceback" in log and "ERROR prefect.task_runs" in log
    assert "ttcs.google.pacing.Unavailable: không kết nối được tới Google" in log


def _night(config: Path) -> Any:
    from flows.nightly import nightly

    return flow_result(nightly(str(config), NIGHT, return_state=True), "nightly")


def test_google_still_failing_is_not_retried_again_by_prefect(prefect_harness, fake,
                                                              tmp_path) -> None:
    config = google_campaign(tmp_path, fake, max_retries=2)
    fake.inject_faults(1.0, ("503",), only=("drive.files.list",))
    fake.reset_counts()
    try:
        with pytest.raises(RunFailed, match=r"báo lỗi 503.*\(đã thử 3 lần\); thử lại sau"):
            _night(config)
    finally:
        fake.clear_faults()
    # The transport's 3 attempts, once: the task's own retries (3) are not spent on it.
    assert fake.counts()["drive.files.list"] == 3


def test_a_key_google_refuses_is_one_line_and_asked_once(prefect_harness, fake,
                                                         tmp_path) -> None:
    deleted = "deleted@ttcs-fake.iam.gserviceaccount.com"  # the fake knows no such account
    config = google_campaign(tmp_path, fake,
                             fake.service_account_info() | {"client_email": deleted})
    fake.reset_counts()
    with pytest.raises(UserError, match=f"Google từ chối khóa tài khoản dịch vụ {deleted} "
                                        r"\(invalid_grant: Invalid grant: account not found\)"):
        _night(config)
    assert fake.counts() == {"token": 1}  # neither the transport nor Prefect asked again


SAFETY_NET = textwrap.dedent(
    """
    import sys
    from ttcs.cli.app import app, main

    @app.command("fail")
    def fail(kind: str) -> None:
        raise KeyboardInterrupt if kind == "interrupt" else ZeroDivisionError("chia cho 0")

    main()
    """
)


@pytest.mark.parametrize(("kind", "code", "said"), [
    ("bug", 1, "Lỗi không mong đợi: ZeroDivisionError: chia cho 0 (chi tiết trong {log})"),
    ("interrupt", 130, "Đã dừng theo yêu cầu (Ctrl+C)"),
])
def test_the_entry_point_turns_anything_left_into_one_line(tmp_path, kind, code, said) -> None:
    result = subprocess.run([sys.executable, "-c", SAFETY_NET, "fail", kind],
                            capture_output=True, text=True, timeout=120, cwd=tmp_path,
                            env={**os.environ, "HOME": str(tmp_path), "PYTHONPATH": str(ROOT)})
    log = tmp_path / ".ttcs" / "logs" / "ttcs.log"
    assert result.returncode == code, result.stderr
    assert one_line(result.stderr) == said.format(log=log)
    if kind == "bug":
        assert 'ZeroDivisionError: chia cho 0' in log.read_text(encoding="utf-8")
        assert "Traceback (most recent call last)" in log.read_text(encoding="utf-8")


@pytest.mark.parametrize(("error", "said"), [
    (socket.gaierror(-3, "Temporary failure in name resolution"),
     "không phân giải được tên máy chủ (DNS: Temporary failure in name resolution)"),
    (ssl.SSLCertVerificationError(1, "certificate verify failed"), "lỗi TLS"),
    (TimeoutError("timed out"), "hết thời gian chờ"),
    (OSError(101, "Network is unreachable"), "Network is unreachable"),
])
def test_the_reason_of_a_network_failure_is_found_down_the_chain(error, said) -> None:
    try:
        try:
            raise error
        except OSError as inner:
            raise RuntimeError("HTTPSConnectionPool: Max retries exceeded") from inner
    except RuntimeError as outer:
        assert network_reason(outer).startswith(said)


@pytest.mark.parametrize(("out", "reason"), [
    ("/dev/full", "ổ đĩa đã đầy"),
    ("{tmp}/a-file/x.xlsx", "một phần của đường dẫn là tệp, không phải thư mục"),
])
def test_template_that_cannot_be_written_is_one_line(tmp_path: Path, out: str,
                                                     reason: str) -> None:
    (tmp_path / "a-file").write_text("x")
    target = out.format(tmp=tmp_path)
    result = CliRunner().invoke(app, ["template", "--unit", "19363", "--out", target])
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [f"Lỗi: không ghi được {target}: {reason}"]


def test_unreadable_key_and_contacts_files_say_why_in_vietnamese(tmp_path: Path) -> None:
    """The reasons of Python's own errors (English) never reach the line."""
    from ttcs.campaign.contacts import read_contacts
    from ttcs.errors import ConfigError
    from ttcs.google.keys import read_json

    latin = tmp_path / "danh-ba.csv"
    latin.write_bytes("Mã,Tên\n19030,Xã Tân\n".encode("latin-1"))  # saved as Windows-1252
    with pytest.raises(ConfigError) as caught:
        read_contacts(latin, "44")
    assert str(caught.value).endswith("không đọc được tệp danh bạ (không phải văn bản UTF-8 "
                                      "(byte thứ 2))")
    broken = tmp_path / "key.json"
    broken.write_text('{"type": "service_account",\n "x": }', encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        read_json(broken, "service_account")
    assert "không phải tệp JSON (sai cú pháp ở dòng 2, cột 7)" in str(caught.value)
