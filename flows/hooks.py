"""What every flow shares for the coordinator: a run name saying what the run stands for, and
the alert sent when a run fails or crashes.

    @flow(name="nightly", flow_run_name=run_name,
          on_failure=[alert_coordinators], on_crashed=[alert_coordinators])

The name reads the run's ``config`` and its time, ``now``; without it, the current time. The
report is named after the run it reports on (:func:`report_run_name`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

from prefect import Flow
from prefect.client.schemas.objects import FlowRun, State
from prefect.logging.loggers import flow_run_logger
from prefect.runtime import flow_run as current_run
from prefect.utilities.urls import url_for

from tasks.alerts import alert_coordinators as send_alert
from ttcs.campaign.settings import load_campaign
from ttcs.errors import RunFailed, UserError
from ttcs.reminders import alerts
from ttcs.vi_format import moment

FALLBACK_TZ = ZoneInfo("Asia/Ho_Chi_Minh")  # every campaign's so far; used when none loads
LATEST = "lượt chạy mới nhất"


def title(flow: str, config: str | None, now: dt.datetime | str | None) -> str:
    """"nightly 29/09/2025 22:00 — Quảng Trị": the flow, the run's time in the campaign's zone,
    the province. A campaign that cannot be loaded leaves the province out (the run itself then
    fails with the reason)."""
    when = dt.datetime.fromisoformat(now) if isinstance(now, str) else now
    when = when or dt.datetime.now(dt.UTC)
    return _named(flow, config, lambda tz: moment(when, tz))


def _named(flow: str, config: str | None, when: Callable[[dt.tzinfo], str]) -> str:
    """"<flow> <when(the campaign's zone)> — <province>"."""
    try:
        campaign = load_campaign(config)
    except Exception:  # a name never fails a run
        return f"{flow} {when(FALLBACK_TZ)}"
    return f"{flow} {when(campaign.tz)} — {campaign.province_info.name}"


def run_name() -> str:
    """The ``flow_run_name`` callable of every flow but the report: :func:`title` of the
    current run."""
    parameters = current_run.parameters
    return title(current_run.flow_name, parameters.get("config"), parameters.get("now"))


def report_run_name() -> str:
    """The report's name: the time of the run it reports on, which ``ttcs report`` passes as
    ``as_of``. Started without one (the on-demand deployment), it reports the latest run,
    not known before the flow reads the store: "report lượt chạy mới nhất — …", never the
    wall clock."""
    parameters = current_run.parameters
    as_of = parameters.get("as_of")
    if as_of:
        return title(current_run.flow_name, parameters.get("config"), as_of)
    return _named(current_run.flow_name, parameters.get("config"), lambda _: LATEST)


def _one_line(text: object) -> str:
    return " ".join(str(text).split())


def reason(state: State[Any]) -> str:
    """Why a run failed, in one Vietnamese line (an unexpected error keeps its type)."""
    if state.is_crashed():
        return f"tiến trình bị dừng giữa chừng ({_one_line(state.message or 'không rõ lý do')})"
    try:
        exc = state.result(raise_on_failure=False)
    except Exception:  # unreadable result: the message
        exc = None
    if isinstance(exc, (UserError, RunFailed)):
        return _one_line(exc)
    if isinstance(exc, BaseException):
        return f"lỗi bất ngờ ({type(exc).__name__}: {_one_line(exc)})"
    return _one_line(state.message or "không rõ lý do")


def alert_coordinators(flow: Flow[..., Any], flow_run: FlowRun, state: State[Any]) -> None:
    """on_failure / on_crashed hook: one message to the coordinators. A subflow (the nightly a
    reminder run collects with) leaves it to its parent, whose failure follows; a dry run has
    someone watching it. Never raises: an alert that cannot go out is logged, and the run keeps
    its own failure."""
    if flow_run.parent_task_run_id is not None or flow_run.parameters.get("dry_run"):
        return
    failure = alerts.Failure(flow.name, flow_run.name, state.is_crashed(), state.timestamp,
                             reason(state), url_for(flow_run))
    send_alert(flow_run.parameters.get("config"), failure, flow_run_logger(flow_run, flow))
