"""Who may see the admin panel: a process-wide cached roster and the router filter.

The roster is the admins table (owners from ``telegram.admin_ids`` are written into it
on first use, through ``AddAdmin`` with the trusted system actor, so the interactors'
role checks know them too) read in ONE query and kept ``ttl`` seconds: a customer's
update costs a dict lookup, never a database round trip. An admin added with
``vpnsales admin add`` shows within ``ttl`` seconds.

The filter is only the front door (non-admins fall through to the other routers, as if
no admin panel existed); every action's permission is checked again by its interactor.
A non-admin knocking on it (an admin command, or an admin button: forged, or kept from
before a demotion) is a security event, ``admin_access_refused``; other updates of
customers are not.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Callable, Iterable
from typing import Any

from aiogram.filters import Filter
from aiogram.types import CallbackQuery, Message, TelegramObject, User
from dishka import AsyncContainer

from vpnsales.application.interactors.admin.add_admin import AddAdmin, AddAdminCommand
from vpnsales.application.ports.admin import AdminRepository, AdminRole
from vpnsales.entrypoints.metrics import Metrics

logger = logging.getLogger("vpnsales.bot.admin")

ROLE_KEY = "admin_role"
"""Handler data: the ``AdminRole`` of the admin pressing the button."""

ADMIN_COMMANDS = frozenset({"admin", "find"})
ADMIN_CALLBACK_PREFIX = "adm"
"""Every admin callback's prefix starts with it (``admin.callbacks``)."""
_COMMAND = re.compile(r"/(\w+)(?:@\w+)?(?:\s|$)")


class AdminRoster:
    def __init__(
        self,
        container: AsyncContainer,
        owner_ids: Iterable[int],
        *,
        ttl: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._container = container
        self._owners = frozenset(owner_ids)
        self._ttl = ttl
        self._clock = clock
        self._roles: dict[int, AdminRole] = {}
        self._read_at = -float("inf")
        self._bootstrapped = False
        self._lock = asyncio.Lock()

    def invalidate(self) -> None:
        self._read_at = -float("inf")

    async def role(self, telegram_id: int) -> AdminRole | None:
        if self._clock() - self._read_at >= self._ttl:
            await self._refresh()
        return self._roles.get(telegram_id)

    async def _refresh(self) -> None:
        async with self._lock:
            if self._clock() - self._read_at < self._ttl:
                return  # another update refreshed it meanwhile
            try:
                if not self._bootstrapped:
                    await self._bootstrap()
                async with self._container() as request:
                    admins = await (await request.get(AdminRepository)).list()
            except Exception as exc:  # keep the last known roster
                logger.warning("admin roster unavailable: %s", exc)
                self._read_at = self._clock() - self._ttl + 1.0  # retry in a second
                if not self._roles:
                    self._roles = dict.fromkeys(self._owners, AdminRole.OWNER)
                return
            self._roles = {a.telegram_id: a.role for a in admins}
            self._read_at = self._clock()

    async def _bootstrap(self) -> None:
        """Configured owners become owners in the database (once per process)."""
        for telegram_id in sorted(self._owners):
            async with self._container() as request:
                add = await request.get(AddAdmin)
                await add(
                    AddAdminCommand(
                        actor_telegram_id=None, telegram_id=telegram_id, role=AdminRole.OWNER
                    )
                )
        self._bootstrapped = True


class IsAdmin(Filter):
    """Passes admins (adding ``admin_role`` to the handler data); everyone else falls
    through silently. Only private chats: the panel never opens in a group."""

    async def __call__(
        self,
        event: TelegramObject,
        event_from_user: User | None = None,
        dishka_container: AsyncContainer | None = None,
        metrics: Metrics | None = None,
        **_: Any,
    ) -> bool | dict[str, Any]:
        if event_from_user is None or event_from_user.is_bot or dishka_container is None:
            return False
        message = event.message if isinstance(event, CallbackQuery) else event
        chat = message.chat if isinstance(message, Message) else None
        if chat is not None and chat.type != "private":
            return False  # never in groups (the support desk's forum included)
        roster = await dishka_container.get(AdminRoster)
        role = await roster.role(event_from_user.id)
        if role is None:
            entry = admin_entry(event)
            if entry is not None:
                refuse_admin(metrics, event_from_user.id, entry)
            return False
        return {ROLE_KEY: role}


def admin_entry(event: TelegramObject) -> str | None:
    """``"command"`` or ``"button"`` when ``event`` asks for the admin panel."""
    if isinstance(event, CallbackQuery):
        data = event.data
        return "button" if data and data.startswith(ADMIN_CALLBACK_PREFIX) else None
    if isinstance(event, Message):
        match = _COMMAND.match(event.text or "")
        if match is not None and match.group(1).lower() in ADMIN_COMMANDS:
            return "command"
    return None


def refuse_admin(metrics: Metrics | None, telegram_id: int, reason: str) -> None:
    """Log (on the security stream) and count a refused admin access."""
    Metrics.report(metrics, "admin_access_refused", user_id=telegram_id, reason=reason)


__all__ = ["ROLE_KEY", "AdminRoster", "IsAdmin", "admin_entry", "refuse_admin"]
