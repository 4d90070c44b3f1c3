"""The taskiq ``TaskKicker`` on real Redis: kicks coalesce while a drain is queued, a
started drain re-opens the gate, and a Redis failure never reaches the use case."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from redis.asyncio import Redis

from vpnsales.adapters.tasks import DrainSignal, Namespace, TaskiqTaskKicker
from vpnsales.entrypoints.config import load_settings
from vpnsales.entrypoints.worker.broker import build_broker


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[Redis]:
    client = Redis.from_url(redis_url)
    yield client
    await client.aclose()


@pytest.fixture
def namespace() -> Namespace:
    return Namespace(f"vpnsales-kick-{uuid.uuid4().hex[:8]}")


async def test_concurrent_kicks_enqueue_one_drain_until_it_starts(
    redis: Redis, redis_url: str, namespace: Namespace
) -> None:
    broker = build_broker(load_settings(environ={}), redis_url=redis_url, namespace=namespace)
    seen: Counter[str] = Counter()
    signal = DrainSignal(redis, namespace, window=timedelta(seconds=30))
    kicker = TaskiqTaskKicker(broker, signal, observe=lambda r: seen.update([r]))
    try:
        await asyncio.gather(*(kicker.kick() for _ in range(50)))
        assert seen == {"enqueued": 1, "coalesced": 49}
        assert await redis.xlen(namespace.queue) == 1

        await signal.clear()  # what the drain does when it starts
        await kicker.kick()
        assert seen["enqueued"] == 2
        assert await redis.xlen(namespace.queue) == 2
    finally:
        await broker.shutdown()
        await redis.delete(namespace.queue, namespace.drain_flag)


async def test_a_drain_queued_longer_than_the_window_does_not_hold_kicks_back(
    redis: Redis, redis_url: str, namespace: Namespace
) -> None:
    """The queued drain sits behind a busy or frozen worker: enqueue another one."""
    broker = build_broker(load_settings(environ={}), redis_url=redis_url, namespace=namespace)
    seen: Counter[str] = Counter()
    kicker = TaskiqTaskKicker(
        broker, DrainSignal(redis, namespace), observe=lambda r: seen.update([r])
    )
    try:
        await redis.set(namespace.drain_flag, 1)  # queued at the dawn of (Redis) time
        await kicker.kick()
        assert seen == {"enqueued": 1}
        assert await redis.xlen(namespace.queue) == 1
    finally:
        await broker.shutdown()
        await redis.delete(namespace.queue, namespace.drain_flag)


async def test_a_kick_without_redis_is_logged_not_raised(namespace: Namespace) -> None:
    dead = "redis://127.0.0.1:1/0"
    broker = build_broker(load_settings(environ={}), redis_url=dead, namespace=namespace)
    client = Redis.from_url(dead, socket_connect_timeout=0.2)
    seen: Counter[str] = Counter()
    kicker = TaskiqTaskKicker(
        broker, DrainSignal(client, namespace), timeout=0.5, observe=lambda r: seen.update([r])
    )
    try:
        await kicker.kick()  # must not raise
        assert seen == {"failed": 1}
    finally:
        await broker.shutdown()
        await client.aclose()
