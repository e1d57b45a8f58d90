"""Registry of the new communes (after 1 July 2025) and the old units each one reports for.

Built at run time from two pinned PyPI packages (docs/design.md §2):

- ``vietnam-provinces`` gives the codes, names and types of the 34 provinces and 3,321 new units;
- ``vietnamadminunits`` gives the old units and the 2025 conversion table (new unit <- old units).

The packages are joined by province and a diacritics-insensitive name key; each old unit is
reported by exactly one new unit (a split old unit, whole, by its default new unit; the other
new units that received part of it are its ``shared_with``).
"""

from __future__ import annotations

import importlib.util
import json
import re
import sqlite3
from collections import defaultdict
from collections.abc import Iterable, Mapping
from contextlib import closing
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path
from typing import Any, NamedTuple

from vietnam_provinces import Province, Ward

from ttcs.errors import UserError
from ttcs.text import clean, key

__all__ = [
    "Predecessor",
    "ProvinceInfo",
    "SharedUnit",
    "Unit",
    "UnknownProvince",
    "UnknownUnit",
    "all_units",
    "code_mismatches",
    "conversion_table_size",
    "find_province",
    "name_key_collisions",
    "normalise_code",
    "provinces",
    "unit",
    "units",
]

NEW_TYPES = frozenset({"xã", "phường", "đặc khu"})
OLD_TYPES = frozenset({"xã", "phường", "thị trấn", "huyện"})

# Everyday short names that are not derivable from the official name.
_PROVINCE_ALIASES: Mapping[str, str] = {
    "hn": "01",
    "hcm": "79",
    "hcmc": "79",
    "saigon": "79",
}
_PROVINCE_PREFIXES = ("tinh", "thanhpho", "tp")
_NUMERIC = re.compile(r"(\d+)(?:[.,]0*)?")


class SharedUnit(NamedTuple):
    """Another new unit that received part of a split old unit."""

    code: str
    name: str


@dataclass(frozen=True)
class Predecessor:
    """An old unit (before 1 July 2025) reported by a new unit.

    ``shared_with``: for an old unit split between several new units, the others (sorted by
    code); this unit reports the whole old unit. Not part of equality: an old unit is the
    same old unit whoever reports it.
    """

    code: str
    name: str
    type: str
    district: str
    province: str
    shared_with: tuple[SharedUnit, ...] = field(default=(), compare=False)

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "code": self.code,
            "name": self.name,
            "type": self.type,
            "district": self.district,
            "province": self.province,
        }
        if self.shared_with:
            data["shared_with"] = [s._asdict() for s in self.shared_with]
        return data


@dataclass(frozen=True)
class Unit:
    """A new commune-level unit (xã, phường or đặc khu) and the old units it reports for."""

    code: str
    name: str
    type: str
    province_code: str
    predecessors: tuple[Predecessor, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "name": self.name,
            "type": self.type,
            "predecessors": [p.to_dict() for p in self.predecessors],
        }


@dataclass(frozen=True)
class ProvinceInfo:
    """A new province (after 1 July 2025)."""

    code: str
    name: str


class UnknownProvince(UserError, LookupError):
    """No province matches the query."""

    def __init__(self, query: object) -> None:
        super().__init__(
            f'Không tìm thấy tỉnh/thành phố "{query}" '
            '(nhập mã 2 chữ số hoặc tên, ví dụ "44" hoặc "Quảng Trị").'
        )


class UnknownUnit(UserError, LookupError):
    """No new unit has the code."""

    def __init__(self, query: object) -> None:
        super().__init__(
            f'Không tìm thấy xã/phường/đặc khu có mã "{query}" (mã gồm 5 chữ số, ví dụ "00070").'
        )


def normalise_code(code: str | int | float, width: int = 5) -> str:
    """Zero-pad a code whose leading zeros a spreadsheet stripped: "70", 70, 70.0 -> "00070"."""
    if isinstance(code, bool):
        raise ValueError(f'Mã không hợp lệ: "{code}".')
    if isinstance(code, float):
        if not code.is_integer() or code < 0:
            raise ValueError(f'Mã không hợp lệ: "{code}".')
        code = int(code)
    text = clean(str(code))
    match = _NUMERIC.fullmatch(text)
    if match is None or len(match.group(1).lstrip("0")) > width:
        raise ValueError(f'Mã không hợp lệ: "{text}" (cần tối đa {width} chữ số).')
    return match.group(1).lstrip("0").zfill(width)


def provinces() -> list[ProvinceInfo]:
    """The 34 provinces, sorted by code."""
    return list(_registry().provinces)


def find_province(query: str | int) -> ProvinceInfo:
    """Resolve a province by code ("44", 44) or name ("Quảng Trị", "quang tri", "TP HCM")."""
    reg = _registry()
    text = clean(str(query))
    try:
        code = normalise_code(query, width=2)
    except ValueError:
        code = reg.province_keys.get(key(text), "")
    info = reg.provinces_by_code.get(code)
    if info is None:
        raise UnknownProvince(text)
    return info


def units(province: str | int) -> list[Unit]:
    """New units of a province (code or name), sorted by code."""
    return list(_registry().units_by_province[find_province(province).code])


def all_units() -> list[Unit]:
    """All 3,321 new units, sorted by province code then code."""
    reg = _registry()
    return [u for p in reg.provinces for u in reg.units_by_province[p.code]]


def unit(code: str | int) -> Unit:
    """The new unit with this code ("70" or "00070")."""
    try:
        found = _registry().units_by_code.get(normalise_code(code))
    except ValueError:
        found = None
    if found is None:
        raise UnknownUnit(clean(str(code)))
    return found


def code_mismatches() -> list[tuple[str, str, str, str]]:
    """(province_code, name, vietnam_provinces code, vietnamadminunits code) where they differ."""
    return list(_registry().code_mismatches)


def conversion_table_size() -> int:
    """Number of old units in the conversion table (communes and island districts)."""
    return _registry().conversion_table_size


def name_key_collisions() -> int:
    """Number of new units whose name key collides in their province (matched by exact name)."""
    return _registry().tie_breaks


# --- building ---------------------------------------------------------------------------------


class _OtherUnit(NamedTuple):
    """A new unit as vietnamadminunits describes it."""

    name: str
    code: str
    ward_key: str
    province_key: str


@dataclass(frozen=True)
class _Registry:
    provinces: tuple[ProvinceInfo, ...]
    provinces_by_code: Mapping[str, ProvinceInfo]
    province_keys: Mapping[str, str]
    units_by_province: Mapping[str, tuple[Unit, ...]]
    units_by_code: Mapping[str, Unit]
    code_mismatches: tuple[tuple[str, str, str, str], ...]
    conversion_table_size: int
    tie_breaks: int


def _data_dir() -> Path:
    # find_spec locates the package without importing it (its import loads parsers, ~0.5 s).
    spec = importlib.util.find_spec("vietnamadminunits")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("Thiếu gói vietnamadminunits (cần phiên bản 1.0.4).")
    return Path(next(iter(spec.submodule_search_locations))) / "data"


def _query(sql: str) -> list[tuple[Any, ...]]:
    uri = f"{(_data_dir() / 'dataset.db').as_uri()}?mode=ro"
    with closing(sqlite3.connect(uri, uri=True)) as conn:
        return conn.execute(sql).fetchall()


def _province_key(name: str) -> str:
    """Name key without the "Tỉnh"/"Thành phố"/"TP" prefix: "Thành phố Hà Nội" -> "hanoi"."""
    k = key(name)
    for prefix in _PROVINCE_PREFIXES:
        if k.startswith(prefix) and len(k) > len(prefix):
            return k[len(prefix) :]
    return k


_TYPE_PREFIXES = ("Thành phố ", "Thị xã ", "Thị trấn ")


def _official_case(name: str) -> str:
    """The legacy table writes some types "Thành Phố"/"Thị Xã"; official names say "Thành phố"."""
    name = clean(name)
    for prefix in _TYPE_PREFIXES:
        if name.lower().startswith(prefix.lower()):
            return prefix + name[len(prefix) :]
    return name


def _old_units() -> dict[str, Predecessor]:
    """Old units keyed like the conversion table: "tinhquangtri_huyenconco_" for a district."""
    rows = _query(
        "SELECT provinceKey, districtKey, wardKey, province, district, ward, wardType,"
        " wardCode, districtCode FROM admin_units_legacy"
    )
    found: dict[str, Predecessor] = {}
    for prov_key, dist_key, ward_key, prov, dist, ward, ward_type, ward_code, dist_code in rows:
        if ward_key is None:  # island district without communes
            pred = Predecessor(
                code=normalise_code(dist_code, 3),
                name=clean(dist),
                type="huyện",
                district=_official_case(dist),
                province=clean(prov),
            )
        else:
            pred = Predecessor(
                code=normalise_code(ward_code),
                name=_official_case(ward),
                type=clean(ward_type).lower(),
                district=_official_case(dist),
                province=clean(prov),
            )
        found[f"{prov_key}_{dist_key}_{ward_key or ''}"] = pred
    return found


def _other_units() -> dict[str, list[_OtherUnit]]:
    """vietnamadminunits' new units grouped by province code."""
    rows = _query("SELECT provinceCode, ward, wardCode, wardKey, provinceKey FROM admin_units")
    grouped: dict[str, list[_OtherUnit]] = defaultdict(list)
    for prov_code, name, code, ward_key, prov_key in rows:
        grouped[normalise_code(prov_code, 2)].append(
            _OtherUnit(clean(name), normalise_code(code), ward_key, prov_key)
        )
    return grouped


def _other_province_names() -> dict[str, str]:
    rows = _query("SELECT DISTINCT provinceCode, province FROM admin_units")
    return {normalise_code(code, 2): name for code, name in rows}


NewKey = tuple[str, str]  # (new province key, new ward key) in vietnamadminunits


class _Conversion(NamedTuple):
    reported: dict[NewKey, list[str]]  # new unit -> the old units it reports
    shared: dict[str, list[NewKey]]  # split old unit -> the other new units that got part
    size: int  # old units in the table


def _conversion() -> _Conversion:
    table = json.loads((_data_dir() / "converter_2025.json").read_text(encoding="utf-8"))
    reported: dict[NewKey, list[str]] = defaultdict(list)
    shared: dict[str, list[NewKey]] = {}
    seen: set[str] = set()
    for prov_key, wards in table["DICT_PROVINCE_WARD_NO_DIVIDED"].items():
        for ward_key, old_keys in wards.items():
            reported[(prov_key, ward_key)].extend(old_keys)
            seen.update(old_keys)
    for prov_key, olds in table["DICT_PROVINCE_WARD_DIVIDED"].items():
        for old_key, targets in olds.items():
            defaults = [t["newWardKey"] for t in targets if t["isDefaultNewWard"]]
            if len(defaults) != 1:
                raise RuntimeError(f"{old_key}: cần đúng một đơn vị mới mặc định, có {defaults}.")
            reported[(prov_key, defaults[0])].append(old_key)
            shared[old_key] = [(prov_key, t["newWardKey"]) for t in targets
                               if not t["isDefaultNewWard"]]
            seen.add(old_key)
    return _Conversion(reported, shared, len(seen))


def _match(
    wards: Iterable[Ward], others: Iterable[_OtherUnit]
) -> tuple[list[tuple[Ward, _OtherUnit]], int]:
    """Pair one province's units by name key; exact (NFC) names break ties within a key.

    Returns the pairs and the number of units paired by exact name.
    """
    ours: dict[str, list[Ward]] = defaultdict(list)
    theirs: dict[str, list[_OtherUnit]] = defaultdict(list)
    for ward in wards:
        ours[key(ward.name)].append(ward)
    for other in others:
        theirs[key(other.name)].append(other)
    pairs: list[tuple[Ward, _OtherUnit]] = []
    tie_breaks = 0
    for k, group in ours.items():
        candidates = theirs.get(k, [])
        if len(group) == 1 and len(candidates) == 1:
            pairs.append((group[0], candidates[0]))
            continue
        by_name = {c.name: c for c in candidates}
        for ward in group:
            other = by_name.pop(clean(ward.name), None)
            if other is None:
                raise RuntimeError(
                    f"{ward.name} ({ward.code:05d}): không ghép được hai gói dữ liệu."
                )
            pairs.append((ward, other))
            tie_breaks += 1
    if len(pairs) != sum(map(len, theirs.values())):
        raise RuntimeError("Hai gói dữ liệu có số đơn vị khác nhau trong một tỉnh.")
    return pairs, tie_breaks


def _predecessors(old_keys: Iterable[str], old: Mapping[str, Predecessor],
                  conversion: _Conversion, receivers: Mapping[NewKey, SharedUnit],
                  ) -> tuple[Predecessor, ...]:
    """The old units a new unit reports, sorted by code, each with the other new units that
    received part of it when it was split."""
    found = []
    for k in old_keys:
        others = sorted(receivers[n] for n in conversion.shared.get(k, ()))
        found.append(replace(old[k], shared_with=tuple(others)) if others else old[k])
    return tuple(sorted(found, key=lambda p: p.code))


@cache
def _registry() -> _Registry:
    old = _old_units()
    conversion = _conversion()
    others = _other_units()
    other_names = _other_province_names()
    wards_by_province: dict[int, list[Ward]] = defaultdict(list)
    for ward in Ward.iter_all():
        wards_by_province[int(ward.province_code)].append(ward)

    infos: list[ProvinceInfo] = []
    matched: list[tuple[ProvinceInfo, Ward, _OtherUnit]] = []
    mismatches: list[tuple[str, str, str, str]] = []
    tie_breaks = 0
    for province in sorted(Province.iter_all(), key=lambda p: int(p.code)):
        info = ProvinceInfo(normalise_code(int(province.code), 2), clean(province.name))
        if _province_key(other_names.get(info.code, "")) != _province_key(info.name):
            raise RuntimeError(f"Hai gói dữ liệu lệch nhau về tỉnh mã {info.code}.")
        pairs, ties = _match(wards_by_province[int(province.code)], others[info.code])
        tie_breaks += ties
        infos.append(info)
        matched += [(info, ward, other) for ward, other in pairs]
    # A split old unit names the other new units that got part of it: every unit is needed.
    receivers = {(o.province_key, o.ward_key): SharedUnit(normalise_code(int(w.code)),
                                                          clean(w.name))
                 for _, w, o in matched}

    built: dict[str, list[Unit]] = defaultdict(list)
    for info, ward, other in matched:
        code = normalise_code(int(ward.code))
        if code != other.code:
            mismatches.append((info.code, clean(ward.name), code, other.code))
        old_keys = conversion.reported.get((other.province_key, other.ward_key), [])
        built[info.code].append(Unit(
            code=code,
            name=clean(ward.name),
            type=str(ward.division_type.value),
            province_code=info.code,
            predecessors=_predecessors(old_keys, old, conversion, receivers),
        ))
    by_province = {i.code: tuple(sorted(built[i.code], key=lambda u: u.code)) for i in infos}

    province_keys: dict[str, str] = {}
    for info in infos:
        bare = _province_key(info.name)
        for prefix in ("", *_PROVINCE_PREFIXES):
            province_keys[prefix + bare] = info.code
    for alias, code in _PROVINCE_ALIASES.items():
        for prefix in ("", *_PROVINCE_PREFIXES):
            province_keys[prefix + alias] = code

    return _Registry(
        provinces=tuple(infos),
        provinces_by_code={p.code: p for p in infos},
        province_keys=province_keys,
        units_by_province=by_province,
        units_by_code={u.code: u for us in by_province.values() for u in us},
        code_mismatches=tuple(sorted(mismatches)),
        conversion_table_size=conversion.size,
        tie_breaks=tie_breaks,
    )
