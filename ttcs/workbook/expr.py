"""A small, safe expression language for validation rules, with three-valued logic.

Expressions are Python syntax restricted to names, numbers, True/False, + - * /, comparisons,
and/or/not, ``params.<name>`` and a few functions. A blank or unreadable value is ``None``
("unknown"): ``None and False`` is False, ``None or True`` is True, anything else involving
``None`` is ``None``, and a rule whose result is ``None`` is skipped — the required-field
checks and the cell readers report blanks and bad values themselves.
"""

from __future__ import annotations

import ast
import operator
from collections.abc import Callable, Mapping
from functools import cache
from typing import Any

_COMPARE: dict[type, Callable[[Any, Any], bool]] = {
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.GtE: operator.ge,
    ast.Gt: operator.gt,
}
_ARITH: dict[type, Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
}
OPERATORS = {"<": ast.Lt, "<=": ast.LtE, "==": ast.Eq, "!=": ast.NotEq, ">=": ast.GtE, ">": ast.Gt}


class ExpressionError(ValueError):
    """An expression in the form config uses something the language does not have."""


@cache
def compile_expr(source: str) -> ast.expr:
    try:
        tree = ast.parse(source, mode="eval").body
    except SyntaxError as exc:
        raise ExpressionError(f"biểu thức sai cú pháp: {source!r}") from exc
    for node in ast.walk(tree):
        allowed = (ast.BoolOp, ast.UnaryOp, ast.BinOp, ast.Compare, ast.Name, ast.Constant,
                   ast.Attribute, ast.Call, ast.Load, ast.And, ast.Or, ast.Not, ast.USub,
                   *(_COMPARE), *(_ARITH))
        if not isinstance(node, allowed):
            raise ExpressionError(f"biểu thức dùng cú pháp không hỗ trợ: {source!r}")
    return tree


def names(source: str) -> set[str]:
    """Field ids an expression reads (``params.x`` excluded)."""
    return {n.id for n in ast.walk(compile_expr(source))
            if isinstance(n, ast.Name) and n.id != "params"}


def evaluate(source: str, values: Mapping[str, Any], params: Mapping[str, float]) -> Any:
    return _eval(compile_expr(source), values, params)


def _truth(value: Any) -> bool | None:
    return None if value is None else bool(value)


def _and(parts: list[bool | None]) -> bool | None:
    if any(p is False for p in parts):
        return False
    return None if any(p is None for p in parts) else True


def _or(parts: list[bool | None]) -> bool | None:
    if any(p is True for p in parts):
        return True
    return None if any(p is None for p in parts) else False


def _not(value: Any) -> bool | None:
    truth = _truth(value)
    return None if truth is None else not truth


def _implies(a: Any, b: Any) -> bool | None:
    return _or([_not(a), _truth(b)])


def _eval(node: ast.expr, values: Mapping[str, Any], params: Mapping[str, float]) -> Any:
    match node:
        case ast.Constant(value=value):
            return value
        case ast.Name(id=name):
            if name not in values:
                raise ExpressionError(f"không có trường {name!r}")
            return values[name]
        case ast.Attribute(value=ast.Name(id="params"), attr=attr):
            if attr not in params:
                raise ExpressionError(f"không có tham số params.{attr}")
            return params[attr]
        case ast.BoolOp(op=op, values=parts):
            truths = [_truth(_eval(p, values, params)) for p in parts]
            return _and(truths) if isinstance(op, ast.And) else _or(truths)
        case ast.UnaryOp(op=ast.Not(), operand=operand):
            return _not(_eval(operand, values, params))
        case ast.UnaryOp(op=ast.USub(), operand=operand):
            value = _eval(operand, values, params)
            return None if value is None else -value
        case ast.BinOp(left=left, op=op, right=right):
            a, b = _eval(left, values, params), _eval(right, values, params)
            if a is None or b is None or (isinstance(op, ast.Div) and b == 0):
                return None
            return _ARITH[type(op)](a, b)
        case ast.Compare(left=left, ops=ops, comparators=rights):
            return _compare(left, ops, rights, values, params)
        case ast.Call(func=ast.Name(id="implies"), args=[a, b]):
            return _implies(_eval(a, values, params), _eval(b, values, params))
    raise ExpressionError(f"biểu thức không hỗ trợ: {ast.unparse(node)!r}")


def _compare(left: ast.expr, ops: list[ast.cmpop], rights: list[ast.expr],
             values: Mapping[str, Any], params: Mapping[str, float]) -> bool | None:
    results: list[bool | None] = []
    current = _eval(left, values, params)
    for op, right in zip(ops, rights, strict=True):
        other = _eval(right, values, params)
        results.append(None if current is None or other is None
                       else _COMPARE[type(op)](current, other))
        current = other
    return _and(results)
