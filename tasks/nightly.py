"""Tasks of the nightly flow: thin wrappers over ttcs that add retries, timeouts, batching.

Units are handled in batches (task runs cost 10–15 ms each and load the Prefect database),
never one task per unit per step.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from prefect import Task, task
from prefect.artifacts import create_progress_artifact, update_progress_artifact
from prefect.blocks.system import Secret
from prefect.cache_policies import NO_CACHE
from prefect.client.schemas.objects import State, TaskRun

from ttcs.backends import Backend, Source
from ttcs.backends.select import backend_for
from ttcs.campaign import registry
from ttcs.campaign.settings import Campaign, load_campaign
from ttcs.errors import RunFailed, UserError
from ttcs.google.secret_key import service_account_from_secret
from ttcs.outputs import feedback
from ttcs.run import collect, progress
from ttcs.run.assess import classify_run, judge
from ttcs.run.collect import Fetched, Located
from ttcs.state.store import Store, UnitRun, open_store
from ttcs.workbook.form import Form, load_form

BATCH = 200


@dataclass
class Run:
    campaign: Campaign
    form: Form
    store: Store
    backend: Backend
    run_id: int
    as_of: dt.datetime

    @property
    def expected(self) -> list[str]:
        excluded = set(self.campaign.excluded_units)
        return [u.code for u in registry.units(self.campaign.province_code)
                if u.code not in excluded]


def read_secret(name: str) -> object:
    """A Prefect Secret block's value, for
    :func:`ttcs.google.secret_key.service_account_from_secret`."""
    return Secret.load(name).get()


def retry_unless_final(task: Task[..., Any], task_run: TaskRun, state: State[Any]) -> bool:
    """Prefect's ``retry_condition_fn``: retry a failed task unless retrying cannot help: bad
    input (:class:`UserError`), or a :class:`RunFailed` such as Google still unavailable after
    the transport's own capped retries (retrying the task would multiply the time an offline
    run takes, not its chance to succeed)."""
    return not isinstance(state.result(raise_on_failure=False), (UserError, RunFailed))


@task(name="start-run", cache_policy=NO_CACHE)
def start_run(config: str | None, now: dt.datetime) -> Run:
    campaign = load_campaign(Path(config) if config else None)
    store = open_store(campaign.database)
    backend = backend_for(campaign, store, service_account_from_secret(campaign, read_secret))
    run_id = store.start_run(now, campaign.province_code, backend.name)
    return Run(campaign, load_form(campaign.form), store, backend, run_id, now)


@task(name="list-sources", cache_policy=NO_CACHE, retries=3, retry_delay_seconds=[5, 30, 120],
      retry_condition_fn=retry_unless_final, timeout_seconds=600)
def list_sources(run: Run) -> tuple[list[Source], list[Fetched]]:
    return collect.plan(run.backend.list_sources(), run.store.sources())


@task(name="fetch-batch", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=[10, 60],
      retry_condition_fn=retry_unless_final, timeout_seconds=1800)
def fetch_batch(run: Run, batch: Sequence[Source]) -> list[Fetched]:
    return collect.fetch_batch(run.backend, run.store, run.form, run.run_id, batch)


def fetch_all(run: Run, to_read: Sequence[Source]) -> list[Fetched]:
    """Fetch in batches, reporting progress to a Prefect progress artifact and the CLI."""
    artifact = create_progress_artifact(0.0, description="Đọc bảng tính của các đơn vị")
    fetched: list[Fetched] = []
    for start in range(0, len(to_read), BATCH):
        fetched += fetch_batch(run, to_read[start:start + BATCH])
        done = min(start + BATCH, len(to_read))
        update_progress_artifact(artifact, 100.0 * done / len(to_read))
        progress.advance("fetch", done, len(to_read))
    update_progress_artifact(artifact, 100.0)
    return fetched


@task(name="judge-and-classify", cache_policy=NO_CACHE, timeout_seconds=3600)
def judge_and_classify(run: Run, located: dict[str, Located]) -> list[UnitRun]:
    verdicts = judge(run.store, run.form, located.values())
    return classify_run(run.store, run.run_id, run.as_of, run.campaign.deadline,
                        list(located.values()), verdicts, run.campaign.excluded_units)


@task(name="write-feedback", cache_policy=NO_CACHE, timeout_seconds=3600)
def write_feedback(run: Run, located: dict[str, Located], rows: list[UnitRun],
                   ) -> feedback.Report:
    """The "Kết quả kiểm tra" tab of each commune spreadsheet whose issues changed (gsheets
    campaigns only). Never fails the run: what could not be written is noted and tried again
    the next night."""
    settings = run.campaign.backend.gsheets
    access = run.backend.feedback_writer()
    if access is None or not settings or not settings.feedback_tab:
        return feedback.Report()
    return feedback.write_feedback(run.store, access, run.campaign, run.run_id, run.as_of,
                                   rows, located)
