"""One word per code: the commune's attachment, the province summary, the reminders' templates
and the CLI read their labels from ttcs.labels, and every status, flag and kind has one."""

from __future__ import annotations

import io
import shutil
import typing

from openpyxl import load_workbook

from tests.conftest import CONFIG
from ttcs import labels
from ttcs.reminders import messages
from ttcs.run.classify import FLAGS, STATUSES
from ttcs.workbook.issues import Issue, Kind, Severity

ISSUES = [Issue("18859", "PL02", "E9", "boards", "count", "invalid", 'giá trị "x" không phải số'),
          Issue("18859", "PL02", "F9", "boards_connected", "r", "contradiction", "mâu thuẫn")]


def test_every_code_has_a_vietnamese_label() -> None:
    assert list(labels.STATUS_VI) == list(STATUSES)
    assert list(labels.FLAG_VI) == list(FLAGS)
    assert set(labels.KIND_VI) == set(typing.get_args(Kind))
    assert set(labels.SEVERITY_VI) == set(typing.get_args(Severity))
    assert labels.KIND_VI["invalid"] == "Sai giá trị"


def test_kinds_are_ordered_contradictions_first_warnings_last() -> None:
    ranked = sorted(["warning", "missing", "invented", "invalid", "contradiction"],
                    key=labels.kind_rank)
    assert ranked == ["contradiction", "invalid", "missing", "warning", "invented"]


def test_the_attachment_names_each_kind_with_the_shared_word() -> None:
    book = load_workbook(io.BytesIO(messages.issues_workbook("18859", "Phường Đồng Thuận",
                                                             ISSUES)))
    assert book.sheetnames == [labels.FEEDBACK_TAB]
    kinds = [row[3] for row in book.active.iter_rows(min_row=3, values_only=True)]
    assert kinds == ["Sai giá trị", "Mâu thuẫn"]


def test_templates_can_use_the_labels(tmp_path) -> None:
    folder = tmp_path / "messages"
    shutil.copytree(CONFIG / "messages", folder)
    (folder / "digest.subject.txt").write_text(
        '{{ labels.status["needs_fix"] }} / {{ labels.kind["invalid"] }} / '
        '{{ labels.flag["late"] }} / {{ labels.severity["warning"] }}', encoding="utf-8")
    rendered = messages.load(folder).render("digest.subject.txt", {})
    assert rendered == "cần sửa / Sai giá trị / trễ hạn / Cảnh báo"
