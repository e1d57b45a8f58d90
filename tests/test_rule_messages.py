"""Rule messages: each {token} replaced whole, by name, whatever the field ids of the form."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import CONFIG
from ttcs.workbook.form import Form, load_form
from ttcs.workbook.parse import Parsed, Row, Value
from ttcs.workbook.rules import check, message_text


def _edited_form(tmp_path: Path, message: str) -> Form:
    """config/form.yaml as the Department might edit it: a rule message naming both fields of a
    pair where one id prefixes the other (boards / boards_connected)."""
    text = (CONFIG / "form.yaml").read_text(encoding="utf-8")
    old = ("message: 'Số bảng tin kết nối Hệ thống thông tin nguồn tỉnh ({left}) lớn hơn tổng "
           "số bảng tin điện tử công cộng ({right})'")
    assert old in text
    path = tmp_path / "form.yaml"
    path.write_text(text.replace(old, f"message: '{message}'"), encoding="utf-8")
    return load_form(path)


def _web_row(boards: int, connected: int, url: str) -> Parsed:
    cells = {"has_website": (True, "C9"), "website_url": (url, "D9"), "boards": (boards, "E9"),
             "boards_connected": (connected, "F9")}
    values = {k: Value(v, "PL02", cell, blank=False) for k, (v, cell) in cells.items()}
    return Parsed("18859", tables={"PL02.web_boards": [
        Row("18859", "after", "Phường Đồng Thuận", values)]})


def test_rule_messages_substitute_whole_tokens_by_name(tmp_path) -> None:
    form = _edited_form(tmp_path, "Kết nối {value_boards_connected} trên tổng {value_boards} "
                                  "bảng tin ({left} > {right}) tại {value_website_url}; {không rõ}")
    found = [i for i in check(form, _web_row(3, 5, "{value_boards}"))
             if i.rule == "pl02_connected_le_boards"]
    assert [i.message for i in found] == [
        "Ô F9: Kết nối 5 trên tổng 3 bảng tin (5 > 3) tại {value_boards}; {không rõ} "
        "(dòng Phường Đồng Thuận, sau 01/7/2025)"]


def test_message_text_never_matches_part_of_a_longer_token() -> None:
    tokens = {"value_boards": "3", "value_boards_connected": "5"}
    assert message_text("{value_boards_connected}/{value_boards}/{value_boards_c}", tokens) \
        == "5/3/{value_boards_c}"
