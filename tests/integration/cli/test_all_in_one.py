"""``vpnsales run`` in one process: the front and the worker share what must be one."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from taskiq.kicker import AsyncKicker

from vpnsales.adapters.tasks import Namespace
from vpnsales.application.ports.panels import PanelRegistry
from vpnsales.domain.ids import PanelId
from vpnsales.entrypoints.allinone import all_in_one
from vpnsales.entrypoints.config import load_settings
from vpnsales.entrypoints.metrics import Metrics
from vpnsales.entrypoints.worker.schedule import ScheduleIntervals
from vpnsales.entrypoints.worker.tasks import TaskName
from vpnsales.testing.database import ScratchDatabase
from vpnsales.testing.stack import EmulatorStack, RedisUnavailable, find_test_redis
from vpnsales.testing.waiting import wait_until

pytestmark = pytest.mark.integration


@pytest.fixture
async def namespaced_redis() -> AsyncIterator[tuple[str, Namespace]]:
    try:
        url = await find_test_redis()
    except RedisUnavailable as exc:
        pytest.skip(str(exc))
    namespace = Namespace(f"vpnsales-allinone-{uuid.uuid4().hex[:8]}")
    yield url, namespace
    client = Redis.from_url(url)
    keys = [k async for k in client.scan_iter(match=f"{namespace.prefix}:*")]
    if keys:
        await client.delete(*keys)
    await client.aclose()


def _calls(metrics: Metrics, panel: str, outcome: str) -> float:
    return sum(
        sample.value
        for family in metrics.registry.collect()
        if family.name == "vpnsales_panel_calls"
        for sample in family.samples
        if sample.name.endswith("_total")
        and sample.labels.get("panel") == panel
        and sample.labels.get("outcome") == outcome
    )


async def test_the_worker_meets_the_circuit_the_front_opened(
    pg_database: ScratchDatabase,
    clean_db: async_sessionmaker[AsyncSession],
    namespaced_redis: tuple[str, Namespace],
) -> None:
    """One breaker per panel in the process: after the front saw the panel fail, the
    worker's next call to it is refused at once (``circuit_open``) instead of going out
    — and the one circuit gauge per panel describes that one breaker."""
    redis_url, namespace = namespaced_redis
    async with EmulatorStack() as stack:
        settings = load_settings(environ={}, overrides=stack.overrides())
        async with all_in_one(
            settings,
            database_url=pg_database.url,
            redis_url=redis_url,
            namespace=namespace,
            intervals=ScheduleIntervals.every(3600),
            shutdown_grace=3.0,
            migrate=False,
        ) as running:
            container = running.front.container
            metrics = await container.get(Metrics)
            panel = (await container.get(PanelRegistry)).get(PanelId("rw"))
            breaker = panel.breaker  # type: ignore[attr-defined]
            for _ in range(breaker.failure_threshold):  # the front met a dead panel
                breaker.record_failure()
            assert _calls(metrics, "rw", "circuit_open") == 0

            await AsyncKicker(TaskName.RECONCILE, running.front.broker, {}).kiq(panel_id="rw")

            await wait_until(
                lambda: _calls(metrics, "rw", "circuit_open") > 0,
                what="the worker's reconciliation to meet the open circuit",
            )
            assert running.failed() is None
