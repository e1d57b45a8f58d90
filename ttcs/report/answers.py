"""The communes' written answers, compiled under the outline item they answer.

Two sources, both from the consolidation (accepted submissions only): the assessments of the
"Đánh giá" tab (section id -> answers), and the free-text fields of the appendices' items
blocks, filed under the outline item named in their block title ("… (mục B.I.1.b)"). Answers
that say the same thing (same words after spacing and case) are one group naming every unit
that wrote it; the units that submitted but left the item empty are listed after.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ttcs.outputs.consolidate import Consolidation
from ttcs.text import clean
from ttcs.workbook.form import Form, ItemsBlock

_OUTLINE_IN_TITLE = re.compile(r"\(mục\s+([^)]+)\)\s*$")
TEXT_TYPES = ("text", "url", "phone", "choice")


@dataclass(frozen=True)
class Group:
    text: str  # as the first unit wrote it
    names: tuple[str, ...]  # every unit that wrote it, in code order


@dataclass(frozen=True)
class Topic:
    """One question's answers: a section of the form, or one text field (``label``)."""

    label: str | None  # "Thuận lợi" for an appendix field; None for a whole section
    groups: tuple[Group, ...]
    empty: tuple[str, ...]  # units that submitted without answering it

    @property
    def answered(self) -> int:
        return sum(len(group.names) for group in self.groups)


def _groups(answers: list[dict[str, str]]) -> tuple[Group, ...]:
    by_text: dict[str, list[dict[str, str]]] = {}
    for answer in answers:
        by_text.setdefault(clean(answer["answer"]).casefold(), []).append(answer)
    return tuple(Group(clean(same[0]["answer"]), tuple(a["name"] for a in same))
                 for same in by_text.values())


def _topic(label: str | None, answers: list[dict[str, str]],
           reported: dict[str, str]) -> Topic:
    answers = sorted(answers, key=lambda a: a["code"])
    said = {a["code"] for a in answers}
    empty = tuple(name for code, name in sorted(reported.items()) if code not in said)
    return Topic(label, _groups(answers), empty)


def _field_answers(figures: Consolidation, table: str, field: str) -> list[dict[str, str]]:
    return [{"code": str(row["unit_code"]), "name": str(row["unit_name"]),
             "answer": str(row[field])}
            for row in figures.rows(table)
            if row.get(field) is not None and str(row[field]).strip()]


def compile_answers(form: Form, figures: Consolidation,
                    names: dict[str, str]) -> dict[str, list[Topic]]:
    """Outline id -> the topics answered there by the communes (``names``: unit code -> name
    of every unit; only the units of ``figures.reported`` count)."""
    reported = {code: names[code] for code in figures.reported}
    out: dict[str, list[Topic]] = {}
    for section in form.sections.commune_sections:
        out.setdefault(section.id, []).append(
            _topic(None, list(figures.assessments.get(section.id, [])), reported))
    for tab in form.tabs:
        for block in tab.blocks:
            match = _OUTLINE_IN_TITLE.search(block.title or "") \
                if isinstance(block, ItemsBlock) else None
            if match is None:
                continue
            table = f"{tab.id}.{block.id}"
            for field in (f for f in block.fields if f.type in TEXT_TYPES):
                out.setdefault(match.group(1).strip(), []).append(
                    _topic(field.label, _field_answers(figures, table, field.id), reported))
    return out
