"""The words a commune reads for a rule's condition."""

from __future__ import annotations

from ttcs.workbook.rules import condition_text


def test_a_field_id_that_prefixes_another_is_replaced_whole(form) -> None:
    """'boards' must not eat into 'boards_connected', nor into 'params.boards'."""
    text = condition_text("boards > 0 and boards_connected >= params.boards", form)
    assert text == ('"Số bảng tin điện tử công cộng" > 0 and "Trong đó: số bảng tin kết nối '
                    'Hệ thống thông tin nguồn tỉnh" >= params.boards')


def test_a_yes_no_field_alone_reads_as_is_yes(form) -> None:
    assert condition_text("has_station", form) == '"Có đài truyền thanh (Có/Không)" là "Có"'
