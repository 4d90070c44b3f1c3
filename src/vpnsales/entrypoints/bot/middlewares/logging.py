"""Every line logged while handling an update carries the update and user ids; the update
itself gets a line when it was slow (WARNING, ``log.slow_update_seconds``) or, with
``log.updates = all``, always (INFO: an access log).

A line per update is not free (~50 µs of formatting on the bot's hot path, and a busy
shop's log fills with them), so by default only the updates worth a look are logged; the
``vpnsales_bot_updates_total`` and ``vpnsales_bot_update_seconds`` metrics count all."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject, Update, User

from vpnsales.entrypoints.bot.middlewares.types import NextHandler
from vpnsales.entrypoints.logs import bind_log_context, reset_log_context

logger = logging.getLogger("vpnsales.bot.updates")


class UpdateLoggingMiddleware(BaseMiddleware):
    def __init__(
        self,
        *,
        every_update: bool = False,
        slow_seconds: float = 1.0,
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        self._every = every_update
        self._slow = slow_seconds
        self._clock = clock

    async def __call__(
        self,
        handler: NextHandler,
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        assert isinstance(event, Update)
        user: User | None = data.get("event_from_user")
        token = bind_log_context(update_id=event.update_id, user_id=user.id if user else None)
        started = self._clock()
        try:
            return await handler(event, data)
        finally:
            elapsed = self._clock() - started
            if self._every:
                logger.info(_LINE, event.update_id, event.event_type, elapsed * 1000)
            elif elapsed >= self._slow:
                logger.warning("slow " + _LINE, event.update_id, event.event_type, elapsed * 1000)
            reset_log_context(token)


_LINE = "update %s %s in %.1f ms"
