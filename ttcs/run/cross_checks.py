"""Checks that compare a unit with the others, computed each night over the accepted
submissions: the same text pasted by several units, and a figure far outside the province's
distribution for units of its type (median ± k·MAD). With the checks of one unit's own record
(:mod:`ttcs.run.record_checks`) they make the night's review: warnings only, recomputed every
run, never stored as the file's own issues (see :func:`ttcs.run.assess.classify_run`).
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from ttcs.campaign import registry
from ttcs.run import record_checks
from ttcs.run.record_checks import Cell, Record, row_cell, rows
from ttcs.text import clean
from ttcs.vi_format import number
from ttcs.workbook.form import Form, ItemsBlock
from ttcs.workbook.issues import Issue

NAMED = 5  # other units named in a message; the rest are counted
SNIPPET = 60  # characters of a pasted text quoted


def _others(names: list[str]) -> str:
    shown = ", ".join(names[:NAMED])
    return shown + (f" và {len(names) - NAMED} đơn vị khác" if len(names) > NAMED else "")


# -- b. the same text pasted by several units ------------------------------------------------
def pasted_texts(form: Form, records: Mapping[str, Record]) -> dict[str, list[Issue]]:
    """Each text (spaces and case normalised, at least ``duplicate_text_min_chars`` long)
    written by several units, flagged on every unit that wrote it, naming the others."""
    least = int(form.params["duplicate_text_min_chars"])
    writers: dict[str, dict[str, list[tuple[str, str, Cell]]]] = defaultdict(dict)
    for unit, record in records.items():
        for where, text, cell in record_checks.texts(form, record):
            normal = clean(text).casefold()
            if len(normal) >= least:
                writers[normal].setdefault(unit, []).append((where, clean(text), cell))
    found: dict[str, list[Issue]] = defaultdict(list)
    for by_unit in writers.values():
        if len(by_unit) < 2:
            continue
        for unit, places in by_unit.items():
            others = [registry.unit(code).name for code in sorted(by_unit) if code != unit]
            for where, text, cell in places:
                quoted = text if len(text) <= SNIPPET else text[:SNIPPET].rstrip() + "…"
                found[unit].append(Issue(
                    unit, cell.sheet, cell.cell, None, "text_pasted", "warning",
                    cell.say(f'nội dung {where} ("{quoted}") trùng hoàn toàn với nội dung '
                             f"của {len(others)} đơn vị khác: {_others(others)}; đề nghị viết "
                             "đánh giá riêng, sát với tình hình của đơn vị")))
    return found


# -- e. a figure far outside the province's distribution ---------------------------------------
@dataclass(frozen=True)
class Figure:
    """One unit's part of a province figure summed over units (an indicator of
    config/form.yaml): its new unit's row, a matrix row, its roles together, or an item."""

    key: str  # the indicator's id
    label: str
    value: int
    cell: Cell


def figures(form: Form, record: Record) -> Iterator[Figure]:
    """The unit's parts of the summed figures (never the old units': the merger shaped them)."""
    for ind in form.indicators:
        if ind.measure != "sum" or ind.rows == "before":
            continue
        if isinstance(form.tables[ind.table], ItemsBlock):
            value = record.get("items", {}).get(ind.field)
            if _is_count(value):
                yield Figure(ind.id, ind.label, value, record_checks.item_cell(record, ind.field))
            continue
        chosen = [r for r in rows(record, ind.table)
                  if r["period"] in ("after", "matrix") and ind.row in (None, r["key"])]
        values = [r["values"].get(ind.field) for r in chosen]
        if chosen and all(_is_count(v) for v in values):
            where = row_cell(chosen[0], ind.field)
            yield Figure(ind.id, ind.label, sum(values),  # type: ignore[arg-type]
                         where if len(chosen) == 1 else Cell(where.sheet, None))


def _is_count(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def outliers(form: Form, records: Mapping[str, Record]) -> dict[str, list[Issue]]:
    """A unit's figure farther than ``outlier_mad_k`` MADs from the median of the units of its
    type (xã, phường, đặc khu); a type with fewer than ``outlier_min_units`` units reporting
    the figure, or whose values mostly agree (MAD 0), is not judged."""
    k, least = form.params["outlier_mad_k"], int(form.params["outlier_min_units"])
    by_group: dict[tuple[str, str], dict[str, Figure]] = defaultdict(dict)
    for unit, record in records.items():
        kind = registry.unit(unit).type
        for figure in figures(form, record):
            by_group[(kind, figure.key)][unit] = figure
    found: dict[str, list[Issue]] = defaultdict(list)
    for (kind, _), by_unit in sorted(by_group.items()):
        values = [f.value for f in by_unit.values()]
        if len(values) < least:
            continue
        middle = statistics.median(values)
        spread = statistics.median(abs(v - middle) for v in values)
        if not spread:
            continue
        for unit, figure in sorted(by_unit.items()):
            if abs(figure.value - middle) > k * spread:
                found[unit].append(_outlier(unit, kind, figure, middle, len(values)))
    return found


def _outlier(unit: str, kind: str, figure: Figure, middle: float, count: int) -> Issue:
    shown = number(int(middle)) if float(middle).is_integer() else \
        f"{middle:.1f}".replace(".", ",")
    return Issue(unit, figure.cell.sheet, figure.cell.cell, None, "outlier", "warning",
                 figure.cell.say(f'"{figure.label}" của đơn vị là {number(figure.value)}, '
                                 f"khác xa mức chung của {count} {kind} đã nộp trong tỉnh "
                                 f"(trung vị {shown}); đề nghị kiểm tra lại"))


def review(form: Form, current: Mapping[str, Record],
           accepted: Mapping[str, Record]) -> dict[str, list[Issue]]:
    """The night's review of every unit: its own record's checks over ``current`` (the record
    judged tonight), and the checks against the others over ``accepted`` (each expected
    unit's latest accepted submission). Units without a warning are left out."""
    found: dict[str, list[Issue]] = defaultdict(list)
    for unit, record in current.items():
        found[unit] += record_checks.check(form, unit, record)
    for check in (pasted_texts, outliers):
        for unit, issues in check(form, accepted).items():
            found[unit] += issues
    return {unit: issues for unit, issues in found.items() if issues}
