"""Realistic, valid answers for a unit: for the demo, the tests and the benchmarks.

Magnitudes follow what communes report: 5–40 villages, a few bulletin boards, a radio station
in most communes, IT-telecom radio spreading after 2021. Every answer satisfies the rules of
the default form; tests and the demo then damage chosen cells on purpose.
"""

from __future__ import annotations

import random
from typing import Any

from ttcs.campaign.registry import Unit
from ttcs.workbook.form import Form
from ttcs.workbook.layout import Ref
from ttcs.workbook.sample_texts import BANKS, slots, write


def _station(rng: random.Random, urban: bool) -> dict[str, Any]:
    has = rng.random() < (0.8 if urban else 0.9)
    if not has:
        return {"has_station": False, "kind_wired": False, "kind_fm": False, "kind_it": False,
                "converted_to_it": False}
    kind_it = rng.random() < 0.6
    converted = kind_it and rng.random() < 0.7
    kind_fm = rng.random() < 0.6 or not kind_it
    return {"has_station": True, "kind_wired": rng.random() < 0.2, "kind_fm": kind_fm,
            "kind_it": kind_it, "converted_to_it": converted}


def _web(rng: random.Random, code: str) -> dict[str, Any]:
    has = rng.random() < 0.85
    boards = rng.choice([0, 0, 1, 1, 2, 3, 5])
    return {"has_website": has, "website_url": f"https://x{code}.gov.vn" if has else None,
            "boards": boards, "boards_connected": rng.randint(0, boards)}


def _staff(rng: random.Random, total: int) -> dict[str, int]:
    university = rng.randint(0, total)
    college = rng.randint(0, total - university)
    intermediate = rng.randint(0, total - university - college)
    return {"total": total, "edu_university": university, "edu_college": college,
            "edu_intermediate": intermediate,
            "edu_other": total - university - college - intermediate,
            "trained": rng.randint(0, total)}


def _keep_after_merger(station: dict[str, Any], web: dict[str, Any], had_station: bool,
                       boards_before: int) -> None:
    """The new unit keeps what its old units had (the night's merger review warns otherwise):
    a station if any of them had one, at least their bulletin boards together."""
    if had_station and not station["has_station"]:
        station.update(has_station=True, kind_fm=True)
    web["boards"] = max(web["boards"], boards_before)


def written_texts(form: Form, unit: Unit, answers: dict[Ref, Any]) -> dict[Ref, str]:
    """The unit's assessments and the appendices' text items, drawn from its own generator (not
    the answers': their values stay as they are); a count in a text is the unit's own figure."""
    draw = random.Random(unit.code)
    values = slots(draw, {"propagandists": answers[("PL03.staff", "propagandists", "total")]})
    written: dict[Ref, str] = {}
    for section in form.sections.commune_sections:
        written[("sections", section.id, "answer")] = write(
            draw, BANKS[section.id], values, section.required)
    for name, block in form.tables.items():
        for field in block.fields:
            if field.id in BANKS:
                written[(name, "", field.id)] = write(draw, BANKS[field.id], values, False)
    return {ref: text for ref, text in written.items() if text}


def valid_answers(form: Form, unit: Unit, rng: random.Random) -> dict[Ref, Any]:
    """Complete, rule-abiding answers for every input cell of ``unit``'s workbook."""
    yes_no = {True: form.yes_label, False: form.no_label}
    answers: dict[Ref, Any] = {}
    rows = [(p.code, "before", p.type == "phường") for p in unit.predecessors]
    rows.append((unit.code, "after", unit.type == "phường"))
    had_station, boards_before = False, 0
    for code, period, urban in rows:
        station = _station(rng, urban)
        web = _web(rng, code)
        if period == "before":
            had_station |= station["has_station"]
            boards_before += web["boards"]
        else:
            _keep_after_merger(station, web, had_station, boards_before)
            villages = rng.randint(5, 40)
            station["villages"] = villages
            station["it_clusters"] = rng.randint(1, 2 * villages) if station["kind_it"] else 0
        for table, values in (("PL01.stations", station), ("PL02.web_boards", web)):
            for field, value in values.items():
                if value is not None:
                    answers[(table, f"{code}:{period}", field)] = yes_no.get(value, value) \
                        if isinstance(value, bool) else value
    for role, size in (("culture_officials", 2), ("station_staff", 1), ("propagandists", 12)):
        for field, value in _staff(rng, rng.randint(1, size * 2)).items():
            answers[("PL03.staff", role, field)] = value
    sessions = rng.randint(1, 12)
    answers[("PL03.training", "", "training_sessions")] = sessions
    answers[("PL03.training", "", "training_participants")] = sessions * rng.randint(10, 40)
    # The trainings the commune organised itself (the province's own are in its file).
    answers[("PL03.training", "", "training_contents")] = "Kỹ năng tuyên truyền; chuyển đổi số"
    answers |= written_texts(form, unit, answers)
    answers[("confirmation.confirm", "", "preparer_name")] = "Nguyễn Văn An"
    answers[("confirmation.confirm", "", "preparer_position")] = "Công chức văn hóa - xã hội"
    answers[("confirmation.confirm", "", "preparer_phone")] = "0912 345 678"
    answers[("confirmation.confirm", "", "leader_name")] = "Trần Thị Bình"
    answers[("confirmation.confirm", "", "leader_position")] = "Phó Chủ tịch UBND xã"
    answers[("confirmation.confirm", "", "complete")] = form.yes_label
    return answers
