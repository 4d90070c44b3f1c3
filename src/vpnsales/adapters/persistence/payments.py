"""Payments, with the quote snapshot stored as columns (one currency per quote)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Select, bindparam, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from vpnsales.adapters.persistence.errors import guarded, translated
from vpnsales.adapters.persistence.tables import payments
from vpnsales.application.ports.repositories import PaymentRepository
from vpnsales.domain.errors import CurrencyMismatch
from vpnsales.domain.ids import CustomerId, PaymentId, SubscriptionId, TariffId
from vpnsales.domain.money import Currency, Money
from vpnsales.domain.payment import Payment, PaymentProvider, PaymentPurpose, PaymentStatus
from vpnsales.domain.pricing import Quote

_PENDING = PaymentStatus.PENDING.value


def payment_from_row(row: Mapping[Any, Any]) -> Payment:
    currency = Currency(row["currency"])

    def money(column: str) -> Money:
        return Money.exact(row[column], currency)

    confirmed = None
    if row["confirmed_amount"] is not None:
        confirmed = Money.exact(row["confirmed_amount"], row["confirmed_currency"])
    quote = Quote(
        tariff_id=TariffId(row["quote_tariff_id"]) if row["quote_tariff_id"] else None,
        days=row["quote_days"],
        base=money("base_amount"),
        promo_code=row["promo_code"],
        promo_discount=money("promo_discount"),
        referral_discount=money("referral_discount"),
        balance_applied=money("balance_applied"),
        total=money("total_amount"),
        bonus_days=row["bonus_days"],
    )
    return Payment(
        id=PaymentId(row["id"]),
        customer_id=CustomerId(row["customer_id"]),
        purpose=PaymentPurpose(row["purpose"]),
        provider=PaymentProvider(row["provider"]),
        quote=quote,
        created_at=row["created_at"],
        status=PaymentStatus(row["status"]),
        tariff_id=TariffId(row["tariff_id"]) if row["tariff_id"] else None,
        subscription_id=SubscriptionId(row["subscription_id"]) if row["subscription_id"] else None,
        provider_payment_id=row["provider_payment_id"],
        pay_url=row["pay_url"],
        telegram_charge_id=row["telegram_charge_id"],
        confirmed_amount=confirmed,
        succeeded_at=row["succeeded_at"],
        updated_at=row["updated_at"],
        failure_reason=row["failure_reason"],
        flagged=row["flagged"],
        saved_method_id=row["saved_method_id"],
        auto_renewal=row["auto_renewal"],
        refunded_at=row["refunded_at"],
        referrer_days=row["referrer_days"],
        referrer_subscription_id=(
            SubscriptionId(row["referrer_subscription_id"])
            if row["referrer_subscription_id"]
            else None
        ),
    )


def payment_to_values(payment: Payment) -> dict[str, Any]:
    quote = payment.quote
    currency = quote.base.currency
    amounts = (
        quote.promo_discount,
        quote.referral_discount,
        quote.balance_applied,
        quote.total,
    )
    if any(m.currency is not currency for m in amounts):
        raise CurrencyMismatch("every amount of a quote must be in one currency")
    confirmed = payment.confirmed_amount
    return {
        "id": payment.id,
        "customer_id": payment.customer_id,
        "purpose": payment.purpose.value,
        "provider": payment.provider.value,
        "status": payment.status.value,
        "created_at": payment.created_at,
        "tariff_id": payment.tariff_id,
        "subscription_id": payment.subscription_id,
        "quote_tariff_id": quote.tariff_id,
        "quote_days": quote.days,
        "currency": currency.value,
        "base_amount": quote.base.amount,
        "promo_code": quote.promo_code,
        "promo_discount": quote.promo_discount.amount,
        "referral_discount": quote.referral_discount.amount,
        "balance_applied": quote.balance_applied.amount,
        "total_amount": quote.total.amount,
        "bonus_days": quote.bonus_days,
        "provider_payment_id": payment.provider_payment_id,
        "pay_url": payment.pay_url,
        "telegram_charge_id": payment.telegram_charge_id,
        "confirmed_amount": confirmed.amount if confirmed else None,
        "confirmed_currency": confirmed.currency.value if confirmed else None,
        "succeeded_at": payment.succeeded_at,
        "updated_at": payment.updated_at,
        "refunded_at": payment.refunded_at,
        "failure_reason": payment.failure_reason,
        "flagged": payment.flagged,
        "saved_method_id": payment.saved_method_id,
        "auto_renewal": payment.auto_renewal,
        "referrer_days": payment.referrer_days,
        "referrer_subscription_id": payment.referrer_subscription_id,
    }


class SqlPaymentRepository(PaymentRepository):
    __slots__ = ("_session",)

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def _all(self, query: Select[Any]) -> list[Payment]:
        rows = (await self._session.execute(query)).mappings()
        return [payment_from_row(r) for r in rows]

    async def _one(self, where: Any, *, for_update: bool = False) -> Payment | None:
        query = select(payments).where(where)
        if for_update:
            query = query.with_for_update()
        found = await self._all(query)
        return found[0] if found else None

    async def get(self, payment_id: PaymentId, *, for_update: bool = False) -> Payment | None:
        return await self._one(payments.c.id == payment_id, for_update=for_update)

    async def get_by_provider_id(
        self, provider: PaymentProvider, provider_payment_id: str, *, for_update: bool = False
    ) -> Payment | None:
        where = (payments.c.provider == provider.value) & (
            payments.c.provider_payment_id == provider_payment_id
        )
        return await self._one(where, for_update=for_update)

    async def get_by_charge_id(self, telegram_charge_id: str) -> Payment | None:
        return await self._one(payments.c.telegram_charge_id == telegram_charge_id)

    async def add(self, payment: Payment) -> None:
        async with guarded(self._session):
            await self._session.execute(insert(payments).values(payment_to_values(payment)))

    async def save(self, payment: Payment) -> None:
        values = payment_to_values(payment)
        del values["id"], values["created_at"]
        async with translated():
            await self._session.execute(
                update(payments).where(payments.c.id == payment.id).values(values)
            )

    async def save_all(self, batch: Iterable[Payment]) -> None:
        """The writes of ``save`` as one pipelined ``executemany``."""
        params = []
        for payment in batch:
            values = payment_to_values(payment)
            del values["created_at"]
            values["_id"] = values.pop("id")
            params.append(values)
        if not params:
            return
        statement = (
            update(payments)
            .where(payments.c.id == bindparam("_id"))
            .values({name: bindparam(name) for name in params[0] if name != "_id"})
        )
        async with translated():
            connection = await self._session.connection()
            await connection.execute(statement, params)

    async def claim_pending(self, created_before: datetime, limit: int) -> list[Payment]:
        query = (
            select(payments)
            .where(payments.c.status == _PENDING, payments.c.created_at < created_before)
            .order_by(payments.c.created_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return await self._all(query)

    async def for_customer(self, customer_id: CustomerId, limit: int = 20) -> list[Payment]:
        query = (
            select(payments)
            .where(payments.c.customer_id == customer_id)
            .order_by(payments.c.created_at.desc(), payments.c.id)
            .limit(limit)
        )
        return await self._all(query)
