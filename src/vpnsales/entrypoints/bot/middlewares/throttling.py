"""Per-customer throttling in Redis: one ``EVALSHA`` per update (INCR + PEXPIRE in a
script), a fixed one-second window of ``ceil(rate)`` updates. The first update over the
limit gets a short "too fast" answer; the rest are dropped silently. Payment events are
never throttled. If Redis is unreachable the bot lets updates through (fail open).

A throttled customer is a security event (``customer_throttled``, logged and counted)
once per window: on that first update over the limit, never per dropped update.

With a :class:`StatePrefetch` the same script also ``GET``s the update's FSM state
(one round trip for both, see ``middlewares/fsm.py``).

The scripts go through an :class:`~vpnsales.adapters.redis_batch.AutoPipeline`: the
updates that run concurrently (a polling batch, parallel webhook requests) share one
pipelined round trip; an update alone sends its ``EVALSHA`` directly."""

from __future__ import annotations

import logging
import math
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject, Update, User
from redis.asyncio import Redis
from redis.exceptions import RedisError

from vpnsales.adapters.redis_batch import AutoPipeline
from vpnsales.entrypoints.bot.middlewares._events import is_payment_event
from vpnsales.entrypoints.bot.middlewares.errors import tell, translator_for
from vpnsales.entrypoints.bot.middlewares.fsm import StatePrefetch
from vpnsales.entrypoints.metrics import Metrics

logger = logging.getLogger("vpnsales.bot.throttling")

_SCRIPT = """
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return n
"""
_SCRIPT_WITH_STATE = """
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return {n, redis.call('GET', KEYS[2])}
"""


class ThrottlingMiddleware(BaseMiddleware):
    def __init__(
        self,
        redis: Redis,
        *,
        rate: float,
        i18n: Any,
        prefix: str = "vpnsales:thr:",
        window_ms: int = 1000,
        metrics: Metrics | None = None,
        state: StatePrefetch | None = None,
    ) -> None:
        self._metrics = metrics
        batch = AutoPipeline(redis)
        self._script = batch.register_script(_SCRIPT)
        self._with_state = batch.register_script(_SCRIPT_WITH_STATE)
        self._state = state
        self._limit = max(1, math.ceil(rate * window_ms / 1000))
        self._prefix = prefix
        self._window = str(window_ms)
        self._i18n = i18n

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        assert isinstance(event, Update)
        user: User | None = data.get("event_from_user")
        if user is None or is_payment_event(event):
            return await handler(event, data)
        key = f"{self._prefix}{user.id}"
        state = self._state
        prefetch = state.resolve(data) if state is not None else None
        try:
            if prefetch is None:
                count = int(await self._script(keys=[key], args=[self._window]))
            else:  # the FSM state in the same round trip
                reply = await self._with_state(keys=[key, prefetch[1]], args=[self._window])
                count = int(reply[0])
        except (RedisError, OSError) as exc:
            logger.warning("throttling unavailable: %s", exc)
            return await handler(event, data)
        if count <= self._limit:
            if state is not None and prefetch is not None:
                state.keep(data, prefetch[0], reply[1])
            return await handler(event, data)
        if count == self._limit + 1:
            self._report(user.id, event)
            await tell(event, translator_for(self._i18n, data)("throttled"))
        elif event.callback_query is not None:
            await tell_nothing(event)
        return None

    def _report(self, user_id: int, event: Update) -> None:
        Metrics.report(
            self._metrics,
            "customer_throttled",
            user_id=user_id,
            update_type=event.event_type,
            limit=self._limit,
        )


async def tell_nothing(event: Update) -> None:
    """Stop the button's spinner without a message."""
    query = event.callback_query
    if query is not None:
        try:
            await query.answer()
        except Exception:  # pragma: no cover - best effort
            logger.debug("could not answer a throttled callback")
