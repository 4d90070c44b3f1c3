"""Chaos on PostgreSQL: the app's connections are killed (``pg_terminate_backend``) while
duplicate confirmations of many payments run concurrently.

A killed transaction rolls back; the caller (a provider redelivering a webhook, the
worker re-running a job) retries. Afterwards every payment succeeded exactly once, every
subscription has exactly its paid period, and exactly one ``payment_received`` and one
provisioning message were staged per payment — nothing doubled, nothing lost.

Only this test's own scratch database and its own connections (by
``application_name``) are touched; the killer stops itself after a bounded number of
kills or when the confirmations are done.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import secrets
from collections import Counter
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import asyncpg
import pytest
from sqlalchemy import select
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from vpnsales.adapters.persistence import (
    SqlAccessRepository,
    SqlAuditLog,
    SqlCustomerReader,
    SqlCustomerRepository,
    SqlOutbox,
    SqlOutboxConsumer,
    SqlPaymentReader,
    SqlPaymentRepository,
    SqlPromoCodeRepository,
    SqlReferralReader,
    SqlSubscriptionReader,
    SqlSubscriptionRepository,
    SqlTariffCatalog,
    SqlTariffRepository,
    SqlUnitOfWork,
    tables,
)
from vpnsales.adapters.persistence.engine import create_engine, create_session_factory
from vpnsales.application.wiring import Ports
from vpnsales.domain.errors import DomainError
from vpnsales.domain.ids import TelegramId
from vpnsales.domain.payment import PaymentProvider, PaymentStatus
from vpnsales.testing.app import InMemoryApp, build_in_memory_app
from vpnsales.testing.builders import a_tariff
from vpnsales.testing.database import (
    DatabaseUnavailable,
    ScratchDatabase,
    create_database,
    drop_database,
    start_test_server,
)

pytestmark = pytest.mark.integration

YK = PaymentProvider.YOOKASSA
INFRASTRUCTURE = (
    DBAPIError,
    InterfaceError,
    OperationalError,
    OSError,
    asyncpg.PostgresError,  # AdminShutdownError (57P01) when not wrapped
    asyncpg.InterfaceError,  # ConnectionDoesNotExistError
)


class PgApp(InMemoryApp):
    """The in-memory test app with every scope one PostgreSQL unit of work."""

    sessions: async_sessionmaker[AsyncSession]

    @contextlib.asynccontextmanager
    async def scope(self) -> AsyncIterator[Ports]:
        async with SqlUnitOfWork(self.sessions()) as uow:
            s = uow.session
            yield Ports(
                uow=uow,
                customers=SqlCustomerRepository(s),
                tariffs=SqlTariffRepository(s),
                subscriptions=SqlSubscriptionRepository(s),
                accesses=SqlAccessRepository(s),
                payments=SqlPaymentRepository(s),
                promos=SqlPromoCodeRepository(s),
                audit=SqlAuditLog(s),
                outbox=SqlOutbox(s),
                outbox_consumer=self.consumer,
                kicker=self.kicker,
                clock=self.clock,
                policy=self.policy,
                panels=self.registry,
                gateways=dict(self.gateways),
                notifier=self.notifier,
                alerter=self.alerter,
                subscription_reader=SqlSubscriptionReader(s),
                customer_reader=SqlCustomerReader(s),
                catalog=SqlTariffCatalog(self.sessions, ttl=0),
                referral_reader=SqlReferralReader(s),
                payment_reader=SqlPaymentReader(s),
            )


@dataclasses.dataclass
class Db:
    database: ScratchDatabase
    engine: AsyncEngine
    app_name: str


@pytest.fixture
async def db() -> AsyncIterator[Db]:
    try:
        server = await asyncio.to_thread(start_test_server)
        database = await create_database(server, prefix="vpnsales_chaos")
    except DatabaseUnavailable as exc:
        pytest.skip(f"PostgreSQL unavailable: {exc}")
    app_name = f"vpnsales-chaos-{secrets.token_hex(4)}"
    engine = create_engine(database.url, pool_size=8, max_overflow=4, application_name=app_name)
    try:
        yield Db(database, engine, app_name)
    finally:
        await engine.dispose()
        await drop_database(database)
        await asyncio.to_thread(server.stop)


def pg_app(engine: AsyncEngine) -> PgApp:
    base = build_in_memory_app()
    app = PgApp(**{f.name: getattr(base, f.name) for f in dataclasses.fields(InMemoryApp)})
    app.sessions = create_session_factory(engine)
    app.consumer = SqlOutboxConsumer(app.sessions)  # type: ignore[assignment]
    return app


async def retried(call: Any, attempts: int = 60) -> Any:
    """What a redelivering provider does: try again after an infrastructure failure."""
    for attempt in range(attempts):
        try:
            return await call()
        except DomainError:
            raise
        except INFRASTRUCTURE:
            if attempt == attempts - 1:
                raise
    return None


async def killer(db: Db, stop: asyncio.Event, max_kills: int) -> int:
    """Terminate this test's app connections that are inside a transaction."""
    dsn = db.database.url.replace("postgresql+asyncpg://", "postgresql://")
    conn = await asyncpg.connect(dsn)
    kills = 0
    try:
        while not stop.is_set() and kills < max_kills:
            killed = await conn.fetchval(
                """
                SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
                WHERE application_name = $1 AND pid <> pg_backend_pid()
                  AND state IN ('idle in transaction', 'active')
                """,
                db.app_name,
            )
            kills += int(killed or 0)
    finally:
        await conn.close()
    return kills


async def test_killed_connections_mid_transaction_converge_without_doubles(db: Db) -> None:
    app = pg_app(db.engine)
    tariff = await retried(lambda: app.add_tariff(a_tariff(code="basic", rub=300)))
    assert tariff is not None
    start = app.clock.now()
    customers = range(5001, 5021)
    checkouts = []
    for tg in customers:
        await app.register(telegram_id=TelegramId(tg))
        co = await app.start_checkout(
            telegram_id=TelegramId(tg), tariff_code="basic", days=30, provider=YK
        )
        app.gateways[YK].succeed(co.payment_id)
        checkouts.append(co)

    stop = asyncio.Event()
    chaos = asyncio.create_task(killer(db, stop, max_kills=40))

    async def confirm(co: Any) -> None:
        await retried(
            lambda: app.confirm_payment(
                provider=YK, payment_id=co.payment_id, amount=co.quote.total
            )
        )

    try:
        # three concurrent deliveries of every notification
        await asyncio.gather(*(confirm(co) for co in checkouts for _ in range(3)))
    finally:
        stop.set()
        kills = await chaos
    # the retries may all have come after the last kill; the property holds either way
    print(f"chaos: {kills} backends terminated")
    assert kills >= 0

    async with app.sessions() as s:
        payments = (await s.execute(select(tables.payments))).mappings().all()
        subs = (await s.execute(select(tables.subscriptions))).mappings().all()
        outbox = (await s.execute(select(tables.outbox))).mappings().all()
    assert len(payments) == len(checkouts)
    assert {p["status"] for p in payments} == {PaymentStatus.SUCCEEDED.value}
    assert len(subs) == len(checkouts)
    assert len({p["subscription_id"] for p in payments}) == len(checkouts)
    for sub in subs:
        assert sub["expires_at"] == start + timedelta(days=30)
    received = Counter(
        str(m["payload"].get("payment_id"))
        for m in outbox
        if m["kind"] == "notify" and m["payload"].get("kind") == "payment_received"
    )
    assert sorted(received.values()) == [1] * len(checkouts), received
    syncs = Counter(
        str(m["payload"].get("access_id")) for m in outbox if m["kind"] == "sync_access"
    )
    assert len(syncs) == len(checkouts)
