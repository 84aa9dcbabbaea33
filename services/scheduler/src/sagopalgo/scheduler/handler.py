"""AWS Lambda entry point for the auction day's transitions.

EventBridge Scheduler (timezone Asia/Seoul) invokes it with the transition to run, and it runs the
same idempotent use cases as the in-process schedule and the admin endpoints, under the same lock.

The schedules (infra/) send ``{"transition": "open"}`` at 09:00, ``{"transition": "close"}`` every
minute from 18:00 to a minute past the hard cap (lots in extended bidding close on a later run), and
``{"transition": "expire"}`` hourly (which first reconciles payments left ``CONFIRMING``);
``"day"`` (``YYYY-MM-DD``) may name a day, today in Korea otherwise. Configuration comes from the
same ``SAGOPALGO_*`` variables as the API service; the secret ones (database and Redis URLs, the
Toss secret key) are read from Secrets Manager on each run (``secrets.py``).
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from datetime import date
from typing import Any, Literal

import msgspec

from sagopalgo.api.composition import open_market
from sagopalgo.kernel.clock import Clock, SystemClock
from sagopalgo.platform.logs import configure_logging
from sagopalgo.platform.settings import Settings, load_settings
from sagopalgo.scheduler.secrets import SecretsManagerFetcher, resolve_secrets

__all__ = ["ScheduledRun", "handler", "make_handler"]


class ScheduledRun(msgspec.Struct, forbid_unknown_fields=False):
    """The schedule's input: what to run, and optionally for which day."""

    transition: Literal["open", "close", "expire"]
    day: date | None = None


async def run(event: ScheduledRun, settings: Settings, clock: Clock) -> dict[str, Any]:
    async with open_market(settings, clock) as market:
        days = market.days
        if event.transition == "open":
            done = await days.open_day(event.day, trigger="lambda")
        elif event.transition == "close":
            done = await days.close_day(event.day, trigger="lambda")
        else:
            # Settle payments a lost answer left CONFIRMING first, so an award whose money Toss
            # took is recorded paid before its deadline lapses it (the API processes also do this
            # every PAYMENT_RECONCILE_SECONDS; this run covers deployments with none running).
            settled = await market.payments.reconcile()
            done = await days.expire_awards(trigger="lambda")
            return {
                "day": done.day.isoformat(),
                "transition": done.transition,
                "changed": done.changed,
                "paymentsCompleted": settled.completed,
                "paymentsReleased": settled.released,
                "paymentsRefunded": settled.refunded,
            }
    return {"day": done.day.isoformat(), "transition": done.transition, "changed": done.changed}


def make_handler(
    clock: Callable[[], Clock] = SystemClock, fetch_secret: Callable[[str], str] | None = None
) -> Callable[[dict[str, Any], Any], dict[str, Any]]:
    """The handler, with the clock it runs on (the system's in AWS; a test's own in the tests).

    ``fetch_secret`` reads a secret by ARN (Secrets Manager unless a test gives its own). Each run
    reads them afresh: a few calls a run, and a changed secret is used from the next run on.
    """
    fetch = fetch_secret or SecretsManagerFetcher()

    def handle(event: dict[str, Any], _context: Any) -> dict[str, Any]:
        scheduled = msgspec.convert(event, ScheduledRun, strict=False)  # a bad event runs nothing
        settings = load_settings(resolve_secrets(os.environ, fetch))
        configure_logging(settings.log_level, settings.log_format, service="sagopalgo-scheduler")
        return asyncio.run(run(scheduled, settings, clock()))

    return handle


handler = make_handler()
