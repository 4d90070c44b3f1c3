"""The customer change feed on the real PostgreSQL (migration 0005's triggers): the bot's
``CustomerDirectory``, watched, hears every change committed by another session (as the
worker or a webhook commits it), falls back to its TTL while the listening connection is
gone, and comes back watching — the password of the URL in no log line."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from uuid import uuid4

import pytest
from sqlalchemy import text, update
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from vpnsales.adapters.persistence.changes import CustomerChangeFeed
from vpnsales.adapters.persistence.per_call import PerCallCustomerReader, PerCallCustomerSummaries
from vpnsales.adapters.persistence.tables import subscriptions, tariffs
from vpnsales.application.ports.readers import CustomerSummary, CustomerView
from vpnsales.domain.access import Access
from vpnsales.domain.ids import AccessId, CustomerId, PanelId, TelegramId
from vpnsales.domain.subscription import SubscriptionStatus
from vpnsales.entrypoints.bot.cache import CustomerDirectory
from vpnsales.testing.clock import SteerableClock
from vpnsales.testing.database import ScratchDatabase
from vpnsales.testing.waiting import wait_until

pytestmark = pytest.mark.integration


class CountingSummaries:
    """The front's summary read (a bare autocommit connection), counted."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._read = PerCallCustomerSummaries(
            engine.execution_options(isolation_level="AUTOCOMMIT"), SteerableClock()
        )
        self.reads = 0

    async def __call__(self, telegram_id: TelegramId) -> CustomerSummary | None:
        self.reads += 1
        return await self._read(telegram_id)


class Gate:
    """The feed's backoff sleep: no waiting, unless held (``open`` cleared, or after
    ``hold_after`` sleeps); the delays asked for are recorded."""

    def __init__(self, hold_after: int | None = None) -> None:
        self.open = asyncio.Event()
        self.open.set()
        self.delays: list[float] = []
        self._hold_after = hold_after

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)
        if self._hold_after is not None and len(self.delays) >= self._hold_after:
            self.open.clear()
        await self.open.wait()


class NoReads:
    async def by_telegram_id(self, telegram_id: TelegramId) -> CustomerView | None:
        raise AssertionError("not read here")

    async def get(self, customer_id: CustomerId) -> CustomerView | None:
        raise AssertionError("not read here")


@dataclass
class Watched:
    directory: CustomerDirectory
    feed: CustomerChangeFeed
    summaries: CountingSummaries
    gate: Gate


@asynccontextmanager
async def watched_directory(
    pg_database: ScratchDatabase, engine: AsyncEngine, sessions: async_sessionmaker[AsyncSession]
) -> AsyncIterator[Watched]:
    summaries = CountingSummaries(engine)
    directory = CustomerDirectory(PerCallCustomerReader(sessions), summaries=summaries)
    gate = Gate()
    feed = CustomerChangeFeed(pg_database.url, directory, sleep=gate)
    task = asyncio.create_task(feed.run())
    try:
        await wait_until(lambda: directory.watched, what="the feed to listen")
        yield Watched(directory, feed, summaries, gate)
    finally:
        task.cancel()
        await asyncio.wait([task])
    assert task.cancelled()
    assert not feed.watched
    assert not directory.watched


@pytest.fixture
async def seeded(scope, build):  # type: ignore[no-untyped-def]
    customer, tariff = build.a_customer(username="before"), build.a_tariff()
    subscription = build.a_subscription(customer, tariff, expires_at=build.later(days=30))
    async with scope() as s:
        await s.customers.add(customer)
        await s.tariffs.add(tariff)
        await s.subscriptions.add(subscription)
        await s.commit()
    return customer, tariff, subscription


async def test_changes_committed_elsewhere_reach_the_directory(
    pg_database, pg_engine, clean_db, scope, build, seeded
) -> None:
    customer, tariff, subscription = seeded
    tid = int(customer.telegram_id)
    async with watched_directory(pg_database, pg_engine, clean_db) as w:
        assert (await w.directory.get(tid)) is not None  # an update's context middleware
        await w.directory.get(tid)  # a later update
        await w.directory.refresh(tid)  # its /start: served, no SQL
        assert w.summaries.reads == 1

        # the customer row (an admin's ban in another process)
        async with scope() as s:
            loaded = await s.customers.get(customer.id, for_update=True)
            loaded.ban()
            await s.customers.save(loaded)
            await s.commit()

        async def banned() -> bool:
            view: CustomerView | None = await w.directory.refresh(tid)
            return view is not None and view.banned

        await wait_until(banned, what="the ban to reach the directory")

        # a subscription (the worker's sweep: a plain UPDATE of many rows)
        async with clean_db() as session, session.begin():
            await session.execute(
                update(subscriptions)
                .where(subscriptions.c.customer_id == customer.id)
                .values(status=SubscriptionStatus.SUSPENDED.value, suspended_reason="ban")
            )

        async def suspended() -> bool:
            await w.directory.refresh(tid)
            subs = w.directory.subscriptions(tid) or ()
            return [s.status for s in subs] == [SubscriptionStatus.SUSPENDED]

        await wait_until(suspended, what="the suspension to reach the directory")

        # an access (provisioned by the worker): the summary shows its link
        access = Access.new(
            id=AccessId(uuid4()),
            subscription_id=subscription.id,
            customer_id=customer.id,
            panel_id=PanelId("rw-main"),
            now=build.now,
        )
        async with scope() as s:
            await s.accesses.add(access)
            await s.commit()

        async def provisioned() -> bool:
            await w.directory.refresh(tid)
            subs = w.directory.subscriptions(tid) or ()
            return bool(subs) and subs[0].access is not None

        await wait_until(provisioned, what="the access to reach the directory")

        # a tariff renamed concerns every summary
        reads = w.summaries.reads
        await w.directory.refresh(tid)
        assert w.summaries.reads == reads
        async with clean_db() as session, session.begin():
            await session.execute(
                update(tariffs)
                .where(tariffs.c.id == tariff.id)
                .values(names={"en": "Renamed", "ru": "Новое"})
            )

        async def renamed() -> bool:
            await w.directory.refresh(tid)
            subs = w.directory.subscriptions(tid) or ()
            return bool(subs) and subs[0].tariff_name == "Новое"

        await wait_until(renamed, what="the rename to reach the directory")


async def test_a_change_of_someone_else_keeps_the_entry(
    pg_database, pg_engine, clean_db, scope, build, seeded
) -> None:
    customer, _, _ = seeded
    marker, newcomer = build.a_customer(username="before"), build.a_customer()
    async with scope() as s:
        await s.customers.add(marker)
        await s.commit()
    tid, marker_tid = int(customer.telegram_id), int(marker.telegram_id)
    async with watched_directory(pg_database, pg_engine, clean_db) as w:
        await w.directory.get(tid)
        await w.directory.get(marker_tid)
        async with scope() as s:  # someone else registers …
            await s.customers.add(newcomer)
            await s.commit()
        async with scope() as s:  # … then the marker changes (notified in that order)
            loaded = await s.customers.get(marker.id, for_update=True)
            loaded.username = "after"
            await s.customers.save(loaded)
            await s.commit()

        async def marker_changed() -> bool:
            view = await w.directory.refresh(marker_tid)
            return view is not None and view.username == "after"

        await wait_until(marker_changed, what="the marker's change")
        reads = w.summaries.reads
        await w.directory.get(tid)
        await w.directory.refresh(tid)
        assert w.summaries.reads == reads == 3


async def test_a_lost_connection_unwatches_then_the_feed_comes_back(
    pg_database, pg_engine, clean_db, scope, seeded
) -> None:
    customer, _, _ = seeded
    tid = int(customer.telegram_id)
    async with watched_directory(pg_database, pg_engine, clean_db) as w:
        await w.directory.get(tid)
        await w.directory.get(tid)
        await w.directory.refresh(tid)
        assert w.summaries.reads == 1
        pid = w.feed.backend_pid
        assert pid is not None
        w.gate.open.clear()  # hold the reconnection

        async with pg_engine.connect() as connection:
            killed = await connection.scalar(text(f"SELECT pg_terminate_backend({pid})"))
        assert killed

        await wait_until(lambda: not w.directory.watched, what="the directory to be unwatched")
        await wait_until(lambda: w.gate.delays != [], what="the feed to wait for reconnecting")
        assert w.gate.delays == [0.5]  # the first retry comes soon
        await w.directory.get(tid)  # an update (the directory was dropped: a read)
        await w.directory.get(tid)  # the next one's context middleware
        await w.directory.refresh(tid)  # its /start, unwatched: a read again
        assert w.summaries.reads == 3

        # a change nobody hears: the reconnection must not trust what is held
        async with scope() as s:
            loaded = await s.customers.get(customer.id, for_update=True)
            loaded.username = "changed while unwatched"
            await s.customers.save(loaded)
            await s.commit()
        held = await w.directory.get(tid)  # within the TTL: still the old view
        assert held is not None
        assert held.username == "before"
        w.gate.open.set()

        await wait_until(
            lambda: w.directory.watched and w.feed.connections == 2, what="the feed to reconnect"
        )
        assert w.feed.backend_pid not in (None, pid)
        view = await w.directory.refresh(tid)
        assert view is not None
        assert view.username == "changed while unwatched"
        await w.directory.get(tid)
        await w.directory.refresh(tid)
        assert w.summaries.reads == 4


async def test_reconnection_backs_off_up_to_a_bound_and_the_password_stays_out(
    caplog: pytest.LogCaptureFixture,
) -> None:
    password = f"pw-{uuid4().hex}"
    directory = CustomerDirectory(NoReads())
    gate = Gate(hold_after=6)
    feed = CustomerChangeFeed(
        f"postgresql://seller:{password}@127.0.0.1:9/nowhere",
        directory,
        min_backoff=0.5,
        max_backoff=4,
        connect_timeout=2,
        sleep=gate,
    )
    caplog.set_level(logging.DEBUG, logger="vpnsales.persistence.changes")
    task = asyncio.create_task(feed.run())
    try:
        await wait_until(lambda: len(gate.delays) == 6, what="six failed connections")
    finally:
        task.cancel()
        await asyncio.wait([task])
    assert gate.delays == [0.5, 1.0, 2.0, 4, 4, 4]
    assert not directory.watched
    assert password not in repr(feed)
    assert "seller" in repr(feed)
    assert caplog.records, "the failures are logged"
    for record in caplog.records:
        assert password not in record.getMessage()
        assert password not in (record.exc_text or "")


async def test_the_password_stays_out_of_the_logs_of_a_working_feed(
    pg_database, pg_engine, caplog: pytest.LogCaptureFixture
) -> None:
    """A URL with a password (the test server trusts, so any password gets in), through a
    connection, its loss and the reconnection."""
    password = f"pw-{uuid4().hex}"
    url = make_url(pg_database.url).set(password=password).render_as_string(hide_password=False)
    directory = CustomerDirectory(NoReads())
    feed = CustomerChangeFeed(url, directory, sleep=Gate())
    caplog.set_level(logging.DEBUG, logger="vpnsales.persistence.changes")
    task = asyncio.create_task(feed.run())
    try:
        await wait_until(lambda: feed.watched, what="the feed to listen")
        async with pg_engine.connect() as connection:
            await connection.execute(text(f"SELECT pg_terminate_backend({feed.backend_pid})"))
        await wait_until(lambda: feed.connections == 2 and feed.watched, what="a reconnection")
    finally:
        task.cancel()
        await asyncio.wait([task])
    messages = [r.getMessage() for r in caplog.records]
    assert any("listening on" in m for m in messages)
    for record in caplog.records:
        assert password not in record.getMessage()
        assert password not in (record.exc_text or "")
    assert password not in repr(feed)
