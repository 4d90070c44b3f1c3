"""In-memory readers: read models built from committed rows (no lock, no copies leak)."""

from __future__ import annotations

import copy
from datetime import datetime

from vpnsales.adapters.memory.database import MemoryDatabase
from vpnsales.application.ports.readers import (
    AccessView,
    CustomerSummary,
    CustomerView,
    PaymentView,
    ReferralStats,
    SubscriptionView,
)
from vpnsales.domain.access import Access, DesiredState
from vpnsales.domain.customer import BalanceReason, Customer, Language
from vpnsales.domain.ids import CustomerId, PaymentId, SubscriptionId, TelegramId
from vpnsales.domain.money import Money
from vpnsales.domain.payment import Payment
from vpnsales.domain.subscription import Subscription, SubscriptionStatus
from vpnsales.domain.tariff import Tariff
from vpnsales.domain.time import days_left


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


class MemorySubscriptionReader:
    """Implements ``SubscriptionReader``."""

    def __init__(self, db: MemoryDatabase) -> None:
        self._db = db

    def _view(self, sub: Subscription, language: Language, now: datetime) -> SubscriptionView:
        tariff = self._db.tables["tariffs"].get(sub.tariff_id)
        accesses = [
            a
            for a in self._db.tables["accesses"].values()
            if a.subscription_id == sub.id and a.desired is not DesiredState.DELETED
        ]
        accesses.sort(key=lambda a: a.created_at, reverse=True)
        access = access_view(accesses[0]) if accesses else None
        return SubscriptionView(
            subscription_id=sub.id,
            customer_id=sub.customer_id,
            tariff_id=sub.tariff_id,
            tariff_code=tariff.code if tariff else "",
            tariff_name=tariff.name(language) if tariff else "",
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
        subs = [
            s
            for s in self._db.tables["subscriptions"].values()
            if s.customer_id == customer_id and s.status is not SubscriptionStatus.CANCELLED
        ]
        subs.sort(key=lambda s: s.started_at, reverse=True)
        subs.sort(key=lambda s: not s.is_live)
        return [self._view(s, language, now) for s in subs]

    async def get(
        self, subscription_id: SubscriptionId, *, language: Language, now: datetime
    ) -> SubscriptionView | None:
        sub = self._db.tables["subscriptions"].get(subscription_id)
        return None if sub is None else self._view(sub, language, now)


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


class MemoryCustomerReader:
    """Implements ``CustomerReader``."""

    def __init__(self, db: MemoryDatabase) -> None:
        self._db = db

    async def by_telegram_id(self, telegram_id: TelegramId) -> CustomerView | None:
        for customer in self._db.tables["customers"].values():
            if customer.telegram_id == telegram_id:
                return customer_view(customer)
        return None

    async def get(self, customer_id: CustomerId) -> CustomerView | None:
        customer = self._db.tables["customers"].get(customer_id)
        return None if customer is None else customer_view(customer)


class MemoryCustomerSummaryReader:
    """Implements ``CustomerSummaryReader`` with the two readers above."""

    def __init__(self, db: MemoryDatabase) -> None:
        self._customers = MemoryCustomerReader(db)
        self._subscriptions = MemorySubscriptionReader(db)

    async def summary(self, telegram_id: TelegramId, *, now: datetime) -> CustomerSummary | None:
        view = await self._customers.by_telegram_id(telegram_id)
        if view is None:
            return None
        subscriptions = await self._subscriptions.for_customer(
            view.customer_id, language=view.language, now=now
        )
        return CustomerSummary(customer=view, subscriptions=tuple(subscriptions))


class MemoryTariffCatalog:
    """Implements ``TariffCatalog``: the committed tariffs (copies), never cached."""

    def __init__(self, db: MemoryDatabase) -> None:
        self._db = db

    async def tariffs(self) -> list[Tariff]:
        rows = sorted(
            self._db.tables["tariffs"].values(), key=lambda t: (t.order, t.name(Language.EN))
        )
        return copy.deepcopy(rows)


class MemoryReferralReader:
    """Implements ``ReferralReader``."""

    def __init__(self, db: MemoryDatabase) -> None:
        self._db = db

    async def stats(self, customer_id: CustomerId, *, currency_zero: Money) -> ReferralStats:
        invited = [c for c in self._db.tables["customers"].values() if c.referrer_id == customer_id]
        rewards = [
            e
            for e in self._db.tables["ledger"].values()
            if e.customer_id == customer_id
            and e.reason is BalanceReason.REFERRAL_REWARD
            and e.amount.currency is currency_zero.currency
        ]
        earned = currency_zero
        for entry in rewards:
            earned = earned + entry.amount
        return ReferralStats(
            invited=len(invited),
            invited_paid=sum(1 for c in invited if c.has_purchased),
            earned=earned,
            rewards=len(rewards),
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


class MemoryPaymentReader:
    """Implements ``PaymentReader``."""

    def __init__(self, db: MemoryDatabase) -> None:
        self._db = db

    async def get(self, payment_id: PaymentId) -> PaymentView | None:
        payment = self._db.tables["payments"].get(payment_id)
        return None if payment is None else payment_view(payment)

    async def for_customer(self, customer_id: CustomerId, limit: int = 20) -> list[PaymentView]:
        rows = [p for p in self._db.tables["payments"].values() if p.customer_id == customer_id]
        rows.reverse()
        rows.sort(key=lambda p: p.created_at, reverse=True)
        return [payment_view(p) for p in rows[:limit]]
