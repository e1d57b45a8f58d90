"""The campaign's outline (config/outline.txt, the Đề cương) as a tree of numbered items.

The draft report repeats the outline's headings exactly, with their own numbering, so the
parser keeps each item's marker as written ("1.", "b)", "b.", "-", "+") and gives it an id in
the form's notation: sections ``A``, roman parts ``B.I``, numbered ``B.I.1``, lettered
``B.I.1.a``, bullets by position (``A.1`` is the first "- " under A; a "+ " hangs under the "- "
before it: ``B.I.2.a.7.1``). Tolerant of what a typist does: "1.Đối với" (no space), "b. " or
"b) ", stray spaces, blank lines. Lines before the first section are the outline's own title;
"*" lines are notes to the communes; other lines are text under the item above them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from ttcs.errors import ConfigError
from ttcs.text import clean

OUTLINE_NAME = "outline.txt"

KINDS = ("section", "part", "number", "letter", "bullet", "sub_bullet")
_PATTERNS = (
    ("section", re.compile(r"^([A-H])\.\s+(\S.*)$")),
    ("part", re.compile(r"^(X|IX|IV|V?I{1,3}|V)\.\s*(\S.*)$")),
    ("number", re.compile(r"^(\d{1,2})[.)]\s*(\S.*)$")),
    ("letter", re.compile(r"^([a-zđ])[.)]\s*(\S.*)$")),
    ("bullet", re.compile(r"^(-)\s*(\S.*)$")),
    ("sub_bullet", re.compile(r"^(\+)\s*(\S.*)$")),
)
_RULE = re.compile(r"^[-_=.\s]{3,}$")  # "-------------" under the title


@dataclass
class OutlineItem:
    id: str  # "B.I.1.a"
    kind: str  # one of KINDS
    marker: str  # as written: "B.", "II.", "1.", "b)", "-", "+"
    text: str  # the heading without its marker
    children: list[OutlineItem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # text lines under it, in order
    hints: list[str] = field(default_factory=list)  # "*" lines: advice to the communes

    @property
    def heading(self) -> str:
        """The heading as the report prints it: "1. Đối với …", "- Số lượng …"."""
        return f"{self.marker} {self.text}"

    @property
    def is_bullet(self) -> bool:
        return self.kind in ("bullet", "sub_bullet")

    def walk(self) -> list[OutlineItem]:
        """This item and every item under it, in the outline's order."""
        return [self] + [item for child in self.children for item in child.walk()]


@dataclass
class Outline:
    title: list[str]  # the lines before section A
    sections: list[OutlineItem]

    def items(self) -> list[OutlineItem]:
        return [item for section in self.sections for item in section.walk()]

    def find(self, item_id: str) -> OutlineItem | None:
        return next((item for item in self.items() if item.id == item_id), None)


def _kind_of(line: str) -> tuple[str, str, str] | None:
    for kind, pattern in _PATTERNS:
        if match := pattern.match(line):
            return kind, match.group(1), match.group(2).strip()
    return None


def _parent(stack: list[OutlineItem], kind: str) -> OutlineItem:
    """The item a new one of ``kind`` hangs under: the nearest item of a higher level (a
    sub-bullet under the last bullet; a bullet under the last non-bullet)."""
    rank = KINDS.index(kind)
    while stack and KINDS.index(stack[-1].kind) >= rank:
        stack.pop()
    return stack[-1]


def _child_id(parent: OutlineItem, kind: str, label: str) -> str:
    if kind in ("bullet", "sub_bullet"):
        label = str(1 + sum(child.kind == kind for child in parent.children))
    return f"{parent.id}.{label}"


def parse_outline(text: str) -> Outline:
    title: list[str] = []
    sections: list[OutlineItem] = []
    stack: list[OutlineItem] = []
    for raw in text.splitlines():
        line = clean(raw)
        if not line or _RULE.match(line):
            continue
        found = _kind_of(line)
        if found and found[0] == "section":
            item = OutlineItem(found[1], "section", f"{found[1]}.", found[2])
            sections.append(item)
            stack = [item]
        elif not stack:
            title.append(line)
        elif line.startswith("*"):
            stack[-1].hints.append(line.lstrip("* ").strip())
        elif found:
            kind, label, rest = found
            parent = _parent(stack, kind)
            marker = label if kind in ("bullet", "sub_bullet") else line[:len(label) + 1]
            item = OutlineItem(_child_id(parent, kind, label), kind, marker, rest)
            parent.children.append(item)
            stack.append(item)
        else:
            stack[-1].notes.append(line)
    return Outline(title, sections)


def outline_path(form_path: Path) -> Path:
    """The campaign's outline: ``outline.txt`` beside its form file."""
    return form_path.parent / OUTLINE_NAME


def load_outline(path: Path) -> Outline:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise ConfigError(f"không tìm thấy đề cương {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"không đọc được đề cương {path} ({type(exc).__name__})") from None
    outline = parse_outline(text)
    if not outline.sections:
        raise ConfigError(f"đề cương {path} không có mục nào dạng 'A. …'")
    return outline
