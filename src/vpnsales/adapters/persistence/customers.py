"""Customers and their balance ledger."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from sqlalchemy import func, insert, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from vpnsales.adapters.persistence.errors import guarded, translated
from vpnsales.adapters.persistence.tables import balance_entries, customers
from vpnsales.application.ports.repositories import CustomerRepository
from vpnsales.domain.customer import BalanceEntry, BalanceReason, Customer, Language
from vpnsales.domain.ids import CustomerId, TelegramId
from vpnsales.domain.money import Currency, Money


def customer_from_row(row: Mapping[Any, Any]) -> Customer:
    return Customer(
        id=CustomerId(row["id"]),
        telegram_id=TelegramId(row["telegram_id"]),
        created_at=row["created_at"],
        username=row["username"],
        first_name=row["first_name"],
        language=Language(row["language"]),
        referrer_id=CustomerId(row["referrer_id"]) if row["referrer_id"] else None,
        referral_code=row["referral_code"],
        banned=row["banned"],
        trial_used=row["trial_used"],
        has_purchased=row["has_purchased"],
        balance=Money.exact(row["balance"], row["balance_currency"]),
    )


def customer_to_values(customer: Customer) -> dict[str, Any]:
    return {
        "id": customer.id,
        "telegram_id": customer.telegram_id,
        "created_at": customer.created_at,
        "username": customer.username,
        "first_name": customer.first_name,
        "language": customer.language.value,
        "referrer_id": customer.referrer_id,
        "referral_code": customer.referral_code,
        "banned": customer.banned,
        "trial_used": customer.trial_used,
        "has_purchased": customer.has_purchased,
        "balance": customer.balance.amount,
        "balance_currency": customer.balance.currency.value,
    }


def entry_from_row(row: Mapping[Any, Any]) -> BalanceEntry:
    return BalanceEntry(
        id=row["id"],
        customer_id=CustomerId(row["customer_id"]),
        amount=Money.exact(Decimal(row["amount"]), Currency(row["currency"])),
        reason=BalanceReason(row["reason"]),
        created_at=row["created_at"],
        reference=row["reference"],
    )


def entry_to_values(entry: BalanceEntry) -> dict[str, Any]:
    return {
        "id": entry.id,
        "customer_id": entry.customer_id,
        "amount": entry.amount.amount,
        "currency": entry.amount.currency.value,
        "reason": entry.reason.value,
        "reference": entry.reference,
        "created_at": entry.created_at,
    }


class SqlCustomerRepository(CustomerRepository):
    __slots__ = ("_session",)

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def _one(self, where: Any, *, for_update: bool = False) -> Customer | None:
        query = select(customers).where(where)
        if for_update:
            query = query.with_for_update()
        row = (await self._session.execute(query)).mappings().first()
        return customer_from_row(row) if row is not None else None

    async def get(self, customer_id: CustomerId, *, for_update: bool = False) -> Customer | None:
        return await self._one(customers.c.id == customer_id, for_update=for_update)

    async def get_by_telegram_id(
        self, telegram_id: TelegramId, *, for_update: bool = False
    ) -> Customer | None:
        return await self._one(customers.c.telegram_id == telegram_id, for_update=for_update)

    async def get_by_referral_code(self, code: str) -> Customer | None:
        if not code:
            return None
        return await self._one(customers.c.referral_code == code)

    async def get_by_username(self, username: str) -> Customer | None:
        name = username.strip().lstrip("@")
        if not name:
            return None
        return await self._one(func.lower(customers.c.username) == name.lower())

    async def add(self, customer: Customer) -> None:
        async with guarded(self._session):
            await self._session.execute(insert(customers).values(customer_to_values(customer)))
            await self._append_entries(customer)

    async def save(self, customer: Customer) -> None:
        values = customer_to_values(customer)
        del values["id"], values["created_at"]
        async with translated():
            await self._session.execute(
                update(customers).where(customers.c.id == customer.id).values(values)
            )
            await self._append_entries(customer)

    async def _append_entries(self, customer: Customer) -> None:
        if customer.new_entries:
            await self._session.execute(
                insert(balance_entries), [entry_to_values(e) for e in customer.new_entries]
            )
            customer.new_entries.clear()

    async def referrer_chain(self, customer_id: CustomerId, limit: int = 100) -> list[CustomerId]:
        # One round trip: walk the referrer links upwards; depth bounds cycles and length.
        query = text(
            """
            WITH RECURSIVE chain(id, referrer_id, depth) AS (
                SELECT id, referrer_id, 0 FROM customers WHERE id = :start
                UNION ALL
                SELECT c.id, c.referrer_id, chain.depth + 1
                FROM customers c JOIN chain ON c.id = chain.referrer_id
                WHERE chain.depth < :limit
            )
            SELECT referrer_id FROM chain
            WHERE referrer_id IS NOT NULL AND depth < :limit
            ORDER BY depth
            """
        )
        rows = await self._session.execute(query, {"start": customer_id, "limit": limit})
        return [CustomerId(r[0]) for r in rows]

    async def ledger(self, customer_id: CustomerId, limit: int = 50) -> list[BalanceEntry]:
        query = (
            select(balance_entries)
            .where(balance_entries.c.customer_id == customer_id)
            .order_by(balance_entries.c.created_at.desc(), balance_entries.c.id.desc())
            .limit(limit)
        )
        rows = (await self._session.execute(query)).mappings()
        return [entry_from_row(r) for r in rows]
