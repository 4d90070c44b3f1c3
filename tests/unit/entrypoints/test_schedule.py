from __future__ import annotations

from vpnsales.entrypoints.config import load_settings
from vpnsales.entrypoints.worker.schedule import build_schedule
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
