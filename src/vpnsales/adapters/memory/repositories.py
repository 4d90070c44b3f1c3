"""In-memory repositories. Every method runs inside the unit of work's transaction.

Unique constraints mirror the PostgreSQL schema and raise the same typed domain errors.
"""

from __future__ import annotations

import copy
from collections.abc import Collection, Iterable
from datetime import datetime, timedelta
from typing import Any
from uuid import uuid4

from vpnsales.adapters.memory.database import AuditEntry
from vpnsales.adapters.memory.uow import MemoryUnitOfWork
from vpnsales.application.ports.repositories import Redemption
from vpnsales.domain.access import Access, DesiredState
from vpnsales.domain.customer import BalanceEntry, Customer, Language
from vpnsales.domain.errors import (
    AccessAlreadyExists,
    CustomerAlreadyExists,
    DuplicateProviderPayment,
    PromoCodeAlreadyExists,
    PromoCodeAlreadyUsed,
    PromoCodeExhausted,
)
from vpnsales.domain.ids import (
    AccessId,
    CustomerId,
    PanelId,
    PaymentId,
    PromoCodeId,
    SubscriptionId,
    TariffId,
    TelegramId,
)
from vpnsales.domain.payment import Payment, PaymentProvider, PaymentStatus
from vpnsales.domain.promo import PromoCode
from vpnsales.domain.subscription import Subscription, SubscriptionStatus
from vpnsales.domain.tariff import Tariff


class _Repo:
    table: str = ""

    def __init__(self, uow: MemoryUnitOfWork) -> None:
        self._uow = uow

    async def _begin(self) -> MemoryUnitOfWork:
        await self._uow.begin()
        return self._uow

    def _copies(self, rows: Any) -> list[Any]:
        return [copy.deepcopy(row) for row in rows]


class MemoryCustomerRepository(_Repo):
    """Implements ``CustomerRepository``. Unique: telegram id, referral code."""

    table = "customers"

    async def get(self, customer_id: CustomerId, *, for_update: bool = False) -> Customer | None:
        uow = await self._begin()
        found: Customer | None = uow.get(self.table, customer_id)
        return found

    async def get_by_telegram_id(
        self, telegram_id: TelegramId, *, for_update: bool = False
    ) -> Customer | None:
        return await self._find(lambda c: c.telegram_id == telegram_id)

    async def get_by_referral_code(self, code: str) -> Customer | None:
        if not code:
            return None
        return await self._find(lambda c: c.referral_code == code)

    async def get_by_username(self, username: str) -> Customer | None:
        wanted = username.lstrip("@").lower()
        return await self._find(lambda c: (c.username or "").lower() == wanted)

    async def _find(self, predicate: Any) -> Customer | None:
        uow = await self._begin()
        for row in uow.rows(self.table):
            if predicate(row):
                found: Customer = copy.deepcopy(row)
                return found
        return None

    async def add(self, customer: Customer) -> None:
        uow = await self._begin()
        if uow.exists(self.table, customer.id):
            raise CustomerAlreadyExists(f"customer {customer.id} exists")
        self._check_unique(uow, customer)
        self._write(uow, customer)

    async def save(self, customer: Customer) -> None:
        uow = await self._begin()
        self._check_unique(uow, customer)
        self._write(uow, customer)

    def _check_unique(self, uow: MemoryUnitOfWork, customer: Customer) -> None:
        for row in uow.rows(self.table):
            if row.id == customer.id:
                continue
            if row.telegram_id == customer.telegram_id:
                raise CustomerAlreadyExists(f"telegram id {customer.telegram_id} is taken")
            if customer.referral_code and row.referral_code == customer.referral_code:
                raise CustomerAlreadyExists("referral code is taken")

    def _write(self, uow: MemoryUnitOfWork, customer: Customer) -> None:
        for entry in customer.new_entries:
            if not uow.exists("ledger", entry.id):
                uow.put("ledger", entry.id, entry)
        stored = copy.deepcopy(customer)
        stored.new_entries = []
        uow.put(self.table, customer.id, stored)

    async def referrer_chain(self, customer_id: CustomerId, limit: int = 100) -> list[CustomerId]:
        uow = await self._begin()
        chain: list[CustomerId] = []
        current = uow.get(self.table, customer_id)
        while current is not None and current.referrer_id is not None and len(chain) < limit:
            chain.append(current.referrer_id)
            if current.referrer_id == customer_id or chain.count(current.referrer_id) > 1:
                break
            current = uow.get(self.table, current.referrer_id)
        return chain

    async def ledger(self, customer_id: CustomerId, limit: int = 50) -> list[BalanceEntry]:
        uow = await self._begin()
        entries = [e for e in uow.rows("ledger") if e.customer_id == customer_id]
        entries.reverse()
        entries.sort(key=lambda e: e.created_at, reverse=True)
        return entries[:limit]


class MemoryTariffRepository(_Repo):
    """Implements ``TariffRepository``. Unique: code."""

    table = "tariffs"

    async def get(self, tariff_id: TariffId) -> Tariff | None:
        uow = await self._begin()
        found: Tariff | None = uow.get(self.table, tariff_id)
        return found

    async def get_by_code(self, code: str) -> Tariff | None:
        uow = await self._begin()
        for row in uow.rows(self.table):
            if row.code == code:
                found: Tariff = copy.deepcopy(row)
                return found
        return None

    async def list(self, *, include_inactive: bool = False) -> list[Tariff]:
        uow = await self._begin()
        rows = [t for t in uow.rows(self.table) if include_inactive or t.active]
        rows.sort(key=lambda t: (t.order, t.name(Language.EN)))
        return self._copies(rows)

    async def add(self, tariff: Tariff) -> None:
        uow = await self._begin()
        for row in uow.rows(self.table):
            if row.code == tariff.code and row.id != tariff.id:
                raise ValueError(f"tariff code {tariff.code!r} is taken")
        uow.put(self.table, tariff.id, tariff)

    async def save(self, tariff: Tariff) -> None:
        await self.add(tariff)


class MemorySubscriptionRepository(_Repo):
    """Implements ``SubscriptionRepository``."""

    table = "subscriptions"

    async def get(
        self, subscription_id: SubscriptionId, *, for_update: bool = False
    ) -> Subscription | None:
        uow = await self._begin()
        found: Subscription | None = uow.get(self.table, subscription_id)
        return found

    async def for_customer(self, customer_id: CustomerId) -> list[Subscription]:
        uow = await self._begin()
        rows = [s for s in uow.rows(self.table) if s.customer_id == customer_id]
        rows.reverse()
        rows.sort(key=lambda s: s.started_at, reverse=True)
        return self._copies(rows)

    async def add(self, subscription: Subscription) -> None:
        uow = await self._begin()
        uow.put(self.table, subscription.id, subscription)

    async def save(self, subscription: Subscription) -> None:
        uow = await self._begin()
        uow.put(self.table, subscription.id, subscription)

    async def get_many(
        self, subscription_ids: Collection[SubscriptionId], *, for_update: bool = False
    ) -> dict[SubscriptionId, Subscription]:
        uow = await self._begin()
        found: dict[SubscriptionId, Subscription] = {}
        for subscription_id in sorted(set(subscription_ids)):
            subscription = uow.get(self.table, subscription_id)
            if subscription is not None:
                found[subscription_id] = subscription
        return found

    async def save_all(self, subscriptions: Iterable[Subscription]) -> None:
        uow = await self._begin()
        for subscription in subscriptions:
            uow.put(self.table, subscription.id, subscription)

    async def _claim(self, predicate: Any, limit: int) -> list[Subscription]:
        uow = await self._begin()
        rows = [s for s in uow.rows(self.table) if predicate(s)]
        rows.sort(key=lambda s: s.expires_at)
        return self._copies(rows[:limit])

    async def claim_due(self, now: datetime, limit: int) -> list[Subscription]:
        return await self._claim(
            lambda s: s.status is SubscriptionStatus.ACTIVE and s.expires_at <= now, limit
        )

    async def claim_expiring(
        self, now: datetime, within_hours: int, threshold: int, limit: int
    ) -> list[Subscription]:
        horizon = now + timedelta(hours=within_hours)
        return await self._claim(
            lambda s: (
                s.status is SubscriptionStatus.ACTIVE
                and now < s.expires_at <= horizon
                and threshold not in s.reminders_sent
            ),
            limit,
        )

    async def claim_for_auto_renewal(
        self, now: datetime, before: datetime, limit: int
    ) -> list[Subscription]:
        return await self._claim(
            lambda s: (
                s.status is SubscriptionStatus.ACTIVE and s.auto_renew and s.expires_at < before
            ),
            limit,
        )


class MemoryAccessRepository(_Repo):
    """Implements ``AccessRepository``. Unique: (subscription, panel) among accesses
    not desired deleted."""

    table = "accesses"

    async def get(self, access_id: AccessId, *, for_update: bool = False) -> Access | None:
        uow = await self._begin()
        found: Access | None = uow.get(self.table, access_id)
        return found

    async def for_subscription(
        self, subscription_id: SubscriptionId, *, for_update: bool = False
    ) -> list[Access]:
        uow = await self._begin()
        return self._copies(a for a in uow.rows(self.table) if a.subscription_id == subscription_id)

    async def for_subscriptions(
        self, subscription_ids: Collection[SubscriptionId], *, for_update: bool = False
    ) -> dict[SubscriptionId, list[Access]]:
        uow = await self._begin()
        found: dict[SubscriptionId, list[Access]] = {sid: [] for sid in subscription_ids}
        for row in uow.rows(self.table):
            bucket = found.get(row.subscription_id)
            if bucket is not None:
                bucket.append(copy.deepcopy(row))
        return found

    async def for_customer(self, customer_id: CustomerId) -> list[Access]:
        uow = await self._begin()
        return self._copies(a for a in uow.rows(self.table) if a.customer_id == customer_id)

    async def for_panel(
        self, panel_id: PanelId, *, after: AccessId | None, limit: int
    ) -> list[Access]:
        uow = await self._begin()
        rows = sorted(
            (
                a
                for a in uow.rows(self.table)
                if a.panel_id == panel_id and (after is None or a.id > after)
            ),
            key=lambda a: a.id,
        )
        return self._copies(rows[:limit])

    async def add(self, access: Access) -> None:
        uow = await self._begin()
        if uow.exists(self.table, access.id):
            raise AccessAlreadyExists(f"access {access.id} exists")
        self._check_unique(uow, access)
        uow.put(self.table, access.id, access)

    async def save(self, access: Access) -> None:
        uow = await self._begin()
        self._check_unique(uow, access)
        uow.put(self.table, access.id, access)

    async def save_all(self, accesses: Iterable[Access]) -> None:
        uow = await self._begin()
        for access in accesses:
            self._check_unique(uow, access)
            uow.put(self.table, access.id, access)

    def _check_unique(self, uow: MemoryUnitOfWork, access: Access) -> None:
        if access.desired is DesiredState.DELETED:
            return
        for row in uow.rows(self.table):
            if (
                row.id != access.id
                and row.subscription_id == access.subscription_id
                and row.panel_id == access.panel_id
                and row.desired is not DesiredState.DELETED
            ):
                raise AccessAlreadyExists("the subscription already has an access on that panel")

    async def count_by_panel(self) -> dict[PanelId, int]:
        uow = await self._begin()
        counts: dict[PanelId, int] = {}
        for row in uow.rows(self.table):
            if row.desired is not DesiredState.DELETED:
                counts[row.panel_id] = counts.get(row.panel_id, 0) + 1
        return counts


class MemoryPaymentRepository(_Repo):
    """Implements ``PaymentRepository``. Unique: (provider, provider payment id) and
    Telegram charge id."""

    table = "payments"

    async def get(self, payment_id: PaymentId, *, for_update: bool = False) -> Payment | None:
        uow = await self._begin()
        found: Payment | None = uow.get(self.table, payment_id)
        return found

    async def get_by_provider_id(
        self, provider: PaymentProvider, provider_payment_id: str, *, for_update: bool = False
    ) -> Payment | None:
        return await self._find(
            lambda p: p.provider is provider and p.provider_payment_id == provider_payment_id
        )

    async def get_by_charge_id(self, telegram_charge_id: str) -> Payment | None:
        return await self._find(lambda p: p.telegram_charge_id == telegram_charge_id)

    async def _find(self, predicate: Any) -> Payment | None:
        uow = await self._begin()
        for row in uow.rows(self.table):
            if predicate(row):
                found: Payment = copy.deepcopy(row)
                return found
        return None

    async def add(self, payment: Payment) -> None:
        uow = await self._begin()
        if uow.exists(self.table, payment.id):
            raise DuplicateProviderPayment(f"payment {payment.id} exists")
        self._check_unique(uow, payment)
        uow.put(self.table, payment.id, payment)

    async def save(self, payment: Payment) -> None:
        uow = await self._begin()
        self._check_unique(uow, payment)
        uow.put(self.table, payment.id, payment)

    async def save_all(self, payments: Iterable[Payment]) -> None:
        uow = await self._begin()
        for payment in payments:
            self._check_unique(uow, payment)
            uow.put(self.table, payment.id, payment)

    def _check_unique(self, uow: MemoryUnitOfWork, payment: Payment) -> None:
        for row in uow.rows(self.table):
            if row.id == payment.id:
                continue
            if (
                payment.provider_payment_id is not None
                and row.provider is payment.provider
                and row.provider_payment_id == payment.provider_payment_id
            ):
                raise DuplicateProviderPayment("provider payment id belongs to another payment")
            if (
                payment.telegram_charge_id is not None
                and row.telegram_charge_id == payment.telegram_charge_id
            ):
                raise DuplicateProviderPayment("telegram charge id belongs to another payment")

    async def claim_pending(self, created_before: datetime, limit: int) -> list[Payment]:
        uow = await self._begin()
        rows = [
            p
            for p in uow.rows(self.table)
            if p.status is PaymentStatus.PENDING and p.created_at < created_before
        ]
        rows.sort(key=lambda p: p.created_at)
        return self._copies(rows[:limit])

    async def for_customer(self, customer_id: CustomerId, limit: int = 20) -> list[Payment]:
        uow = await self._begin()
        rows = [p for p in uow.rows(self.table) if p.customer_id == customer_id]
        rows.reverse()
        rows.sort(key=lambda p: p.created_at, reverse=True)
        return self._copies(rows[:limit])


class MemoryPromoCodeRepository(_Repo):
    """Implements ``PromoCodeRepository``. Unique: code; (promo, customer) for
    single-use redemptions."""

    table = "promos"

    async def get(self, promo_id: PromoCodeId, *, for_update: bool = False) -> PromoCode | None:
        uow = await self._begin()
        found: PromoCode | None = uow.get(self.table, promo_id)
        return found

    async def get_by_code(self, code: str, *, for_update: bool = False) -> PromoCode | None:
        uow = await self._begin()
        wanted = code.strip().upper()
        for row in uow.rows(self.table):
            if row.code == wanted:
                found: PromoCode = copy.deepcopy(row)
                return found
        return None

    async def add(self, promo: PromoCode) -> None:
        uow = await self._begin()
        for row in uow.rows(self.table):
            if row.code == promo.code or row.id == promo.id:
                raise PromoCodeAlreadyExists(f"promo code {promo.code} exists")
        uow.put(self.table, promo.id, promo)

    async def save(self, promo: PromoCode) -> None:
        uow = await self._begin()
        if promo.max_uses is not None and promo.uses > promo.max_uses:
            raise PromoCodeExhausted()  # the check constraint on uses
        for row in uow.rows(self.table):
            if row.code == promo.code and row.id != promo.id:
                raise PromoCodeAlreadyExists(f"promo code {promo.code} exists")
        uow.put(self.table, promo.id, promo)

    async def list(self, *, include_inactive: bool = True) -> list[PromoCode]:
        uow = await self._begin()
        rows = [p for p in uow.rows(self.table) if include_inactive or p.active]
        rows.sort(key=lambda p: p.created_at)
        return self._copies(rows)

    async def customer_uses(self, promo_id: PromoCodeId, customer_id: CustomerId) -> int:
        uow = await self._begin()
        return sum(
            1
            for r in uow.rows("redemptions")
            if r.promo_id == promo_id and r.customer_id == customer_id
        )

    async def add_redemption(self, redemption: Redemption) -> None:
        uow = await self._begin()
        if redemption.single_use:
            for row in uow.rows("redemptions"):
                if (
                    row.single_use
                    and row.promo_id == redemption.promo_id
                    and row.customer_id == redemption.customer_id
                ):
                    raise PromoCodeAlreadyUsed()
        uow.put("redemptions", uuid4(), redemption)

    async def remove_redemption(self, promo_id: PromoCodeId, payment_id: PaymentId) -> bool:
        uow = await self._begin()
        for key, row in list(uow.items("redemptions")):
            if row.promo_id == promo_id and row.payment_id == payment_id:
                uow.delete("redemptions", key)
                return True
        return False


class MemoryAuditLog(_Repo):
    """Implements ``AuditLog``."""

    table = "audit"

    async def record(
        self,
        *,
        actor_telegram_id: int,
        action: str,
        target: str,
        at: datetime,
        before: dict[str, object] | None = None,
        after: dict[str, object] | None = None,
    ) -> None:
        uow = await self._begin()
        entry = AuditEntry(
            actor_telegram_id=actor_telegram_id,
            action=action,
            target=target,
            at=at,
            before=before,
            after=after,
        )
        uow.put(self.table, uuid4(), entry)


__all__ = [
    "MemoryAccessRepository",
    "MemoryAuditLog",
    "MemoryCustomerRepository",
    "MemoryPaymentRepository",
    "MemoryPromoCodeRepository",
    "MemorySubscriptionRepository",
    "MemoryTariffRepository",
]
