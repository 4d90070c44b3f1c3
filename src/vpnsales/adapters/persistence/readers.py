"""Readers: read models straight from plain selects (no aggregates, no locks).

Each method is one round trip; ``CustomerReader.by_telegram_id`` is the bot's hot path
(one indexed lookup on ``uq_customers_telegram_id``).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import Select, bindparam, case, func, select, true
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from vpnsales.adapters.persistence.accesses import access_from_row
from vpnsales.adapters.persistence.customers import customer_from_row
from vpnsales.adapters.persistence.payments import payment_from_row
from vpnsales.adapters.persistence.subscriptions import subscription_from_row
from vpnsales.adapters.persistence.tables import (
    accesses,
    balance_entries,
    customers,
    payments,
    subscriptions,
    tariffs,
)
from vpnsales.application.ports.readers import (
    AccessView,
    CustomerReader,
    CustomerSummary,
    CustomerSummaryReader,
    CustomerView,
    PaymentReader,
    PaymentView,
    ReferralReader,
    ReferralStats,
    SubscriptionReader,
    SubscriptionView,
)
from vpnsales.domain.access import Access, DesiredState
from vpnsales.domain.customer import BalanceReason, Customer, Language
from vpnsales.domain.ids import CustomerId, PaymentId, SubscriptionId, TelegramId
from vpnsales.domain.money import Money
from vpnsales.domain.payment import Payment
from vpnsales.domain.subscription import SubscriptionStatus
from vpnsales.domain.time import days_left

_ACCESS_PREFIX = "a_"


def access_view(access: Access) -> AccessView:
    observed = access.observed
    return AccessView(
        access_id=access.id,
        panel_id=access.panel_id,
        username=access.username,
        external_id=access.external_id,
        subscription_url=access.subscription_url,
        ready=access.is_ready,
        desired=access.desired,
        sync=access.sync,
        observed_status=observed.status if observed else None,
        observed_at=observed.at if observed else None,
        used_traffic_bytes=observed.used_traffic_bytes if observed else None,
        devices=observed.devices if observed else None,
    )


def _tariff_name(names: Mapping[str, str] | None, language: Language) -> str:
    if not names:
        return ""
    return names.get(language.value) or next(iter(names.values()), "")


class SqlSubscriptionReader(SubscriptionReader):
    __slots__ = ("_session",)

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    @staticmethod
    @cache
    def _query() -> Select[Any]:
        """Built once: the lateral subquery's column proxies cost more than the query
        (statements derived with ``.where`` leave it unchanged)."""
        latest_access = (
            select(*(c.label(_ACCESS_PREFIX + c.name) for c in accesses.columns))
            .where(
                accesses.c.subscription_id == subscriptions.c.id,
                accesses.c.desired != DesiredState.DELETED.value,
            )
            .order_by(accesses.c.created_at.desc())
            .limit(1)
            .lateral("latest_access")
        )
        return (
            select(
                subscriptions,
                tariffs.c.code.label("tariff_code"),
                tariffs.c.names.label("tariff_names"),
                latest_access,
            )
            .select_from(subscriptions)
            .outerjoin(tariffs, tariffs.c.id == subscriptions.c.tariff_id)
            .outerjoin(latest_access, true())
        )

    @staticmethod
    def _view(row: Mapping[Any, Any], language: Language, now: datetime) -> SubscriptionView:
        sub = subscription_from_row(row)
        access = None
        if row[_ACCESS_PREFIX + "id"] is not None:
            access = access_view(
                access_from_row({c.name: row[_ACCESS_PREFIX + c.name] for c in accesses.columns})
            )
        return SubscriptionView(
            subscription_id=sub.id,
            customer_id=sub.customer_id,
            tariff_id=sub.tariff_id,
            tariff_code=row["tariff_code"] or "",
            tariff_name=_tariff_name(row["tariff_names"], language),
            status=sub.status,
            is_trial=sub.is_trial,
            auto_renew=sub.auto_renew,
            started_at=sub.started_at,
            expires_at=sub.expires_at,
            days_left=days_left(sub.expires_at, now) if sub.is_live else 0,
            traffic_limit_bytes=sub.traffic.bytes,
            devices_limit=sub.devices.count,
            access=access,
            traffic_used_bytes=access.used_traffic_bytes if access else None,
            devices_connected=access.devices if access else None,
            subscription_url=access.subscription_url if access else None,
            live=False,
        )

    async def for_customer(
        self, customer_id: CustomerId, *, language: Language, now: datetime
    ) -> list[SubscriptionView]:
        live_first = case((subscriptions.c.status == SubscriptionStatus.ACTIVE.value, 0), else_=1)
        query = (
            self._query()
            .where(
                subscriptions.c.customer_id == customer_id,
                subscriptions.c.status != SubscriptionStatus.CANCELLED.value,
            )
            .order_by(live_first, subscriptions.c.started_at.desc())
        )
        rows = (await self._session.execute(query)).mappings()
        return [self._view(r, language, now) for r in rows]

    async def get(
        self, subscription_id: SubscriptionId, *, language: Language, now: datetime
    ) -> SubscriptionView | None:
        query = self._query().where(subscriptions.c.id == subscription_id)
        row = (await self._session.execute(query)).mappings().first()
        return None if row is None else self._view(row, language, now)


def customer_view(customer: Customer) -> CustomerView:
    return CustomerView(
        customer_id=customer.id,
        telegram_id=customer.telegram_id,
        username=customer.username,
        language=customer.language,
        banned=customer.banned,
        trial_used=customer.trial_used,
        has_purchased=customer.has_purchased,
        balance=customer.balance,
        referral_code=customer.referral_code,
    )


class SqlCustomerReader(CustomerReader):
    __slots__ = ("_session",)

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def _one(self, where: Any) -> CustomerView | None:
        row = (await self._session.execute(select(customers).where(where))).mappings().first()
        return None if row is None else customer_view(customer_from_row(row))

    async def by_telegram_id(self, telegram_id: TelegramId) -> CustomerView | None:
        return await self._one(customers.c.telegram_id == telegram_id)

    async def get(self, customer_id: CustomerId) -> CustomerView | None:
        return await self._one(customers.c.id == customer_id)


_CUSTOMER_PREFIX = "c_"


@cache
def _summary_query() -> Select[Any]:
    """A customer with their subscriptions (each with its tariff and latest access):
    one row per subscription, or one row with empty subscription columns."""
    live_first = case((subscriptions.c.status == SubscriptionStatus.ACTIVE.value, 0), else_=1)
    subs = (
        SqlSubscriptionReader._query()
        .add_columns(live_first.label("live_first"))
        .where(
            subscriptions.c.customer_id == customers.c.id,
            subscriptions.c.status != SubscriptionStatus.CANCELLED.value,
        )
        .lateral("subs")
    )
    return (
        select(*(c.label(_CUSTOMER_PREFIX + c.name) for c in customers.columns), subs)
        .select_from(customers)
        .outerjoin(subs, true())
        .order_by(subs.c.live_first, subs.c.started_at.desc())
    )


@cache
def _summary_by_telegram_id() -> Select[Any]:
    """:func:`_summary_query` for one Telegram id (``:telegram_id``), built once: building
    the statement and its cache key again costs ~180 µs per read (it is the bot's /start)."""
    return _summary_query().where(customers.c.telegram_id == bindparam("telegram_id"))


class SqlCustomerSummaryReader(CustomerSummaryReader):
    """Implements ``CustomerSummaryReader`` in one statement (on a session, or on a bare
    connection: the bot's directory reads outside any unit of work)."""

    __slots__ = ("_session",)

    def __init__(self, session: AsyncSession | AsyncConnection) -> None:
        self._session = session

    async def summary(self, telegram_id: TelegramId, *, now: datetime) -> CustomerSummary | None:
        rows = (
            (await self._session.execute(_summary_by_telegram_id(), {"telegram_id": telegram_id}))
            .mappings()
            .all()
        )
        if not rows:
            return None
        first = rows[0]
        customer = customer_view(
            customer_from_row({c.name: first[_CUSTOMER_PREFIX + c.name] for c in customers.columns})
        )
        return CustomerSummary(
            customer=customer,
            subscriptions=tuple(
                SqlSubscriptionReader._view(r, customer.language, now)
                for r in rows
                if r["id"] is not None
            ),
        )


class SqlReferralReader(ReferralReader):
    __slots__ = ("_session",)

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def stats(self, customer_id: CustomerId, *, currency_zero: Money) -> ReferralStats:
        invited = (
            select(
                func.count().label("invited"),
                func.count().filter(customers.c.has_purchased).label("invited_paid"),
            )
            .where(customers.c.referrer_id == customer_id)
            .subquery()
        )
        rewards = (
            select(
                func.coalesce(func.sum(balance_entries.c.amount), 0).label("earned"),
                func.count().label("rewards"),
            )
            .where(
                balance_entries.c.customer_id == customer_id,
                balance_entries.c.reason == BalanceReason.REFERRAL_REWARD.value,
                balance_entries.c.currency == currency_zero.currency.value,
            )
            .subquery()
        )
        query = select(invited, rewards).select_from(invited.join(rewards, true()))
        row = (await self._session.execute(query)).mappings().one()
        return ReferralStats(
            invited=row["invited"],
            invited_paid=row["invited_paid"],
            earned=currency_zero + Money.exact(row["earned"], currency_zero.currency),
            rewards=row["rewards"],
        )


def payment_view(payment: Payment) -> PaymentView:
    return PaymentView(
        payment_id=payment.id,
        customer_id=payment.customer_id,
        purpose=payment.purpose,
        provider=payment.provider,
        status=payment.status,
        amount=payment.amount,
        created_at=payment.created_at,
        tariff_id=payment.tariff_id,
        days=payment.quote.days,
        pay_url=payment.pay_url,
        subscription_id=payment.subscription_id,
        failure_reason=payment.failure_reason,
    )


class SqlPaymentReader(PaymentReader):
    __slots__ = ("_session",)

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def get(self, payment_id: PaymentId) -> PaymentView | None:
        query = select(payments).where(payments.c.id == payment_id)
        row = (await self._session.execute(query)).mappings().first()
        return None if row is None else payment_view(payment_from_row(row))

    async def for_customer(self, customer_id: CustomerId, limit: int = 20) -> list[PaymentView]:
        query = (
            select(payments)
            .where(payments.c.customer_id == customer_id)
            .order_by(payments.c.created_at.desc(), payments.c.id)
            .limit(limit)
        )
        rows = (await self._session.execute(query)).mappings()
        return [payment_view(payment_from_row(r)) for r in rows]
