"""Process entry points the CLI calls: ``vpnsales worker`` and ``vpnsales scheduler``.

Both run until SIGTERM/SIGINT (or ``stop`` is set), then shut down gracefully: the
worker stops taking deliveries, waits up to ``shutdown_grace`` for running jobs, closes
the broker and the container. Anything cut short is safe: unacknowledged deliveries
are re-delivered, outbox leases expire and the message is claimed again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from dishka import AsyncContainer, Provider
from dishka.integrations.taskiq import setup_dishka
from sqlalchemy.ext.asyncio import AsyncEngine
from taskiq.acks import AcknowledgeType
from taskiq.cli.scheduler.run import SchedulerLoop
from taskiq.receiver import Receiver

from vpnsales.adapters.tasks import Namespace
from vpnsales.application.interactors.system.drain_outbox import DrainOutbox
from vpnsales.entrypoints.config import ConfigError, Settings
from vpnsales.entrypoints.di import build_container
from vpnsales.entrypoints.metrics import Metrics
from vpnsales.entrypoints.worker.broker import (
    BrokerOptions,
    build_broker,
    namespace_of,
    redis_url_of,
)
from vpnsales.entrypoints.worker.jobs import WorkerTuning
from vpnsales.entrypoints.worker.provider import TaskQueueProvider
from vpnsales.entrypoints.worker.schedule import ScheduleIntervals, build_scheduler
from vpnsales.entrypoints.worker.tasks import register_tasks

log = logging.getLogger("vpnsales.worker")

SEND_TIMEOUT = 10.0
"""Seconds one scheduled send may take before taskiq drops it (the next tick retries)."""


@contextlib.contextmanager
def _stop_on_signals(stop: asyncio.Event) -> Iterator[None]:
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
            loop.remove_signal_handler(sig)


def _database_url(settings: Settings, database_url: str | None) -> str:
    url = database_url or settings.database.url
    if not url:
        raise ConfigError(
            "database.url is not set: set VPNSALES_DATABASE__URL, or start through "
            "`vpnsales run`, which starts an embedded PostgreSQL and passes its URL"
        )
    return url


async def run_worker(
    settings: Settings,
    *,
    database_url: str | None = None,
    redis_url: str | None = None,
    namespace: Namespace | None = None,
    concurrency: int = 50,
    metrics_port: int | None = None,
    tuning: WorkerTuning | None = None,
    broker_options: BrokerOptions | None = None,
    extra_providers: Iterable[Provider] = (),
    shutdown_grace: float = 30.0,
    stop: asyncio.Event | None = None,
    metrics: Metrics | None = None,
) -> None:
    """Run one worker process until stopped. ``concurrency`` is the number of jobs
    running at once in this process (each holds at most one database connection at a
    time, so keep it within reach of ``database.pool_size`` + overflow). ``metrics``:
    record into these (the all-in-one process shares its web app's)."""
    ns = namespace_of(settings, namespace)
    redis = redis_url_of(settings, redis_url)
    metrics = metrics or Metrics()
    broker = build_broker(settings, redis_url=redis, namespace=ns, options=broker_options)
    container = build_container(
        settings,
        database_url=_database_url(settings, database_url),
        redis_url=redis,
        extra_providers=[
            TaskQueueProvider(broker, namespace=ns, metrics=metrics, tuning=tuning),
            *extra_providers,
        ],
    )
    register_tasks(broker)
    setup_dishka(container, broker)
    broker.is_worker_process = True
    stop = stop or asyncio.Event()
    exporter = _start_exporter(metrics, metrics_port)
    try:
        await broker.startup()
        await _warm_up(container)
        log.info("worker started", extra={"fields": {"queue": ns.queue}})
        with _stop_on_signals(stop), ThreadPoolExecutor(max_workers=1) as executor:
            receiver = Receiver(
                broker,
                executor=executor,
                run_startup=False,
                max_async_tasks=concurrency,
                ack_type=AcknowledgeType.WHEN_EXECUTED,
                wait_tasks_timeout=shutdown_grace,
            )
            await receiver.listen(stop)
        log.info("worker stopping")
    finally:
        with contextlib.suppress(Exception):
            await broker.shutdown()
        await container.close()
        if exporter is not None:
            exporter.shutdown()
        log.info("worker stopped")


async def run_scheduler(
    settings: Settings,
    *,
    redis_url: str | None = None,
    namespace: Namespace | None = None,
    intervals: ScheduleIntervals | None = None,
    stop: asyncio.Event | None = None,
) -> None:
    """Run the scheduler until stopped: it only enqueues; workers do the work."""
    ns = namespace_of(settings, namespace)
    redis = redis_url_of(settings, redis_url)
    broker = build_broker(settings, redis_url=redis, namespace=ns)
    broker.is_scheduler_process = True
    scheduler = build_scheduler(
        settings, broker, intervals=intervals, namespace=ns, redis_url=redis
    )
    stop = stop or asyncio.Event()
    started = []
    try:
        for source in scheduler.sources:
            await source.startup()
            started.append(source)
        await scheduler.startup()
        log.info("scheduler started", extra={"fields": {"queue": ns.queue}})
        with _stop_on_signals(stop):
            loop_task = asyncio.create_task(
                SchedulerLoop(scheduler).run(
                    update_interval=timedelta(minutes=1),
                    loop_interval=timedelta(seconds=1),
                    send_timeout=SEND_TIMEOUT,
                )
            )
            stopper = asyncio.create_task(stop.wait())
            await asyncio.wait({loop_task, stopper}, return_when=asyncio.FIRST_COMPLETED)
            for task in (loop_task, stopper):
                task.cancel()
            for task in (loop_task, stopper):
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            await _finish_sends(SEND_TIMEOUT)
        log.info("scheduler stopping")
    finally:
        with contextlib.suppress(Exception):
            await scheduler.shutdown()
        for source in reversed(started):
            with contextlib.suppress(Exception):
                await source.shutdown()
        log.info("scheduler stopped")


async def _finish_sends(timeout: float) -> None:
    """Let the sends the scheduler loop started finish before its broker closes.

    taskiq's loop spawns one task per due schedule and does not track them once the
    loop is cancelled; closing the broker under them turns each into a "Task
    exception was never retrieved" traceback. Each send is bounded by ``timeout``."""
    sends = [
        t for t in asyncio.all_tasks() if t.get_name().startswith("schedule_") and not t.done()
    ]
    if not sends:
        return
    _done, pending = await asyncio.wait(sends, timeout=timeout)
    for task in pending:
        task.cancel()
    if pending:
        await asyncio.wait(pending, timeout=1.0)
    for task in sends:
        if task.done() and not task.cancelled() and task.exception() is not None:
            log.warning("a scheduled send failed at shutdown", exc_info=task.exception())


async def _warm_up(container: AsyncContainer) -> None:
    """Build the process-wide adapters and open one database connection before taking
    deliveries, so the first job after a start doesn't pay for it (first-kick latency)."""
    try:
        engine = await container.get(AsyncEngine)
        async with engine.connect():
            pass
        async with container() as scope:
            await scope.get(DrainOutbox)
    except Exception as exc:  # a job will report the same problem with more context
        log.warning("warm-up failed: %s: %s", type(exc).__name__, exc)


class _Exporter:
    def __init__(self, server: object) -> None:
        self._server = server

    def shutdown(self) -> None:
        with contextlib.suppress(Exception):
            self._server.shutdown()  # type: ignore[attr-defined]


def _start_exporter(metrics: Metrics, port: int | None) -> _Exporter | None:
    """``/metrics`` of this process on ``port`` (each worker process has its own)."""
    if port is None:
        return None
    from prometheus_client import start_http_server

    server, _thread = start_http_server(port, registry=metrics.registry)
    return _Exporter(server)
