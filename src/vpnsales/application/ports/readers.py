"""Readers: queries returning read models (frozen dataclasses of plain data).

Readers never return aggregates and never lock. They read committed state, so a query
interactor can use them without opening a write transaction.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from vpnsales.domain.access import DesiredState, ObservedStatus, SyncStatus
from vpnsales.domain.customer import Language
from vpnsales.domain.ids import (
    AccessId,
    CustomerId,
    PanelId,
    PaymentId,
    SubscriptionId,
    TariffId,
    TelegramId,
)
from vpnsales.domain.money import Currency, Money
from vpnsales.domain.payment import PaymentProvider, PaymentPurpose, PaymentStatus
from vpnsales.domain.subscription import SubscriptionStatus


@dataclass(frozen=True, slots=True, kw_only=True)
class AccessView:
    """The VPN key of a subscription as last known to us (database, not the panel)."""

    access_id: AccessId
    panel_id: PanelId
    username: str
    external_id: str | None
    subscription_url: str | None
    ready: bool
    desired: DesiredState
    sync: SyncStatus
    observed_status: ObservedStatus | None = None
    observed_at: datetime | None = None
    used_traffic_bytes: int | None = None
    devices: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class SubscriptionView:
    subscription_id: SubscriptionId
    customer_id: CustomerId
    tariff_id: TariffId
    tariff_code: str
    tariff_name: str
    """In the language asked for."""
    status: SubscriptionStatus
    is_trial: bool
    auto_renew: bool
    started_at: datetime
    expires_at: datetime
    days_left: int
    traffic_limit_bytes: int
    """``0`` = unlimited."""
    devices_limit: int | None
    """``None`` = unlimited."""
    access: AccessView | None = None
    traffic_used_bytes: int | None = None
    devices_connected: int | None = None
    subscription_url: str | None = None
    live: bool = False
    """True when traffic/devices come from the panel right now, False when they are the
    last observed state (panel down or not asked)."""


class SubscriptionReader(Protocol):
    async def for_customer(
        self, customer_id: CustomerId, *, language: Language, now: datetime
    ) -> list[SubscriptionView]:
        """Every non-cancelled subscription of the customer, live ones first, then newest."""
        ...

    async def get(
        self, subscription_id: SubscriptionId, *, language: Language, now: datetime
    ) -> SubscriptionView | None: ...


@dataclass(frozen=True, slots=True, kw_only=True)
class CustomerView:
    """What the bot needs on every update (hot path)."""

    customer_id: CustomerId
    telegram_id: TelegramId
    username: str | None
    language: Language
    banned: bool
    trial_used: bool
    has_purchased: bool
    balance: Money
    referral_code: str


class CustomerReader(Protocol):
    async def by_telegram_id(self, telegram_id: TelegramId) -> CustomerView | None: ...

    async def get(self, customer_id: CustomerId) -> CustomerView | None: ...


@dataclass(frozen=True, slots=True, kw_only=True)
class CustomerSummary:
    """A customer and their subscriptions: what the bot's menu needs, in one read."""

    customer: CustomerView
    subscriptions: tuple[SubscriptionView, ...]
    """As ``SubscriptionReader.for_customer`` gives them, in the customer's language."""


class CustomerSummaryReader(Protocol):
    async def summary(self, telegram_id: TelegramId, *, now: datetime) -> CustomerSummary | None:
        """``None`` for someone who never registered."""
        ...


@dataclass(frozen=True, slots=True, kw_only=True)
class ReferralStats:
    invited: int
    """Customers who joined through the referral link."""
    invited_paid: int
    """Of those, how many bought something."""
    earned: Money
    """Sum of referral rewards credited to the balance."""
    rewards: int
    """Number of referral reward ledger entries."""


class ReferralReader(Protocol):
    async def stats(self, customer_id: CustomerId, *, currency_zero: Money) -> ReferralStats:
        """``currency_zero`` is a zero of the ledger currency (the sum's currency)."""
        ...


@dataclass(frozen=True, slots=True, kw_only=True)
class PaymentView:
    payment_id: PaymentId
    customer_id: CustomerId
    purpose: PaymentPurpose
    provider: PaymentProvider
    status: PaymentStatus
    amount: Money
    created_at: datetime
    tariff_id: TariffId | None = None
    days: int = 0
    pay_url: str | None = None
    subscription_id: SubscriptionId | None = None
    failure_reason: str | None = None


class PaymentReader(Protocol):
    async def get(self, payment_id: PaymentId) -> PaymentView | None: ...

    async def for_customer(self, customer_id: CustomerId, limit: int = 20) -> list[PaymentView]:
        """Newest first."""
        ...


@dataclass(frozen=True, slots=True, kw_only=True)
class TariffOptionView:
    days: int
    prices: Mapping[Currency, Money]
    """Every currency it can be paid in (Stars converted from RUB when not set)."""
    per_month: Money | None = None
    """Base-currency price normalised to 30 days (for comparison)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class TariffView:
    tariff_id: TariffId
    code: str
    name: str
    description: str
    options: tuple[TariffOptionView, ...]
    traffic_limit_bytes: int
    traffic_reset: str
    devices_limit: int | None
    locations: tuple[str, ...] = ()
    is_trial: bool = False
    hidden: bool = False
