"""Balance history: the newest ledger lines of a customer (a query)."""

from __future__ import annotations

from dataclasses import dataclass

from vpnsales.application.ports.repositories import CustomerRepository
from vpnsales.application.ports.uow import UnitOfWork
from vpnsales.domain.customer import BalanceEntry
from vpnsales.domain.errors import CustomerNotFound
from vpnsales.domain.ids import TelegramId
from vpnsales.domain.money import Money


@dataclass(frozen=True, slots=True, kw_only=True)
class BalanceHistoryQuery:
    telegram_id: TelegramId
    limit: int = 10


@dataclass(frozen=True, slots=True, kw_only=True)
class BalanceHistory:
    balance: Money
    entries: list[BalanceEntry]
    """Newest first."""


class GetBalanceHistory:
    def __init__(self, *, uow: UnitOfWork, customers: CustomerRepository) -> None:
        self._uow = uow
        self._customers = customers

    async def __call__(self, query: BalanceHistoryQuery) -> BalanceHistory:
        customer = await self._customers.get_by_telegram_id(query.telegram_id)
        if customer is None:
            raise CustomerNotFound(str(query.telegram_id))
        entries = await self._customers.ledger(customer.id, limit=max(1, min(query.limit, 50)))
        await self._uow.rollback()  # read only
        return BalanceHistory(balance=customer.balance, entries=entries)
