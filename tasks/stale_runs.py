"""A flow run killed mid-way is marked Crashed by the next run of its job, never left Running.

A SIGKILL (or a power cut) gives Prefect no chance to record the end of a run: the server
shows it Running forever. Prefect's own remedy, flow run heartbeats watched by an automation,
covers only runs started from a deployment by a runner, and only while a server keeps
watching; a `ttcs nightly` typed by hand on a server started for that one command has neither.
So each run of a job, once it holds the campaign's lock for that job, looks in the campaign
database's journal (:mod:`ttcs.run.journal`) for the earlier runs of the job that never let
the lock go — their process died — and sets those still unfinished in Prefect to Crashed, with
their task runs.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from uuid import UUID

from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.client.orchestration import SyncPrefectClient, get_client
from prefect.client.schemas.filters import TaskRunFilter, TaskRunFilterFlowRunId
from prefect.client.schemas.objects import FlowRun
from prefect.context import FlowRunContext
from prefect.exceptions import ObjectNotFound
from prefect.states import Crashed
from prefect.utilities.urls import url_for

from tasks.alerts import alert_coordinators
from ttcs.campaign.settings import load_campaign
from ttcs.reminders import alerts
from ttcs.run.journal import journaled
from ttcs.run.run_lock import exclusive
from ttcs.state.store import open_store

KILLED = ("Tiến trình của lượt chạy đã dừng đột ngột (bị tắt) trước khi xong; lượt chạy sau "
          "của cùng chiến dịch đã ghi nhận")


@contextmanager
def campaign_run(config: str | None, job: str) -> Iterator[None]:
    """Hold the campaign's lock for ``job`` (see :func:`ttcs.run.run_lock.exclusive`), first
    marking the runs of ``job`` that were killed as Crashed. Use it inside the job's flow."""
    database = load_campaign(config).database
    with exclusive(database, job):
        store = open_store(database)
        try:
            with journaled(store, job, str(FlowRunContext.get().flow_run.id)) as killed:
                if killed:
                    mark_crashed(killed, config, job)
                yield
        finally:
            store.engine.dispose()


@task(name="mark-crashed-runs", cache_policy=NO_CACHE)
def mark_crashed(flow_run_ids: list[str], config: str | None, job: str) -> list[str]:
    """Set each of these flow runs, and its task runs, to Crashed unless Prefect already has
    them finished (a run this server never saw is skipped), and tell the coordinators (the
    killed process could not run its own on_crashed hook); the flow runs changed. Never fails
    tonight's run: what could not be marked or sent is logged."""
    logger = get_run_logger()
    changed = []
    with get_client(sync_client=True) as client:
        for run_id in flow_run_ids:
            try:
                killed = _crash(client, UUID(run_id))
            except Exception as exc:  # an earlier run's record is not worth tonight's run
                logger.warning("Không đánh dấu được lượt chạy %s là Crashed: %s", run_id, exc)
                continue
            if killed is not None:
                logger.warning("Lượt chạy %s (%s) đã bị dừng đột ngột: đánh dấu Crashed",
                               killed.name, run_id)
                changed.append(run_id)
                _alert(killed, config, job)
    return changed


def _alert(killed: FlowRun, config: str | None, job: str) -> None:
    """The alert the killed run's own on_crashed hook would have sent."""
    when = killed.start_time or killed.expected_start_time or dt.datetime.now(dt.UTC)
    alert_coordinators(config, alerts.Failure(job, killed.name, True, when, KILLED,
                                              url_for(killed)), get_run_logger())


def _crash(client: SyncPrefectClient, run_id: UUID) -> FlowRun | None:
    """Crash one flow run and its unfinished task runs; the run, or None when it was finished
    or unknown to this server."""
    try:
        flow_run = client.read_flow_run(run_id)
    except ObjectNotFound:
        return None
    if flow_run.state is not None and flow_run.state.is_final():
        return None
    for task_run in client.read_task_runs(task_run_filter=TaskRunFilter(
            flow_run_id=TaskRunFilterFlowRunId(any_=[run_id]))):
        if task_run.state is None or not task_run.state.is_final():
            client.set_task_run_state(task_run.id, Crashed(message=KILLED), force=True)
    client.set_flow_run_state(run_id, Crashed(message=KILLED), force=True)
    return flow_run
