"""Gates: maintenance mode (a cached shop-wide flag; admins get through) and banned
customers. Payment events always pass: money that moved must be recorded."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any, Protocol

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject, Update, User

from vpnsales.adapters.telegram.i18n import Translator
from vpnsales.application.ports.readers import CustomerView
from vpnsales.entrypoints.bot.middlewares._events import is_payment_event
from vpnsales.entrypoints.bot.middlewares.errors import tell
from vpnsales.entrypoints.bot.middlewares.types import NextHandler

logger = logging.getLogger("vpnsales.bot.gates")

APP_CONTAINER_KEY = "app_container"
"""Dispatcher data key holding the process's dishka container (set by ``attach_container``)."""


class FlagSource(Protocol):
    async def __call__(self) -> bool:
        """The current value of the maintenance flag."""
        ...


class MaintenanceGate(BaseMiddleware):
    """Reads the flag at most once per ``ttl`` seconds per process."""

    def __init__(
        self,
        flag: FlagSource,
        *,
        admin_ids: frozenset[int],
        ttl: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._flag = flag
        self._admins = admin_ids
        self._ttl = ttl
        self._clock = clock
        self._value = False
        self._read_at = -float("inf")

    def reset(self) -> None:
        """Forget the cached value (after this process changed the flag)."""
        self._read_at = -float("inf")

    async def enabled(self) -> bool:
        now = self._clock()
        if now - self._read_at >= self._ttl:
            try:
                self._value = bool(await self._flag())
            except Exception as exc:  # keep the last known value
                logger.warning("maintenance flag unavailable: %s", exc)
            self._read_at = now
        return self._value

    async def __call__(
        self,
        handler: NextHandler,
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        assert isinstance(event, Update)
        user: User | None = data.get("event_from_user")
        if (
            is_payment_event(event)
            or (user is not None and user.id in self._admins)
            or not await self.enabled()
            or (user is not None and await _is_listed_admin(data, user.id))
        ):
            return await handler(event, data)
        t: Translator = data["t"]
        await tell(event, t("maintenance"))
        return None


async def _is_listed_admin(data: dict[str, Any], telegram_id: int) -> bool:
    """Admins added with `vpnsales admin add` pass too (the cached roster; asked only
    while maintenance is on)."""
    container = data.get(APP_CONTAINER_KEY)
    if container is None:
        return False
    from vpnsales.entrypoints.bot.admin.access import AdminRoster

    roster = await container.get(AdminRoster)
    return await roster.role(telegram_id) is not None


class BannedGate(BaseMiddleware):
    async def __call__(
        self,
        handler: NextHandler,
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        assert isinstance(event, Update)
        customer: CustomerView | None = data.get("customer")
        if customer is None or not customer.banned or is_payment_event(event):
            return await handler(event, data)
        t: Translator = data["t"]
        await tell(event, t("banned"))
        return None
