"""Readers that open a short session of their own for each read.

For read-only queries held for the whole process (the bot's catalog, tariff card and
menu, resolved on almost every button press): they take no request-scoped session, so
resolving them costs an update nothing, and the session is opened only when a read
actually happens (most of these queries are served from the bot's cached view of the
customer). Give them a session factory on an autocommit engine: a single read needs no
BEGIN/ROLLBACK around it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from vpnsales.adapters.persistence.readers import (
    SqlCustomerReader,
    SqlCustomerSummaryReader,
    SqlSubscriptionReader,
)
from vpnsales.application.ports.clock import Clock
from vpnsales.application.ports.readers import (
    CustomerReader,
    CustomerSummary,
    CustomerView,
    SubscriptionReader,
    SubscriptionView,
)
from vpnsales.domain.customer import Language
from vpnsales.domain.ids import CustomerId, SubscriptionId, TelegramId


class PerCallCustomerReader(CustomerReader):
    __slots__ = ("_sessions",)

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def by_telegram_id(self, telegram_id: TelegramId) -> CustomerView | None:
        async with self._sessions() as session:
            return await SqlCustomerReader(session).by_telegram_id(telegram_id)

    async def get(self, customer_id: CustomerId) -> CustomerView | None:
        async with self._sessions() as session:
            return await SqlCustomerReader(session).get(customer_id)


class PerCallSubscriptionReader(SubscriptionReader):
    __slots__ = ("_sessions",)

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def for_customer(
        self, customer_id: CustomerId, *, language: Language, now: datetime
    ) -> list[SubscriptionView]:
        async with self._sessions() as session:
            return await SqlSubscriptionReader(session).for_customer(
                customer_id, language=language, now=now
            )

    async def get(
        self, subscription_id: SubscriptionId, *, language: Language, now: datetime
    ) -> SubscriptionView | None:
        async with self._sessions() as session:
            return await SqlSubscriptionReader(session).get(
                subscription_id, language=language, now=now
            )


class PerCallCustomerSummaries:
    """The directory's one-statement read of a customer and their subscriptions, on a
    bare connection per read (no ORM session to set up and close around the statement:
    ~1/3 of a read's Python work; /start reads every time). Give it an autocommit engine:
    one statement needs no BEGIN/ROLLBACK round trips."""

    def __init__(self, engine: AsyncEngine, clock: Clock) -> None:
        self._engine = engine
        self._clock = clock

    async def __call__(self, telegram_id: TelegramId) -> CustomerSummary | None:
        async with self._engine.connect() as connection:
            return await SqlCustomerSummaryReader(connection).summary(
                telegram_id, now=self._clock.now()
            )


__all__ = ["PerCallCustomerReader", "PerCallCustomerSummaries", "PerCallSubscriptionReader"]
