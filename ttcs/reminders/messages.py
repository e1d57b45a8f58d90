"""The words of reminders and of the coordinators' digest: Jinja2 templates the Department edits.

The folder (``reminders.messages``, default ``config/messages/``) holds a subject, a plain text
and an HTML body for each message (:data:`TEMPLATES`); ``_common.txt`` holds macros they share.
Every template can use ``labels`` (``labels.status``, ``labels.flag``, ``labels.kind``,
``labels.severity``: code -> the Vietnamese word of :mod:`ttcs.labels`).
Every template is compiled when the folder is loaded, and rendering raises
:class:`~ttcs.errors.ConfigError` naming the file and line, so a broken template is one line
before anything is sent (:func:`ttcs.reminders.remind.rehearse` renders every situation once
at start).
"""

from __future__ import annotations

import io
import types
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import jinja2
from openpyxl import Workbook

from ttcs import labels
from ttcs.errors import ConfigError
from ttcs.workbook.issues import Issue

DEFAULT_FOLDER = Path(__file__).resolve().parents[2] / "config" / "messages"
TEMPLATES = ("reminder.subject.txt", "reminder.txt", "reminder.html",
             "digest.subject.txt", "digest.txt", "digest.html")
ATTACHMENT = "ket-qua-kiem-tra-{code}.xlsx"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class Messages:
    """The compiled templates of one folder."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(folder), undefined=jinja2.StrictUndefined,
            autoescape=jinja2.select_autoescape(["html"]), trim_blocks=True,
            lstrip_blocks=True, keep_trailing_newline=True)
        env.globals["labels"] = {"status": labels.STATUS_VI, "flag": labels.FLAG_VI,
                                 "kind": labels.KIND_VI, "severity": labels.SEVERITY_VI}
        self.templates = {name: self._compile(env, name) for name in TEMPLATES}

    def _compile(self, env: jinja2.Environment, name: str) -> jinja2.Template:
        try:
            return env.get_template(name)
        except jinja2.TemplateNotFound as exc:
            missing = self.folder / (exc.name or name)
            raise ConfigError(f"thiếu tệp mẫu tin nhắn {missing}") from None
        except UnicodeDecodeError:
            raise ConfigError(f"{self.folder / name}: tệp mẫu tin nhắn không phải UTF-8") from None
        except jinja2.TemplateSyntaxError as exc:
            raise ConfigError(f"{exc.filename or self.folder / name}, dòng {exc.lineno}: mẫu tin "
                              f"nhắn sai cú pháp Jinja2 ({exc.message})") from None

    def render(self, name: str, context: dict[str, Any]) -> str:
        try:
            out = self.templates[name].render(context)
        except jinja2.TemplateError as exc:
            raise ConfigError(self._where(name, exc.__traceback__) + _explain(exc)) from None
        except Exception as exc:  # e.g. a filter applied to the wrong kind of value
            raise ConfigError(self._where(name, exc.__traceback__)
                              + f"lỗi khi dựng tin nhắn ({type(exc).__name__}: {exc})") from None
        return " ".join(out.split()) if name.endswith(".subject.txt") else out

    def _where(self, name: str, tb: types.TracebackType | None) -> str:
        """'<file>, dòng N: ' for the deepest frame inside one of our templates."""
        where = f"{self.folder / name}: "
        files = {str((self.folder / t).resolve()) for t in (*TEMPLATES, "_common.txt")}
        while tb is not None:
            filename = tb.tb_frame.f_code.co_filename
            if str(Path(filename).resolve()) in files:
                where = f"{filename}, dòng {tb.tb_lineno}: "
            tb = tb.tb_next
        return where


def _explain(exc: jinja2.TemplateError) -> str:
    if isinstance(exc, jinja2.UndefinedError):
        return f"mẫu tin nhắn dùng giá trị không có ({exc.message})"
    return f"mẫu tin nhắn lỗi ({exc.message or type(exc).__name__})"


def load(folder: Path | None = None) -> Messages:
    """The compiled templates of ``folder`` (default :data:`DEFAULT_FOLDER`)."""
    folder = (folder or DEFAULT_FOLDER).resolve()
    if not folder.is_dir():
        raise ConfigError(f"không có thư mục mẫu tin nhắn {folder} (reminders.messages)")
    return Messages(folder)


def issues_workbook(unit: str, name: str, issues: Sequence[Issue]) -> bytes:
    """The "kết quả kiểm tra" .xlsx attached for a local campaign: every error, then every
    warning (its "Loại" says "Cảnh báo"), by sheet and cell, in the order of the message."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet(labels.FEEDBACK_TAB)
    sheet.column_dimensions["E"].width = 100
    errors = sum(issue.is_error for issue in issues)
    sheet.append([f"Kết quả kiểm tra — {name} (mã {unit}): {errors} lỗi, "
                  f"{len(issues) - errors} cảnh báo"])
    sheet.append(["STT", "Trang", "Ô", "Loại", "Nội dung"])
    for number, issue in enumerate(issues, start=1):
        sheet.append([number, issue.sheet or "", issue.cell or "",
                      labels.kind_vi(issue.kind), issue.message])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
