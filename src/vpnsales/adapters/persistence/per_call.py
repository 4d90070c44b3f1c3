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

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from vpnsales.adapters.persistence.readers import SqlCustomerReader, SqlSubscriptionReader
from vpnsales.application.ports.readers import (
    CustomerReader,
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


__all__ = ["PerCallCustomerReader", "PerCallSubscriptionReader"]
