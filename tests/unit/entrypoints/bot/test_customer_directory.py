"""``CustomerDirectory`` with a summary reader: one read gives the view and the menu's
subscriptions; nothing is read again while the entry is fresh."""

from __future__ import annotations

from datetime import UTC, datetime

from vpnsales.adapters.memory import MemoryCustomerSummaryReader, MemoryDatabase
from vpnsales.adapters.memory.readers import customer_view
from vpnsales.application.ports.readers import CustomerSummary, CustomerView
from vpnsales.domain.ids import CustomerId, TelegramId
from vpnsales.entrypoints.bot.cache import CustomerDirectory
from vpnsales.testing.builders import a_customer

NOW = datetime(2026, 1, 1, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


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


def a_directory() -> tuple[CustomerDirectory, CountingSummaries, Clock, CustomerView]:
    db = MemoryDatabase()
    customer = a_customer(telegram_id=TelegramId(501))
    db.tables["customers"][customer.id] = customer
    summaries, clock = CountingSummaries(db), Clock()
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
