"""A worker cluster for the tests: real worker/scheduler OS processes, real Redis, real
PostgreSQL, emulated panels/Telegram/YooKassa, and one steerable clock shared by all.

``cluster.start_worker()`` / ``start_scheduler()`` spawn ``_process.py``; every process
is terminated (then killed) in teardown. The test process gets its own container (same
database, same Redis namespace, same clock) to pay, seed and inspect.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import json
import os
import re
import signal
import sys
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from dishka import AsyncContainer
from redis.asyncio import Redis
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from taskiq import AsyncBroker
from taskiq.kicker import AsyncKicker

from vpnsales.adapters.persistence import create_engine, create_session_factory
from vpnsales.adapters.tasks import Namespace
from vpnsales.application.interactors.customer.register_customer import (
    RegisterCustomer,
    RegisterCustomerCommand,
)
from vpnsales.application.interactors.payments.confirm_payment import (
    ConfirmPayment,
    ConfirmPaymentCommand,
    ConfirmPaymentResult,
)
from vpnsales.application.interactors.payments.start_checkout import (
    StartCheckout,
    StartCheckoutCommand,
)
from vpnsales.application.ports.repositories import TariffRepository
from vpnsales.application.ports.uow import UnitOfWork
from vpnsales.domain.ids import SubscriptionId, TelegramId
from vpnsales.domain.payment import PaymentProvider, PaymentPurpose
from vpnsales.entrypoints.di import build_container
from vpnsales.entrypoints.worker.broker import build_broker
from vpnsales.entrypoints.worker.provider import TaskQueueProvider
from vpnsales.testing.builders import a_tariff, an_option
from vpnsales.testing.database import (
    PostgresServer,
    ScratchDatabase,
    clear_tables,
    create_database,
    drop_database,
)
from vpnsales.testing.stack import EmulatorStack, RedisUnavailable, find_test_redis, free_port
from vpnsales.testing.waiting import wait_until

HERE = Path(__file__).parent
PROCESS = HERE / "_process.py"
STARTUP_TIMEOUT = 90.0


def _load_process_module() -> Any:
    spec = importlib.util.spec_from_file_location("vpnsales_worker_test_process", PROCESS)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_proc = _load_process_module()
FileClock = _proc.FileClock
clock_provider = _proc.clock_provider


wait_for = wait_until
"""Poll a condition (sync or async) until it holds, or fail after ``timeout`` seconds."""


@dataclass
class Proc:
    name: str
    role: str
    process: asyncio.subprocess.Process
    log: Path
    metrics_port: int | None = None

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace") if self.log.exists() else ""

    @property
    def alive(self) -> bool:
        return self.process.returncode is None


@dataclass
class Cluster:
    """Processes, the test-side container and helpers over one database and namespace."""

    tmp: Path
    stack: EmulatorStack
    clock: Any
    settings_data: dict[str, Any]
    database_url: str
    redis_url: str
    namespace: Namespace
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    container: AsyncContainer
    broker: AsyncBroker
    redis: Redis
    procs: dict[str, Proc] = field(default_factory=dict)
    tariff_code: str = "day"

    # -- processes -------------------------------------------------------------------
    def _spec(self, **extra: Any) -> Path:
        spec = {
            "settings": self.settings_data,
            "database_url": self.database_url,
            "redis_url": self.redis_url,
            "namespace": self.namespace.prefix,
            "clock_file": self.clock.path,
            **extra,
        }
        path = self.tmp / f"spec-{uuid.uuid4().hex[:8]}.json"
        path.write_text(json.dumps(spec), encoding="utf-8")
        return path

    async def _spawn(self, name: str, role: str, **extra: Any) -> Proc:
        log = self.tmp / f"{name}.log"
        handle = log.open("wb")
        try:
            process = await asyncio.create_subprocess_exec(
                sys.executable,
                str(PROCESS),
                role,
                str(self._spec(**extra)),
                stdout=handle,
                stderr=asyncio.subprocess.STDOUT,
                env={**os.environ, "PYTHONUNBUFFERED": "1"},
            )
        finally:
            handle.close()
        proc = Proc(name, role, process, log, extra.get("metrics_port"))
        self.procs[name] = proc
        return proc

    async def start_worker(self, name: str, *, wait: bool = True, **extra: Any) -> Proc:
        proc = await self._spawn(name, "worker", metrics_port=free_port(), **extra)
        if wait:
            await self.ready(name)
        return proc

    async def start_scheduler(
        self, interval: int = 1, *, wait: bool = True, **intervals: int
    ) -> Proc:
        """Every periodic job every ``interval`` seconds, except ``intervals`` (seconds)."""
        proc = await self._spawn("scheduler", "scheduler", interval=interval, intervals=intervals)
        if wait:
            await self.ready("scheduler")
        return proc

    async def ready(self, *names: str) -> None:
        """Wait until the processes logged that they started (imports are slow on a busy
        machine: aiogram alone takes seconds, hence the generous deadline)."""
        for name in names:
            proc = self.procs[name]
            await wait_for(
                lambda p=proc: f"{p.role} started" in p.output() or not p.alive,  # type: ignore[misc]
                timeout=STARTUP_TIMEOUT,
                what=f"{name} to start",
            )
            assert proc.alive, proc.output()

    async def kill(self, name: str, sig: int = signal.SIGKILL) -> None:
        proc = self.procs[name]
        if proc.alive:
            proc.process.send_signal(sig)
        await asyncio.wait_for(proc.process.wait(), timeout=10)

    async def stop_all(self) -> None:
        for proc in self.procs.values():
            if proc.alive:
                with contextlib.suppress(ProcessLookupError):
                    proc.process.send_signal(signal.SIGCONT)
                    proc.process.send_signal(signal.SIGTERM)
        for proc in self.procs.values():
            try:
                await asyncio.wait_for(proc.process.wait(), timeout=5)
            except TimeoutError:
                with contextlib.suppress(ProcessLookupError):
                    proc.process.kill()
                await proc.process.wait()
        for proc in self.procs.values():  # shown by pytest when the test failed
            print(f"----- {proc.name} (exit {proc.process.returncode}) -----")
            print(proc.output()[-6000:])

    async def job_runs(self, job: str) -> int:
        """Runs of ``job`` (done or skipped by single-flight) over every live worker."""
        total = 0
        name = re.escape(job)
        pattern = re.compile(
            rf'^vpnsales_job_runs_total\{{job="{name}",outcome="(ok|error|skipped)"\}} (\S+)$',
            re.M,
        )
        async with httpx.AsyncClient(timeout=2) as client:
            for proc in self.procs.values():
                if proc.role != "worker" or not proc.alive or proc.metrics_port is None:
                    continue
                response = await client.get(f"http://127.0.0.1:{proc.metrics_port}/metrics")
                total += int(sum(float(m.group(2)) for m in pattern.finditer(response.text)))
        return total

    async def settle(
        self, *jobs: str, runs: int = 2, timeout: float = 20, idle: bool = True
    ) -> None:
        """Wait until each job has started ``runs`` more times (so at least one run began
        after now) and the outbox has nothing due."""
        before = {job: await self.job_runs(job) for job in jobs}

        async def ran() -> bool:
            for job in jobs:
                if await self.job_runs(job) < before[job] + runs:
                    return False
            return True

        await wait_for(ran, timeout=timeout, what=f"{jobs} to run again", interval=0.1)
        if idle:
            await wait_for(self.outbox_idle, timeout=timeout, what="the outbox to drain")

    # -- queue -----------------------------------------------------------------------
    async def enqueue(self, task_name: str, **kwargs: Any) -> None:
        await AsyncKicker(task_name, self.broker, {}).kiq(**kwargs)

    # -- database --------------------------------------------------------------------
    async def rows(self, sql: str, **params: Any) -> list[Any]:
        async with self.sessions() as session:
            return list((await session.execute(text(sql), params)).mappings().all())

    async def outbox_idle(self) -> bool:
        rows = await self.rows(
            "SELECT count(*) AS n FROM outbox WHERE status = 'pending' AND due_at <= :now",
            now=self.clock.now(),
        )
        return bool(rows[0]["n"] == 0)

    async def notifications(self, customer_telegram_id: int | None = None) -> list[Any]:
        rows = await self.rows(
            "SELECT o.payload, o.status, o.attempts, o.last_error, c.telegram_id FROM outbox o "
            "JOIN customers c ON c.id = (o.payload->>'customer_id')::uuid "
            "WHERE o.kind = 'notify'"
        )
        if customer_telegram_id is None:
            return rows
        return [r for r in rows if r["telegram_id"] == customer_telegram_id]

    async def access_of(self, subscription_id: SubscriptionId) -> Any:
        rows = await self.rows(
            "SELECT * FROM accesses WHERE subscription_id = :s AND desired <> 'deleted'",
            s=subscription_id,
        )
        assert len(rows) == 1, rows
        return rows[0]

    async def subscription(self, subscription_id: SubscriptionId) -> Any:
        rows = await self.rows("SELECT * FROM subscriptions WHERE id = :s", s=subscription_id)
        return rows[0]

    # -- business --------------------------------------------------------------------
    async def seed_tariff(self, *days: int, panel: str = "rw") -> None:
        tariff = a_tariff(
            code=self.tariff_code,
            options=tuple(an_option(d, rub=100 * d) for d in days),
            panel=panel,
        )
        async with self.container() as scope:
            await (await scope.get(TariffRepository)).add(tariff)
            await (await scope.get(UnitOfWork)).commit()

    async def pay(
        self,
        telegram_id: int,
        days: int,
        *,
        renew: SubscriptionId | None = None,
    ) -> ConfirmPaymentResult:
        """Register (idempotent), check out with YooKassa, and confirm the payment."""
        async with self.container() as scope:
            register = await scope.get(RegisterCustomer)
            await register(
                RegisterCustomerCommand(telegram_id=TelegramId(telegram_id), language_code="en")
            )
        async with self.container() as scope:
            checkout = await scope.get(StartCheckout)
            started = await checkout(
                StartCheckoutCommand(
                    telegram_id=TelegramId(telegram_id),
                    provider=PaymentProvider.YOOKASSA,
                    tariff_code=self.tariff_code,
                    days=days,
                    purpose=PaymentPurpose.RENEWAL if renew else PaymentPurpose.NEW,
                    subscription_id=renew,
                )
            )
        async with self.container() as scope:
            confirm = await scope.get(ConfirmPayment)
            return await confirm(
                ConfirmPaymentCommand(
                    provider=PaymentProvider.YOOKASSA,
                    amount=started.quote.total,
                    payment_id=started.payment_id,
                    provider_payment_id=started.provider_payment_id,
                )
            )

    def panel_user(self, username: str) -> Any:
        return self.stack.remnawave.get_user(username)

    def messages_to(self, chat_id: int) -> list[Any]:
        return self.stack.telegram.sent_messages(chat_id)

    def advance(self, **kw: float) -> None:
        self.clock.advance(timedelta(**kw))


@pytest.fixture(scope="session")
async def redis_url() -> str:
    try:
        return await find_test_redis()
    except RedisUnavailable as exc:
        pytest.skip(str(exc))


# One cluster for the whole run: starting a process costs seconds of imports
# (aiogram alone), so the workers and the scheduler are started once and shared; each
# test gets an empty database, cleared panel faults and its own customers.
WORKERS = ("w1", "w2")
MAX_ATTEMPTS = 3
CIRCUIT_RESET = 1.0
"""Seconds a worker's open circuit waits before its probe call (30 in production)."""
"""``worker.outbox_max_attempts`` of the cluster (the outage test relies on it)."""
SCHEDULE = {"outbox": 3600, "reconcile": 3600}
"""Every other periodic job runs every second. The outbox safety net and reconciliation
are hourly, so the tests see the kicks at work (and trigger those two by hand): every
job that stages outbox messages kicks the drain itself. Reconciliation every second
would also race the first sync of a new access (reported separately)."""


@pytest.fixture(scope="session")
async def cluster_database(pg_server: PostgresServer) -> AsyncIterator[ScratchDatabase]:
    """The cluster's own database. Its workers and scheduler keep running until the
    session ends (pytest has no package scope for a folder without ``__init__.py``): on
    the shared database their periodic jobs would act on the data of the tests that
    follow (a broadcast another test was delivering by hand, say)."""
    database = await create_database(pg_server, prefix="vpnsales_cluster")
    yield database
    await drop_database(database)


@pytest.fixture(scope="session")
async def shared_cluster(
    tmp_path_factory: pytest.TempPathFactory, redis_url: str, cluster_database: ScratchDatabase
) -> AsyncIterator[Cluster]:
    tmp = tmp_path_factory.mktemp("worker-cluster")
    clock_file = tmp / "clock"
    clock_file.write_text("0.0", encoding="ascii")
    clock = FileClock(str(clock_file))
    namespace = Namespace(f"vpnsales-test-{uuid.uuid4().hex[:10]}")
    async with EmulatorStack() as stack:  # the outside world keeps real time
        data = stack.overrides()
        data["worker"] = {"outbox_max_attempts": MAX_ATTEMPTS}
        for panel in data["panels"]:
            # an outage opens a worker's circuit; the tests' panels come back at once
            panel["circuit_reset_seconds"] = CIRCUIT_RESET
        from vpnsales.entrypoints.config import load_settings

        settings = load_settings(environ={}, overrides=data)
        broker = build_broker(settings, redis_url=redis_url, namespace=namespace)
        container = build_container(
            settings,
            database_url=cluster_database.url,
            redis_url=redis_url,
            extra_providers=[
                TaskQueueProvider(broker, namespace=namespace),
                clock_provider(clock),
            ],
        )
        engine = create_engine(cluster_database.url, pool_size=4)
        redis = Redis.from_url(redis_url)
        cluster = Cluster(
            tmp=tmp,
            stack=stack,
            clock=clock,
            settings_data=data,
            database_url=cluster_database.url,
            redis_url=redis_url,
            namespace=namespace,
            engine=engine,
            sessions=create_session_factory(engine),
            container=container,
            broker=broker,
            redis=redis,
        )
        try:
            for name in WORKERS:
                await cluster.start_worker(name, wait=False)
            await cluster.start_scheduler(interval=1, wait=False, **SCHEDULE)
            await cluster.ready(*WORKERS, "scheduler")
            yield cluster
        finally:
            await cluster.stop_all()
            await container.close()
            await broker.shutdown()
            await engine.dispose()
            keys = [k async for k in redis.scan_iter(match=f"{namespace.prefix}:*")]
            if keys:
                await redis.delete(*keys)
            await redis.aclose()


@pytest.fixture
async def cluster(shared_cluster: Cluster) -> AsyncIterator[Cluster]:
    cluster = shared_cluster
    await clear_tables(cluster.engine)
    cluster.stack.remnawave.faults.clear()
    for name in [n for n in cluster.procs if n not in (*WORKERS, "scheduler")]:
        await cluster.kill(name, signal.SIGTERM)  # extra workers a previous test started
        del cluster.procs[name]
    for name in (*WORKERS, "scheduler"):  # a previous test may have killed or paused one
        proc = cluster.procs[name]
        if proc.alive:
            with contextlib.suppress(ProcessLookupError):
                proc.process.send_signal(signal.SIGCONT)
        elif name == "scheduler":
            await cluster.start_scheduler(interval=1, **SCHEDULE)
        else:
            await cluster.start_worker(name)
    await wait_for(cluster.outbox_idle, what="the previous test's work to finish")
    yield cluster
    cluster.stack.remnawave.faults.clear()
