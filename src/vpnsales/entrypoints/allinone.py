"""Every process in one: web (+ bot), worker and scheduler on one event loop.

``vpnsales run`` is for small sellers: one process to supervise, the embedded
PostgreSQL/Redis (when no URLs are configured) living exactly as long as it does.

What runs, side by side on one asyncio loop:

* **front** — one dishka container (``entrypoints.di``) shared by the aiohttp web app
  (payment and panel webhooks, health, metrics) and the aiogram dispatcher: in webhook
  mode the dispatcher is mounted on ``/webhooks/telegram`` (and ``setWebhook`` is
  called when ``telegram.webhook_url`` is set); in polling mode it long-polls
  ``getUpdates`` next to the web app, which still receives the payment webhooks.
  Commits kick the outbox drain through the real taskiq Redis broker. A task of the
  front listens to the database's customer change feed (``adapters.persistence.changes``)
  and keeps the bot's ``CustomerDirectory`` current (workers need no such cache).
* **worker** — ``entrypoints.worker.run_worker``: the real ``RedisStreamBroker``'s
  receiver, with its own container (own connection pool), in this loop; it records into
  the front's ``Metrics``, so the web app's ``/metrics`` shows everything.
* **scheduler** — ``entrypoints.worker.run_scheduler``, also in this loop.

Why in-process and not child processes: the queue is the same durable Redis stream
(consumer group, acknowledged after execution) as in a scaled-out deployment, so
nothing is lost on a crash and a second machine can join later by running
``vpnsales worker`` against the same Redis. Child processes would add a supervisor,
double the interpreter memory on the small VPS this mode is for, and would have to
share the embedded servers this process owns. The price is one CPU core: a seller who
outgrows it runs ``web``/``bot``, ``worker`` and ``scheduler`` separately.

SIGINT/SIGTERM set one ``stop`` event: the bot stops polling (or the web app stops
accepting), the worker finishes running jobs (``shutdown_grace``), the scheduler
stops, containers and brokers close, then the embedded servers stop.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import signal
from collections.abc import AsyncIterator, Iterable, Iterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from aiogram import Bot, Dispatcher
from aiohttp import web
from dishka import AsyncContainer, Provider, Scope, provide
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from taskiq import AsyncBroker

from vpnsales.adapters.persistence.admin import SqlFlagStore
from vpnsales.adapters.persistence.changes import CustomerChangeFeed
from vpnsales.adapters.persistence.per_call import (
    PerCallCustomerReader,
    PerCallCustomerSummaries,
)
from vpnsales.adapters.tasks import Namespace
from vpnsales.adapters.telegram.i18n import I18n
from vpnsales.application.ports.admin import Flag
from vpnsales.application.ports.panels import PanelRegistry
from vpnsales.entrypoints.bot import (
    BotConfig,
    attach_container,
    build_dispatcher,
    fsm_storage,
    install_retry,
)
from vpnsales.entrypoints.bot.cache import CustomerDirectory
from vpnsales.entrypoints.bot.middlewares.inflight import IN_FLIGHT_KEY, InFlightUpdates
from vpnsales.entrypoints.bot.state_mirror import StateChangeFeed
from vpnsales.entrypoints.config import Settings
from vpnsales.entrypoints.di import Gateways, build_container
from vpnsales.entrypoints.metrics import Metrics
from vpnsales.entrypoints.runtime import Services, services
from vpnsales.entrypoints.web import build_web_app
from vpnsales.entrypoints.web.app import TELEGRAM_PATH
from vpnsales.entrypoints.worker import run_scheduler, run_worker
from vpnsales.entrypoints.worker.broker import build_broker, namespace_of
from vpnsales.entrypoints.worker.provider import TaskQueueProvider
from vpnsales.entrypoints.worker.schedule import ScheduleIntervals

log = logging.getLogger("vpnsales.run")

__all__ = [
    "Front",
    "Running",
    "all_in_one",
    "cancel_and_wait",
    "freeze_long_lived_objects",
    "front",
    "run_all",
    "run_bot",
    "run_web",
    "stop_on_signals",
]


# -- small seams the bot needs at APP scope ---------------------------------------------
class MaintenanceFlag:
    """The bot's ``FlagSource``: the maintenance flag from the database."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def __call__(self) -> bool:
        async with self._sessions() as session:
            return await SqlFlagStore(session).get(Flag.MAINTENANCE)


def freeze_long_lived_objects() -> None:
    """Take what is alive now — the composition: container, routers, translations,
    SQLAlchemy metadata and compiled statements, ~370k objects for the front — out of the
    garbage collector's sight before the process serves: a full collection then walks
    only what was allocated since. On the bot bench a full collection took ~290 ms
    (every few thousand updates, a p99 spike and ~7 % of the throughput) and ~12 ms
    frozen. Garbage at this point is collected first; what is frozen stays (it lives as
    long as the process anyway)."""
    gc.collect()
    gc.freeze()


async def cancel_and_wait(
    tasks: Iterable[asyncio.Task[Any]], *, rounds: int = 5, wait: float = 1.0
) -> None:
    """Cancel ``tasks`` and wait until they end. A cancellation can be swallowed by a
    library racing it (Python 3.11's ``wait_for`` on a completing future): a task still
    running ``wait`` seconds later is cancelled again, ``rounds`` times at most, then
    left behind with an error in the log — shutting down must not hang on it."""
    pending = {task for task in tasks if not task.done()}
    for attempt in range(rounds):
        if not pending:
            return
        if attempt:
            log.warning("%s did not stop when cancelled; cancelling it again", _names(pending))
        for task in pending:
            task.cancel()
        _, pending = await asyncio.wait(pending, timeout=wait)
    if pending:
        log.error("%s ignored cancellation; left running", _names(pending))


async def _drain_updates(dispatcher: Dispatcher, timeout: float = 10.0) -> None:
    """Wait (at most ``timeout`` seconds) for the updates still being handled: polling
    and the webhook handler do not, and closing the bot's session under a handler cuts
    its answer short."""
    in_flight = dispatcher.workflow_data.get(IN_FLIGHT_KEY)
    if not isinstance(in_flight, InFlightUpdates) or not in_flight.count:
        return
    log.info("waiting for %d update(s) still being handled", in_flight.count)
    if not await in_flight.wait_idle(timeout):
        log.warning(
            "%d update(s) still being handled after %.0f s; stopping anyway",
            in_flight.count,
            timeout,
        )


def _names(tasks: Iterable[asyncio.Task[Any]]) -> str:
    return ", ".join(sorted(task.get_name() for task in tasks))


@contextlib.contextmanager
def stop_on_signals(stop: asyncio.Event) -> Iterator[None]:
    """SIGINT/SIGTERM set ``stop`` (where the loop supports signal handlers)."""
    loop = asyncio.get_running_loop()
    installed: list[signal.Signals] = []
    for sig in (signal.SIGTERM, signal.SIGINT):
        try:
            loop.add_signal_handler(sig, stop.set)
            installed.append(sig)
        except (NotImplementedError, RuntimeError):  # not the main thread / platform
            pass
    try:
        yield
    finally:
        for sig in installed:
            with contextlib.suppress(Exception):
                loop.remove_signal_handler(sig)


# -- the front: container, bot, dispatcher, web app ----------------------------------
@dataclass(slots=True)
class Front:
    settings: Settings
    container: AsyncContainer
    broker: AsyncBroker
    namespace: Namespace
    bot: Bot
    dispatcher: Dispatcher
    directory: CustomerDirectory
    changes: CustomerChangeFeed | None = None
    """The change feed keeping ``directory`` current (``watch_changes``)."""
    states: StateChangeFeed | None = None
    """The feed keeping the FSM state mirror current (``watch_changes``)."""


@asynccontextmanager
async def front(
    settings: Settings,
    *,
    database_url: str,
    redis_url: str,
    namespace: Namespace | None = None,
    extra_providers: Iterable[Provider] = (),
    directory_ttl: float | None = None,
    watch_changes: bool = True,
) -> AsyncIterator[Front]:
    """The bot/web composition: container with the taskiq kicker, bot, dispatcher.

    ``directory_ttl``: seconds the bot caches a customer's summary, watched or not
    (default: the directory's). ``watch_changes``: keep the directory current with the
    database's change feed (``adapters.persistence.changes``), and the FSM state mirror
    with the states' Redis channel (``bot.state_mirror``), tasks of this block: a warm
    update then costs no SQL and no Redis round trip. Until a feed is connected, and
    whenever it is not, the directory falls back to its short TTL and states are read
    from Redis."""
    ns = namespace_of(settings, namespace)
    feed_tasks: list[asyncio.Task[None]] = []
    dispatcher: Dispatcher | None = None
    broker = build_broker(settings, redis_url=redis_url, namespace=ns)
    container = build_container(
        settings,
        database_url=database_url,
        redis_url=redis_url,
        extra_providers=[TaskQueueProvider(broker, namespace=ns), *extra_providers],
    )
    try:
        await broker.startup()
        sessions = await container.get(async_sessionmaker[AsyncSession])
        # the directory's reads are one statement each, on the autocommit engine
        customers = await container.get(PerCallCustomerReader)
        summaries = await container.get(PerCallCustomerSummaries)
        directory = (
            CustomerDirectory(
                customers,
                ttl=directory_ttl,
                subscriptions_ttl=directory_ttl,
                watched_ttl=directory_ttl,
                summaries=summaries,
            )
            if directory_ttl is not None
            else CustomerDirectory(customers, summaries=summaries)
        )
        redis = await container.get(Redis)
        storage = fsm_storage(redis, ns.prefix)
        feed: CustomerChangeFeed | None = None
        states: StateChangeFeed | None = None
        if watch_changes:
            feed = CustomerChangeFeed(database_url, directory)
            states = StateChangeFeed(redis, storage.mirror)
            feed_tasks.append(asyncio.create_task(feed.run(), name="customer-change-feed"))
            feed_tasks.append(asyncio.create_task(states.run(), name="fsm-state-feed"))
        dispatcher = build_dispatcher(
            i18n=await container.get(I18n),
            redis=redis,
            storage=storage,
            customers=customers,
            config=BotConfig.from_settings(settings, (await container.get(Gateways)).keys()),
            maintenance=MaintenanceFlag(sessions),
            directory=directory,
            key_prefix=ns.prefix,
            metrics=await container.get(Metrics),
        )
        attach_container(dispatcher, container)
        bot = await container.get(Bot)
        install_retry(bot)
        yield Front(settings, container, broker, ns, bot, dispatcher, directory, feed, states)
    finally:
        if dispatcher is not None:  # let the updates being handled finish first
            await _drain_updates(dispatcher)
        await cancel_and_wait(feed_tasks)  # they end cancelled (their failures are logged)
        with contextlib.suppress(Exception):
            await broker.shutdown()
        await container.close()


@asynccontextmanager
async def serve_web(app: web.Application, host: str, port: int) -> AsyncIterator[str]:
    """Serve ``app``; yields its base URL (``port=0``: an ephemeral port)."""
    runner = web.AppRunner(app, access_log=None, handle_signals=False)
    await runner.setup()
    try:
        site = web.TCPSite(runner, host, port)
        await site.start()
        bound = runner.addresses[0][1] if runner.addresses else port
        shown = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
        yield f"http://{shown}:{bound}"
    finally:
        await runner.cleanup()


async def _register_webhook(f: Front) -> None:
    tg = f.settings.telegram
    if not tg.webhook_url:
        log.warning(
            "telegram.mode is webhook but telegram.webhook_url is not set: Telegram must "
            "already know where to send updates (%s on this server)",
            TELEGRAM_PATH,
        )
        return
    await f.bot.set_webhook(
        tg.webhook_url,
        secret_token=tg.webhook_secret.get() or None,
        allowed_updates=f.dispatcher.resolve_used_update_types(),
    )
    log.info("telegram webhook registered")


async def _poll(f: Front) -> None:
    await f.bot.delete_webhook(drop_pending_updates=False)
    await f.dispatcher.start_polling(
        f.bot,
        handle_signals=False,
        close_bot_session=False,
        allowed_updates=f.dispatcher.resolve_used_update_types(),
    )


@asynccontextmanager
async def _front_tasks(
    f: Front,
    *,
    web_app: bool,
    polling: bool,
    telegram_webhook: bool,
    tasks: dict[str, asyncio.Task[None]] | None = None,
) -> AsyncIterator[str | None]:
    """Start the web app (with the Telegram webhook route when ``telegram_webhook``)
    and/or long polling for ``f``; yields the web URL (or None). The polling task is
    added to ``tasks`` (so that a failure, e.g. a revoked token, stops the process)."""
    freeze_long_lived_objects()
    async with AsyncExitStack() as stack:
        url: str | None = None
        if web_app:
            app = build_web_app(
                f.container,
                f.settings,
                f.dispatcher if telegram_webhook else None,
                bot=f.bot,
            )
            url = await stack.enter_async_context(
                serve_web(app, f.settings.web.host, f.settings.web.port)
            )
            log.info("web app listening on %s", url)
            if telegram_webhook:
                await _register_webhook(f)
        if polling:
            task = asyncio.create_task(_poll(f), name="bot-polling")
            if tasks is not None:
                tasks["bot-polling"] = task

            async def stop_polling() -> None:
                with contextlib.suppress(RuntimeError):  # polling never started
                    await f.dispatcher.stop_polling()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await asyncio.wait_for(task, 10)

            stack.push_async_callback(stop_polling)
            log.info("bot polling started")
        yield url


# -- one process, everything ----------------------------------------------------------
@dataclass(slots=True)
class Running:
    """What ``all_in_one`` started (the demo drives it; ``run_all`` just waits)."""

    settings: Settings
    services: Services
    front: Front
    web_url: str
    stop: asyncio.Event
    tasks: dict[str, asyncio.Task[None]] = field(default_factory=dict)

    def failed(self) -> BaseException | None:
        for task in self.tasks.values():
            if task.done() and not task.cancelled() and task.exception() is not None:
                return task.exception()
        return None


class FrontPanels(Provider):
    """The all-in-one process's worker uses its front's panels: one HTTP client and one
    circuit breaker per panel in the process, so an outage one side met spares the panel
    the other side's calls, and the circuit gauge (one per panel) tells the truth."""

    scope = Scope.APP

    def __init__(self, panels: PanelRegistry) -> None:
        super().__init__()
        self._panels = panels

    @provide
    def panels(self) -> PanelRegistry:
        return self._panels  # the front's container closes it


@asynccontextmanager
async def all_in_one(
    settings: Settings,
    *,
    database_url: str | None = None,
    redis_url: str | None = None,
    namespace: Namespace | None = None,
    extra_providers: Iterable[Provider] = (),
    intervals: ScheduleIntervals | None = None,
    worker_concurrency: int = 20,
    shutdown_grace: float = 10.0,
    directory_ttl: float | None = None,
    migrate: bool | None = None,
    stop: asyncio.Event | None = None,
) -> AsyncIterator[Running]:
    """Start services (embedded when not configured), front, worker and scheduler.

    ``extra_providers`` override bindings in both the front's and the worker's
    containers (e.g. a steerable ``Clock`` for the demo). ``migrate``: as in
    ``runtime.services`` (``None``: only an embedded database). Leaving the block stops
    everything in order."""
    stop = stop or asyncio.Event()
    ns = namespace_of(settings, namespace)
    polling = settings.telegram.mode == "polling"
    extra = list(extra_providers)
    async with AsyncExitStack() as stack:
        found = await stack.enter_async_context(
            services(
                settings, database_url=database_url, redis_url=redis_url, run_migrations=migrate
            )
        )
        f = await stack.enter_async_context(
            front(
                settings,
                database_url=found.database_url,
                redis_url=found.redis_url,
                namespace=ns,
                extra_providers=extra,
                directory_ttl=directory_ttl,
            )
        )
        tasks: dict[str, asyncio.Task[None]] = {}

        async def stop_background() -> None:
            stop.set()
            for task in tasks.values():
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await asyncio.wait_for(task, shutdown_grace + 5)

        stack.push_async_callback(stop_background)  # runs after the front stops taking work
        tasks["worker"] = asyncio.create_task(
            run_worker(
                settings,
                database_url=found.database_url,
                redis_url=found.redis_url,
                namespace=ns,
                concurrency=worker_concurrency,
                extra_providers=[*extra, FrontPanels(await f.container.get(PanelRegistry))],
                shutdown_grace=shutdown_grace,
                stop=stop,
                metrics=await f.container.get(Metrics),
            ),
            name="worker",
        )
        tasks["scheduler"] = asyncio.create_task(
            run_scheduler(
                settings, redis_url=found.redis_url, namespace=ns, intervals=intervals, stop=stop
            ),
            name="scheduler",
        )
        url = await stack.enter_async_context(
            _front_tasks(
                f, web_app=True, polling=polling, telegram_webhook=not polling, tasks=tasks
            )
        )
        assert url is not None
        yield Running(settings, found, f, url, stop, tasks)


async def _until_stopped(stop: asyncio.Event, tasks: Iterable[asyncio.Task[Any]]) -> None:
    """Wait for ``stop``; a background task that dies stops everything (and re-raises)."""
    waiter = asyncio.create_task(stop.wait())
    pending = {waiter, *tasks}
    try:
        done, _ = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
    finally:
        waiter.cancel()
    for task in done:
        if task is not waiter and not task.cancelled() and task.exception() is not None:
            stop.set()
            raise task.exception()  # type: ignore[misc]
        if task is not waiter:
            log.error("%s ended unexpectedly; stopping", task.get_name())
            stop.set()


async def run_all(
    settings: Settings,
    *,
    database_url: str | None = None,
    redis_url: str | None = None,
    stop: asyncio.Event | None = None,
) -> None:
    """``vpnsales run``: everything in this process until SIGINT/SIGTERM."""
    stop = stop or asyncio.Event()
    with stop_on_signals(stop):
        async with all_in_one(
            settings, database_url=database_url, redis_url=redis_url, stop=stop
        ) as running:
            log.info(
                "vpnsales is running: web %s, bot %s, worker and scheduler in-process",
                running.web_url,
                settings.telegram.mode,
            )
            await _until_stopped(stop, running.tasks.values())
        log.info("vpnsales stopped")


async def run_bot(
    settings: Settings,
    *,
    database_url: str | None = None,
    redis_url: str | None = None,
    stop: asyncio.Event | None = None,
) -> None:
    """``vpnsales bot``: the bot alone, long-polling ``getUpdates`` (development, or a
    seller without a public HTTPS address). Payment webhooks need ``vpnsales web``."""
    stop = stop or asyncio.Event()
    tasks: dict[str, asyncio.Task[None]] = {}
    with stop_on_signals(stop):
        async with (
            services(settings, database_url=database_url, redis_url=redis_url) as found,
            front(settings, database_url=found.database_url, redis_url=found.redis_url) as f,
            _front_tasks(f, web_app=False, polling=True, telegram_webhook=False, tasks=tasks),
        ):
            await _until_stopped(stop, tasks.values())


async def run_web(
    settings: Settings,
    *,
    database_url: str | None = None,
    redis_url: str | None = None,
    stop: asyncio.Event | None = None,
) -> None:
    """``vpnsales web``: the aiohttp app; in webhook mode it also serves the bot."""
    stop = stop or asyncio.Event()
    polling = settings.telegram.mode == "polling"
    with stop_on_signals(stop):
        async with (
            services(settings, database_url=database_url, redis_url=redis_url) as found,
            front(settings, database_url=found.database_url, redis_url=found.redis_url) as f,
        ):
            if polling:
                log.info("telegram.mode is polling: run `vpnsales bot` for the bot")
            async with _front_tasks(f, web_app=True, polling=False, telegram_webhook=not polling):
                await stop.wait()
