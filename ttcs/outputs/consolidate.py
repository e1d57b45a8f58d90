"""Province consolidation with pandas, from each unit's latest accepted submission.

- one table per block: a row per unit row (old units before 01/7/2025 and the new unit after,
  or a role), with the registry's code, name and type of that row;
- every indicator of config/form.yaml (the outline's B.I.1.a, B.I.2.a, B.III figures) with its
  coverage: the rows it is computed from (``covered``: old units of its types among the units
  that reported, for ``rows: before``; units of its types that reported otherwise) out of the
  same rows over the expected units (``expected``), the rate over the rows covered (counts),
  the registry denominator and ``percent_of_registry`` (docs/design.md §2), and a Vietnamese
  ``coverage`` sentence ("217/264 đơn vị cũ đã báo cáo");
- the written assessments compiled per section (unit → answer);
- the coverage: the units consolidated out of the units expected, and the registry counts of
  those expected (communes before 01/7/2025, units after) that the appendices divide by.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pandas as pd

from ttcs.campaign import registry
from ttcs.vi_format import number
from ttcs.workbook.form import (
    UNIT_TYPES_AFTER,
    UNIT_TYPES_BEFORE,
    Form,
    FormField,
    Indicator,
    ItemsBlock,
    MatrixBlock,
    Tab,
    UnitsBlock,
)

TEXT_TYPES = ("text", "url", "phone", "choice")  # written, never summed
# "… (mục B.III.2)" or "… (mục B.III.2; không kê …)": the outline item an appendix block answers
_OUTLINE_IN_TITLE = re.compile(r"\s*\(mục\s+([A-Z][A-Za-z0-9.]*[A-Za-z0-9])[^)]*\)\s*$")


@dataclass
class Consolidation:
    tables: dict[str, pd.DataFrame]  # "PL01.stations" -> a row per unit row
    indicators: dict[str, dict[str, Any]]  # id -> {label, outline, value, covered, ...}
    assessments: dict[str, list[dict[str, str]]]  # section id -> [{code, name, answer}]
    reported: list[str]  # units whose submission is consolidated
    expected: list[str]  # units that must report (excluded units are not)
    denominators: dict[str, int]  # "before" / "after" -> registry count over the expected

    def rows(self, table: str) -> list[dict[str, Any]]:
        """A table's rows as plain Python values (None for blanks, ints for whole numbers)."""
        frame = self.tables.get(table)
        if frame is None or frame.empty:
            return []
        return [{k: plain(v) for k, v in row.items()} for row in frame.to_dict("records")]


def plain(value: Any) -> Any:
    """A DataFrame value as a plain value: NaN -> None, 12.0 -> 12, numpy -> Python."""
    if value is None or isinstance(value, bool):
        return value
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        value = value.item()  # numpy scalars
    if isinstance(value, Decimal):
        value = float(value)
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            return None
        return int(value) if value.is_integer() else value
    if isinstance(value, (list, tuple, dict, set)):
        return str(value)
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    return value


def _row_info(units: Mapping[str, registry.Unit]) -> dict[tuple[str, str, str], dict[str, str]]:
    """(unit, row code, period) -> code, name and type of the row from the registry."""
    info = {}
    for unit in units.values():
        for p in unit.predecessors:
            info[(unit.code, p.code, "before")] = {"row_code": p.code, "row_name": p.name,
                                                   "row_type": p.type}
        info[(unit.code, unit.code, "after")] = {"row_code": unit.code, "row_name": unit.name,
                                                 "row_type": unit.type}
    return info


def tables(form: Form, records: Mapping[str, Mapping[str, Any]],
           units: Mapping[str, registry.Unit]) -> dict[str, pd.DataFrame]:
    info = _row_info(units)
    out: dict[str, pd.DataFrame] = {}
    for table, block in form.tables.items():
        columns = ["unit_code", "unit_name", "unit_type", "row_code", "row_name", "row_type",
                   "period"] + [f.id for f in block.fields]
        rows = []
        for code, record in records.items():
            unit = units[code]
            base = {"unit_code": code, "unit_name": unit.name, "unit_type": unit.type}
            if isinstance(block, ItemsBlock):
                values = record.get("items", {})
                rows.append(base | {f.id: values.get(f.id) for f in block.fields})
                continue
            for row in record.get("tables", {}).get(table, []):
                where = info.get((code, row["key"], row["period"]),
                                 {"row_code": row["key"], "row_name": row["key"], "row_type": ""})
                rows.append(base | where | {"period": row["period"]} | row["values"])
        out[table] = pd.DataFrame(rows, columns=columns)
    return out


def registry_count(units: Iterable[registry.Unit], period: str | None,
                   types: Iterable[str]) -> int:
    """Units of ``types`` (every type when empty) in the registry: old communes before
    01/7/2025, or the units after."""
    wanted = set(types)
    if period == "before":
        return sum(not wanted or p.type in wanted for unit in units for p in unit.predecessors)
    return sum(not wanted or unit.type in wanted for unit in units)


COUNTS = ("count_yes", "count_positive")
UNIT_WORDS = {"before": "đơn vị cũ"}


def coverage(indicator: Indicator, value: Any, reported: Iterable[registry.Unit],
             expected: Iterable[registry.Unit]) -> dict[str, Any]:
    """What a figure covers: the rows it is computed from (units that reported, or their old
    units before 01/7/2025) out of the same rows the registry expects, and the rate over the
    rows covered (counts only)."""
    covered = registry_count(reported, indicator.rows, indicator.unit_types)
    total = registry_count(expected, indicator.rows, indicator.unit_types)
    word = UNIT_WORDS.get(indicator.rows or "", "đơn vị")
    counts = indicator.measure in COUNTS
    return {
        "covered": covered, "expected": total, "unit_word": word,
        "rate": round(value / covered, 4) if counts and covered else None,
        "denominator": total if counts else None,
        "percent_of_registry": round(100 * value / total, 1) if counts and total else None,
        "coverage": f"{number(covered)}/{number(total)} {word} đã báo cáo",
    }


def _select(frame: pd.DataFrame, indicator: Indicator) -> pd.Series:
    if frame.empty:
        return pd.Series(dtype=object)
    mask = pd.Series(True, index=frame.index)
    if indicator.rows:
        mask &= frame["period"] == indicator.rows
    if indicator.unit_types:
        mask &= frame["row_type"].isin(indicator.unit_types)
    if indicator.row:
        mask &= frame["row_code"] == indicator.row
    return frame.loc[mask, indicator.field]


def _value(indicator: Indicator, values: pd.Series) -> Any:
    if indicator.measure == "count_yes":
        return int((values == True).sum())  # noqa: E712  (blank cells are None, not False)
    if indicator.measure == "count_positive":
        return int((pd.to_numeric(values, errors="coerce") > 0).sum())
    if indicator.measure == "sum":
        return int(pd.to_numeric(values, errors="coerce").fillna(0).sum())
    return [text for text in values.dropna() if str(text).strip()]


def indicators(form: Form, frames: Mapping[str, pd.DataFrame],
               reported: Iterable[registry.Unit], expected: Iterable[registry.Unit],
               ) -> dict[str, dict[str, Any]]:
    reported, expected = list(reported), list(expected)
    out: dict[str, dict[str, Any]] = {}
    for ind in form.indicators:
        value = _value(ind, _select(frames[ind.table], ind))
        out[ind.id] = {"label": ind.label, "outline": ind.outline, "value": value,
                       } | coverage(ind, value, reported, expected)
    for ind in form.indicators:
        if ind.per:
            whole = out[ind.per]["value"]
            out[ind.id]["per"] = ind.per
            out[ind.id]["ratio"] = round(out[ind.id]["value"] / whole, 2) if whole else None
    return out


def assessments(form: Form, records: Mapping[str, Mapping[str, Any]],
                units: Mapping[str, registry.Unit]) -> dict[str, list[dict[str, str]]]:
    compiled: dict[str, list[dict[str, str]]] = {}
    for section in form.sections.commune_sections:
        compiled[section.id] = [
            {"code": code, "name": units[code].name, "answer": str(answer)}
            for code, record in sorted(records.items())
            if (answer := record.get("sections", {}).get(section.id))
        ]
    return compiled


def outline_in_title(title: str | None) -> str | None:
    """The outline item a block title names: "B.III.2" of "Tập huấn … (mục B.III.2; …)"."""
    match = _OUTLINE_IN_TITLE.search(title or "")
    return match.group(1) if match else None


@dataclass(frozen=True)
class WrittenField:
    """A free-text field of an appendix's items block (advantages, difficulties, causes, training
    contents) with the accepted answers to it."""

    tab: Tab
    heading: str  # the block's title without its "(mục …)"
    section: str | None  # the outline item the block title names
    field: FormField
    answers: list[dict[str, str]]  # {code, name, answer} in code order, blanks left out


def written_fields(form: Form, figures: Consolidation) -> list[WrittenField]:
    """Every free-text field of the appendices' items blocks, in form order: the summary's
    assessments tab and the draft report compile them under their outline item."""
    found = []
    for tab in form.tabs:
        if not any(isinstance(block, (UnitsBlock, MatrixBlock)) for block in tab.blocks):
            continue  # not an appendix (e.g. "Xác nhận": who prepared the report)
        for block in tab.blocks:
            if not isinstance(block, ItemsBlock):
                continue
            rows = sorted(figures.rows(f"{tab.id}.{block.id}"),
                          key=lambda r: str(r.get("unit_code")))
            heading = _OUTLINE_IN_TITLE.sub("", block.title or "").strip()
            for fld in (f for f in block.fields if f.type in TEXT_TYPES):
                answers = [{"code": str(r["unit_code"]), "name": str(r["unit_name"]),
                            "answer": str(r[fld.id])}
                           for r in rows if r.get(fld.id) is not None and str(r[fld.id]).strip()]
                found.append(WrittenField(tab, heading, outline_in_title(block.title), fld,
                                          answers))
    return found


def consolidate(form: Form, records: Mapping[str, Mapping[str, Any]],
                expected: Iterable[str]) -> Consolidation:
    """Everything the province reports, from ``records`` (unit -> accepted parsed values)."""
    units = {code: registry.unit(code) for code in expected}
    records = {code: record for code, record in records.items() if code in units}
    frames = tables(form, records, units)
    denominators = {"before": registry_count(units.values(), "before", UNIT_TYPES_BEFORE),
                    "after": registry_count(units.values(), "after", UNIT_TYPES_AFTER)}
    figures = indicators(form, frames, (units[code] for code in records), units.values())
    return Consolidation(frames, figures,
                         assessments(form, records, units), sorted(records), list(units),
                         denominators)
