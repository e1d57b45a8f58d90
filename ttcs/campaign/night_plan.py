"""The national night plan: one nightly run per province, started one after another so that
provinces sharing a Google project's quota never compete for it.

Each province gets a slot as long as its night takes at the quota: a full night (every sheet
changed, as on the first night) reads each unit's sheet once and writes its feedback tab once,
plus the province summary (measured by ``make bench``, bench-results.json "province-full": 78
units, 79 Sheets reads, 81 Sheets writes). Reads and writes are paced against their own quotas
(``reads_per_minute``, ``writes_per_minute``) and happen one phase after the other (fetch, then
feedback), so their minutes add up. A quiet night costs a Drive listing and one write, well
inside the slot. A local-backend campaign sends no Google request and gets the minimum slot.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from pathlib import Path

from ttcs.campaign import registry
from ttcs.campaign.settings import Campaign

READS_PER_UNIT = 1
SUMMARY_READS = 1
WRITES_PER_UNIT = 1  # the feedback tab, when it is on
SUMMARY_WRITES = 3
MARGIN = 1.25  # room for retries and backoff after a 429 on top of the paced requests
MIN_SLOT_MINUTES = 5  # a run's own time apart from Google: Prefect, reading, publishing


@dataclass(frozen=True)
class ProvinceNight:
    """One province's place in the plan."""

    path: Path
    campaign: Campaign
    units: int  # units expected to report (excluded ones left out)
    reads: int
    writes: int
    minutes: float  # expected minutes at the quota
    start: dt.time  # local time (the campaign's time zone)

    @property
    def province(self) -> registry.ProvinceInfo:
        return self.campaign.province_info

    @property
    def uses_google(self) -> bool:
        return self.campaign.backend.kind == "gsheets"

    @property
    def cron(self) -> str:
        return f"{self.start.minute} {self.start.hour} * * *"


def expected_requests(campaign: Campaign) -> tuple[int, int, int, float]:
    """(units, Sheets reads, Sheets writes, minutes at the quota) of a full night."""
    excluded = set(campaign.excluded_units)
    units = sum(u.code not in excluded for u in registry.units(campaign.province_code))
    sheets = campaign.backend.gsheets if campaign.backend.kind == "gsheets" else None
    if sheets is None:
        return units, 0, 0, 0.0
    reads = READS_PER_UNIT * units + SUMMARY_READS
    writes = (WRITES_PER_UNIT * units if sheets.feedback_tab else 0) + SUMMARY_WRITES
    minutes = reads / sheets.reads_per_minute + writes / sheets.writes_per_minute
    return units, reads, writes, minutes


def slot_minutes(minutes: float) -> int:
    """Whole minutes reserved for a night expected to take ``minutes`` at the quota."""
    return max(MIN_SLOT_MINUTES, math.ceil(minutes * MARGIN))


def plan(campaigns: list[tuple[Path, Campaign]], start: dt.time) -> list[ProvinceNight]:
    """Each campaign in order, starting when the one before it is expected to be done."""
    nights = []
    at = dt.datetime.combine(dt.date(2000, 1, 1), start)  # any day: only the clock counts
    for path, campaign in campaigns:
        units, reads, writes, minutes = expected_requests(campaign)
        nights.append(ProvinceNight(path, campaign, units, reads, writes, minutes, at.time()))
        at += dt.timedelta(minutes=slot_minutes(minutes))
    return nights
