"""Bot API calls that hit flood control (429) are retried after ``retry_after``.

aiogram raises ``TelegramRetryAfter`` and does not retry by itself; this session
middleware waits the time Telegram asked for (bounded) and tries again."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import Bot
from aiogram.client.session.middlewares.base import BaseRequestMiddleware, NextRequestMiddlewareType
from aiogram.exceptions import TelegramRetryAfter
from aiogram.methods import TelegramMethod
from aiogram.methods.base import Response, TelegramType

logger = logging.getLogger("vpnsales.bot.retry")


class RetryAfterMiddleware(BaseRequestMiddleware):
    def __init__(
        self,
        *,
        max_attempts: int = 3,
        max_wait: float = 30.0,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
    ) -> None:
        self._attempts = max(1, max_attempts)
        self._max_wait = max_wait
        self._sleep = sleep
        self.retries = 0

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        attempt = 1
        while True:
            try:
                return await make_request(bot, method)
            except TelegramRetryAfter as exc:
                if attempt >= self._attempts or exc.retry_after > self._max_wait:
                    raise
                logger.warning(
                    "%s: flood control, retrying in %s s", type(method).__name__, exc.retry_after
                )
                self.retries += 1
                attempt += 1
                await self._sleep(exc.retry_after)


def install_retry(bot: Bot, **kwargs: Any) -> RetryAfterMiddleware:
    """Add the retry middleware to ``bot``'s session once (idempotent)."""
    for existing in bot.session.middleware:
        if isinstance(existing, RetryAfterMiddleware):
            return existing
    middleware = RetryAfterMiddleware(**kwargs)
    bot.session.middleware(middleware)
    return middleware
