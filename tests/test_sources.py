"""Which file counts: several files claiming one unit, file dates out of bounds, and sources
that fail in unexpected ways (real .xlsx files, real SQLite, the real nightly flow)."""

from __future__ import annotations

import datetime as dt
import json
import os
import random
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from tests.conftest import CONFIG
from tests.test_nightly import DEADLINE, FORM, TEXTS, TZ, _night
from tests.test_nightly import _by_code as _units
from ttcs.backends import Raw, Source
from ttcs.backends.local import LocalBackend
from ttcs.campaign import registry
from ttcs.cli.app import app
from ttcs.run import collect
from ttcs.state.store import open_store
from ttcs.workbook.sample import valid_answers
from ttcs.workbook.template import render_workbook

ON_TIME, LATE, FUTURE = (u.code for u in registry.units("44")[:3])
YEAR_2030 = dt.datetime(2030, 1, 1, 8, 0, tzinfo=TZ)
NIGHTS = [dt.datetime(2025, 9, 28, 22, 0, tzinfo=TZ), dt.datetime(2025, 10, 3, 22, 0, tzinfo=TZ),
          dt.datetime(2025, 10, 4, 22, 0, tzinfo=TZ), dt.datetime(2025, 10, 5, 22, 0, tzinfo=TZ)]


def _campaign(tmp: Path) -> Path:
    path = tmp / "campaign.yaml"
    path.write_text(yaml.safe_dump({
        "title": "Thử nghiệm", "province": "44", "data_as_of": "2025-09-30",
        "deadline": DEADLINE.isoformat(), "form": str(CONFIG / "form.yaml"),
        "contacts": "contacts.csv", "output_dir": "out", "database": "sqlite:///state.db",
        "backend": {"kind": "local", "local": {"folder": "communes"}},
    }, allow_unicode=True), encoding="utf-8")
    (tmp / "communes").mkdir()
    return path


def _book(tmp: Path, code: str, name: str, when: dt.datetime, filled: bool = True) -> Path:
    """A unit's workbook; filled with valid answers that differ from file to file."""
    answers = valid_answers(FORM, registry.unit(code), random.Random(name)) if filled else None
    path = render_workbook(FORM, registry.unit(code), TEXTS, tmp / "communes" / name, answers)
    os.utime(path, (when.timestamp(), when.timestamp()))
    return path


@pytest.fixture(scope="module")
def replay(prefect_harness, tmp_path_factory):
    """Night 1: one unit on time, one whose only file is dated 2030. Night 2 (after the
    deadline): a unit submits late, and a blank copy dated 2030 claims the on-time unit. Night 3:
    a copy dated 29/09 is dropped for the late unit. Night 4: the coordinator removes the
    blank copy and the late unit's original file."""
    tmp = tmp_path_factory.mktemp("sources")
    config = _campaign(tmp)
    _book(tmp, ON_TIME, f"{ON_TIME}.xlsx", DEADLINE - dt.timedelta(days=3))
    _book(tmp, FUTURE, f"{FUTURE}.xlsx", YEAR_2030)
    night1 = _night(config, NIGHTS[0])
    late_file = _book(tmp, LATE, f"{LATE}.xlsx", dt.datetime(2025, 10, 3, 10, 0, tzinfo=TZ))
    blank_copy = _book(tmp, ON_TIME, "ban-sao.xlsx", YEAR_2030, filled=False)
    night2 = _night(config, NIGHTS[1])
    _book(tmp, LATE, "nop-lai.xlsx", dt.datetime(2025, 9, 29, 9, 0, tzinfo=TZ))
    night3 = _night(config, NIGHTS[2])
    blank_copy.unlink()
    late_file.unlink()
    night4 = _night(config, NIGHTS[3])
    return {"tmp": tmp, "config": config, "nights": [night1, night2, night3, night4]}


def test_a_future_date_is_clamped_to_the_run_that_first_saw_the_file(replay) -> None:
    night1 = replay["nights"][0]
    unit = _units(night1)[FUTURE]
    assert unit["status"] == "submitted" and unit["flags"] == []
    assert unit["first_accepted"] == NIGHTS[0].isoformat()  # not 2030
    assert unit["last_modified"] == NIGHTS[0].isoformat()
    assert [n for n in night1["notes"] if FUTURE in n] == [
        f"{FUTURE}.xlsx: ngày sửa ghi trên tệp 01/01/2030 08:00 là sau lúc được đọc; "
        "tính là 28/09/2025 22:00"]
    assert night1["totals"]["on_time"] == 2


def test_a_future_dated_blank_copy_never_takes_over_an_accepted_unit(replay) -> None:
    night2 = replay["nights"][1]
    unit = _units(night2)[ON_TIME]
    assert unit["status"] == "submitted"
    assert unit["flags"] == ["conflict"]
    assert unit["first_accepted"] == (DEADLINE - dt.timedelta(days=3)).isoformat()
    conflict = [n for n in night2["notes"] if n.startswith(f"Đơn vị {ON_TIME} ")]
    assert len(conflict) == 1
    assert f"dùng {replay['tmp'] / 'communes' / ON_TIME}.xlsx (giữ bản đã nộp hợp lệ)" in (
        conflict[0])
    assert "không dùng " + str(replay["tmp"] / "communes" / "ban-sao.xlsx") in conflict[0]
    assert any(n.startswith("ban-sao.xlsx: ngày sửa ghi trên tệp 01/01/2030") for n in
               night2["notes"])
    assert night2["totals"]["by_flag"]["conflict"] == 1
    assert night2["totals"]["on_time"] == 2  # unchanged by the copy


def test_a_back_dated_copy_leaves_a_late_unit_late(replay) -> None:
    night2, night3 = replay["nights"][1], replay["nights"][2]
    before, after = _units(night2)[LATE], _units(night3)[LATE]
    assert before["flags"] == ["late", "submitted_late"]
    assert after["status"] == "submitted"
    assert after["flags"] == ["conflict", "late", "submitted_late"]
    assert after["first_accepted"] == before["first_accepted"] == "2025-10-03T10:00:00+07:00"
    assert (night3["totals"]["reported"], night3["totals"]["on_time"]) == (3, 2)
    # The copy's date (29/09) is before the last run that had not seen it: 03/10 22:00 counts.
    assert "nop-lai.xlsx: ngày sửa ghi trên tệp 29/09/2025 09:00 là trước lượt chạy gần " \
        "nhất chưa thấy tệp; tính là 03/10/2025 22:00" in night3["notes"]
    assert any(n.startswith(f"Đơn vị {LATE} có 2 tệp") for n in night3["notes"])


def test_removing_the_other_file_resolves_the_conflict_and_loses_nothing(replay) -> None:
    night4 = _units(replay["nights"][3])
    assert night4[ON_TIME]["flags"] == [] and night4[ON_TIME]["status"] == "submitted"
    # The back-dated copy is now the late unit's file: it counts from 03/10 22:00, still late.
    assert night4[LATE]["status"] == "submitted"
    assert night4[LATE]["flags"] == ["late", "submitted_late"]
    assert night4[LATE]["last_modified"] == NIGHTS[1].isoformat()
    assert night4[LATE]["first_accepted"] == "2025-10-03T10:00:00+07:00"
    store = open_store(f"sqlite:///{replay['tmp'] / 'state.db'}")
    accepted = store.submissions_until(NIGHTS[3])
    assert [when for when, _ in accepted[LATE]] == [
        dt.datetime(2025, 10, 3, 3, 0, tzinfo=dt.UTC), NIGHTS[1]]
    assert len(accepted[ON_TIME]) == 1


def test_the_conflict_reaches_the_status_command_and_status_json(replay) -> None:
    tmp, night3 = replay["tmp"], replay["nights"][2]
    written = json.loads((tmp / "out" / "status.json").read_text(encoding="utf-8"))
    assert written == replay["nights"][3] and written["notes"] == []
    result = CliRunner().invoke(app, ["status", "--config", str(replay["config"]), "--as-of",
                                      NIGHTS[2].isoformat()], env={"COLUMNS": "400"})
    assert result.exit_code == 0, result.output
    assert "nhiều tệp cùng đơn vị" in result.stdout
    assert "Ghi chú về tệp:" in result.stdout
    assert f"Đơn vị {LATE} có 2 tệp" in result.stdout
    as_json = CliRunner().invoke(app, ["status", "--config", str(replay["config"]), "--as-of",
                                       NIGHTS[2].isoformat(), "--json"])
    assert json.loads(as_json.stdout) == night3


# --- one source failing in an unexpected way ------------------------------------------------


class _Odd(LocalBackend):
    """The local backend, plus sources that fail the way no backend should: a bug's exception,
    or a response whose shape breaks the search for the unit code."""

    def fetch(self, source: Source) -> Raw:
        if source.locator.endswith("bug.xlsx"):
            raise KeyError(f"{self.folder.resolve()}/bí mật/sheet1.xml in /srv/ttcs/x.zip")
        if source.locator.endswith("odd.xlsx"):
            return {"Trang 1": None}  # type: ignore[dict-item]
        return super().fetch(source)


def test_any_exception_while_reading_one_source_only_makes_it_unreadable(tmp_path) -> None:
    (tmp_path / "communes").mkdir()
    _book(tmp_path, ON_TIME, f"{ON_TIME}.xlsx", DEADLINE - dt.timedelta(days=1))
    for name, code in (("bug.xlsx", LATE), ("odd.xlsx", FUTURE)):
        _book(tmp_path, code, f"{code}-{name}", DEADLINE - dt.timedelta(days=1))
    store = open_store(f"sqlite:///{tmp_path / 'state.db'}")
    run_id = store.start_run(NIGHTS[0], "44", "local")
    backend = _Odd(tmp_path / "communes")
    to_read, _ = collect.plan(backend.list_sources(), store.sources())
    fetched = collect.fetch_batch(backend, store, FORM, run_id, to_read)
    located, _ = collect.locate([ON_TIME, LATE, FUTURE], fetched, backend.describe_missing())
    assert located[ON_TIME].snapshot_id and located[ON_TIME].reason is None
    assert located[LATE].snapshot_id is None
    assert located[LATE].reason == (
        "lỗi bất ngờ khi đọc (KeyError: 'bí mật/sheet1.xml in x.zip')")
    assert located[FUTURE].snapshot_id is None
    assert located[FUTURE].reason.startswith("lỗi bất ngờ khi đọc (TypeError: ")
    assert str(tmp_path) not in located[LATE].reason + located[FUTURE].reason
    # The odd response is kept (stored before parsing), and read again next run.
    assert store.snapshot_count() == 2
    again, unchanged = collect.plan(backend.list_sources(), store.sources())
    assert {Path(s.locator).name for s in again} == {f"{LATE}-bug.xlsx", f"{FUTURE}-odd.xlsx"}
    assert [item.unit for item in unchanged] == [ON_TIME]


def test_reminders_name_the_file_in_use_not_the_other_claimant(replay) -> None:
    """During the conflict the unit's messages point to the file that counts, not to the
    blank copy read later."""
    from ttcs.campaign.contacts import read_contacts
    from ttcs.campaign.settings import load_campaign
    from ttcs.reminders.remind import gather

    campaign = load_campaign(replay["config"])
    store = open_store(campaign.database)
    states = {s.code: s for s in gather(store, campaign, replay["nights"][1]["run_id"],
                                        read_contacts(campaign.contacts, "44"))}
    assert states[ON_TIME].flags == ("conflict",)
    assert states[ON_TIME].sheet == f"{ON_TIME}.xlsx"


def test_a_file_retyped_with_another_units_code_never_takes_over_that_unit(
        prefect_harness, tmp_path: Path) -> None:
    """A holds ON_TIME's accepted submission; its staff type LATE's code into it. LATE's own
    accepted file stays in use (A's marks were earned for ON_TIME), however old A is."""
    config = _campaign(tmp_path)
    a = _book(tmp_path, ON_TIME, "a.xlsx", DEADLINE - dt.timedelta(days=5))
    _night(config, NIGHTS[0])
    _book(tmp_path, LATE, "b.xlsx", DEADLINE - dt.timedelta(days=3))
    night2 = _units(_night(config, NIGHTS[1]))
    assert night2[LATE]["status"] == night2[ON_TIME]["status"] == "submitted"
    _book(tmp_path, LATE, "a.xlsx", NIGHTS[1] + dt.timedelta(hours=12), filled=False)
    night3 = _night(config, NIGHTS[2])
    units = _units(night3)
    assert units[LATE]["status"] == "submitted"  # b.xlsx, not the blank a.xlsx
    assert units[LATE]["flags"] == ["conflict"]
    assert any(f"dùng {tmp_path / 'communes' / 'b.xlsx'}" in n for n in night3["notes"])
    assert units[ON_TIME]["status"] == "unreachable"
    assert a.exists()
