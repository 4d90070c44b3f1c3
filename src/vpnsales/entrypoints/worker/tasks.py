"""The worker's tasks: thin adapters from a queued message to one use case.

Each task gets its use case from dishka (``FromDishka[...]``, one REQUEST scope per
task run: one database session) and hands it to :func:`run_job`, which adds the
single-flight lock, the summary line and the metrics. Tasks are registered on a broker
by :func:`register_tasks` — nothing is bound to a broker at import time.

All jobs are idempotent and safe on several workers at once: the use cases claim rows
with ``FOR UPDATE SKIP LOCKED`` (sweeps) or leases (outbox, broadcasts), and record
"already sent" marks in the same transaction as the outbox message they stage.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

from aiogram import Bot
from dishka.integrations.taskiq import FromDishka, inject
from taskiq import AsyncBroker
from taskiq.decor import AsyncTaskiqDecoratedTask

from vpnsales.adapters.tasks import DRAIN_OUTBOX
from vpnsales.application.interactors.system.auto_renew import (
    AutoRenew,
    AutoRenewCommand,
    AutoRenewResult,
)
from vpnsales.application.interactors.system.cancel_stale_payments import (
    CancelStalePayments,
    CancelStalePaymentsCommand,
    CancelStaleResult,
)
from vpnsales.application.interactors.system.daily_summary import (
    DailySummary,
    DailySummaryCommand,
    DailySummaryResult,
)
from vpnsales.application.interactors.system.drain_outbox import (
    DrainOutbox,
    DrainOutboxCommand,
    DrainResult,
)
from vpnsales.application.interactors.system.expire_due_subscriptions import (
    ExpireDueSubscriptions,
    ExpireDueSubscriptionsCommand,
    ExpireResult,
)
from vpnsales.application.interactors.system.process_broadcast import (
    ProcessBroadcast,
    ProcessBroadcastCommand,
    ProcessBroadcastResult,
)
from vpnsales.application.interactors.system.recheck_pending_payments import (
    RecheckPendingPayments,
    RecheckPendingPaymentsCommand,
    RecheckResult,
)
from vpnsales.application.interactors.system.reconcile_panel import (
    ReconcilePanel,
    ReconcilePanelCommand,
    ReconcileResult,
)
from vpnsales.application.interactors.system.send_reminders import (
    RemindersResult,
    SendReminders,
    SendRemindersCommand,
)
from vpnsales.application.interactors.system.traffic_alerts import (
    TrafficAlerts,
    TrafficAlertsCommand,
    TrafficAlertsResult,
)
from vpnsales.application.ports.clock import Clock
from vpnsales.application.ports.outbox import OutboxConsumer
from vpnsales.domain.ids import PanelId
from vpnsales.entrypoints.backup import run_backup
from vpnsales.entrypoints.config import Settings
from vpnsales.entrypoints.di import DatabaseUrl
from vpnsales.entrypoints.worker.jobs import JobRuntime, Tally, run_job

log = logging.getLogger(__name__)


class TaskName:
    DRAIN_OUTBOX = DRAIN_OUTBOX
    EXPIRE = "vpnsales.subscriptions.expire"
    REMIND = "vpnsales.subscriptions.remind"
    AUTO_RENEW = "vpnsales.subscriptions.auto_renew"
    CANCEL_STALE = "vpnsales.payments.cancel_stale"
    RECHECK = "vpnsales.payments.recheck"
    RECONCILE = "vpnsales.panels.reconcile"
    TRAFFIC_ALERTS = "vpnsales.panels.traffic_alerts"
    BROADCASTS = "vpnsales.broadcasts.process"
    DAILY_SUMMARY = "vpnsales.reports.daily_summary"
    BACKUP = "vpnsales.maintenance.backup"


# -- outbox ------------------------------------------------------------------------------


@inject(patch_module=True)
async def drain_outbox(
    drain: FromDishka[DrainOutbox],
    runtime: FromDishka[JobRuntime],
    consumer: FromDishka[OutboxConsumer],
    clock: FromDishka[Clock],
    periodic: bool = False,
) -> None:
    """Kicked after commits (and every few seconds by the scheduler as a safety net).

    Clears the "drain queued" flag *before* claiming, so a commit landing from now on
    queues a new drain, and one that landed earlier is claimed by this one."""
    try:
        await runtime.signal.clear()
    except Exception as exc:  # the flag expires by itself
        log.warning("cannot clear the drain flag: %s", exc)
    tuning = runtime.tuning
    command = DrainOutboxCommand(
        batch=tuning.kicked_drain_batch, max_batches=tuning.drain_max_batches
    )
    result = await run_job(
        runtime, "outbox", lambda: drain(command), _drain_tally, single_flight=False
    )
    if result is not None:
        if result.dead:
            runtime.metrics.outbox_dead_letters.inc(result.dead)
        if result.claimed >= tuning.kicked_drain_batch * tuning.drain_max_batches:
            await runtime.kicker.kick()  # more is waiting: continue in a fresh task
        if result.next_due is not None and runtime.alarm is not None:
            # e.g. a deferred "payment received" or a retry: drain again when it is due
            runtime.alarm.wake_in((result.next_due - clock.now()).total_seconds())
    if periodic:
        await _observe_outbox(runtime, consumer, clock)


def _drain_tally(r: DrainResult) -> Tally:
    return Tally(claimed=r.claimed, done=r.done, failed=r.failed)


async def _observe_outbox(runtime: JobRuntime, consumer: OutboxConsumer, clock: Clock) -> None:
    try:
        now = clock.now()
        pending = await consumer.pending_count()
        oldest = await consumer.oldest_due(now)
    except Exception as exc:
        log.warning("cannot read outbox lag: %s", exc)
        return
    runtime.metrics.outbox_pending.set(pending)
    runtime.metrics.outbox_lag_seconds.set(
        max(0.0, (now - oldest).total_seconds()) if oldest else 0.0
    )


# -- subscriptions -----------------------------------------------------------------------


@inject(patch_module=True)
async def expire_subscriptions(
    sweep: FromDishka[ExpireDueSubscriptions], runtime: FromDishka[JobRuntime]
) -> None:
    await run_job(runtime, "expire", lambda: sweep(ExpireDueSubscriptionsCommand()), _expired)


def _expired(r: ExpireResult) -> Tally:
    return Tally(claimed=r.expired, done=r.expired, queued_work=r.expired > 0)


@inject(patch_module=True)
async def send_reminders(
    remind: FromDishka[SendReminders], runtime: FromDishka[JobRuntime]
) -> None:
    await run_job(runtime, "remind", lambda: remind(SendRemindersCommand()), _reminded)


def _reminded(r: RemindersResult) -> Tally:
    return Tally(claimed=r.sent + r.skipped_auto_renew, done=r.sent, queued_work=r.sent > 0)


@inject(patch_module=True)
async def auto_renew(renew: FromDishka[AutoRenew], runtime: FromDishka[JobRuntime]) -> None:
    await run_job(runtime, "auto_renew", lambda: renew(AutoRenewCommand()), _renewed)


def _renewed(r: AutoRenewResult) -> Tally:
    return Tally(
        claimed=r.claimed,
        done=r.charged + r.pending,
        failed=r.failed,
        queued_work=r.failed > 0,  # failure notices (a success kicks by itself)
    )


# -- payments ----------------------------------------------------------------------------


@inject(patch_module=True)
async def cancel_stale_payments(
    cancel: FromDishka[CancelStalePayments], runtime: FromDishka[JobRuntime]
) -> None:
    await run_job(runtime, "cancel_stale", lambda: cancel(CancelStalePaymentsCommand()), _stale)


def _stale(r: CancelStaleResult) -> Tally:
    return Tally(claimed=r.expired, done=r.expired, queued_work=r.expired > 0)


@inject(patch_module=True)
async def recheck_payments(
    recheck: FromDishka[RecheckPendingPayments], runtime: FromDishka[JobRuntime]
) -> None:
    await run_job(runtime, "recheck", lambda: recheck(RecheckPendingPaymentsCommand()), _rechecked)


def _rechecked(r: RecheckResult) -> Tally:
    return Tally(
        claimed=r.checked,
        done=r.confirmed + r.canceled,
        failed=r.failed,
        queued_work=r.canceled > 0,  # confirmations kick by themselves
    )


# -- panels ------------------------------------------------------------------------------


@inject(patch_module=True)
async def reconcile_panel(
    reconcile: FromDishka[ReconcilePanel], runtime: FromDishka[JobRuntime], panel_id: str
) -> None:
    command = ReconcilePanelCommand(panel_id=PanelId(panel_id))
    await run_job(
        runtime,
        "reconcile",
        lambda: reconcile(command),
        _reconciled,
        lock_name=f"reconcile:{panel_id}",
    )


def _reconciled(r: ReconcileResult) -> Tally:
    repaired = r.recreated + r.updated + r.disabled + r.enabled + r.deleted
    return Tally(claimed=r.checked, done=repaired, failed=r.failed)


@inject(patch_module=True)
async def traffic_alerts(
    alerts: FromDishka[TrafficAlerts], runtime: FromDishka[JobRuntime]
) -> None:
    await run_job(runtime, "traffic_alerts", lambda: alerts(TrafficAlertsCommand()), _alerted)


def _alerted(r: TrafficAlertsResult) -> Tally:
    return Tally(claimed=r.checked, done=r.alerts, queued_work=r.alerts > 0)


# -- broadcasts and reports --------------------------------------------------------------


@inject(patch_module=True)
async def process_broadcasts(
    process: FromDishka[ProcessBroadcast], runtime: FromDishka[JobRuntime]
) -> None:
    command = ProcessBroadcastCommand(max_batches=runtime.tuning.broadcast_batches)
    await run_job(runtime, "broadcasts", lambda: process(command), _broadcast)


def _broadcast(r: ProcessBroadcastResult) -> Tally:
    return Tally(claimed=r.claimed, done=r.sent + r.blocked, failed=r.failed)


@inject(patch_module=True)
async def daily_summary(summary: FromDishka[DailySummary], runtime: FromDishka[JobRuntime]) -> None:
    await run_job(runtime, "daily_summary", lambda: summary(DailySummaryCommand()), _summary)


def _summary(r: DailySummaryResult) -> Tally:
    return Tally(claimed=1, done=1, queued_work=True)


@inject(patch_module=True)
async def backup(
    settings: FromDishka[Settings],
    database_url: FromDishka[DatabaseUrl],
    bot: FromDishka[Bot],
    runtime: FromDishka[JobRuntime],
) -> None:
    """Compressed dump to ``<data_dir>/backups`` (kept 7 days) and to the admin chat."""
    await run_job(
        runtime,
        "backup",
        lambda: run_backup(settings, database_url, bot),
        lambda r: Tally(claimed=1, done=1),
    )


TASKS: Mapping[str, Callable[..., Any]] = {
    TaskName.DRAIN_OUTBOX: drain_outbox,
    TaskName.EXPIRE: expire_subscriptions,
    TaskName.REMIND: send_reminders,
    TaskName.AUTO_RENEW: auto_renew,
    TaskName.CANCEL_STALE: cancel_stale_payments,
    TaskName.RECHECK: recheck_payments,
    TaskName.RECONCILE: reconcile_panel,
    TaskName.TRAFFIC_ALERTS: traffic_alerts,
    TaskName.BROADCASTS: process_broadcasts,
    TaskName.DAILY_SUMMARY: daily_summary,
    TaskName.BACKUP: backup,
}


def register_tasks(broker: AsyncBroker) -> dict[str, AsyncTaskiqDecoratedTask[Any, Any]]:
    """Register every worker task on ``broker`` under its stable name."""
    return {name: broker.register_task(func, task_name=name) for name, func in TASKS.items()}
