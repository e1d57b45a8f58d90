"""`ttcs units` in process, and once through the real console script (one line, exit 2)."""

from __future__ import annotations

import json

from tests.conftest import cli, run_ttcs


def test_quang_tri_json() -> None:
    result = cli("units", "--province", "44", "--json")
    assert result.returncode == 0, result.stderr
    units = json.loads(result.stdout)
    assert len(units) == 78
    assert sum(len(unit["predecessors"]) for unit in units) == 265
    assert [unit["code"] for unit in units] == sorted(unit["code"] for unit in units)
    con_co = next(unit for unit in units if unit["name"] == "Đặc khu Cồn Cỏ")
    assert con_co == {
        "code": "19742",
        "name": "Đặc khu Cồn Cỏ",
        "type": "đặc khu",
        "predecessors": [
            {
                "code": "471",
                "name": "Huyện Cồn Cỏ",
                "type": "huyện",
                "district": "Huyện Cồn Cỏ",
                "province": "Tỉnh Quảng Trị",
            }
        ],
    }
    dong_thuan = next(unit for unit in units if unit["code"] == "18859")
    assert {p["district"] for p in dong_thuan["predecessors"]} == {"Thành phố Đồng Hới"}


def test_ha_noi_by_name_gives_126() -> None:
    result = cli("units", "--province", "Hà Nội", "--json")
    assert result.returncode == 0, result.stderr
    assert len(json.loads(result.stdout)) == 126


def test_unknown_province_one_line_exit_2() -> None:
    result = run_ttcs("units", "--province", "Không Có")
    assert result.returncode == 2
    assert result.stdout == ""
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Không tìm thấy tỉnh/thành phố" in result.stderr
    assert "Traceback" not in result.stderr


def test_malformed_campaign_one_line_exit_2(tmp_path) -> None:
    bad = tmp_path / "campaign.yaml"
    bad.write_text("title: x\nprovince: 44\n", encoding="utf-8")
    result = cli("units", "--config", str(bad))
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1
    assert str(bad) in result.stderr and "thiếu khóa bắt buộc" in result.stderr


def test_table_defaults_to_the_campaign_province() -> None:
    result = cli("units")
    assert result.returncode == 0, result.stderr
    assert "Quảng Trị (44): 78 đơn vị, 265 đơn vị cũ" in result.stdout
