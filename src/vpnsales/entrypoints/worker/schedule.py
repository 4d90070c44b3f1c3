"""The periodic schedule and the scheduler process's ``TaskiqScheduler``.

The schedule is data built from settings (:func:`build_schedule`), served by
:class:`StaticScheduleSource`: no schedule lives in Redis, so a deploy that changes an
interval never leaves a stale copy behind. Dynamic one-off schedules (e.g. a broadcast
planned for a given time) can be added to the Redis source (``ListRedisScheduleSource``)
that the scheduler also reads.

Run exactly one scheduler. Two would only double the ticks (every job is idempotent
and the periodic ones are single-flight), not break anything.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from taskiq import AsyncBroker, ScheduleSource, TaskiqScheduler
from taskiq.scheduler.scheduled_task import ScheduledTask
from taskiq_redis import ListRedisScheduleSource

from vpnsales.adapters.tasks import Namespace
from vpnsales.entrypoints.config import ScheduleSettings, Settings
from vpnsales.entrypoints.worker.broker import namespace_of, redis_url_of
from vpnsales.entrypoints.worker.tasks import TaskName

_DEFAULT = ScheduleSettings()


def _seconds(value: int) -> timedelta:
    return timedelta(seconds=value)


@dataclass(frozen=True, slots=True, kw_only=True)
class ScheduleIntervals:
    """How often each periodic job runs (whole seconds; taskiq's floor is 1 s). The
    defaults are those of the ``schedule`` settings (:meth:`from_settings`)."""

    outbox: timedelta = timedelta(seconds=_DEFAULT.outbox_seconds)
    """Safety net: kicks after commits do the real work; this catches lost kicks and
    retries whose backoff has elapsed."""
    expire: timedelta = timedelta(seconds=_DEFAULT.expire_seconds)
    remind: timedelta = timedelta(seconds=_DEFAULT.remind_seconds)
    stale_payments: timedelta = timedelta(seconds=_DEFAULT.stale_payments_seconds)
    recheck_payments: timedelta = timedelta(seconds=_DEFAULT.recheck_payments_seconds)
    reconcile: timedelta = timedelta(seconds=_DEFAULT.reconcile_seconds)
    traffic_alerts: timedelta = timedelta(seconds=_DEFAULT.traffic_alerts_seconds)
    auto_renew: timedelta = timedelta(seconds=_DEFAULT.auto_renew_seconds)
    broadcasts: timedelta = timedelta(seconds=_DEFAULT.broadcasts_seconds)
    daily_summary_cron: str = _DEFAULT.daily_summary_cron
    """UTC; yesterday's numbers go to the seller shortly after midnight."""
    backup_cron: str = _DEFAULT.backup_cron
    """UTC; a compressed database dump to the admin chat, kept 7 days locally."""

    @classmethod
    def from_settings(cls, schedule: ScheduleSettings) -> ScheduleIntervals:
        return cls(
            outbox=_seconds(schedule.outbox_seconds),
            expire=_seconds(schedule.expire_seconds),
            remind=_seconds(schedule.remind_seconds),
            stale_payments=_seconds(schedule.stale_payments_seconds),
            recheck_payments=_seconds(schedule.recheck_payments_seconds),
            reconcile=_seconds(schedule.reconcile_seconds),
            traffic_alerts=_seconds(schedule.traffic_alerts_seconds),
            auto_renew=_seconds(schedule.auto_renew_seconds),
            broadcasts=_seconds(schedule.broadcasts_seconds),
            daily_summary_cron=schedule.daily_summary_cron,
            backup_cron=schedule.backup_cron,
        )

    @classmethod
    def every(cls, seconds: int) -> ScheduleIntervals:
        """Every job at the same short interval (tests, demos)."""
        step = timedelta(seconds=seconds)
        return cls(
            outbox=step,
            expire=step,
            remind=step,
            stale_payments=step,
            recheck_payments=step,
            reconcile=step,
            traffic_alerts=step,
            auto_renew=step,
            broadcasts=step,
        )


def _every(
    name: str, interval: timedelta, *, key: str | None = None, **kwargs: object
) -> ScheduledTask:
    seconds = max(1, int(interval.total_seconds()))
    return ScheduledTask(
        task_name=name,
        labels={},
        args=[],
        kwargs=dict(kwargs),
        interval=seconds,
        schedule_id=f"vpnsales:{key or name}",
    )


def build_schedule(
    settings: Settings, intervals: ScheduleIntervals | None = None
) -> list[ScheduledTask]:
    """Every periodic job; reconciliation once per configured panel/server. The
    intervals are the ``schedule`` settings' unless ``intervals`` is given (tests, demo)."""
    every = intervals or ScheduleIntervals.from_settings(settings.schedule)
    schedule = [
        _every(TaskName.DRAIN_OUTBOX, every.outbox, periodic=True),
        _every(TaskName.EXPIRE, every.expire),
        _every(TaskName.REMIND, every.remind),
        _every(TaskName.CANCEL_STALE, every.stale_payments),
        _every(TaskName.RECHECK, every.recheck_payments),
        _every(TaskName.TRAFFIC_ALERTS, every.traffic_alerts),
        _every(TaskName.AUTO_RENEW, every.auto_renew),
        _every(TaskName.BROADCASTS, every.broadcasts),
        ScheduledTask(
            task_name=TaskName.DAILY_SUMMARY,
            labels={},
            args=[],
            kwargs={},
            cron=every.daily_summary_cron,
            schedule_id="vpnsales:daily_summary",
        ),
        ScheduledTask(
            task_name=TaskName.BACKUP,
            labels={},
            args=[],
            kwargs={},
            cron=every.backup_cron,
            schedule_id="vpnsales:backup",
        ),
    ]
    schedule += [
        _every(TaskName.RECONCILE, every.reconcile, key=f"reconcile:{p.id}", panel_id=p.id)
        for p in settings.panels
    ]
    return schedule


class StaticScheduleSource(ScheduleSource):
    """Serves a fixed list of schedules (built from settings at start)."""

    def __init__(self, schedules: Sequence[ScheduledTask]) -> None:
        self._schedules = list(schedules)

    async def get_schedules(self) -> list[ScheduledTask]:
        return list(self._schedules)


def build_scheduler(
    settings: Settings,
    broker: AsyncBroker,
    *,
    intervals: ScheduleIntervals | None = None,
    namespace: Namespace | None = None,
    redis_url: str | None = None,
    dynamic: bool = True,
) -> TaskiqScheduler:
    sources: list[ScheduleSource] = [StaticScheduleSource(build_schedule(settings, intervals))]
    if dynamic:
        ns = namespace_of(settings, namespace)
        sources.append(
            ListRedisScheduleSource(
                redis_url_of(settings, redis_url), prefix=f"{ns.prefix}:schedule"
            )
        )
    return TaskiqScheduler(broker, sources)
