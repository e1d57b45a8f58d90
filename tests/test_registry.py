"""Facts about the registry built from vietnam-provinces and vietnamadminunits
(docs/design.md §2)."""

from __future__ import annotations

import csv
import dataclasses
import importlib.util
import json
import re
from collections import Counter
from importlib.metadata import version
from pathlib import Path

import pytest

from ttcs.campaign import registry
from ttcs.campaign.registry import (
    NEW_TYPES,
    OLD_TYPES,
    Predecessor,
    ProvinceInfo,
    SharedUnit,
    Unit,
    UnknownProvince,
    UnknownUnit,
    all_units,
    code_mismatches,
    conversion_table_size,
    find_province,
    name_key_collisions,
    normalise_code,
    provinces,
    unit,
    units,
)
from ttcs.text import clean

DATA = Path(__file__).parent / "data"
ISLAND_DISTRICTS = {
    ("318", "Huyện Bạch Long Vĩ", "Đặc khu Bạch Long Vĩ"),
    ("471", "Huyện Cồn Cỏ", "Đặc khu Cồn Cỏ"),
    ("498", "Huyện Hoàng Sa", "Đặc khu Hoàng Sa"),
    ("536", "Huyện Lý Sơn", "Đặc khu Lý Sơn"),
    ("755", "Huyện Côn Đảo", "Đặc khu Côn Đảo"),
}


def _package_data() -> Path:
    spec = importlib.util.find_spec("vietnamadminunits")
    assert spec is not None and spec.origin is not None
    return Path(spec.origin).parent / "data"


def _predecessors() -> list[Predecessor]:
    return [p for u in all_units() for p in u.predecessors]


def _by_name(province: str, name: str) -> Unit:
    (found,) = [u for u in units(province) if u.name == name]
    return found


def test_pinned_package_versions() -> None:
    assert version("vietnam-provinces") == "2025.10.1"
    assert version("vietnamadminunits") == "1.0.4"


# --- provinces -------------------------------------------------------------------------------


def test_provinces() -> None:
    found = provinces()
    assert len(found) == 34
    assert [p.code for p in found] == sorted(p.code for p in found)
    assert all(re.fullmatch(r"\d{2}", p.code) for p in found)
    assert ProvinceInfo("44", "Quảng Trị") in found
    assert ProvinceInfo("01", "Thành phố Hà Nội") in found


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("quang tri", "44"),
        ("Quảng Trị", "44"),
        (44, "44"),
        ("44", "44"),
        ("Tỉnh Quảng Trị", "44"),
        ("  QUẢNG   TRỊ ", "44"),
        ("4", "04"),
        ("04", "04"),
        ("Hà Nội", "01"),
        ("thanh pho ha noi", "01"),
        ("TP Hà Nội", "01"),
        ("hn", "01"),
        ("TP Hồ Chí Minh", "79"),
        ("TP.HCM", "79"),
        ("tphcm", "79"),
        ("hcm", "79"),
        ("ho chi minh", "79"),
        ("Khánh Hoà", "56"),
        ("Huế", "46"),
        ("Đắk Lắk", "66"),
        ("dak lak", "66"),
    ],
)
def test_find_province(query: str | int, code: str) -> None:
    assert find_province(query).code == code


@pytest.mark.parametrize("query", ["Không Có", "99", "", "Quảng Bình", "123", 0])
def test_find_province_unknown(query: str | int) -> None:
    with pytest.raises(UnknownProvince):
        find_province(query)


def test_unknown_province_message() -> None:
    with pytest.raises(LookupError) as caught:
        units("Không Có")
    assert str(caught.value) == (
        'Không tìm thấy tỉnh/thành phố "Không Có" '
        '(nhập mã 2 chữ số hoặc tên, ví dụ "44" hoặc "Quảng Trị").'
    )
    assert "\n" not in str(caught.value)


# --- units of one province -------------------------------------------------------------------


def test_quang_tri() -> None:
    found = units("44")
    assert len(found) == 78
    assert sum(len(u.predecessors) for u in found) == 265
    assert found == units("Quảng Trị") == units(44)
    con_co = _by_name("44", "Đặc khu Cồn Cỏ")
    assert con_co.type == "đặc khu"
    assert con_co.predecessors == (
        Predecessor("471", "Huyện Cồn Cỏ", "huyện", "Huyện Cồn Cỏ", "Tỉnh Quảng Trị"),
    )


def test_quang_tri_includes_old_quang_binh() -> None:
    dong_hoi = _by_name("44", "Phường Đồng Hới")
    assert dong_hoi.type == "phường"
    assert {p.province for p in dong_hoi.predecessors} == {"Tỉnh Quảng Bình"}
    assert {p.province for u in units("44") for p in u.predecessors} == {
        "Tỉnh Quảng Bình",
        "Tỉnh Quảng Trị",
    }


def test_ha_noi() -> None:
    found = units("Hà Nội")
    assert len(found) == 126
    assert all(u.province_code == "01" for u in found)


def test_yen_so_has_no_predecessors() -> None:
    yen_so = _by_name("01", "Phường Yên Sở")
    assert yen_so.code == "00331"
    assert yen_so.predecessors == ()
    assert [u.name for u in all_units() if not u.predecessors] == ["Phường Yên Sở"]


def test_split_unit_appears_only_under_its_default() -> None:
    # Old Xã Minh Quang (Huyện Ba Vì) was split between Xã Bất Bạt and Xã Ba Vì (the default).
    minh_quang = Predecessor("09700", "Xã Minh Quang", "xã", "Huyện Ba Vì", "Thành phố Hà Nội")
    holders = [u.name for u in all_units() if minh_quang in u.predecessors]
    assert holders == ["Xã Ba Vì"]
    assert minh_quang not in _by_name("01", "Xã Bất Bạt").predecessors
    (held,) = [p for p in _by_name("01", "Xã Ba Vì").predecessors if p == minh_quang]
    assert held.shared_with == (SharedUnit("09676", "Xã Bất Bạt"),)
    assert held.to_dict()["shared_with"] == [{"code": "09676", "name": "Xã Bất Bạt"}]


def test_split_old_units_recomputed_from_the_conversion_table() -> None:
    """Every old unit the table divides names the other new units (its non-default targets),
    sorted by code, each a unit of the same province; no other old unit is shared."""
    from vietnamadminunits.database import query

    table = json.loads((_package_data() / "converter_2025.json").read_text(encoding="utf-8"))
    divided = table["DICT_PROVINCE_WARD_DIVIDED"]
    code_of = {r["provinceKey"]: r["provinceCode"]
               for r in query("SELECT DISTINCT provinceKey, provinceCode FROM admin_units")}
    expected = Counter({code_of[k]: len(olds) for k, olds in divided.items()})
    others = sum(len(targets) - 1 for olds in divided.values() for targets in olds.values())
    split = [(u, p) for u in all_units() for p in u.predecessors if p.shared_with]
    assert len(split) == sum(expected.values()) == 471
    assert Counter(u.province_code for u, _ in split) == expected
    assert expected["01"] == 199 and expected["44"] == 0
    assert sum(len(p.shared_with) for _, p in split) == others == 562
    province_codes = {u.province_code: {v.code for v in units(u.province_code)} for u, _ in split}
    for holder, old in split:
        assert [s.code for s in old.shared_with] == sorted(s.code for s in old.shared_with)
        for other in old.shared_with:
            assert other.code != holder.code
            assert other.code in province_codes[holder.province_code]
            assert unit(other.code).name == other.name


def test_predecessors_sorted_by_code() -> None:
    assert unit("00070").predecessors[0].name == "Phường Đồng Xuân"
    for u in all_units():
        assert [p.code for p in u.predecessors] == sorted(p.code for p in u.predecessors)


# --- the whole country -----------------------------------------------------------------------


def test_country_new_units() -> None:
    found = all_units()
    assert len(found) == 3321
    assert sum(len(units(p.code)) for p in provinces()) == 3321
    codes = [u.code for u in found]
    assert len(set(codes)) == 3321
    assert all(re.fullmatch(r"\d{5}", c) for c in codes)
    assert Counter(u.type for u in found) == {"xã": 2621, "phường": 687, "đặc khu": 13}
    assert {u.type for u in found} <= NEW_TYPES
    for p in provinces():
        assert [u.code for u in units(p.code)] == sorted(u.code for u in units(p.code))


def test_conversion_table_fully_reported_once() -> None:
    preds = _predecessors()
    assert conversion_table_size() == 10_040
    assert len(preds) == 10_040
    assert len({p.code for p in preds}) == 10_040
    assert {p.type for p in preds} <= OLD_TYPES
    assert Counter(p.type for p in preds) == {
        "xã": 7695,
        "phường": 1724,
        "thị trấn": 616,
        "huyện": 5,
    }
    communes = [p for p in preds if p.type != "huyện"]
    assert len(communes) == 10_035
    assert all(re.fullmatch(r"\d{5}", p.code) for p in communes)
    assert len({p.province for p in preds}) == 63
    assert len({(p.province, p.district) for p in preds}) == 696


def test_island_districts() -> None:
    found = {
        (p.code, p.name, u.name) for u in all_units() for p in u.predecessors if p.type == "huyện"
    }
    assert found == ISLAND_DISTRICTS
    for _, district, new_name in ISLAND_DISTRICTS:
        (holder,) = [u for u in all_units() if u.name == new_name]
        assert holder.type == "đặc khu"
        assert [(p.name, p.district) for p in holder.predecessors] == [(district, district)]


def test_names_are_clean() -> None:
    for u in all_units():
        assert u.name == clean(u.name)
        for p in u.predecessors:
            assert (p.name, p.district, p.province) == tuple(
                map(clean, (p.name, p.district, p.province))
            )
    for p in provinces():
        assert p.name == clean(p.name)


# --- joining the two packages ----------------------------------------------------------------


def test_every_unit_matched_once() -> None:
    from vietnamadminunits.database import query

    theirs = {row["wardCode"] for row in query("SELECT wardCode FROM admin_units")}
    assert len(theirs) == 3321
    their_code = {ours: other for _, _, ours, other in code_mismatches()}
    matched = [their_code.get(u.code, u.code) for u in all_units()]
    assert len(set(matched)) == 3321  # no vietnamadminunits unit matched twice
    assert set(matched) == theirs
    assert name_key_collisions() == 16


def test_tie_broken_by_exact_name() -> None:
    # "Xã Tân Thành" and "Xã Tân Thạnh" share a key in both Tây Ninh and Đồng Tháp.
    assert _by_name("80", "Xã Tân Thành").code != _by_name("80", "Xã Tân Thạnh").code
    assert _by_name("82", "Xã Tân Thành").code != _by_name("82", "Xã Tân Thạnh").code


def test_code_mismatches_listed() -> None:
    with (DATA / "code_mismatches.csv").open(encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == [
        "province_code",
        "name",
        "vietnam_provinces_code",
        "vietnamadminunits_code",
    ]
    expected = [tuple(r) for r in rows[1:]]
    assert code_mismatches() == expected
    assert len(expected) > 100
    assert ("01", "Phường Hoàng Mai", "00319", "00331") in expected


# --- codes and look-ups ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "width", "expected"),
    [
        ("70", 5, "00070"),
        (70, 5, "00070"),
        (70.0, 5, "00070"),
        ("70.0", 5, "00070"),
        (" 70 ", 5, "00070"),
        ("00070", 5, "00070"),
        ("000070", 5, "00070"),
        ("31213", 5, "31213"),
        ("4", 2, "04"),
        (4, 2, "04"),
        ("471", 3, "471"),
        ("0", 5, "00000"),
    ],
)
def test_normalise_code(code: str | int | float, width: int, expected: str) -> None:
    assert normalise_code(code, width) == expected


@pytest.mark.parametrize("code", ["", "abc", "7O", 70.5, "-1", "123456", True])
def test_normalise_code_rejects(code: str | int | float) -> None:
    with pytest.raises(ValueError):
        normalise_code(code)


def test_unit_lookup() -> None:
    hoan_kiem = unit("00070")
    assert unit("70") is hoan_kiem
    assert unit(70) is hoan_kiem
    assert (hoan_kiem.name, hoan_kiem.type, hoan_kiem.province_code) == (
        "Phường Hoàn Kiếm",
        "phường",
        "01",
    )


@pytest.mark.parametrize("code", ["99999", "abc", ""])
def test_unit_unknown(code: str) -> None:
    with pytest.raises(UnknownUnit) as caught:
        unit(code)
    assert isinstance(caught.value, LookupError)
    assert str(caught.value).startswith("Không tìm thấy xã/phường/đặc khu có mã")


def test_to_dict() -> None:
    data = unit("19742").to_dict()
    assert data == {
        "code": "19742",
        "name": "Đặc khu Cồn Cỏ",
        "type": "đặc khu",
        "predecessors": [
            {
                "code": "471",
                "name": "Huyện Cồn Cỏ",
                "type": "huyện",
                "district": "Huyện Cồn Cỏ",
                "province": "Tỉnh Quảng Trị",
            }
        ],
    }


def test_frozen_and_cached() -> None:
    u = unit("00070")
    with pytest.raises(dataclasses.FrozenInstanceError):
        u.name = "x"  # type: ignore[misc]
    listed = units("01")
    listed.clear()
    assert len(units("01")) == 126
    assert registry._registry() is registry._registry()
