"""Repositories: load and store aggregates inside the current unit of work.

``get(..., for_update=True)`` locks the row until commit (``SELECT … FOR UPDATE`` on
PostgreSQL) so read-modify-write is safe under concurrency. ``add`` inserts a new
aggregate, ``save`` writes back a loaded one. Unique-constraint violations surface as
typed domain errors (see each method).

Batch jobs use the ``*_all`` / ``for_subscriptions`` / ``get_many`` variants: the same
semantics as calling the single-row method for each item in order, in one or two
database round trips instead of one per row. The protocols carry loop-based defaults,
so an adapter that subclasses a port explicitly keeps working without them.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from vpnsales.domain.access import Access
from vpnsales.domain.customer import BalanceEntry, Customer
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
from vpnsales.domain.payment import Payment, PaymentProvider
from vpnsales.domain.promo import PromoCode
from vpnsales.domain.subscription import Subscription
from vpnsales.domain.tariff import Tariff


class CustomerRepository(Protocol):
    async def get(
        self, customer_id: CustomerId, *, for_update: bool = False
    ) -> Customer | None: ...

    async def get_by_telegram_id(
        self, telegram_id: TelegramId, *, for_update: bool = False
    ) -> Customer | None: ...

    async def get_by_referral_code(self, code: str) -> Customer | None: ...

    async def get_by_username(self, username: str) -> Customer | None: ...

    async def add(self, customer: Customer) -> None:
        """Raises ``CustomerAlreadyExists`` on a duplicate telegram id."""
        ...

    async def save(self, customer: Customer) -> None:
        """Writes the customer and appends ``customer.new_entries`` to the ledger."""
        ...

    async def referrer_chain(self, customer_id: CustomerId, limit: int = 100) -> list[CustomerId]:
        """``customer_id``'s referrer, that one's referrer, … (for cycle checks)."""
        ...

    async def ledger(self, customer_id: CustomerId, limit: int = 50) -> list[BalanceEntry]:
        """Newest first."""
        ...


class TariffRepository(Protocol):
    async def get(self, tariff_id: TariffId) -> Tariff | None: ...

    async def get_by_code(self, code: str) -> Tariff | None: ...

    async def list(self, *, include_inactive: bool = False) -> list[Tariff]:
        """Ordered by ``order`` then name."""
        ...

    async def add(self, tariff: Tariff) -> None: ...

    async def save(self, tariff: Tariff) -> None: ...


class TariffCatalog(Protocol):
    """The tariffs as the catalog queries see them, outside any unit of work.

    Tariffs change only through the admin panel or a seed, so an adapter may keep them
    in memory: a change committed by this process shows at once, one committed by
    another process within a few seconds. Purchases never rely on it (checkout loads
    the tariff through ``TariffRepository``)."""

    async def tariffs(self) -> Sequence[Tariff]:
        """Every tariff, inactive and trial ones included, ordered by ``order`` then
        name. Shared objects: read them, never change them."""
        ...


class SubscriptionRepository(Protocol):
    async def get(
        self, subscription_id: SubscriptionId, *, for_update: bool = False
    ) -> Subscription | None: ...

    async def for_customer(self, customer_id: CustomerId) -> list[Subscription]:
        """Every subscription of the customer, newest first."""
        ...

    async def add(self, subscription: Subscription) -> None: ...

    async def save(self, subscription: Subscription) -> None: ...

    async def get_many(
        self, subscription_ids: Collection[SubscriptionId], *, for_update: bool = False
    ) -> dict[SubscriptionId, Subscription]:
        """The subscriptions that exist among ``subscription_ids`` (missing ids are
        absent from the result). ``for_update`` locks them all, in id order."""
        found: dict[SubscriptionId, Subscription] = {}
        for subscription_id in sorted(set(subscription_ids)):
            subscription = await self.get(subscription_id, for_update=for_update)
            if subscription is not None:
                found[subscription_id] = subscription
        return found

    async def save_all(self, subscriptions: Iterable[Subscription]) -> None:
        """``save`` each, in order (one round trip on PostgreSQL)."""
        for subscription in subscriptions:
            await self.save(subscription)

    async def claim_due(self, now: datetime, limit: int) -> list[Subscription]:
        """Lock up to ``limit`` ACTIVE subscriptions with ``expires_at <= now``
        (``FOR UPDATE SKIP LOCKED``): concurrent sweepers get disjoint batches."""
        ...

    async def claim_expiring(
        self, now: datetime, within_hours: int, threshold: int, limit: int
    ) -> list[Subscription]:
        """Lock ACTIVE subscriptions expiring in ``(now, now + within_hours]`` whose
        reminder ``threshold`` (hours) was not sent in this period (SKIP LOCKED)."""
        ...

    async def claim_for_auto_renewal(
        self, now: datetime, before: datetime, limit: int
    ) -> list[Subscription]:
        """Lock ACTIVE ``auto_renew`` subscriptions expiring before ``before`` (SKIP LOCKED)."""
        ...


class AccessRepository(Protocol):
    async def get(self, access_id: AccessId, *, for_update: bool = False) -> Access | None: ...

    async def for_subscription(
        self, subscription_id: SubscriptionId, *, for_update: bool = False
    ) -> list[Access]: ...

    async def for_subscriptions(
        self, subscription_ids: Collection[SubscriptionId], *, for_update: bool = False
    ) -> dict[SubscriptionId, list[Access]]:
        """``for_subscription`` of every id at once: each requested id is a key (an empty
        list when it has no access), each list ordered like ``for_subscription``.
        ``for_update`` locks all the returned accesses."""
        found: dict[SubscriptionId, list[Access]] = {}
        for subscription_id in subscription_ids:
            if subscription_id not in found:
                found[subscription_id] = await self.for_subscription(
                    subscription_id, for_update=for_update
                )
        return found

    async def for_customer(self, customer_id: CustomerId) -> list[Access]: ...

    async def for_panel(
        self, panel_id: PanelId, *, after: AccessId | None, limit: int
    ) -> list[Access]:
        """Page through a panel's accesses ordered by id (reconciliation)."""
        ...

    async def add(self, access: Access) -> None:
        """Raises ``AccessAlreadyExists`` when the subscription already has one on that panel."""
        ...

    async def save(self, access: Access) -> None: ...

    async def save_all(self, accesses: Iterable[Access]) -> None:
        """``save`` each, in order (one round trip on PostgreSQL). Raises
        ``AccessAlreadyExists`` like ``save``."""
        for access in accesses:
            await self.save(access)

    async def count_by_panel(self) -> dict[PanelId, int]:
        """Live (not deleted) accesses per panel, for least-loaded placement."""
        ...


class PaymentRepository(Protocol):
    async def get(self, payment_id: PaymentId, *, for_update: bool = False) -> Payment | None: ...

    async def get_by_provider_id(
        self, provider: PaymentProvider, provider_payment_id: str, *, for_update: bool = False
    ) -> Payment | None: ...

    async def get_by_charge_id(self, telegram_charge_id: str) -> Payment | None: ...

    async def add(self, payment: Payment) -> None: ...

    async def save(self, payment: Payment) -> None:
        """Raises ``DuplicateProviderPayment`` when the provider id / Stars charge id
        already belongs to another payment."""
        ...

    async def save_all(self, payments: Iterable[Payment]) -> None:
        """``save`` each, in order (one round trip on PostgreSQL)."""
        for payment in payments:
            await self.save(payment)

    async def claim_pending(self, created_before: datetime, limit: int) -> list[Payment]:
        """Lock PENDING payments created before the moment, oldest first (SKIP LOCKED)."""
        ...

    async def for_customer(self, customer_id: CustomerId, limit: int = 20) -> list[Payment]: ...


class PromoCodeRepository(Protocol):
    async def get(self, promo_id: PromoCodeId, *, for_update: bool = False) -> PromoCode | None: ...

    async def get_by_code(self, code: str, *, for_update: bool = False) -> PromoCode | None: ...

    async def add(self, promo: PromoCode) -> None:
        """Raises ``PromoCodeAlreadyExists`` on a duplicate code."""
        ...

    async def save(self, promo: PromoCode) -> None: ...

    async def list(self, *, include_inactive: bool = True) -> list[PromoCode]: ...

    async def customer_uses(self, promo_id: PromoCodeId, customer_id: CustomerId) -> int: ...

    async def add_redemption(self, redemption: Redemption) -> None:
        """Record a use. Raises ``PromoCodeAlreadyUsed`` when the per-customer limit is 1
        and the customer already redeemed it (a unique constraint backs this)."""
        ...

    async def remove_redemption(self, promo_id: PromoCodeId, payment_id: PaymentId) -> bool:
        """Release the use reserved for a payment that did not complete."""
        ...


@dataclass(frozen=True, slots=True, kw_only=True)
class Redemption:
    promo_id: PromoCodeId
    customer_id: CustomerId
    redeemed_at: datetime
    payment_id: PaymentId | None = None
    single_use: bool = False
    """True when the per-customer limit is 1 (enforced by a unique constraint)."""


class AuditLog(Protocol):
    async def record(
        self,
        *,
        actor_telegram_id: int,
        action: str,
        target: str,
        at: datetime,
        before: dict[str, object] | None = None,
        after: dict[str, object] | None = None,
    ) -> None: ...


@dataclass(frozen=True, slots=True)
class ClaimBatch:
    """Sizes shared by batch jobs."""

    size: int = 1000


SubscriptionBatch = Sequence[Subscription]
