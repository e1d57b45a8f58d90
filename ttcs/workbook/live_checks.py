"""The form's rules as spreadsheet formulas: checks that run while a commune types.

Every rule of ``config/form.yaml`` (``when``, ``expr`` or ``left op right``, ``params``), every
``required`` / ``required_when`` field and every count's bounds becomes a conditional format
over the table column of the cell the nightly check would flag, with the same three-valued
logic as :mod:`ttcs.workbook.expr`: a formula yields T ("known true") and F ("known false") as 0/1
products and sums, so a blank or unreadable cell is unknown and marks nothing, exactly as a
rule whose result is unknown is skipped at night. A rule is "checked at night only" when it
cannot be written so (it reads a cell on another tab, or uses what a formula cannot mirror);
:func:`night_only` lists them, and docs/form.md carries that list.

Formulas are plain arithmetic over TRIM, LEN, ISNUMBER, INT and SUMPRODUCT, the same text in
Excel, LibreOffice and Google Sheets. Only the values a spreadsheet holds natively are read
live: numbers in count cells and the dropdown's "Có"/"Không" (any case); other spellings the
nightly readers accept ("x", "12 cái") are unknown live and judged at night.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from ttcs.workbook.expr import compile_expr, evaluate, names
from ttcs.workbook.form import Form, FormField, Kind, Rule
from ttcs.workbook.issues import column_letter
from ttcs.workbook.rules import condition_text


class TabLayout(Protocol):
    """What the checks read of a laid-out tab (:class:`ttcs.workbook.layout.TabLayout`, which
    uses this module: a protocol keeps the import one-way)."""

    name: str
    cells: Any  # cells with row, col, ref and role
    tables: Mapping[str, TableArea]

# Fill colours (RGB hex) by severity: what the guide tab explains to the commune.
COLOURS = {"missing": "FFF2CC", "error": "FFC7CE", "warning": "FCD5B4"}
EXCEL_PROMPT_MAX = 255  # Excel refuses a longer input message
_INVERSE = {"<": ">=", "<=": ">", "==": "<>", "!=": "=", ">=": "<", ">": "<="}
_EXCEL_OP = {"<": "<", "<=": "<=", "==": "=", "!=": "<>", ">=": ">=", ">": ">"}
_AST_OP = {ast.Lt: "<", ast.LtE: "<=", ast.Eq: "==", ast.NotEq: "!=", ast.GtE: ">=",
           ast.Gt: ">"}
_ARITH = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*"}
KEY, PERIOD = "#key", "#period"  # placeholders of a table row's key and period cells


class NightOnly(Exception):
    """A rule or condition that no cell formula can mirror; ``str()`` says why."""


@dataclass(frozen=True)
class Mark:
    """Cells ``first_row``..``last_row`` of column ``col`` are coloured while ``formula``
    (relative to the first cell, without "=") is true; ``count`` is how many it marks."""

    check: str  # the rule id, or "required:<field>", "bounds:<field>"
    kind: Kind
    first_row: int
    last_row: int
    col: int
    formula: str
    count: str
    hint: str  # one line of the cell's input message

    @property
    def colour(self) -> str:
        if self.kind == "missing":
            return COLOURS["missing"]
        return COLOURS["warning" if self.kind == "warning" else "error"]

    @property
    def is_error(self) -> bool:
        return self.kind != "warning"


@dataclass(frozen=True)
class TableArea:
    """Where a units or matrix table sits on its tab (1-based rows and columns)."""

    first_row: int
    last_row: int
    key_col: int
    columns: dict[str, int]
    period_col: int | None = None
    period_labels: dict[str, str] = field(default_factory=dict)  # before/after -> text


# -- expressions -> formulas ----------------------------------------------------------------


def _any(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else "((" + "+".join(parts) + ")>0)"


def _all(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else "(" + "*".join(parts) + ")"


def _number_text(value: float) -> str:
    if isinstance(value, bool):
        raise NightOnly("đúng/sai dùng như một số")
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def _quoted(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


class _Formulas:
    """T/F (truth) and V/K (number and whether it is known) of an expression's nodes, as
    formula text over ``{field}`` placeholders."""

    def __init__(self, form: Form, fields: Mapping[str, FormField]) -> None:
        self.form = form
        self.fields = fields

    def _field(self, name: str) -> FormField:
        if name not in self.fields:
            raise NightOnly(f"đọc trường {name} ở trang khác")
        return self.fields[name]

    def is_boolean(self, node: ast.expr) -> bool:
        """Nodes whose value is True/False (not a number or text), as ``is True`` needs."""
        match node:
            case ast.Compare() | ast.BoolOp() | ast.UnaryOp(op=ast.Not()):
                return True
            case ast.Call(func=ast.Name(id="implies")):
                return True
            case ast.Constant(value=bool()):
                return True
            case ast.Name(id=name):
                return self._field(name).type == "yesno"
        return False

    def truth(self, node: ast.expr) -> tuple[str, str]:
        match node:
            case ast.Constant(value=bool() as value):
                return ("1", "0") if value else ("0", "1")
            case ast.Name(id=name) if self._field(name).type == "yesno":
                cell = f"TRIM({{{name}}})"
                return (f"({cell}={_quoted(self.form.yes_label)})",
                        f"({cell}={_quoted(self.form.no_label)})")
            case ast.Name(id=name) if self._field(name).type in ("text", "url", "phone"):
                return f"(LEN(TRIM({{{name}}}))>0)", "0"  # text, once read, is never empty
            case ast.BoolOp(op=op, values=parts):
                truths = [self.truth(p) for p in parts]
                ts, fs = [t for t, _ in truths], [f for _, f in truths]
                return (_all(ts), _any(fs)) if isinstance(op, ast.And) else (_any(ts), _all(fs))
            case ast.UnaryOp(op=ast.Not(), operand=operand):
                t, f = self.truth(operand)
                return f, t
            case ast.Call(func=ast.Name(id="implies"), args=[a, b]):
                (ta, fa), (tb, fb) = self.truth(a), self.truth(b)
                return _any([fa, tb]), _all([ta, fb])
            case ast.Compare(left=left, ops=ops, comparators=rights):
                return self._compare(left, ops, rights)
        value, known = self.number(node)
        return _all([known, f"({value}<>0)"]), _all([known, f"({value}=0)"])

    def _compare(self, left: ast.expr, ops: list[ast.cmpop], rights: list[ast.expr],
                 ) -> tuple[str, str]:
        ts, fs = [], []
        current = self.number(left)
        for op, right in zip(ops, rights, strict=True):
            other = self.number(right)
            known = [k for k in (current[1], other[1]) if k != "1"]
            sign = _AST_OP[type(op)]
            ts.append(_all([*known, f"({current[0]}{_EXCEL_OP[sign]}{other[0]})"]))
            fs.append(_all([*known, f"({current[0]}{_INVERSE[sign]}{other[0]})"]))
            current = other
        return _all(ts), _any(fs)

    def number(self, node: ast.expr) -> tuple[str, str]:
        match node:
            case ast.Constant(value=int() | float() as value):
                return _number_text(value), "1"
            case ast.Attribute(value=ast.Name(id="params"), attr=attr):
                if attr not in self.form.params:
                    raise NightOnly(f"không có tham số params.{attr}")
                return _number_text(self.form.params[attr]), "1"
            case ast.Name(id=name):
                return f"{{{name}}}", self._known_number(self._field(name))
            case ast.UnaryOp(op=ast.USub(), operand=operand):
                value, known = self.number(operand)
                return f"(-{value})", known
            case ast.BinOp(left=a, op=ast.Div(), right=b):
                (va, ka), (vb, kb) = self.number(a), self.number(b)
                return f"({va}/({vb}+({vb}=0)))", _all([ka, kb, f"({vb}<>0)"])
            case ast.BinOp(left=a, op=op, right=b) if type(op) in _ARITH:
                (va, ka), (vb, kb) = self.number(a), self.number(b)
                known = [k for k in (ka, kb) if k != "1"] or ["1"]
                return f"({va}{_ARITH[type(op)]}{vb})", _all(known)
        raise NightOnly(f"biểu thức {ast.unparse(node)!r} không viết được thành công thức")

    @staticmethod
    def _known_number(spec: FormField) -> str:
        """A count or number the readers accept: a number cell within the field's limits."""
        if spec.type not in ("count", "number"):
            raise NightOnly(f"trường {spec.id} ({spec.type}) dùng như một số")
        cell = f"{{{spec.id}}}"
        parts = [f"ISNUMBER({cell})"]
        if spec.type == "count":
            parts += [f"({cell}>=0)", f"({cell}=INT({cell}))"]
        if spec.min is not None:
            parts.append(f"({cell}>={_number_text(spec.min)})")
        if spec.max is not None:
            parts.append(f"({cell}<={_number_text(spec.max)})")
        return _all(parts)


def _top(formulas: _Formulas, source: str, strict: bool) -> tuple[str, str]:
    """T and F of a whole expression. ``strict``: as rules.py tests ``is True``/``is False``,
    a value that is not a boolean (a number, a text) is neither."""
    node = compile_expr(source)
    if strict and not formulas.is_boolean(node):
        return "0", "0"
    return formulas.truth(node)


def _blank(name: str) -> str:
    return f"(LEN(TRIM({{{name}}}))=0)"


# -- where checks run -----------------------------------------------------------------------


@dataclass
class _Scope:
    """One place checks run: a table (rows first..last) or single cells on one tab."""

    tab: TabLayout
    fields: dict[str, FormField]  # names an expression may read here
    refs: dict[str, tuple[int, int, bool]]  # name -> (row, col, moves with the row)
    gates: list[str]  # conditions every check here needs (a row of the table)
    first_row: int
    last_row: int
    period: dict[str, str] = field(default_factory=dict)  # before/after -> gate

    def cf(self, template: str) -> str:
        """The conditional-format formula for the first cell of ``col``."""
        return template.format_map({name: self._ref(name, False) for name in self.refs})

    def count(self, template: str) -> str:
        return "SUMPRODUCT((" + template.format_map(
            {name: self._ref(name, True) for name in self.refs}) + ")*1)"

    def _ref(self, name: str, qualified: bool) -> str:
        row, col, moves = self.refs[name]
        letter = column_letter(col)
        if not qualified:
            return f"{letter}{row}" if moves else f"${letter}${row}"
        sheet = "'" + self.tab.name.replace("'", "''") + "'!"
        if moves:
            return f"{sheet}${letter}${self.first_row}:${letter}${self.last_row}"
        return f"{sheet}${letter}${row}"


def _items_on(tab: TabLayout, form: Form) -> tuple[dict[str, FormField], dict]:
    specs = {spec.id: spec for spec in form.single_fields}
    fields, refs = {}, {}
    for cell in tab.cells:
        if cell.ref and cell.ref[2] in specs and cell.ref[1] == "" and cell.ref[0] != "sections":
            fields[cell.ref[2]] = specs[cell.ref[2]]
            refs[cell.ref[2]] = (cell.row, cell.col, False)
    return fields, refs


def _scopes(form: Form, layouts: list[TabLayout]) -> Iterator[tuple[str, _Scope]]:
    """(table id, scope) for every units/matrix table and items block; "" for form rules."""
    for layout in layouts:
        item_fields, item_refs = _items_on(layout, form)
        for table, area in layout.tables.items():
            block = form.tables[table]
            refs = dict(item_refs)
            refs.update({f: (area.first_row, c, True) for f, c in area.columns.items()})
            refs[KEY] = (area.first_row, area.key_col, True)
            gates = [f"(LEN(TRIM({{{KEY}}}))>0)"]
            period = {}
            if area.period_col is not None:
                refs[PERIOD] = (area.first_row, area.period_col, True)
                period = {p: f"(TRIM({{{PERIOD}}})={_quoted(text)})"
                          for p, text in area.period_labels.items()}
            fields = item_fields | {f.id: f for f in block.fields}
            yield table, _Scope(layout, fields, refs, gates, area.first_row, area.last_row,
                                period)
        if item_refs:
            yield "", _Scope(layout, item_fields, item_refs, [], 0, 0)


# -- checks -----------------------------------------------------------------------------------


def _short(rule: Rule, form: Form) -> str:
    """What is wrong, from the rule's own message: its first clause, with the values a
    formula cannot quote left as "…" and the limits it can quote filled in."""
    known = {"limit": form.params.get(rule.limit or "")}
    for side in ("left", "right"):
        source = getattr(rule, side)
        if source and not names(source):  # a constant side: params and numbers only
            known[side] = evaluate(source, {}, form.params)
    text = rule.message.split(";")[0].strip()

    def fill(match: re.Match[str]) -> str:
        value = known.get(match["name"])
        if value is None:
            return "" if match["open"] else "…"  # " ({left})" goes, a bare "{value}" stays
        return f"{match['open'] or ''}{_number_text(value)}{match['close'] or ''}"

    return re.sub(r"(?P<open> \()?\{(?P<name>\w+)\}(?P<close>(?(open)\)))", fill, text)


def _row_gate(scope: _Scope, which: str) -> list[str]:
    if which in ("all", "both") or not scope.period:
        return scope.gates
    return [*scope.gates, scope.period[which]]


def _field_marks(form: Form, scope: _Scope, spec: FormField, cond: str | None,
                 formulas: _Formulas) -> Iterator[Mark]:
    """Required, required-when and the count's limits of one field."""
    gates = _row_gate(scope, spec.scope)
    col = scope.refs[spec.id][1]
    required: list[tuple[str, Kind, str, str]] = []
    if spec.required:
        required.append(("required", "missing", _all([*gates, _blank(spec.id)]),
                         "chưa nhập (mục bắt buộc)"))
    elif spec.required_when and cond is not None:
        required.append(("required_when", "missing", _all([*gates, cond, _blank(spec.id)]),
                         f"chưa nhập (bắt buộc khi {condition_text(spec.required_when, form)})"))
    if spec.type in ("count", "number"):
        known = formulas._known_number(spec)
        outside = f"(ISNUMBER({{{spec.id}}})*(1-{known}))"
        required.append(("bounds", "invalid", _all([*gates, outside]), _bounds_hint(spec)))
    for check, kind, template, hint in required:
        yield Mark(f"{check}:{spec.id}", kind, scope.refs[spec.id][0], _last(scope, spec.id),
                   col, scope.cf(template), scope.count(template), hint)


def _bounds_hint(spec: FormField) -> str:
    low = max(spec.min or 0, 0) if spec.type == "count" else spec.min
    what = "số nguyên" if spec.type == "count" else "số"
    if low is not None and spec.max is not None:
        return f"không phải {what} từ {_number_text(low)} đến {_number_text(spec.max)}"
    if spec.max is not None:
        return f"không phải {what} không lớn hơn {_number_text(spec.max)}"
    if low is None:
        return f"không phải {what}"
    return f"không phải {what} " + ("không âm" if low == 0 else f"từ {_number_text(low)} trở lên")


def _last(scope: _Scope, name: str) -> int:
    row, _, moves = scope.refs[name]
    return scope.last_row if moves else row


def _rule_template(rule: Rule, formulas: _Formulas) -> str:
    when = _top(formulas, rule.when, strict=True)[0] if rule.when else "1"
    source = rule.expr or f"({rule.left}) {rule.op} ({rule.right})"
    broken = _top(formulas, source, strict=True)[1]
    return _all([part for part in (when, broken) if part != "1"] or ["1"])


@dataclass
class Plan:
    """Every live check of a workbook by tab name, and what stays for the night."""

    marks: dict[str, list[Mark]] = field(default_factory=dict)
    night_only: dict[str, str] = field(default_factory=dict)  # check id -> why


def plan(form: Form, layouts: list[TabLayout]) -> Plan:
    result = Plan({layout.name: [] for layout in layouts})
    for table, scope in _scopes(form, layouts):
        formulas = _Formulas(form, scope.fields)
        own = ([f for f in form.tables[table].fields] if table
               else [f for f in scope.fields.values()])
        for spec in own:
            cond = None
            if spec.required_when and not spec.required:
                try:
                    cond = _top(formulas, spec.required_when, strict=False)[0]
                except NightOnly as exc:
                    result.night_only[f"required_when:{spec.id}"] = str(exc)
            result.marks[scope.tab.name] += _field_marks(form, scope, spec, cond, formulas)
        for rule in _rules_of(form, table, scope):
            if rule.field not in scope.refs:
                result.night_only[rule.id] = f"không có ô {rule.field} để tô màu"
                continue
            try:
                template = _all([*_row_gate(scope, rule.rows),
                                 _rule_template(rule, formulas)])
            except NightOnly as exc:
                result.night_only[rule.id] = str(exc)
                continue
            col = scope.refs[rule.field][1]
            result.marks[scope.tab.name].append(Mark(
                rule.id, rule.kind, scope.refs[rule.field][0], _last(scope, rule.field), col,
                scope.cf(template), scope.count(template), _short(rule, form)))
    for layout in layouts:
        result.marks[layout.name] += _section_marks(form, layout)
    placed = {m.check for ms in result.marks.values() for m in ms} | set(result.night_only)
    for rule in form.rules:  # a form rule whose cell is no item of any tab
        if rule.id not in placed:
            result.night_only[rule.id] = f"không có ô {rule.field} để tô màu"
    return result


def _rules_of(form: Form, table: str, scope: _Scope) -> Iterator[Rule]:
    """A table's rules; on a tab's items, the form rules whose cell is one of them."""
    if table:
        return (rule for rule in form.rules if rule.table == table)
    return (rule for rule in form.rules if rule.scope == "form" and rule.field in scope.fields)


def _section_marks(form: Form, layout: TabLayout) -> Iterator[Mark]:
    required = {s.id for s in form.sections.commune_sections if s.required}
    for cell in layout.cells:
        if cell.ref and cell.ref[0] == "sections" and cell.ref[1] in required:
            scope = _Scope(layout, {}, {"answer": (cell.row, cell.col, False)}, [], 0, 0)
            template = _blank("answer")
            yield Mark(f"required:{cell.ref[1]}", "missing", cell.row, cell.row, cell.col,
                       scope.cf(template), scope.count(template),
                       "chưa nhập đánh giá (mục bắt buộc)")


def hints(marks: list[Mark]) -> dict[tuple[int, int], str]:
    """The input message of every checked cell: what makes it coloured."""
    lines: dict[tuple[int, int], list[str]] = {}
    for mark in marks:
        for row in range(mark.first_row, mark.last_row + 1):
            lines.setdefault((row, mark.col), []).append(mark.hint)
    return {cell: _prompt(texts) for cell, texts in lines.items()}


def _prompt(lines: list[str]) -> str:
    text = "Ô được tô màu khi:"
    for line in dict.fromkeys(lines):
        entry = f"\n- {line}"
        if len(text) + len(entry) > EXCEL_PROMPT_MAX:
            return text + "\n- …"
        text += entry
    return text


def tab_counts(marks: list[Mark]) -> tuple[str, str]:
    """Formulas counting the errors (missing, invalid, contradiction) and the warnings
    ``marks`` show, each check once per cell it marks."""

    def total(chosen: list[Mark]) -> str:
        return "=" + ("+".join(m.count for m in chosen) if chosen else "0")
    return (total([m for m in marks if m.is_error]),
            total([m for m in marks if not m.is_error]))



def night_only_markdown(form: Form, layouts: list[TabLayout]) -> str:
    """The "checked at night only" list of docs/form.md, one line per check."""
    listed = plan(form, layouts).night_only
    if not listed:
        return "- none: every rule, required field and limit of the form is also checked live"
    return "\n".join(f"- `{check}`: {why}" for check, why in sorted(listed.items()))
