"""dishka bindings for the admin panel, broadcasts and the support desk.

- ``BroadcastSender``: :class:`TelegramBroadcastSender` over its own rate-limited sender
  (the broadcast rate from ``worker.broadcast_rate`` with a little headroom for jitter,
  one message per second per chat, ``TelegramRetryAfter`` honoured);
- ``ProcessBroadcast``: the worker's delivery use case over that sender;
- ``AdminRoster`` (cached admin lookup), ``BroadcastWatcher`` (live progress messages),
  ``SupportDesk`` (forum topics, map in Redis) — process-wide;
- the two admin queries of ``entrypoints.bot.admin.queries``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from aiogram import Bot
from dishka import AsyncContainer, Provider, Scope, provide
from redis.asyncio import Redis

from vpnsales.adapters.telegram.broadcast import (
    JITTER_HEADROOM,
    FileIdSender,
    TelegramBroadcastSender,
)
from vpnsales.adapters.telegram.support import SupportDesk
from vpnsales.application.interactors.system.process_broadcast import ProcessBroadcast
from vpnsales.application.ports.broadcast import BroadcastRepository, BroadcastSender
from vpnsales.application.ports.clock import Clock
from vpnsales.application.ports.telemetry import Telemetry
from vpnsales.application.ports.uow import UnitOfWork
from vpnsales.entrypoints.bot.admin.access import AdminRoster
from vpnsales.entrypoints.bot.admin.progress import BroadcastWatcher
from vpnsales.entrypoints.bot.admin.queries import ListAllTariffs, PanelsHealth
from vpnsales.entrypoints.config import Settings


class AdminProvider(Provider):
    def __init__(
        self,
        *,
        key_prefix: str | None = None,
        progress_interval: float = 3.0,
        roster_ttl: float = 30.0,
    ) -> None:
        super().__init__()
        self._prefix = key_prefix
        self._interval = progress_interval
        self._roster_ttl = roster_ttl

    @provide(scope=Scope.APP)
    def broadcast_sender(self, bot: Bot, settings: Settings) -> BroadcastSender:
        rate = settings.worker.broadcast_rate * JITTER_HEADROOM
        return TelegramBroadcastSender(FileIdSender(bot, rate=rate, per_chat_interval=1.0))

    @provide(scope=Scope.REQUEST)
    def process_broadcast(
        self,
        uow: UnitOfWork,
        broadcasts: BroadcastRepository,
        sender: BroadcastSender,
        clock: Clock,
        telemetry: Telemetry,
    ) -> ProcessBroadcast:
        return ProcessBroadcast(
            uow=uow, broadcasts=broadcasts, sender=sender, clock=clock, telemetry=telemetry
        )

    @provide(scope=Scope.APP)
    def roster(self, container: AsyncContainer, settings: Settings) -> AdminRoster:
        return AdminRoster(container, settings.telegram.admin_ids, ttl=self._roster_ttl)

    @provide(scope=Scope.APP)
    async def watcher(self, container: AsyncContainer, bot: Bot) -> AsyncIterator[BroadcastWatcher]:
        watcher = BroadcastWatcher(container, bot, interval=self._interval)
        yield watcher
        await watcher.close()

    @provide(scope=Scope.APP)
    def support_desk(self, bot: Bot, redis: Redis, settings: Settings) -> SupportDesk:
        prefix = self._prefix or settings.redis.namespace
        return SupportDesk(bot, redis, settings.telegram.support_chat_id, prefix=prefix)

    list_all_tariffs = provide(ListAllTariffs, scope=Scope.REQUEST)
    panels_health = provide(PanelsHealth, scope=Scope.REQUEST)


__all__ = ["AdminProvider"]
