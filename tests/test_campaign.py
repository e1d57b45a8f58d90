"""Campaign config: defaults, relative paths, the deadline, and one Vietnamese line per error."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml

from tests.conftest import CONFIG, cli
from ttcs.campaign.settings import load_campaign
from ttcs.errors import ConfigError
from ttcs.run.classify import Standing, flags

SEED = (CONFIG / "campaign.yaml").read_text(encoding="utf-8")
VN = ZoneInfo("Asia/Ho_Chi_Minh")
ENGLISH = re.compile(r"Input should|Field required|Extra inputs|Value error|valid |unable to")


def _write(tmp_path: Path, **changes) -> Path:
    data = yaml.safe_load(SEED)
    for dotted, value in changes.items():
        *parents, last = dotted.split("__")
        target = data
        for part in parents:
            target = target[part]
        if value is None:
            del target[last]
        else:
            target[last] = value
    path = tmp_path / "elsewhere" / "campaign.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def _edit(tmp_path: Path, old: str, new: str, at: str | None = None) -> tuple[Path, int]:
    """The seed with one text replaced, as a person edits it; and the line of ``at`` (default:
    the new text) in the result."""
    assert SEED.count(old) == 1, old
    text = SEED.replace(old, new)
    path = tmp_path / "campaign.yaml"
    path.write_text(text, encoding="utf-8")
    return path, text[: text.index(at or new)].count("\n") + 1


def _error(path: Path) -> str:
    with pytest.raises(ConfigError) as caught:
        load_campaign(path)
    message = str(caught.value)
    assert "\n" not in message and not ENGLISH.search(message), message
    return message


def test_default_campaign_is_the_seed() -> None:
    campaign = load_campaign(CONFIG / "campaign.yaml")
    assert campaign.title.startswith("Tổng kết Chiến lược phát triển lĩnh vực thông tin cơ sở")
    assert campaign.province_code == "44"
    assert campaign.province_info.name == "Quảng Trị"
    assert campaign.data_as_of.isoformat() == "2025-09-30"
    assert campaign.deadline == datetime(2025, 9, 30, 17, 0, tzinfo=VN)
    assert campaign.deadline_note is None
    assert campaign.reform_date.isoformat() == "2025-07-01"
    assert campaign.reminders.stages == [-7, -3, -1, 0, 1, 3]
    assert campaign.backend.kind == "local"


def test_paths_resolve_relative_to_the_file(tmp_path: Path, monkeypatch) -> None:
    path = _write(tmp_path)
    monkeypatch.chdir("/")
    campaign = load_campaign(path)
    assert campaign.form == (path.parent / "form.yaml").resolve()
    assert campaign.output_dir == (tmp_path / "out").resolve()
    assert campaign.database == f"sqlite:///{(tmp_path / 'state' / 'ttcs.db').resolve()}"
    assert campaign.backend.local is not None
    assert campaign.backend.local.folder == (tmp_path / "data" / "communes").resolve()


def test_naive_deadline_is_local_time(tmp_path: Path) -> None:
    campaign = load_campaign(_write(tmp_path, deadline="2025-10-05 17:00:00"))
    assert campaign.deadline == datetime(2025, 10, 5, 17, 0, tzinfo=VN)
    assert campaign.deadline_note is None


@pytest.mark.parametrize("written", ["deadline: 2025-09-30", "deadline: '2025-09-30'"])
def test_date_only_deadline_is_the_end_of_that_day(tmp_path: Path, written: str) -> None:
    path, _ = _edit(tmp_path, "deadline: 2025-09-30T17:00:00+07:00", written)
    campaign = load_campaign(path)
    assert campaign.deadline == datetime(2025, 9, 30, 23, 59, 59, tzinfo=VN)
    assert campaign.deadline_note == (
        "Hạn nộp ghi không kèm giờ: tính đến hết ngày 30/9/2025 (23:59:59)"
    )
    on_time = datetime.fromisoformat("2025-09-30T20:00:00+07:00")
    after = campaign.deadline + timedelta(seconds=1)
    as_of = datetime(2025, 10, 3, 23, 30, tzinfo=VN)
    submitted = Standing(status="submitted", inconsistent=False, warnings=0)
    assert flags(submitted, [on_time], campaign.deadline, as_of) == []
    assert flags(submitted, [after], campaign.deadline, as_of) == ["late", "submitted_late"]


def test_an_explicit_midnight_is_kept(tmp_path: Path) -> None:
    path, _ = _edit(tmp_path, "deadline: 2025-09-30T17:00:00+07:00", "deadline: 2025-09-30T00:00")
    campaign = load_campaign(path)
    assert campaign.deadline == datetime(2025, 9, 30, 0, 0, tzinfo=VN)
    assert campaign.deadline_note is None


def test_unquoted_times_are_times_not_base_60_numbers(tmp_path: Path) -> None:
    path, _ = _edit(tmp_path, 'window_start: "07:30"\n  window_end: "17:00"',
                    "window_start: 7:30\n  window_end: 17:00")
    reminders = load_campaign(path).reminders
    assert (reminders.window_start.isoformat(), reminders.window_end.isoformat()) == (
        "07:30:00", "17:00:00")


def test_province_by_name_and_excluded_codes_repadded(tmp_path: Path) -> None:
    campaign = load_campaign(_write(tmp_path, province="quang tri", excluded_units=[19742]))
    assert campaign.province_code == "44"
    assert campaign.excluded_units == ["19742"]


# (text of the seed, what it becomes, the message after "<file>, dòng N: ", the text on line N
# when it is not the new text)
BAD_LINES = [
    ('  window_start: "07:30"', '  window_start: "18:00"',
     "giá trị sai ở khóa 'reminders': khung giờ gửi sai: window_start (18:00) phải sớm hơn "
     "window_end (17:00)", "reminders:"),
    ('  window_start: "07:30"', '  window_start: "17:00"',
     "giá trị sai ở khóa 'reminders': khung giờ gửi sai: window_start (17:00) phải sớm hơn "
     "window_end (17:00)", "reminders:"),
    ('  window_end: "17:00"', "  window_end: 17",
     "giá trị sai ở khóa 'reminders.window_end': giờ phải viết dạng \"HH:MM\", ví dụ \"07:30\" "
     "(đang là 17)"),
    ('  window_end: "17:00"', "  window_end: năm giờ",
     "giá trị sai ở khóa 'reminders.window_end': phải là giờ dạng HH:MM, ví dụ \"07:30\" "
     "(đang là 'năm giờ')"),
    ("      mode: shared_drive ", "      mode: drive ",
     "giá trị sai ở khóa 'backend.gsheets.provision.mode': phải là một trong 'shared_drive', "
     "'oauth', 'adopt' (đang là 'drive')"),
    ("  kind: local ", "  kind: excel ",
     "giá trị sai ở khóa 'backend.kind': phải là một trong 'local', 'gsheets' (đang là 'excel')"),
    ("  starttls: false", "  starttls: false\n  pasword_env: SMTP_PASSWORD",
     "khóa không được hỗ trợ 'smtp.pasword_env' (viết sai tên khóa?)", "pasword_env"),
    ("  port: 25", "  port: hai lăm",
     "giá trị sai ở khóa 'smtp.port': phải là số nguyên (đang là 'hai lăm')"),
    ("  port: 25", "  port: 0", "giá trị sai ở khóa 'smtp.port': phải từ 1 trở lên (đang là 0)"),
    ("  port: 25", "  port: 70000",
     "giá trị sai ở khóa 'smtp.port': không được lớn hơn 65535 (đang là 70000)"),
    ("  port: 25", "  port:", "giá trị sai ở khóa 'smtp.port': phải là số nguyên (đang để trống)"),
    ("  collect_if_older_than_hours: 12", "  collect_if_older_than_hours: mười hai",
     "giá trị sai ở khóa 'reminders.collect_if_older_than_hours': phải là một số "
     "(đang là 'mười hai')"),
    ("  collect_if_older_than_hours: 12", "  collect_if_older_than_hours: 0",
     "giá trị sai ở khóa 'reminders.collect_if_older_than_hours': phải lớn hơn 0 (đang là 0)"),
    ("  starttls: false", "  starttls: có lẽ",
     "giá trị sai ở khóa 'smtp.starttls': phải là true hoặc false (đang là 'có lẽ')"),
    ("data_as_of: 2025-09-30", "data_as_of: 2025-13-30",
     "giá trị sai ở khóa 'data_as_of': phải là một ngày dạng YYYY-MM-DD, ví dụ 2025-09-30 "
     "(đang là '2025-13-30')"),
    ("deadline: 2025-09-30T17:00:00+07:00", "deadline: 30/9/2025",
     "giá trị sai ở khóa 'deadline': phải là ngày giờ dạng YYYY-MM-DDTHH:MM:SS+07:00 hoặc một "
     "ngày YYYY-MM-DD, ví dụ 2025-09-30T17:00:00+07:00 (đang là '30/9/2025')"),
    ("deadline: 2025-09-30T17:00:00+07:00", "deadline: 2025-02-30",
     "giá trị sai ở khóa 'deadline': phải là ngày giờ dạng YYYY-MM-DDTHH:MM:SS+07:00 hoặc một "
     "ngày YYYY-MM-DD, ví dụ 2025-09-30T17:00:00+07:00 (đang là '2025-02-30')"),
    ('title: "Tổng kết', 'title: ["Tổng kết"]\nx: "Tổng kết',
     "giá trị sai ở khóa 'title': phải là một chuỗi văn bản (và 1 lỗi khác)"),
    ("  stages: [-7, -3, -1, 0, 1, 3]", "  stages: -7",
     "giá trị sai ở khóa 'reminders.stages': phải là một danh sách (đang là -7)"),
    ("  stages: [-7, -3, -1, 0, 1, 3]", "  stages: []",
     "giá trị sai ở khóa 'reminders.stages': phải có ít nhất 1 phần tử"),
    ("  stages: [-7, -3, -1, 0, 1, 3]", "  stages: [-3, -3]",
     "giá trị sai ở khóa 'reminders.stages': các mốc nhắc bị trùng"),
    ("    email: ttcs-coordinator@example.org", "    email: ttcs-coordinator",
     "giá trị sai ở khóa 'coordinators.0.email': địa chỉ email không hợp lệ: 'ttcs-coordinator'"),
    ("timezone: Asia/Ho_Chi_Minh", "timezone: Asia/Hanoi",
     "giá trị sai ở khóa 'timezone': múi giờ không tồn tại: Asia/Hanoi"),
]


@pytest.mark.parametrize("case", BAD_LINES)
def test_each_bad_line_is_one_vietnamese_line(tmp_path: Path, case: tuple[str, ...]) -> None:
    old, new, expected, *at = case
    path, line = _edit(tmp_path, old, new, *at)
    assert _error(path) == f"{path}, dòng {line}: {expected}"


def test_missing_required_key(tmp_path: Path) -> None:
    path, _ = _edit(tmp_path, "database: sqlite:///../state/ttcs.db\n", "")
    assert _error(path) == f"{path}: thiếu khóa bắt buộc 'database'"


def test_missing_nested_key_names_its_block(tmp_path: Path) -> None:
    path, line = _edit(tmp_path, "    folder: ../data/communes ", "    folderr: ../data/communes ",
                       at="  local:")
    assert _error(path) == (
        f"{path}, dòng {line}: thiếu khóa bắt buộc 'backend.local.folder' (và 1 lỗi khác)"
    )


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"province": "Không Có"}, "giá trị sai ở khóa 'province': Không tìm thấy tỉnh/thành phố"),
        ({"excluded_units": ["00070"]}, "mã 00070 không thuộc Quảng Trị"),
    ],
)
def test_checks_after_the_model_name_key_and_file(tmp_path: Path, changes: dict,
                                                  expected: str) -> None:
    path = _write(tmp_path, **changes)
    message = _error(path)
    assert message.startswith(f"{path}: ")
    assert expected in message


def test_status_with_a_bad_config_is_one_line_exit_2(tmp_path: Path) -> None:
    path, line = _edit(tmp_path, "      mode: shared_drive ", "      mode: drive ")
    result = cli("status", "--config", str(path))
    assert result.returncode == 2
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    assert result.stderr.strip() == (
        f"Lỗi: {path}, dòng {line}: giá trị sai ở khóa 'backend.gsheets.provision.mode': "
        "phải là một trong 'shared_drive', 'oauth', 'adopt' (đang là 'drive')"
    )
