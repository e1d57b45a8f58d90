"""The B figures of the draft: each indicator of the consolidation placed under the outline
bullet it answers, and written as a sentence with its coverage.

An indicator belongs to the outline item of its ``outline`` id (B.I.1.a); inside it, to the
bullet whose words best cover its label (diacritics and case folded; a "+ " bullet read with the
"- " bullet it hangs under), the closest wording deciding between equals. A bullet that names a
period ("trước ngày 01/7/2025" / "sau …") only takes indicators of that period. An indicator that is
another one's denominator (``per``: villages for clusters, all boards for connected boards) is
written inside that one's sentence, not on its own; a list (``compile``: training contents) is
the written answers' business (:mod:`ttcs.report.answers`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from ttcs.report.outline import OutlineItem
from ttcs.text import fold
from ttcs.vi_format import number, percent, ratio

MIN_MATCH = 0.75  # share of the label's words a bullet must hold (or the two sets' overlap)
_WORD = re.compile(r"[0-9a-z]+")
_PERIODS = {"truoc": "before", "sau": "after"}
_UNIT_WORDS = {"before": "đơn vị cấp xã cũ", "after": "đơn vị cấp xã mới"}

Indicators = Mapping[str, Mapping[str, Any]]


def _words(text: str) -> set[str]:
    return set(_WORD.findall(fold(text)))


def _period(text: str) -> str | None:
    words = _words(text)
    found = {period for word, period in _PERIODS.items() if word in words}
    return found.pop() if len(found) == 1 else None


def _score(bullet: set[str], label: set[str]) -> tuple[float, float]:
    """(share of the label's words in the bullet or the overlap, whichever is larger; the
    overlap |B∩L|/|B∪L|)."""
    if not bullet or not label:
        return 0.0, 0.0
    overlap = len(bullet & label) / len(bullet | label)
    return max(len(bullet & label) / len(label), overlap), overlap


def _bullet_words(item: OutlineItem) -> dict[str, set[str]]:
    """Each bullet's words, a sub-bullet's with its parent bullet's."""
    out: dict[str, set[str]] = {}
    for bullet in (b for b in item.walk() if b.kind == "bullet"):
        out[bullet.id] = _words(bullet.text)
        for sub in bullet.children:
            out[sub.id] = out[bullet.id] | _words(sub.text)
    return out


def shown(indicators: Indicators) -> dict[str, Mapping[str, Any]]:
    """The indicators written on their own: not a list, not another's denominator."""
    per = {ind.get("per") for ind in indicators.values()}
    return {key: ind for key, ind in indicators.items()
            if key not in per and not isinstance(ind.get("value"), list)}


def place(item: OutlineItem, indicators: Indicators) -> tuple[dict[str, list[str]], list[str]]:
    """(bullet id -> indicator ids, indicator ids no bullet takes) for the item ``item``."""
    mine = {key: ind for key, ind in shown(indicators).items() if ind.get("outline") == item.id}
    bullets = {b.id: b for b in item.walk() if b.is_bullet}
    words = _bullet_words(item)
    placed: dict[str, list[str]] = {}
    loose = []
    for key, ind in mine.items():
        period, label = _period(ind["label"]), _words(ind["label"])
        scored = sorted(((_score(words[b], label), -i, b) for i, b in enumerate(bullets)
                         if _period(bullets[b].text) in (None, period)), reverse=True)
        if scored and scored[0][0][0] >= MIN_MATCH:
            placed.setdefault(scored[0][2], []).append(key)
        else:
            loose.append(key)
    return placed, loose


def _unit_word(ind: Mapping[str, Any]) -> str:
    if ind.get("unit_word"):
        return str(ind["unit_word"])
    return _UNIT_WORDS.get(_period(ind["label"]) or "", "đơn vị")


def scope(ind: Mapping[str, Any], reported: int, expected: int) -> str:
    """What a figure is computed from: "217/264 đơn vị cũ đã báo cáo" (the consolidation's
    ``coverage``), else the units whose submission is consolidated."""
    if ind.get("coverage"):
        return str(ind["coverage"])
    return f"{reported}/{expected} đơn vị cấp xã đã báo cáo"


def _share(ind: Mapping[str, Any]) -> str:
    """"88,5% số đơn vị đã báo cáo; 72,7% trên 264 theo danh mục" for a count of units."""
    parts = []
    if ind.get("rate") is not None:
        parts.append(f"{percent(100 * float(ind['rate']))} số đơn vị đã báo cáo")
    of_registry = ind.get("percent_of_registry")
    if of_registry is not None and ind.get("denominator"):
        parts.append(f"{percent(float(of_registry))} trên "
                     f"{number(ind['denominator'])} theo danh mục")
    return "; ".join(parts)


def result(key: str, indicators: Indicators) -> str:
    """"192 đơn vị cấp xã cũ (88,5% số đơn vị đã báo cáo; 72,7% trên 264 theo danh mục)";
    with a denominator, "3 (trên 8: tổng số bảng tin …; tỷ số 0,38 lần)"."""
    ind = indicators[key]
    value = number(ind["value"])
    if ind.get("denominator") is not None:
        value = f"{value} {_unit_word(ind)}"
    share = _share(ind)
    per = indicators.get(ind.get("per") or "")
    if per is not None:
        share = f"trên {number(per['value'])}: {_lower(per['label'])}"  # no nested brackets
        if ind.get("ratio") is not None:
            share += f"; tỷ số {ratio(float(ind['ratio']))} lần"
    return value + (f" ({share})" if share else "")


def _lower(text: str) -> str:
    return text[:1].lower() + text[1:]
