"""Which runs of a job were killed: the flow runs journal of the campaign database.

A run of a job (nightly, remind) records itself once it holds the campaign's lock for that job
and marks itself ended when it lets the lock go, however it ends short of its process dying.
So the next run of the job, holding the same lock, knows that every row of the job still not
ended belongs to a process that died in the middle (SIGKILL, power cut): it marks those rows
crashed and hands their ids to whoever tells the orchestrator (tasks/stale_runs.py).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import insert, select, update

from ttcs.state.store import Store, flow_runs


@contextmanager
def journaled(store: Store, job: str, run_id: str) -> Iterator[list[str]]:
    """Record the run ``run_id`` of ``job`` for the length of the block; yields the ids of the
    earlier runs of ``job`` that were killed, now marked crashed. Call it holding the job's
    campaign lock."""
    now = dt.datetime.now(dt.UTC)
    killed = (flow_runs.c.job == job, flow_runs.c.ended.is_(None), flow_runs.c.crashed.is_(None),
              flow_runs.c.flow_run_id != run_id)
    this = flow_runs.c.flow_run_id == run_id
    with store.begin() as conn:
        found = list(conn.execute(select(flow_runs.c.flow_run_id).where(*killed)
                                  .order_by(flow_runs.c.started)).scalars())
        conn.execute(update(flow_runs).where(*killed).values(crashed=now))
        # A flow run Prefect retries in the same process comes back with the same id.
        again = conn.execute(update(flow_runs).where(this).values(started=now, ended=None))
        if again.rowcount == 0:
            conn.execute(insert(flow_runs).values(flow_run_id=run_id, job=job, started=now))
    try:
        yield found
    finally:
        with store.begin() as conn:
            conn.execute(update(flow_runs).where(this).values(ended=dt.datetime.now(dt.UTC)))
