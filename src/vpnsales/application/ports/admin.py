"""Admin-side ports: admins and roles, statistics read models, feature flags.

The audit log reuses ``AuditLog`` from ``repositories``. Broadcast ports live in
``broadcast``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Protocol

from vpnsales.domain.errors import InvalidValue
from vpnsales.domain.money import Money
from vpnsales.domain.payment import PaymentProvider
from vpnsales.domain.time import ensure_aware

# -- admins ---------------------------------------------------------------------------


class AdminRole(StrEnum):
    OWNER = "owner"
    """Everything, including money, catalog, broadcasts and other admins."""
    SUPPORT = "support"
    """Helps customers: find them, view their card, resync their access, message them."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Admin:
    telegram_id: int
    role: AdminRole
    added_at: datetime
    added_by: int | None = None
    name: str = ""

    def __post_init__(self) -> None:
        if isinstance(self.telegram_id, bool) or self.telegram_id <= 0:
            raise InvalidValue("admin telegram id must be a positive integer")
        ensure_aware(self.added_at)


class AdminRepository(Protocol):
    async def get(self, telegram_id: int) -> Admin | None: ...

    async def add(self, admin: Admin) -> None:
        """Raises ``AlreadyExists`` when the telegram id is already an admin."""
        ...

    async def save(self, admin: Admin) -> None:
        """Insert or replace (role changes)."""
        ...

    async def list(self) -> list[Admin]: ...


# -- feature flags --------------------------------------------------------------------


class Flag(StrEnum):
    MAINTENANCE = "maintenance"
    """The bot answers customers with a maintenance notice; admins still get through."""


class FlagStore(Protocol):
    """Shop-wide switches, stored with the rest of the state (inside the unit of work)."""

    async def get(self, flag: Flag) -> bool:
        """``False`` when never set."""
        ...

    async def set(self, flag: Flag, value: bool) -> None: ...


# -- statistics read models -----------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class CustomerCounts:
    total: int
    new_today: int
    """Since 00:00 UTC of ``now``'s day."""
    new_7d: int
    new_30d: int


@dataclass(frozen=True, slots=True, kw_only=True)
class SubscriptionCounts:
    active: int
    """ACTIVE paid subscriptions (trials excluded)."""
    trial: int
    """ACTIVE trial subscriptions."""
    expired: int
    suspended: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class RevenueRow:
    """Succeeded (or later refunded) payments of one UTC day, provider and currency."""

    day: date
    provider: PaymentProvider
    amount: Money
    payments: int
    refunded: Money | None = None
    """Part of ``amount`` refunded since."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Conversion:
    """Customers who started a checkout in the window vs those of them who paid."""

    started: int
    paid: int

    @property
    def rate(self) -> float:
        return self.paid / self.started if self.started else 0.0


@dataclass(frozen=True, slots=True, kw_only=True)
class Churn:
    """Paid subscriptions that expired in the window and were not renewed, against the
    paid subscriptions active at the window's start."""

    base: int
    churned: int

    @property
    def rate(self) -> float:
        return self.churned / self.base if self.base else 0.0


class StatisticsReader(Protocol):
    """Plain aggregate selects (a replica is fine). Windows are ``[since, until)``."""

    async def customers(self, now: datetime) -> CustomerCounts: ...

    async def new_customers(self, since: datetime, until: datetime) -> int: ...

    async def subscriptions(self, now: datetime) -> SubscriptionCounts: ...

    async def revenue(self, since: datetime, until: datetime) -> list[RevenueRow]:
        """Ordered by day, provider, currency."""
        ...

    async def conversion(self, since: datetime, until: datetime) -> Conversion:
        """Started = customers with a non-balance payment created in the window; paid =
        those of them with a succeeded payment in the window."""
        ...

    async def churn(self, since: datetime, until: datetime) -> Churn: ...
