from __future__ import annotations

from datetime import timedelta

from vpnsales.entrypoints.config import ScheduleSettings, load_settings
from vpnsales.entrypoints.worker.broker import build_broker, namespace_of
from vpnsales.entrypoints.worker.schedule import ScheduleIntervals, build_schedule
from vpnsales.entrypoints.worker.tasks import TASKS, TaskName


def test_every_periodic_job_is_scheduled_and_registered() -> None:
    settings = load_settings(
        environ={
            "VPNSALES_PANELS": '[{"id": "rw", "kind": "remnawave", "base_url": "http://p"},'
            '{"id": "x1", "kind": "xui", "base_url": "http://x"}]'
        }
    )
    schedule = build_schedule(settings)
    names = [task.task_name for task in schedule]
    for name in (
        TaskName.DRAIN_OUTBOX,
        TaskName.EXPIRE,
        TaskName.REMIND,
        TaskName.CANCEL_STALE,
        TaskName.RECHECK,
        TaskName.TRAFFIC_ALERTS,
        TaskName.AUTO_RENEW,
        TaskName.BROADCASTS,
        TaskName.DAILY_SUMMARY,
        TaskName.BACKUP,
    ):
        assert name in names, name
    assert names.count(TaskName.RECONCILE) == 2  # one per panel
    assert all(name in TASKS for name in names)
    backup = next(t for t in schedule if t.task_name == TaskName.BACKUP)
    assert backup.cron == "30 3 * * *"


def test_the_schedule_follows_the_schedule_settings() -> None:
    settings = load_settings(
        environ={
            "VPNSALES_SCHEDULE__REMIND_SECONDS": "120",
            "VPNSALES_SCHEDULE__OUTBOX_SECONDS": "5",
            "VPNSALES_SCHEDULE__BACKUP_CRON": "0 4 * * 1",
        }
    )
    by_name = {task.task_name: task for task in build_schedule(settings)}
    assert by_name[TaskName.REMIND].interval == 120
    assert by_name[TaskName.DRAIN_OUTBOX].interval == 5
    assert by_name[TaskName.EXPIRE].interval == 60  # untouched: the default
    assert by_name[TaskName.BACKUP].cron == "0 4 * * 1"
    # given intervals (tests, the demo) win over the settings
    fast = {t.task_name: t for t in build_schedule(settings, ScheduleIntervals.every(2))}
    assert fast[TaskName.REMIND].interval == 2


def test_the_default_intervals_are_the_default_settings() -> None:
    assert ScheduleIntervals.from_settings(ScheduleSettings()) == ScheduleIntervals()
    assert ScheduleIntervals().remind == timedelta(minutes=5)


def test_the_task_queue_lives_under_the_shop_namespace() -> None:
    settings = load_settings(
        environ={"VPNSALES_REDIS__NAMESPACE": "shop-b", "VPNSALES_REDIS__URL": "redis://h:1/0"}
    )
    namespace = namespace_of(settings)
    assert namespace.queue == "shop-b:tasks"
    assert namespace.lock("expire") == "shop-b:lock:expire"
    broker = build_broker(settings)
    assert getattr(broker, "queue_name", None) == "shop-b:tasks"
