"""The YAML loader behind campaign.yaml and form.yaml: files it cannot read, and pydantic's
errors as one Vietnamese line naming the file, the line and the key."""

from __future__ import annotations

import re
from pathlib import Path
from uuid import UUID

import pytest
from pydantic import BaseModel, ValidationError
from typer.testing import CliRunner

from tests.conftest import CONFIG
from ttcs.campaign.settings import load_campaign
from ttcs.campaign.yamlfile import describe
from ttcs.cli.app import app
from ttcs.errors import ConfigError
from ttcs.workbook.form import load_form

FORM = (CONFIG / "form.yaml").read_text(encoding="utf-8")
ENGLISH = re.compile(r"Input should|Field required|Extra inputs|Value error|valid |Errno")


def _message(load, path: Path) -> str:
    with pytest.raises(ConfigError) as caught:
        load(path)
    message = str(caught.value)
    assert "\n" not in message and not ENGLISH.search(message), message
    return message


def _form_with(tmp_path: Path, old: str, new: str) -> tuple[Path, int]:
    assert old in FORM, old
    text = FORM.replace(old, new, 1)
    path = tmp_path / "form.yaml"
    path.write_text(text, encoding="utf-8")
    return path, text[: text.index(new)].count("\n") + 1


def test_a_file_that_is_not_there(tmp_path: Path) -> None:
    path = tmp_path / "nope.yaml"
    assert _message(load_campaign, path) == f"{path}: không tìm thấy tệp cấu hình"
    link = tmp_path / "dangling.yaml"
    link.symlink_to(tmp_path / "gone.yaml")
    assert _message(load_campaign, link) == f"{link}: không tìm thấy tệp cấu hình"


def test_a_folder_instead_of_a_file(tmp_path: Path) -> None:
    assert _message(load_campaign, tmp_path) == (
        f"{tmp_path}: đây là một thư mục, không phải tệp cấu hình"
    )


def test_a_file_not_in_utf8_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "campaign.yaml"
    path.write_bytes(b"title: x\nprovince: Qu\xe1ng Tr\xec\n")  # Windows-1258, not UTF-8
    assert _message(load_campaign, path) == (
        f"{path}, dòng 2: tệp cấu hình không phải văn bản UTF-8 "
        "(hãy lưu lại tệp với bảng mã UTF-8)"
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "tệp cấu hình trống"),
        ("# chỉ có ghi chú\n", "tệp cấu hình trống"),
        ("- 44\n- 45\n", "tệp cấu hình phải là một bảng khóa: giá trị"),
        ("title: [chưa đóng\nprovince: 44\n", "tệp YAML sai cú pháp (dòng 2, cột 9)"),
        ("title: x\n  province: 44\n", "tệp YAML sai cú pháp (dòng 2, cột 11)"),
    ],
)
def test_empty_or_malformed_yaml(tmp_path: Path, text: str, expected: str) -> None:
    path = tmp_path / "campaign.yaml"
    path.write_text(text, encoding="utf-8")
    assert _message(load_campaign, path) == f"{path}: {expected}"


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("type: count", "type: cnt",
         "giá trị sai ở khóa 'tabs.1.blocks.0.fields.5.type': phải là một trong 'yesno', "
         "'count', 'number', 'text', 'url', 'phone', 'date', 'choice' (đang là 'cnt')"),
        ('- {id: "A.2", required: false,', '- {id: "A.2", required: chắc,',
         "giá trị sai ở khóa 'tabs.4.blocks.0.sections.1.required': phải là true hoặc false "
         "(đang là 'chắc')"),
        ("version: 1", "version: một",
         "giá trị sai ở khóa 'version': phải là số nguyên (đang là 'một')"),
    ],
)
def test_form_errors_are_vietnamese_too(tmp_path: Path, old: str, new: str,
                                        expected: str) -> None:
    path, line = _form_with(tmp_path, old, new)
    assert _message(load_form, path) == f"{path}, dòng {line}: {expected}"


def test_a_bad_block_kind_points_at_its_block(tmp_path: Path) -> None:
    path, line = _form_with(tmp_path, "kind: items", "kind: itemz")
    assert _message(load_form, path) == (
        f"{path}, dòng {line - 1}: giá trị sai ở khóa 'tabs.1.blocks.1': khóa 'kind' phải là "
        "một trong 'units', 'matrix', 'items', 'sections' (đang là 'itemz')"
    )


def test_a_union_tag_equal_to_a_key_is_not_taken_for_it(tmp_path: Path) -> None:
    """The sections block's tag "sections" is also one of its keys."""
    path, _ = _form_with(tmp_path, "        id_label:", "        id_labl:")
    block_line = FORM[: FORM.index("kind: sections")].count("\n")  # its "- id:" line
    assert _message(load_form, path) == (
        f"{path}, dòng {block_line}: thiếu khóa bắt buộc 'tabs.4.blocks.0.id_label' "
        "(và 1 lỗi khác)"
    )


def test_a_form_rule_of_our_own_keeps_its_words(tmp_path: Path) -> None:
    path, _ = _form_with(tmp_path, "    scope: form\n", "    scope: row\n")
    message = _message(load_form, path)
    assert message.startswith(f"{path}, dòng ")
    assert message.endswith("quy tắc theo dòng cần 'table' (ví dụ PL01.stations)")


def test_an_error_type_without_a_translation_is_still_vietnamese() -> None:
    class Model(BaseModel):
        owner_id: UUID

    with pytest.raises(ValidationError) as caught:
        Model.model_validate({"owner_id": "xyz"})
    assert describe(caught.value, Path("a.yaml")) == (
        "a.yaml: giá trị sai ở khóa 'owner_id': giá trị không hợp lệ (đang là 'xyz')"
    )


def test_status_on_a_folder_is_one_line_exit_2(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["status", "--config", str(tmp_path)])
    assert result.exit_code == 2
    assert result.output.strip() == (
        f"Lỗi: {tmp_path}: đây là một thư mục, không phải tệp cấu hình"
    )


def test_a_form_is_read_again_only_when_its_file_changed(tmp_path: Path) -> None:
    path = tmp_path / "form.yaml"
    path.write_text(FORM, encoding="utf-8")
    first = load_form(path)
    assert load_form(str(path)) is first  # the nightly, publish and the CLI share one load
    path.write_text(FORM.replace('yes_label: "Có"', 'yes_label: "Có ạ"', 1), encoding="utf-8")
    assert load_form(path).yes_label == "Có ạ"
    path.write_text(FORM.replace('yes_label: "Có"', 'yes_label: [', 1), encoding="utf-8")
    assert "tệp YAML sai cú pháp" in _message(load_form, path)  # an error is never cached
    path.unlink()
    assert _message(load_form, path) == f"{path}: không tìm thấy tệp cấu hình"
