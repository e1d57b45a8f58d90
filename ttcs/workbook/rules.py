"""The rules engine: required fields and the rules of config/form.yaml over a parsed workbook.

One engine runs every rule; adding a rule is a change to config/form.yaml only.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from ttcs.workbook.expr import evaluate, names
from ttcs.workbook.form import Form, FormField, ItemsBlock, MatrixBlock, Rule, UnitsBlock
from ttcs.workbook.issues import Issue
from ttcs.workbook.parse import Parsed, Row, Value

_WHEN = {"before": "trước 01/7/2025", "after": "sau 01/7/2025"}


def _plain(values: Mapping[str, Value]) -> dict[str, Any]:
    return {k: v.value for k, v in values.items()}


def _show(value: Any, form: Form) -> str:
    if value is None:
        return "(trống)"
    if isinstance(value, bool):
        return form.yes_label if value else form.no_label
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _where(row: Row) -> str:
    if row.period == "matrix":
        return f"dòng {row.name}"
    return f"dòng {row.name}, {_WHEN[row.period]}"


class Checker:
    def __init__(self, form: Form, parsed: Parsed) -> None:
        self.form = form
        self.parsed = parsed
        self.issues: list[Issue] = []
        # A single field the parser could not find (tab deleted, label retyped) is unknown,
        # like a missing column in a table: its rules are skipped, the parser reported it.
        unknown = {spec.id: None for block in form.tables.values()
                   if isinstance(block, ItemsBlock) for spec in block.fields}
        self.items = unknown | _plain(parsed.items)

    def run(self) -> list[Issue]:
        self._required()
        for rule in self.form.rules:
            for context, cells, where in self._contexts(rule):
                self._apply(rule, context, cells, where)
        return self.issues

    def _add(self, value: Value | None, field: str, rule: str, kind: str, message: str) -> None:
        self.issues.append(Issue(
            self.parsed.unit,
            value.sheet if value else None,
            value.cell if value else None,
            field, rule, kind, message,  # type: ignore[arg-type]
        ))

    # -- required --------------------------------------------------------------------------
    def _required(self) -> None:
        for table, block in self.form.tables.items():
            if isinstance(block, ItemsBlock):
                for spec in block.fields:
                    self._require(spec, self.parsed.items.get(spec.id), self.items, "")
                continue
            for row in self.parsed.tables.get(table, []):
                context = {**self.items, **_plain(row.values)}
                for spec in block.fields:
                    if spec.id in row.values:
                        self._require(spec, row.values[spec.id], context, f" ({_where(row)})")
        for section in self.form.sections.commune_sections:
            value = self.parsed.sections.get(section.id)
            if section.required and value is not None and value.blank:
                self._add(value, section.id, "required", "missing",
                          f"Chưa nhập đánh giá mục {section.id} ({section.title}); mục này bắt "
                          "buộc")

    def _require(self, spec: FormField, value: Value | None, context: dict, where: str) -> None:
        if value is None or not value.blank:
            return
        if spec.required:
            self._add(value, spec.id, "required", "missing",
                      f'Ô {value.cell}: chưa nhập "{spec.label}"{where}')
        elif spec.required_when and evaluate(spec.required_when, _known(context, spec),
                                             self.form.params):
            self._add(value, spec.id, "required_when", "missing",
                      f'Ô {value.cell}: chưa nhập "{spec.label}"{where}; mục này bắt buộc '
                      f"khi {condition_text(spec.required_when, self.form)}")

    # -- config rules ---------------------------------------------------------------------
    def _contexts(self, rule: Rule) -> Iterator[tuple[dict, dict[str, Value], str]]:
        if rule.scope == "form":
            yield self.items, self.parsed.items, ""
            return
        block = self.form.tables[rule.table or ""]
        assert isinstance(block, UnitsBlock | MatrixBlock)
        for row in self.parsed.tables.get(rule.table or "", []):
            if rule.rows in ("all", row.period):
                context = {f.id: None for f in block.fields} | _plain(row.values)
                yield {**self.items, **context}, row.values, f" ({_where(row)})"

    def _apply(self, rule: Rule, context: dict, cells: dict[str, Value], where: str) -> None:
        params = self.form.params
        if rule.when and evaluate(rule.when, context, params) is not True:
            return
        if rule.expr:
            verdict, left, right = evaluate(rule.expr, context, params), None, None
        else:
            left = evaluate(rule.left or "", context, params)
            right = evaluate(rule.right or "", context, params)
            verdict = evaluate(f"left {rule.op} right", {"left": left, "right": right}, params)
        if verdict is not False:
            return
        tokens = {f"value_{k}": v for k, v in context.items()} | {
            "left": left, "right": right, "value": context.get(rule.field),
            "limit": params.get(rule.limit or "")}
        message = message_text(rule.message, {k: _show(v, self.form) for k, v in tokens.items()})
        value = cells.get(rule.field)
        prefix = f"Ô {value.cell}: " if value else ""
        self._add(value, rule.field, rule.id, rule.kind, f"{prefix}{message}{where}")


_TOKEN = re.compile(r"\{(\w+)\}")


def message_text(template: str, tokens: Mapping[str, str]) -> str:
    """A rule's message with each whole ``{token}`` replaced by its value, in one pass: a token
    never matches part of a longer one ({value_boards} / {value_boards_connected}), a value is
    never read as a token, and an unknown token or a lone brace stays as written."""
    return _TOKEN.sub(lambda found: tokens.get(found[1], found[0]), template)


def _known(context: dict, spec: FormField) -> dict:
    """Context for a required_when expression: fields it names default to unknown."""
    return {n: None for n in names(spec.required_when or "")} | context


def condition_text(source: str, form: Form) -> str:
    """'has_station' -> '"Có đài truyền thanh" là "Có"'; 'x > 0' -> '"X" > 0'."""
    labels = {f.id: f.label for block in form.tables.values() for f in block.fields}
    used = sorted(names(source))
    if len(used) == 1 and source.strip() == used[0]:
        return f'"{labels.get(used[0], used[0])}" là "{form.yes_label}"'
    # Whole names only, never after "params.": "boards" must not eat into "boards_connected".
    field = re.compile(r"(?<![\w.])(" + "|".join(map(re.escape, used)) + r")(?!\w)")
    return field.sub(lambda found: f'"{labels.get(found[1], found[1])}"', source)


def check(form: Form, parsed: Parsed) -> list[Issue]:
    """Every issue of a parsed workbook: the parser's, then required fields, then rules."""
    return parsed.issues + Checker(form, parsed).run()
