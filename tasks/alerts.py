"""Telling the coordinators a run failed or died: the one path for a flow's own state hook
(flows/hooks.py) and for the next run that finds a killed one (tasks/stale_runs.py)."""

from __future__ import annotations

import logging
from typing import Any

from tasks.remind import channels
from ttcs.campaign.settings import load_campaign
from ttcs.reminders import alerts
from ttcs.text import clean


def alert_coordinators(config: str | None, failure: alerts.Failure,
                       logger: logging.Logger | logging.LoggerAdapter[Any]) -> None:
    """One message to the campaign's coordinators. Never raises: an alert that cannot go out
    is logged, and the run it is about keeps its own state."""
    try:
        campaign = load_campaign(config)
        delivery = alerts.send(channels(campaign).mailer, alerts.compose(campaign, failure))
    except Exception as exc:  # an alert must never hide or change what it reports
        logger.error("Không gửi được cảnh báo cho cán bộ điều phối: %s", clean(str(exc)))
        return
    logger.info("Đã gửi cảnh báo cho cán bộ điều phối: %s", ", ".join(delivery.accepted))
