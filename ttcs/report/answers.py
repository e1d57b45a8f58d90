"""The communes' written answers, compiled under the outline item they answer.

Two sources, both from the consolidation (accepted submissions only): the assessments of the
"Đánh giá" tab (section id -> answers), and the free-text fields of the appendices' items
blocks, filed under the outline item named in their block title ("… (mục B.I.1.b)"). Answers
that say the same thing (same words after spacing and case) are one group naming every unit
that wrote it; the units that submitted but left the item empty are listed after.
"""

from __future__ import annotations

from dataclasses import dataclass

from ttcs.outputs.consolidate import Consolidation, written_fields
from ttcs.text import clean
from ttcs.workbook.form import Form


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


def compile_answers(form: Form, figures: Consolidation,
                    names: dict[str, str]) -> dict[str, list[Topic]]:
    """Outline id -> the topics answered there by the communes (``names``: unit code -> name
    of every unit; only the units of ``figures.reported`` count)."""
    reported = {code: names[code] for code in figures.reported}
    out: dict[str, list[Topic]] = {}
    for section in form.sections.commune_sections:
        out.setdefault(section.id, []).append(
            _topic(None, list(figures.assessments.get(section.id, [])), reported))
    for written in written_fields(form, figures):
        if written.section is not None:
            out.setdefault(written.section, []).append(
                _topic(written.field.label, written.answers, reported))
    return out
