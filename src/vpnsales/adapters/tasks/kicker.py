"""``TaskKicker`` over taskiq: enqueue the outbox drain right after a commit.

Coalescing: a flag in Redis marks "a drain is queued and has not started". A kick
while the flag is fresh (set less than ~100 ms ago) enqueues nothing: that queued drain
starts *after* our commit and will claim our messages. The drain clears the flag when
it starts (``DrainSignal.clear``), before it claims anything, so a commit that lands
while a drain is already running queues a fresh one. A flag older than the window
means the queued drain sits behind a busy worker: the kick enqueues another one, so no
commit waits on someone else's stuck delivery for more than the window.

Best effort: any failure (Redis down, timeout) is logged and swallowed. The periodic
safety-net drain picks up what a lost kick would have.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from redis.asyncio import Redis
from taskiq import AsyncBroker
from taskiq.kicker import AsyncKicker

from vpnsales.adapters.tasks.names import DRAIN_OUTBOX, Namespace
from vpnsales.application.ports.outbox import TaskKicker

log = logging.getLogger(__name__)

KickObserver = Callable[[str], None]
"""Called with ``enqueued``, ``coalesced`` or ``failed`` (for metrics)."""


_MARK = """
local t = redis.call('TIME')
local now = t[1] * 1000 + math.floor(t[2] / 1000)
local queued = redis.call('GET', KEYS[1])
if queued and now - tonumber(queued) < tonumber(ARGV[1]) then
  return 0
end
redis.call('SET', KEYS[1], now, 'PX', ARGV[2])
return 1
"""


class DrainSignal:
    """The "a drain is queued" flag shared by kickers and the drain task.

    The flag holds the (Redis) time it was set. A kick within ``window`` of that
    coalesces; a later one enqueues anyway — the queued drain is evidently waiting for
    a busy (or stuck) worker, and another worker may be free now. So coalescing never
    delays a commit's effects by more than ``window`` beyond the queue itself.
    """

    __slots__ = ("_key", "_redis", "_ttl_ms", "_window_ms")

    def __init__(
        self,
        redis: Redis,
        namespace: Namespace,
        *,
        window: timedelta = timedelta(milliseconds=100),
        ttl: timedelta = timedelta(seconds=5),
    ) -> None:
        self._redis = redis
        self._key = namespace.drain_flag
        self._window_ms = max(1, int(window.total_seconds() * 1000))
        self._ttl_ms = max(self._window_ms, int(ttl.total_seconds() * 1000))

    async def try_mark(self) -> bool:
        """True when the caller must enqueue a drain (none queued, or queued too long
        ago); one round trip (a Lua script, atomic)."""
        marked = await self._redis.eval(_MARK, 1, self._key, self._window_ms, self._ttl_ms)
        return bool(marked)

    async def clear(self) -> None:
        await self._redis.delete(self._key)


class TaskiqTaskKicker(TaskKicker):
    """Implements ``TaskKicker``: enqueue ``DRAIN_OUTBOX`` unless one is already queued."""

    __slots__ = ("_broker", "_labels", "_observe", "_signal", "_task_name", "_timeout")

    def __init__(
        self,
        broker: AsyncBroker,
        signal: DrainSignal,
        *,
        task_name: str = DRAIN_OUTBOX,
        timeout: float = 1.0,
        observe: KickObserver | None = None,
        labels: dict[str, Any] | None = None,
    ) -> None:
        self._broker = broker
        self._signal = signal
        self._task_name = task_name
        self._timeout = timeout
        self._observe = observe
        self._labels = labels or {}

    async def kick(self) -> None:
        try:
            async with asyncio.timeout(self._timeout):
                if not await self._signal.try_mark():
                    self._note("coalesced")
                    return
                try:
                    await AsyncKicker(self._task_name, self._broker, dict(self._labels)).kiq()
                except BaseException:
                    await asyncio.shield(self._forget())
                    raise
        except Exception as exc:  # best effort: the periodic drain covers a lost kick
            log.warning("outbox kick failed: %s: %s", type(exc).__name__, exc)
            self._note("failed")
            return
        self._note("enqueued")

    async def _forget(self) -> None:
        """The drain was not enqueued: let the next kick try instead of waiting the TTL."""
        try:
            await self._signal.clear()
        except Exception as exc:
            log.debug("cannot clear the drain flag: %s", exc)

    def _note(self, result: str) -> None:
        if self._observe is not None:
            self._observe(result)
