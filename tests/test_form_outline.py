"""config/form.yaml answers every statistic the outline asks in B.I.1.a, B.I.2.a, B.III.1–2,
says who answers each written item (communes, the province, both) and asks for the leader who
signs off."""

from __future__ import annotations

import re

import pytest

from tests.conftest import OUTLINE
from ttcs.text import fold
from ttcs.workbook.form import ItemsBlock, MatrixBlock, UnitsBlock

BEFORE = ["xã", "phường", "thị trấn"]
AFTER = ["xã", "phường", "đặc khu"]

# Outline bullet (its opening words) -> the indicators that answer it, with the period and
# the unit types the outline splits by. Written by hand from the outline, not from the form.
EXPECTED = {
    "B.I.1.a": {
        "xã, phường, thị trấn có đài truyền thanh trước": [
            ("pl01_before_station", "before", BEFORE)
        ],
        "xã, phường, đặc khu có đài truyền thanh sau": [("pl01_after_station", "after", AFTER)],
        "xã, phường, thị trấn có đài truyền thanh có dây/không dây FM sang": [
            ("pl01_before_converted", "before", BEFORE)
        ],
        "xã, phường, đặc khu có đài truyền thanh có dây/không dây FM sang": [
            ("pl01_after_converted", "after", AFTER)
        ],
        "cụm thu phát thanh ứng dụng CNTT-VT/tổng số thôn": [
            ("pl01_clusters", "after", AFTER),
            ("pl01_villages", "after", AFTER),
        ],
    },
    "B.I.2.a": {
        "xã, phường, thị trấn có trang thông tin điện tử": [
            ("pl02_before_website", "before", BEFORE)
        ],
        "xã, phường, đặc khu có trang thông tin điện tử": [("pl02_after_website", "after", AFTER)],
        "phường, thị trấn có bảng tin": [
            ("pl02_before_boards_urban", "before", ["phường", "thị trấn"])
        ],
        "phường có bảng tin": [("pl02_after_boards_urban", "after", ["phường"])],
        "xã có bảng tin": [("pl02_before_boards_rural", "before", ["xã"])],
        "xã, đặc khu có bảng tin": [("pl02_after_boards_rural", "after", ["xã", "đặc khu"])],
        "bảng tin điện tử công cộng được kết nối": [
            ("pl02_before_connected", "before", BEFORE),
            ("pl02_after_connected", "after", AFTER),
        ],
        "được kết nối trước": [("pl02_before_connected", "before", BEFORE)],
        "được kết nối sau": [("pl02_after_connected", "after", AFTER)],
    },
    "B.III.1": {
        "Công chức văn hóa - xã hội cấp xã": [("pl03_culture_officials", None, [])],
        "người phụ trách đài truyền thanh cấp xã": [("pl03_station_staff", None, [])],
        "tuyên truyền viên cơ sở": [("pl03_propagandists", None, [])],
        "chất lượng": [
            ("pl03_university", None, []),
            ("pl03_college", None, []),
            ("pl03_intermediate", None, []),
            ("pl03_other_education", None, []),
            ("pl03_trained", None, []),
        ],
    },
    "B.III.2": {
        "số buổi tập huấn": [("pl03_sessions", None, [])],
        "số lượt người được tập huấn": [("pl03_participants", None, [])],
        "nội dung tập huấn": [("pl03_contents", None, [])],
    },
}


def _outline_bullets() -> dict[str, list[str]]:
    """Statistic bullets of the outline, by section, read from the outline text itself."""
    text = OUTLINE.read_text(encoding="utf-8")
    b_i_1 = text.split("1.Đối với đài truyền thanh cấp xã")[1].split("b) Thuận lợi")[0]
    b_i_2 = text.split("2. Đối với Trang thông tin điện tử")[1].split("b) Thuận lợi")[0]
    b_iii = text.split("III. PHÁT TRIỂN NHÂN LỰC")[1].split("3. Thuận lợi")[0]
    bullets = lambda part: [  # noqa: E731
        re.sub(r"^[-+]\s*Số lượng\s*", "", line.strip()) for line in part.splitlines()
        if line.strip().startswith(("-", "+"))
    ]
    b_iii_1 = b_iii.split("2. Việc nâng cao")[0]
    b_iii_2 = b_iii.split("2. Việc nâng cao")[1]
    return {
        "B.I.1.a": bullets(b_i_1),
        "B.I.2.a": bullets(b_i_2),
        # B.III.1 and 2 list their items in brackets rather than as bullets.
        "B.III.1": ["chất lượng", *re.search(r"\((.*?)\)", b_iii_1).group(1).split(", ")],
        "B.III.2": re.search(r"\((.*?)\)", b_iii_2).group(1).split("; "),
    }


def _matches(bullet: str, opening: str) -> bool:
    return fold(bullet).startswith(fold(opening))


def test_every_outline_bullet_is_mapped() -> None:
    found = _outline_bullets()
    assert [len(found[s]) for s in ("B.I.1.a", "B.I.2.a", "B.III.1", "B.III.2")] == [5, 9, 4, 3]
    for section, bullets in found.items():
        openings = list(EXPECTED[section])
        for bullet in bullets:
            hits = [o for o in openings if _matches(bullet, o)]
            # The most specific opening wins ("xã, phường, thị trấn có đài ... FM sang" over
            # "xã, phường, thị trấn có đài truyền thanh trước").
            assert hits, f"{section}: outline bullet not mapped: {bullet!r}"
        assert all(any(_matches(b, o) for b in bullets) for o in openings), section


@pytest.mark.parametrize(
    ("section", "opening", "answers"),
    [(s, o, a) for s, items in EXPECTED.items() for o, a in items.items()],
)
def test_bullet_answered_by_form_fields(form, section, opening, answers) -> None:
    indicators = {ind.id: ind for ind in form.indicators}
    for ind_id, period, unit_types in answers:
        ind = indicators[ind_id]
        assert ind.outline == section
        assert ind.rows == period
        assert sorted(ind.unit_types) == sorted(unit_types)
        block = form.tables[ind.table]
        field = next(f for f in block.fields if f.id == ind.field)
        if isinstance(block, UnitsBlock):
            assert field.applies_to(period), f"{ind_id}: {field.id} not asked {period}"
            expected_type = "yesno" if ind.measure == "count_yes" else "count"
            assert field.type == expected_type
        else:
            assert isinstance(block, MatrixBlock | ItemsBlock)
            assert field.type in ("count", "text")
        if ind.measure == "compile":
            assert field.type == "text"


def test_island_districts_never_in_a_commune_bucket(form) -> None:
    for ind in form.indicators:
        assert "huyện" not in ind.unit_types


def test_assessment_sections_cover_the_outline(form) -> None:
    ids = [s.id for s in form.sections.sections]
    expected = ["A.1", "A.2", "B.I.3.a", "B.I.3.b", "B.I.4.a", "B.I.4.b", "B.II.1", "B.II.2"]
    expected += [f"B.IV.{i}" for i in range(1, 7)] + ["C.1", "C.2", "C.3", "D.1", "D.2", "D.3"]
    assert ids == expected
    by_province = {s.id for s in form.sections.sections if s.answered_by == "province"}
    assert by_province == {"B.I.3.a", "B.I.3.b"}  # district-level, before the merger
    # The Department's own direction (A), synthesis (C) and recommendations (D): it writes its
    # text, the communes' answers are compiled under it.
    both = [s.id for s in form.sections.sections if s.answered_by == "both"]
    assert both == ["A.1", "A.2", "C.1", "C.2", "C.3", "D.1", "D.2", "D.3"]
    assert [s.id for s in form.sections.province_sections] == [
        i for i in ids if i in by_province or i in both]
    assert not set(by_province) & {s.id for s in form.sections.commune_sections}


def test_b_iii_2_trainings_are_never_counted_twice(form) -> None:
    """The commune reports only the trainings it organised itself; the province's own courses
    (attended by many communes) are its own table, one row per course."""
    block = form.tables["PL03.training"]
    labels = {f.id: f.label for f in block.fields}
    assert all("do xã tự tổ chức" in label for label in labels.values())
    assert "do xã tự tổ chức" in block.title
    sums = [i for i in form.indicators if i.outline == "B.III.2" and i.measure == "sum"]
    assert {(i.table, i.field) for i in sums} == {("PL03.training", "training_sessions"),
                                                  ("PL03.training", "training_participants")}
    assert all("do cấp xã tự tổ chức" in i.label for i in sums)
    trainings = form.province.trainings
    assert "do tỉnh tổ chức" in trainings.title and "B.III.2" in trainings.title
    assert (trainings.sessions_label, trainings.participants_label) == ("Số buổi",
                                                                        "Số lượt người")


def test_leader_who_signs_off_is_asked_and_required(form) -> None:
    confirm = form.tables["confirmation.confirm"]
    fields = {f.id: f for f in confirm.fields}
    assert [f.id for f in confirm.fields][-3:] == ["leader_name", "leader_position", "complete"]
    assert "Lãnh đạo UBND xã ký duyệt".casefold() in fields["leader_name"].label.casefold()
    assert fields["leader_name"].required and fields["leader_position"].required
