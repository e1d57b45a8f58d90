"""Tasks of the remind flow: thin wrappers over ttcs.reminders.remind, ttcs.reminders.notify
and the reminder log.

Sending is one task for the whole run (a task run per message would cost more than the SMTP
exchange), and it is never retried by Prefect: the reminder log decides what may be sent again.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from prefect import task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE

from ttcs.campaign.contacts import Contacts, read_contacts
from ttcs.campaign.settings import Campaign, load_campaign
from ttcs.reminders import remind
from ttcs.reminders.notify import Channels, Mailer, describe, smtp_password
from ttcs.reminders.reminder_log import Outcome, ReminderLog, SendError, Unconfirmed, deliver
from ttcs.state.store import Store, open_store


@dataclass
class Setup:
    config: str | None
    campaign: Campaign
    voice: remind.Voice  # the templates, checked before anything is collected or sent
    store: Store
    contacts: Contacts
    now: dt.datetime
    latest_as_of: dt.datetime | None  # the latest nightly run at or before `now`

    @property
    def ended(self) -> bool:
        return remind.ended(self.now, self.campaign)

    @property
    def in_window(self) -> bool:
        return remind.in_window(self.now, self.campaign)

    @property
    def needs_collection(self) -> bool:
        return remind.collection_due(self.latest_as_of, self.now, self.campaign)


@task(name="load-reminder-settings", cache_policy=NO_CACHE)
def load_settings(config: str | None, now: dt.datetime) -> Setup:
    campaign = load_campaign(Path(config) if config else None)
    voice = remind.voice(campaign)
    store = open_store(campaign.database)
    latest = store.latest_run(now)
    return Setup(config, campaign, voice, store,
                 read_contacts(campaign.contacts, campaign.province_code), now,
                 store.run(latest)["as_of"] if latest is not None else None)


@task(name="plan-reminders", cache_policy=NO_CACHE)
def plan_reminders(setup: Setup) -> remind.Plan:
    return remind.plan_from_store(setup.voice, setup.store, setup.now, setup.contacts,
                                  describe=describe)


def channels(campaign: Campaign) -> Channels:
    """The channels, with the SMTP password from a Prefect Secret block or the environment."""
    secret = None
    if campaign.smtp.password_secret_block:
        from prefect.blocks.system import Secret

        secret = str(Secret.load(campaign.smtp.password_secret_block).get())
    return Channels(Mailer.from_campaign(campaign, smtp_password(campaign.smtp, secret)))


@task(name="send-reminders", cache_policy=NO_CACHE, timeout_seconds=3600)
def send_reminders(setup: Setup, plan: remind.Plan) -> list[Outcome]:
    if not plan.reminders:
        return []
    return deliver(ReminderLog(setup.store), plan.reminders, channels(setup.campaign).send,
                   setup.now, plan.run_id)


@task(name="send-digest", cache_policy=NO_CACHE)
def send_digest(setup: Setup, plan: remind.Plan, outcomes: list[Outcome]) -> dict[str, Any]:
    """Send the coordinators' digest and keep it as a Prefect artifact.

    ``sent``: some coordinator accepted it; ``error``: why it did not go out, or which
    coordinators' addresses were refused.
    """
    digest = remind.digest(plan, outcomes)
    create_markdown_artifact(f"# {digest.subject}\n\n{digest.text}", key="remind-digest",
                             description="Tổng hợp lượt nhắc báo cáo")
    if not digest.to:
        return {"to": [], "subject": digest.subject, "sent": False,
                "error": "chưa khai email của cán bộ điều phối (coordinators)"}
    try:
        delivery = channels(setup.campaign).send_digest(digest)
    except (SendError, Unconfirmed) as exc:
        return {"to": digest.to, "subject": digest.subject, "sent": False, "error": str(exc)}
    return {"to": list(delivery.accepted), "subject": digest.subject, "sent": True,
            "error": delivery.note}
