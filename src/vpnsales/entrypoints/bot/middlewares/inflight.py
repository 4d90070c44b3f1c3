"""The updates being handled, so that a stopping process lets them finish.

aiogram's polling handles each update in a task of its own and does not wait for those
tasks when polling stops (nor does the webhook handler for its background ones): a
process stopping right after an update arrived closed the bot's HTTP session and the
container under the handler — the customer got half an answer and the log a traceback.
The front waits (bounded) for :meth:`InFlightUpdates.wait_idle` before closing anything.
"""

from __future__ import annotations

import asyncio
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject

from vpnsales.entrypoints.bot.middlewares.types import NextHandler

IN_FLIGHT_KEY = "in_flight_updates"
"""Dispatcher workflow data key holding the dispatcher's :class:`InFlightUpdates`."""


class InFlightUpdates(BaseMiddleware):
    def __init__(self) -> None:
        self._count = 0
        self._idle = asyncio.Event()
        self._idle.set()

    @property
    def count(self) -> int:
        return self._count

    async def __call__(
        self,
        handler: NextHandler,
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        self._count += 1
        self._idle.clear()
        try:
            return await handler(event, data)
        finally:
            self._count -= 1
            if not self._count:
                self._idle.set()

    async def wait_idle(self, timeout: float) -> bool:
        """``True`` once no update is being handled; ``False`` if some still are after
        ``timeout`` seconds."""
        try:
            async with asyncio.timeout(timeout):
                await self._idle.wait()
        except TimeoutError:
            return False
        return True
