"""One log line per update, every line inside carrying the update and user ids."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject, Update, User

from vpnsales.entrypoints.logs import log_context

logger = logging.getLogger("vpnsales.bot.updates")


class UpdateLoggingMiddleware(BaseMiddleware):
    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        assert isinstance(event, Update)
        user: User | None = data.get("event_from_user")
        with log_context(update_id=event.update_id, user_id=user.id if user else None):
            started = time.perf_counter()
            try:
                return await handler(event, data)
            finally:
                if logger.isEnabledFor(logging.INFO):
                    logger.info(
                        "update %s %s in %.1f ms",
                        event.update_id,
                        event.event_type,
                        (time.perf_counter() - started) * 1000,
                    )
