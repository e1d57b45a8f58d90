"""Province totals equal totals computed independently from the generator's answers.

Every unit of a province gets complete, valid answers from the seeded generator; the real
nightly flow reads the workbooks; the figures in status.json are compared with sums written
here over the answers and the registry (not with the consolidation code).
"""

from __future__ import annotations

import datetime as dt
import os
import random
from pathlib import Path

import pytest
import yaml

from tests.conftest import CONFIG
from ttcs.campaign import registry
from ttcs.workbook.form import load_form
from ttcs.workbook.sample import valid_answers
from ttcs.workbook.template import render_workbook

FORM = load_form(CONFIG / "form.yaml")
TZ = dt.timezone(dt.timedelta(hours=7))
TEXTS = {"data_as_of": "30/09/2025", "deadline": "17:00 ngày 30/09/2025"}
YES = FORM.yes_label


def _province(tmp: Path, code: str) -> tuple[dict, dict]:
    """Write every unit's workbook, run one night; (answers by unit, status document)."""
    from flows.nightly import nightly

    (tmp / "communes").mkdir(parents=True)
    (tmp / "campaign.yaml").write_text(yaml.safe_dump({
        "title": "Tổng hợp", "province": code, "data_as_of": "2025-09-30",
        "deadline": "2025-09-30T17:00:00+07:00", "form": str(CONFIG / "form.yaml"),
        "contacts": "contacts.csv", "output_dir": "out", "database": "sqlite:///state.db",
        "backend": {"kind": "local", "local": {"folder": "communes"}}}), encoding="utf-8")
    rng = random.Random(int(code))
    answers = {}
    edited = dt.datetime(2025, 9, 25, 10, 0, tzinfo=TZ).timestamp()
    for unit in registry.units(code):
        answers[unit.code] = valid_answers(FORM, unit, rng)
        for p in unit.predecessors:
            if p.type == "huyện":  # an island district with a station, never a commune
                answers[unit.code][("PL01.stations", f"{p.code}:before", "has_station")] = YES
        path = render_workbook(FORM, unit, TEXTS, tmp / "communes" / f"{unit.code}.xlsx",
                               answers[unit.code])
        os.utime(path, (edited, edited))
    document = nightly(str(tmp / "campaign.yaml"), dt.datetime(2025, 9, 29, 22, tzinfo=TZ))
    return answers, document


def _rows(code: str, period: str):
    """(unit, row code, row type) of every before/after row of a province, from the registry."""
    for unit in registry.units(code):
        if period == "before":
            yield from ((unit.code, p.code, p.type) for p in unit.predecessors)
        else:
            yield unit.code, unit.code, unit.type


def _count_yes(answers, code, table, field, period, types) -> int:
    return sum(answers[u].get((table, f"{row}:{period}", field)) == YES
               for u, row, kind in _rows(code, period) if kind in types)


def _count_positive(answers, code, table, field, period, types) -> int:
    return sum((answers[u].get((table, f"{row}:{period}", field)) or 0) > 0
               for u, row, kind in _rows(code, period) if kind in types)


def _sum(answers, code, table, field, period) -> int:
    return sum(answers[u].get((table, f"{row}:{period}", field)) or 0
               for u, row, kind in _rows(code, period) if kind != "huyện")


def _expected(answers: dict, code: str) -> dict[str, int]:
    old = ("xã", "phường", "thị trấn")
    new = ("xã", "phường", "đặc khu")
    staff = lambda role, f: sum(a[("PL03.staff", role, f)] for a in answers.values())  # noqa: E731
    return {
        "pl01_before_station": _count_yes(answers, code, "PL01.stations", "has_station",
                                          "before", old),
        "pl01_after_station": _count_yes(answers, code, "PL01.stations", "has_station",
                                         "after", new),
        "pl01_before_converted": _count_yes(answers, code, "PL01.stations", "converted_to_it",
                                            "before", old),
        "pl01_after_converted": _count_yes(answers, code, "PL01.stations", "converted_to_it",
                                           "after", new),
        "pl01_clusters": _sum(answers, code, "PL01.stations", "it_clusters", "after"),
        "pl01_villages": _sum(answers, code, "PL01.stations", "villages", "after"),
        "pl02_before_website": _count_yes(answers, code, "PL02.web_boards", "has_website",
                                          "before", old),
        "pl02_after_website": _count_yes(answers, code, "PL02.web_boards", "has_website",
                                         "after", new),
        "pl02_before_boards_urban": _count_positive(answers, code, "PL02.web_boards", "boards",
                                                    "before", ("phường", "thị trấn")),
        "pl02_after_boards_urban": _count_positive(answers, code, "PL02.web_boards", "boards",
                                                   "after", ("phường",)),
        "pl02_before_boards_rural": _count_positive(answers, code, "PL02.web_boards", "boards",
                                                    "before", ("xã",)),
        "pl02_after_boards_rural": _count_positive(answers, code, "PL02.web_boards", "boards",
                                                   "after", ("xã", "đặc khu")),
        "pl02_before_connected": _sum(answers, code, "PL02.web_boards", "boards_connected",
                                      "before"),
        "pl02_after_connected": _sum(answers, code, "PL02.web_boards", "boards_connected",
                                     "after"),
        "pl03_propagandists": staff("propagandists", "total"),
        "pl03_culture_officials": staff("culture_officials", "total"),
        "pl03_trained": sum(staff(r, "trained") for r in
                            ("culture_officials", "station_staff", "propagandists")),
        "pl03_sessions": sum(a[("PL03.training", "", "training_sessions")]
                             for a in answers.values()),
        "pl03_participants": sum(a[("PL03.training", "", "training_participants")]
                                 for a in answers.values()),
    }


@pytest.mark.parametrize("code", ["44", "01"])  # island district; split old wards (Hà Nội)
def test_province_totals_match_ground_truth(prefect_harness, tmp_path, code) -> None:
    answers, document = _province(tmp_path, code)
    figures = document["totals"]["figures"]
    assert document["totals"]["reported"] == len(registry.units(code))
    for figure_id, value in _expected(answers, code).items():
        assert figures[figure_id]["value"] == value, figure_id
    old_communes = sum(p.type != "huyện" for u in registry.units(code) for p in u.predecessors)
    assert figures["pl01_before_station"]["denominator"] == old_communes
    before = figures["pl01_before_station"]  # every unit reported: it covers the registry
    assert (before["covered"], before["expected"], before["coverage"]) == (
        old_communes, old_communes, f"{old_communes}/{old_communes} đơn vị cũ đã báo cáo")
    assert before["rate"] == round(before["value"] / old_communes, 4)
    assert before["percent_of_registry"] == round(100 * before["value"] / old_communes, 1)
    assert figures["pl01_after_station"]["denominator"] == len(registry.units(code))
    urban_before = sum(p.type in ("phường", "thị trấn")
                       for u in registry.units(code) for p in u.predecessors)
    assert figures["pl02_before_boards_urban"]["denominator"] == urban_before
    ratio = figures["pl01_clusters"]["ratio"]
    assert ratio == round(figures["pl01_clusters"]["value"] / figures["pl01_villages"]["value"], 2)


def test_island_district_and_split_wards_are_counted_once() -> None:
    """The registry facts the test above leans on."""
    quang_tri = registry.units("44")
    islands = [p for u in quang_tri for p in u.predecessors if p.type == "huyện"]
    assert [p.name for p in islands] == ["Huyện Cồn Cỏ"]
    ha_noi = registry.units("01")
    owners = [u.name for u in ha_noi for p in u.predecessors if p.code == "09700"]
    assert owners == ["Xã Ba Vì"]  # old Xã Minh Quang was split; only its default reports it


def test_coverage_counts_only_what_reported(form, tmp_path) -> None:
    """Two units reported (Phường Đồng Thuận: 3 old units; Đặc khu Cồn Cỏ: an island district,
    never a commune), Phường Đồng Sơn (4 old units: 2 phường, 2 xã) has not: each figure's
    coverage is counted by hand from the registry facts."""
    from tests.workbooks import BAC_LY, CON_CO, DONG_THUAN, LOC_NINH, QUANG_PHU, Book, station
    from ttcs.outputs.consolidate import consolidate
    from ttcs.run.assess import record

    silent = "18871"
    stations = {station(BAC_LY, "before", "has_station"): YES,
                station(QUANG_PHU, "before", "has_station"): YES,
                station(LOC_NINH, "before", "has_station"): "Không"}
    for old in (BAC_LY, QUANG_PHU):
        stations[station(old, "before", "kind_fm")] = YES
    for field in ("kind_wired", "kind_fm", "kind_it", "converted_to_it"):
        stations[station(LOC_NINH, "before", field)] = "Không"
    records = {code: record(Book(form, code, tmp_path / f"{code}.xlsx",
                                 answers=stations if code == DONG_THUAN else None
                                 ).verdict().parsed) for code in (DONG_THUAN, CON_CO)}
    figures = consolidate(form, records, [DONG_THUAN, CON_CO, silent]).indicators

    before = figures["pl01_before_station"]
    assert before["value"] == 2
    assert {k: before[k] for k in ("covered", "expected", "unit_word", "rate", "denominator",
                                   "percent_of_registry", "coverage")} == {
        "covered": 3, "expected": 7, "unit_word": "đơn vị cũ", "rate": round(2 / 3, 4),
        "denominator": 7, "percent_of_registry": round(100 * 2 / 7, 1),
        "coverage": "3/7 đơn vị cũ đã báo cáo"}
    assert "percent" not in before
    after = figures["pl01_after_station"]
    assert (after["covered"], after["expected"], after["unit_word"], after["coverage"]) == (
        2, 3, "đơn vị", "2/3 đơn vị đã báo cáo")
    assert after["rate"] == round(after["value"] / 2, 4)
    urban = figures["pl02_before_boards_urban"]  # Phường Bắc Lý; Đồng Sơn's two phường silent
    assert (urban["covered"], urban["expected"]) == (1, 3)
    sessions = figures["pl03_sessions"]  # an items table: the units that reported
    assert (sessions["covered"], sessions["expected"], sessions["rate"],
            sessions["denominator"], sessions["percent_of_registry"]) == (2, 3, None, None, None)
    clusters = figures["pl01_clusters"]  # a ratio stays a ratio
    assert clusters["rate"] is None and clusters["ratio"] == round(
        clusters["value"] / figures["pl01_villages"]["value"], 2)


def test_coverage_numbers_use_the_vietnamese_thousands_separator() -> None:
    from ttcs.outputs.consolidate import coverage

    indicator = next(i for i in FORM.indicators if i.id == "pl01_before_station")
    country = registry.all_units()  # a campaign of the whole country: over 10.000 old units
    found = coverage(indicator, 900, country[:60], country)
    old_units = sum(p.type != "huyện" for u in country for p in u.predecessors)
    assert old_units >= 10_000 and found["covered"] < 1000
    assert found["coverage"] == (f"{found['covered']}/{old_units:,} đơn vị cũ đã báo cáo"
                                 ).replace(",", ".")
