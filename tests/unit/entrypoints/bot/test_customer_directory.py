"""``CustomerDirectory`` with a summary reader: one read gives the view and the menu's
subscriptions; nothing is read again while the entry is fresh. Unwatched, entries live
15 s and ``refresh`` reads again; watched (a change feed tells every committed change),
entries live until a change of their customer, and a read overtaken by one is not kept."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from vpnsales.adapters.memory import MemoryCustomerSummaryReader, MemoryDatabase
from vpnsales.adapters.memory.readers import customer_view
from vpnsales.application.ports.readers import CustomerSummary, CustomerView
from vpnsales.domain.customer import Customer
from vpnsales.domain.ids import CustomerId, TelegramId
from vpnsales.entrypoints.bot.cache import CustomerDirectory
from vpnsales.testing.builders import a_customer
from vpnsales.testing.clock import ManualTimer

NOW = datetime(2026, 1, 1, tzinfo=UTC)


class CountingSummaries:
    def __init__(self, db: MemoryDatabase) -> None:
        self._reader = MemoryCustomerSummaryReader(db)
        self.reads = 0

    async def __call__(self, telegram_id: TelegramId) -> CustomerSummary | None:
        self.reads += 1
        return await self._reader.summary(telegram_id, now=NOW)


class NoCustomerReads:
    async def by_telegram_id(self, telegram_id: TelegramId) -> CustomerView | None:
        raise AssertionError("the summary reader answers for the customer")

    async def get(self, customer_id: CustomerId) -> CustomerView | None:
        raise AssertionError("not used")


def a_directory() -> tuple[CustomerDirectory, CountingSummaries, ManualTimer, CustomerView]:
    db = MemoryDatabase()
    customer = a_customer(telegram_id=TelegramId(501))
    db.tables["customers"][customer.id] = customer
    summaries, clock = CountingSummaries(db), ManualTimer()
    directory = CustomerDirectory(NoCustomerReads(), clock=clock, summaries=summaries)
    return directory, summaries, clock, customer_view(customer)


async def test_one_read_gives_the_view_and_the_subscriptions() -> None:
    directory, summaries, _, view = a_directory()

    assert await directory.get(501) == view
    assert directory.subscriptions(501) == ()
    assert await directory.get(501) == view
    assert summaries.reads == 1


async def test_a_stale_entry_is_read_again_and_a_stranger_is_remembered() -> None:
    directory, summaries, clock, _ = a_directory()
    await directory.get(501)
    clock.now += 15

    await directory.get(501)
    assert await directory.get(999) is None
    assert await directory.get(999) is None

    assert summaries.reads == 3
    assert directory.subscriptions(999) is None


async def test_refresh_reads_again_unless_this_update_just_loaded_the_entry() -> None:
    directory, summaries, _, view = a_directory()

    assert await directory.get(501) == view  # the context middleware loads it
    assert await directory.refresh(501) == view  # /start in the same update: no re-read
    assert summaries.reads == 1

    assert await directory.get(501) == view  # a later update, served from the cache
    assert await directory.refresh(501) == view  # its /start reads the database again
    assert summaries.reads == 2


# -- watched: a change feed keeps the entries current ----------------------------------
class GatedSummaries(CountingSummaries):
    """A summary read that waits for ``release`` (a read in flight while things change)."""

    def __init__(self, db: MemoryDatabase) -> None:
        super().__init__(db)
        self.entered = asyncio.Event()
        self.release = asyncio.Event()
        self.gated = True

    async def __call__(self, telegram_id: TelegramId) -> CustomerSummary | None:
        if not self.gated:
            return await super().__call__(telegram_id)
        summary = await super().__call__(telegram_id)  # read now: what the database said
        self.entered.set()
        await self.release.wait()
        return summary


def a_watched_directory(
    *, gated: bool = False
) -> tuple[CustomerDirectory, CountingSummaries, ManualTimer, MemoryDatabase, Customer]:
    db = MemoryDatabase()
    customer = a_customer(telegram_id=TelegramId(501), username="before")
    db.tables["customers"][customer.id] = customer
    summaries = GatedSummaries(db) if gated else CountingSummaries(db)
    clock = ManualTimer()
    directory = CustomerDirectory(
        NoCustomerReads(), clock=clock, summaries=summaries, watched_ttl=600
    )
    directory.watching(True)
    return directory, summaries, clock, db, customer


async def _read_in_flight(
    directory: CustomerDirectory, summaries: CountingSummaries, telegram_id: int
) -> tuple[asyncio.Task[CustomerView | None], GatedSummaries]:
    assert isinstance(summaries, GatedSummaries)
    task = asyncio.create_task(directory.get(telegram_id))
    await asyncio.wait_for(summaries.entered.wait(), 5)
    return task, summaries


async def test_watched_entries_outlive_the_short_ttl_until_the_watched_one() -> None:
    directory, summaries, clock, _, _ = a_watched_directory()

    await directory.get(501)
    clock.now += 599
    await directory.get(501)
    assert directory.subscriptions(501) == ()
    assert summaries.reads == 1

    clock.now += 1
    assert directory.subscriptions(501) is None
    await directory.get(501)
    assert summaries.reads == 2


async def test_watched_refresh_serves_the_held_entry_unwatched_reads_again() -> None:
    directory, summaries, clock, _, _ = a_watched_directory()
    await directory.get(501)  # an earlier update
    await directory.get(501)  # this update's context middleware: a cache hit
    clock.now += 60

    assert (await directory.refresh(501)) is not None  # /start
    assert summaries.reads == 1  # no SQL on a warm /start

    directory.watching(False)  # the feed lost its connection: today's behaviour
    await directory.get(501)
    await directory.get(501)
    await directory.refresh(501)
    assert summaries.reads == 3
    clock.now += 15
    await directory.get(501)
    assert summaries.reads == 4  # the short TTL again


async def test_a_change_of_the_customer_drops_their_entry_and_no_other() -> None:
    directory, summaries, _, db, customer = a_watched_directory()
    other = a_customer(telegram_id=TelegramId(502))
    db.tables["customers"][other.id] = other
    await directory.get(501)
    await directory.get(502)
    customer.username = "after"  # committed by another process

    directory.invalidate_customer(customer.id)

    view = await directory.refresh(501)
    assert view is not None
    assert view.username == "after"
    await directory.get(502)
    assert summaries.reads == 3  # 501 twice, 502 once


async def test_a_stranger_is_forgotten_when_an_unknown_customer_changes() -> None:
    directory, summaries, _, db, _ = a_watched_directory()
    assert await directory.get(777) is None
    assert await directory.get(777) is None
    assert summaries.reads == 1
    newcomer = a_customer(telegram_id=TelegramId(777))  # registered through another replica
    db.tables["customers"][newcomer.id] = newcomer

    directory.invalidate_customer(newcomer.id)

    view = await directory.get(777)
    assert view is not None
    assert view.customer_id == newcomer.id
    assert summaries.reads == 2


@pytest.mark.parametrize("watched", [True, False])
async def test_watching_either_way_drops_everything(watched: bool) -> None:
    directory, summaries, _, _, _ = a_watched_directory()
    directory.watching(not watched)
    await directory.get(501)
    await directory.get(777)

    directory.watching(watched)

    assert directory.watched is watched
    assert directory.subscriptions(501) is None
    await directory.get(501)
    await directory.get(777)
    assert summaries.reads == 4


async def test_a_read_overtaken_by_a_change_of_that_customer_is_not_kept() -> None:
    directory, summaries, _, _, customer = a_watched_directory(gated=True)
    task, gate = await _read_in_flight(directory, summaries, 501)

    customer.username = "after"
    directory.invalidate_customer(customer.id)  # not held yet: only the read knows them
    gate.release.set()

    old = await task
    assert old is not None
    assert old.username == "before"
    gate.gated = False
    new = await directory.get(501)
    assert new is not None
    assert new.username == "after"
    assert summaries.reads == 2


async def test_a_read_overtaken_by_a_clear_is_not_kept() -> None:
    directory, summaries, _, _, _ = a_watched_directory(gated=True)
    task, gate = await _read_in_flight(directory, summaries, 501)

    directory.watching(False)
    gate.release.set()

    assert await task is not None
    gate.gated = False
    await directory.get(501)
    assert summaries.reads == 2


async def test_a_read_is_kept_when_only_someone_else_changed_meanwhile() -> None:
    directory, summaries, _, _, _ = a_watched_directory(gated=True)
    task, gate = await _read_in_flight(directory, summaries, 501)

    directory.invalidate_customer(a_customer().id)
    directory.invalidate(999)
    gate.release.set()

    assert await task is not None
    await directory.get(501)
    assert summaries.reads == 1


async def test_a_read_overtaken_by_this_process_invalidating_is_not_kept() -> None:
    directory, summaries, _, _, _ = a_watched_directory(gated=True)
    task, gate = await _read_in_flight(directory, summaries, 501)

    directory.invalidate(501)  # a write of this bot committed meanwhile
    gate.release.set()

    await task
    gate.gated = False
    await directory.get(501)
    assert summaries.reads == 2


async def test_remembered_subscriptions_keep_the_short_lifetime_when_watched() -> None:
    directory, _, clock, _, _ = a_watched_directory()
    await directory.get(501)

    directory.remember_subscriptions(501, ())  # read outside the directory
    clock.now += 60

    assert directory.subscriptions(501) is None
    assert await directory.get(501) is not None  # the view itself is still held


async def test_the_customer_index_follows_evictions() -> None:
    db = MemoryDatabase()
    customers = [a_customer(telegram_id=TelegramId(n)) for n in range(1, 51)]
    for c in customers:
        db.tables["customers"][c.id] = c
    summaries = CountingSummaries(db)
    directory = CustomerDirectory(
        NoCustomerReads(), clock=ManualTimer(), summaries=summaries, max_entries=10
    )
    directory.watching(True)
    for c in customers:
        await directory.get(c.telegram_id)

    assert len(directory._by_customer) == 10  # bounded with the entries
    directory.invalidate_customer(customers[0].id)  # evicted: nothing to drop
    await directory.get(50)
    assert summaries.reads == 50
    directory.invalidate_customer(customers[-1].id)
    await directory.get(50)
    assert summaries.reads == 51
