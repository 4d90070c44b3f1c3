"""Per-customer throttling in this process: a fixed window of ``window`` seconds (one by
default) allowing ``ceil(rate × window)`` updates, starting at a customer's first update.
The first update over the limit gets a short "too fast" answer; the rest are dropped
silently (a pressed button's spinner is stopped). Payment events are never throttled.

A throttled customer is a security event (``customer_throttled``, logged and counted)
once per window: on that first update over the limit, never per dropped update.

Why in memory and not in Redis: the throttle protects the process that does the work
from a customer flooding it, and costs nothing on the hot path this way (a Redis script
per update was a network round trip on every update). In polling mode one process takes
every update, so the limit is exact; with several web replicas behind a load balancer
each replica enforces it on what it receives. The windows of ``max_customers`` customers
are held at most; beyond that, expired windows are dropped, then the oldest.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject, Update, User

from vpnsales.entrypoints.bot.middlewares._events import is_payment_event
from vpnsales.entrypoints.bot.middlewares.errors import tell, translator_for
from vpnsales.entrypoints.bot.middlewares.types import NextHandler
from vpnsales.entrypoints.metrics import Metrics

logger = logging.getLogger("vpnsales.bot.throttling")


class ThrottlingMiddleware(BaseMiddleware):
    def __init__(
        self,
        *,
        rate: float,
        i18n: Any,
        window: float = 1.0,
        metrics: Metrics | None = None,
        max_customers: int = 100_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._metrics = metrics
        self._limit = max(1, math.ceil(rate * window))
        self._window = window
        self._max = max_customers
        self._clock = clock
        self._i18n = i18n
        self._windows: dict[int, list[float]] = {}
        """Customer → [window start, updates in it] (in the order windows started)."""

    @property
    def limit(self) -> int:
        return self._limit

    def __len__(self) -> int:
        return len(self._windows)

    def count(self, user_id: int) -> int:
        """Updates counted in ``user_id``'s current window (this one included)."""
        now = self._clock()
        windows = self._windows
        current = windows.get(user_id)
        if current is None or now - current[0] >= self._window:
            if current is not None:
                del windows[user_id]  # re-inserted last: the dict stays in start order
            elif len(windows) >= self._max:
                self._evict(now)
            windows[user_id] = [now, 1.0]
            return 1
        current[1] += 1.0
        return int(current[1])

    def _evict(self, now: float) -> None:
        """Make room: expired windows first (they are the oldest), then the oldest."""
        windows = self._windows
        for user_id, (started, _) in list(windows.items()):
            if now - started < self._window:
                break
            del windows[user_id]
        while len(windows) >= self._max:
            del windows[next(iter(windows))]

    async def __call__(
        self,
        handler: NextHandler,
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        assert isinstance(event, Update)
        user: User | None = data.get("event_from_user")
        if user is None or is_payment_event(event):
            return await handler(event, data)
        count = self.count(user.id)
        if count <= self._limit:
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
