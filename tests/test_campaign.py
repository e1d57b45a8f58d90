"""Campaign config: defaults, relative paths, one-line errors naming key and file."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml

from tests.conftest import CONFIG
from ttcs.campaign import load_campaign
from ttcs.errors import ConfigError


def _write(tmp_path: Path, **changes) -> Path:
    data = yaml.safe_load((CONFIG / "campaign.yaml").read_text(encoding="utf-8"))
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


def test_default_campaign_is_the_seed() -> None:
    campaign = load_campaign(CONFIG / "campaign.yaml")
    assert campaign.title.startswith("Tổng kết Chiến lược phát triển lĩnh vực thông tin cơ sở")
    assert campaign.province_code == "44"
    assert campaign.province_info.name == "Quảng Trị"
    assert campaign.data_as_of.isoformat() == "2025-09-30"
    tz = ZoneInfo("Asia/Ho_Chi_Minh")
    assert campaign.deadline == datetime(2025, 9, 30, 17, 0, tzinfo=tz)
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
    assert campaign.deadline.utcoffset().total_seconds() == 7 * 3600


def test_province_by_name_and_excluded_codes_repadded(tmp_path: Path) -> None:
    campaign = load_campaign(_write(tmp_path, province="quang tri", excluded_units=[19742]))
    assert campaign.province_code == "44"
    assert campaign.excluded_units == ["19742"]


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"deadline": None}, "thiếu khóa bắt buộc 'deadline'"),
        ({"deadline": "mai"}, "giá trị sai ở khóa 'deadline' 'mai'"),
        ({"reminders__stages": [-3, -3]}, "khóa 'reminders.stages'"),
        ({"backend__kind": "excel"}, "khóa 'backend.kind' 'excel'"),
        ({"province": "Không Có"}, "khóa 'province': Không tìm thấy tỉnh/thành phố"),
        ({"excluded_units": ["00070"]}, "mã 00070 không thuộc Quảng Trị"),
        ({"deadlne": "2025-09-30"}, "khóa không được hỗ trợ 'deadlne'"),
        ({"timezone": "Asia/Hanoi_City"}, "khóa 'timezone'"),
    ],
)
def test_bad_values_name_key_and_file(tmp_path: Path, changes: dict, expected: str) -> None:
    path = _write(tmp_path, **changes)
    with pytest.raises(ConfigError) as caught:
        load_campaign(path)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(str(path))
    assert expected in message


def test_missing_and_malformed_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="không tìm thấy tệp cấu hình"):
        load_campaign(tmp_path / "nope.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("title: [unclosed\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"sai cú pháp \(dòng 2"):
        load_campaign(bad)
