"""Single-flight for periodic jobs: at most one run of a job at a time, cluster-wide.

The jobs are safe to run concurrently anyway (rows are claimed with ``SKIP LOCKED``);
the lock only keeps ticks from piling up behind a slow run. It expires by itself
(``ttl``), so a worker killed while holding it blocks the job for at most ``ttl``.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

from redis.asyncio import Redis

from vpnsales.adapters.tasks.names import Namespace

_RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end
return 0
"""


class RedisJobLock:
    __slots__ = ("_namespace", "_redis")

    def __init__(self, redis: Redis, namespace: Namespace) -> None:
        self._redis = redis
        self._namespace = namespace

    @asynccontextmanager
    async def hold(self, name: str, ttl: timedelta) -> AsyncIterator[bool]:
        """Yields True when this caller holds the lock for the block, False when another
        run holds it (the caller skips). Released on exit, only if still ours."""
        key = self._namespace.lock(name)
        token = secrets.token_hex(8)
        acquired = bool(
            await self._redis.set(key, token, nx=True, px=max(1, int(ttl.total_seconds() * 1000)))
        )
        try:
            yield acquired
        finally:
            if acquired:
                await self._redis.eval(_RELEASE, 1, key, token)
