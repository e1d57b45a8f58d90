"""Tasks of the provision flow: thin wrappers over ttcs.backends.provision.

Planning only reads and may be retried; carrying the plan out creates and shares, so it is
never retried by Prefect (a second run re-plans from what Drive shows and finishes the job).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from prefect import task
from prefect.cache_policies import NO_CACHE

from tasks.nightly import read_secret, retry_unless_final
from ttcs.backends import provision
from ttcs.backends.select import mount_for, service_account_from_file
from ttcs.campaign.settings import load_campaign
from ttcs.google.secret_key import service_account_from_secret

BATCH = 200


@task(name="prepare-provisioning", cache_policy=NO_CACHE)
def prepare(config: str | None) -> provision.Setup:
    campaign = load_campaign(Path(config) if config else None)
    if campaign.backend.kind != "gsheets":
        return provision.prepare(campaign, {})  # one-line error: gsheets only
    key = (service_account_from_secret(campaign, read_secret)
           or service_account_from_file(campaign))
    user = None
    assert campaign.backend.gsheets is not None
    settings = campaign.backend.gsheets.provision
    if settings.mode == "oauth":
        from ttcs.google.oauth import user_credentials

        # A flow never opens a browser: `ttcs provision` logs in first and caches the token.
        user = user_credentials(settings, interactive=False, mount=mount_for(campaign))
    return provision.prepare(campaign, key, user_credentials=user)


@task(name="plan-provisioning", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=[10, 60],
      retry_condition_fn=retry_unless_final, timeout_seconds=1800)
def plan(setup: provision.Setup) -> provision.Plan:
    return provision.plan(setup)


@task(name="provision-batch", cache_policy=NO_CACHE, timeout_seconds=3600)
def apply_batch(setup: provision.Setup, steps: Sequence[provision.Step],
                ) -> list[provision.Outcome]:
    return provision.apply(setup, steps)
