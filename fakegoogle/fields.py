"""Field masks (``fields=sheets(properties(title),data.rowData)``, ``gridProperties/rowCount``).

A mask parses to a tree: ``{name: subtree}``, where a subtree of ``None`` keeps everything
below. ``*`` keeps everything at its level.
"""

from __future__ import annotations

from typing import Any

Mask = dict[str, Any] | None


class MaskError(ValueError):
    pass


def parse(text: str | None) -> Mask:
    """``None`` (no mask) keeps everything."""
    if text is None or not text.strip():
        return None
    tokens = _tokens(text)
    tree, pos = _list(tokens, 0)
    if pos != len(tokens):
        raise MaskError(text)
    return tree


def _tokens(text: str) -> list[str]:
    out, word = [], ""
    for ch in text:
        if ch in "(),./":
            if word.strip():
                out.append(word.strip())
            word = ""
            out.append("." if ch == "/" else ch)
        elif not ch.isspace():
            word += ch
    if word.strip():
        out.append(word.strip())
    return out


def _merge(into: dict[str, Any], key: str, sub: Mask) -> None:
    if key in into:
        if into[key] is None or sub is None:
            into[key] = None
        else:
            for k, v in sub.items():
                _merge(into[key], k, v)
    else:
        into[key] = sub


def _list(tokens: list[str], pos: int) -> tuple[dict[str, Any], int]:
    tree: dict[str, Any] = {}
    while pos < len(tokens):
        path = []
        if tokens[pos] in "(),.":
            raise MaskError(" ".join(tokens))
        path.append(tokens[pos])
        pos += 1
        while pos < len(tokens) and tokens[pos] == ".":
            path.append(tokens[pos + 1])
            pos += 2
        sub: Mask = None
        if pos < len(tokens) and tokens[pos] == "(":
            sub, pos = _list(tokens, pos + 1)
            if pos >= len(tokens) or tokens[pos] != ")":
                raise MaskError(" ".join(tokens))
            pos += 1
        for name in reversed(path[1:]):
            sub = {name: sub}
        _merge(tree, path[0], sub)
        if pos < len(tokens) and tokens[pos] == ",":
            pos += 1
            continue
        break
    return tree, pos


def pick(mask: Mask, key: str) -> tuple[bool, Mask]:
    """Is ``key`` wanted under ``mask``, and with which sub-mask."""
    if mask is None or "*" in mask:
        return True, None
    if key in mask:
        return True, mask[key]
    return False, None


def apply(value: Any, mask: Mask) -> Any:
    if mask is None or (isinstance(mask, dict) and "*" in mask):
        return value
    if isinstance(value, list):
        return [apply(v, mask) for v in value]
    if isinstance(value, dict):
        return {k: apply(value[k], sub) for k, sub in mask.items() if k in value}
    return value


def paths(mask: Mask, prefix: str = "") -> list[str]:
    """Leaf paths of a mask (``gridProperties.rowCount``), for update requests."""
    if mask is None:
        return [prefix] if prefix else []
    out = []
    for k, sub in mask.items():
        out += paths(sub, f"{prefix}.{k}" if prefix else k)
    return out
