"""``build_dispatcher``: the bot's routers and middlewares, composed once per process.

Everything a handler needs per update comes from the middleware data (``t``,
``customer``), the dispatcher's workflow data (``config``, ``i18n``, ``directory``,
``instructions``, ``metrics``: pass the process's to share one ``/metrics``) or dishka
(``FromDishka[<Interactor>]``, request scope)::

    dp = build_dispatcher(i18n=i18n, redis=redis, customers=reader,
                          maintenance=flag, config=BotConfig.from_settings(...))
    attach_container(dp, container)
    await dp.start_polling(bot, allowed_updates=dp.resolve_used_update_types())
"""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import partial
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.fsm.storage.base import BaseStorage, DefaultKeyBuilder
from aiogram.fsm.storage.redis import RedisStorage
from aiogram.types import TelegramObject
from dishka import DEFAULT_COMPONENT, AsyncContainer
from dishka.exceptions import NoFactoryError
from dishka.integrations.aiogram import (
    CONTAINER_NAME,
    AiogramMiddlewareData,
    ContainerMiddleware,
    inject_router,
)
from redis.asyncio import Redis

from vpnsales.adapters.telegram.i18n import I18n
from vpnsales.adapters.telegram.instructions import Instructions
from vpnsales.application.ports.readers import CustomerReader
from vpnsales.entrypoints.bot.admin import build_admin_router
from vpnsales.entrypoints.bot.cache import CustomerDirectory
from vpnsales.entrypoints.bot.config import BotConfig
from vpnsales.entrypoints.bot.middlewares import (
    BannedGate,
    CustomerContextMiddleware,
    ErrorTranslationMiddleware,
    FlagSource,
    MaintenanceGate,
    ThrottlingMiddleware,
    UpdateLoggingMiddleware,
)
from vpnsales.entrypoints.bot.middlewares.gates import APP_CONTAINER_KEY
from vpnsales.entrypoints.bot.middlewares.inflight import IN_FLIGHT_KEY, InFlightUpdates
from vpnsales.entrypoints.bot.middlewares.metrics import UpdateMetricsMiddleware
from vpnsales.entrypoints.bot.middlewares.types import NextHandler
from vpnsales.entrypoints.bot.retry import install_retry
from vpnsales.entrypoints.bot.routers import feature_routers
from vpnsales.entrypoints.bot.routing import BotDispatcher
from vpnsales.entrypoints.bot.state_mirror import StateMirror
from vpnsales.entrypoints.bot.storage import FailSoftStorage
from vpnsales.entrypoints.bot.support import build_support_router
from vpnsales.entrypoints.metrics import Metrics


async def _never() -> bool:
    return False


def fsm_storage(redis: Redis, key_prefix: str = "vpnsales") -> FailSoftStorage:
    """The bot's FSM storage: states and data in Redis under ``<key_prefix>:fsm:``, the
    states mirrored in this process (``storage.inner``, a :class:`StateMirror`, mirroring
    once a :class:`~vpnsales.entrypoints.bot.state_mirror.StateChangeFeed` watches its
    channel), and failing soft while Redis is unreachable."""
    redis_storage = RedisStorage(redis, key_builder=DefaultKeyBuilder(prefix=f"{key_prefix}:fsm"))
    return FailSoftStorage(StateMirror(redis_storage, channel=f"{key_prefix}:fsm:changed"))


def build_dispatcher(
    *,
    i18n: I18n,
    redis: Redis,
    customers: CustomerReader,
    config: BotConfig,
    maintenance: FlagSource = _never,
    instructions: Instructions | None = None,
    storage: BaseStorage | None = None,
    directory: CustomerDirectory | None = None,
    key_prefix: str = "vpnsales",
    metrics: Metrics | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> Dispatcher:
    """``clock``: the monotonic clock of the throttle's windows (tests step it)."""
    # fail-soft: with Redis down the bot still answers (without FSM state), see storage.py
    storage = storage or fsm_storage(redis, key_prefix)
    directory = directory or CustomerDirectory(customers)
    gate = MaintenanceGate(maintenance, admin_ids=config.admin_ids)
    metrics = metrics or Metrics()  # the process's, to show on its /metrics
    # aiogram's FSM middleware goes after the throttle (a dropped update reads no state)
    # and inside the log context: disabled here, installed below
    dp = BotDispatcher(
        storage=storage,
        disable_fsm=True,
        config=config,
        i18n=i18n,
        directory=directory,
        instructions=instructions or Instructions(),
        maintenance_gate=gate,
        metrics=metrics,
    )
    in_flight = InFlightUpdates()
    dp[IN_FLIGHT_KEY] = in_flight
    dp.update.outer_middleware(in_flight)
    dp.update.outer_middleware(
        UpdateLoggingMiddleware(
            every_update=config.log_every_update, slow_seconds=config.slow_update_seconds
        )
    )
    dp.update.outer_middleware(ErrorTranslationMiddleware(i18n))
    dp.update.outer_middleware(UpdateMetricsMiddleware(metrics))
    dp.update.outer_middleware(
        ThrottlingMiddleware(rate=config.throttle_rate, i18n=i18n, metrics=metrics, clock=clock)
    )
    dp.update.outer_middleware(dp.fsm)
    dp.update.outer_middleware(CustomerContextMiddleware(directory, i18n))
    dp.update.outer_middleware(gate)
    dp.update.outer_middleware(BannedGate())
    # customers' screens first (most updates meet their handler after a few filters);
    # the admin panel and the support desk before the fallback, which takes anything
    *features, fallback = feature_routers()
    dp.include_routers(*features, build_admin_router(), build_support_router(), fallback)
    dp.startup.register(_on_startup)
    return dp


async def _on_startup(bot: Bot) -> None:
    """Polling and the aiohttp webhook set-up emit start-up with the bot: make sure its
    API calls survive flood control (processes that build the ``Bot`` themselves can
    call :func:`install_retry` directly)."""
    install_retry(bot)


class LazyScope:
    """What handlers and filters find as ``dishka_container``: dishka's request scope,
    opened only when something asks it for a dependency the process-wide container
    cannot give. A button press whose handler needs only process-wide objects (the
    customer screens' queries, the clock) opens no scope at all."""

    __slots__ = ("_at_root", "_context", "_parent", "_scope")

    def __init__(
        self,
        parent: AsyncContainer,
        context: dict[Any, Any],
        at_root: dict[tuple[Any, Any], bool],
    ) -> None:
        self._parent = parent
        self._context = context
        self._at_root = at_root
        self._scope: AsyncContainer | None = None

    @property
    def opened(self) -> bool:
        return self._scope is not None

    async def get(self, dependency_type: Any, component: Any = DEFAULT_COMPONENT) -> Any:
        scope = self._scope
        if scope is None:
            key = (dependency_type, component)
            at_root = self._at_root.get(key)
            if at_root is not False:
                try:
                    value = await self._parent.get(dependency_type, component)
                except NoFactoryError:
                    if at_root:  # pragma: no cover - the registry does not change
                        raise
                    self._at_root[key] = False  # request-scoped: asked of the scope below
                else:
                    self._at_root[key] = True
                    return value
            scope = self._scope = self._parent(self._context)
        return await scope.get(dependency_type, component)

    async def close(self, exception: BaseException | None = None) -> None:
        if self._scope is not None:
            scope, self._scope = self._scope, None
            await scope.close(exception)


class RequestScope(ContainerMiddleware):
    """dishka's middleware — a request scope per event for handlers and filters — with
    the scope opened lazily (:class:`LazyScope`) and taken out of the handler data when
    it closes: the scope holds the data in its context and the data the scope, so every
    update's objects (update, message, data, scope: ~30 per update) could otherwise only
    be freed by the garbage collector (a young-generation collection every ~40 updates,
    ~17 µs per update on the bot bench)."""

    def __init__(self, container: AsyncContainer) -> None:
        super().__init__(container)
        self._at_root: dict[tuple[Any, Any], bool] = {}
        """Dependencies the process-wide container gives (True) or leaves to a scope."""

    async def __call__(
        self,
        handler: NextHandler,
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        scope = LazyScope(
            self.container, {TelegramObject: event, AiogramMiddlewareData: data}, self._at_root
        )
        data[CONTAINER_NAME] = scope
        try:
            result = await handler(event, data)
        except BaseException as exc:
            data.pop(CONTAINER_NAME, None)
            await scope.close(exc)
            raise
        data.pop(CONTAINER_NAME, None)
        await scope.close()
        return result


def attach_container(dp: Dispatcher, container: AsyncContainer) -> None:
    """Connect dishka: a request scope per event, ``FromDishka`` injected now (not only
    at polling start-up, so ``feed_update`` and webhooks work the same).

    What ``setup_dishka(container, dp, auto_inject=True)`` does, except that it also
    opens a scope around the whole update (the ``update`` observer): every update then
    entered and closed two request scopes, the outer one unused (the update middlewares
    take nothing from it; handlers and filters get the event's). And the scope is taken
    out of the handler data when it closes (:class:`RequestScope`)."""
    middleware = RequestScope(container)
    for name, observer in dp.observers.items():
        if name != "update":
            observer.outer_middleware(middleware)
    inject_router(dp)
    dp.startup.register(partial(inject_router, router=dp))  # routers included later
    dp[APP_CONTAINER_KEY] = container
