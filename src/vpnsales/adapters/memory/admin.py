"""In-memory admin-side adapters: admins, flags, broadcasts, statistics, access lookup.

Self-contained over :class:`MemoryDatabase`: the tables it needs (``admins``,
``flags``, ``broadcasts``, ``deliveries``) are created on first use. Repositories run
inside the unit of work (staged until commit, like every memory repository); the
statistics reader reads committed rows.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from vpnsales.adapters.memory.database import MemoryDatabase
from vpnsales.adapters.memory.uow import MemoryUnitOfWork
from vpnsales.application.ports.admin import (
    Admin,
    Churn,
    Conversion,
    CustomerCounts,
    Flag,
    RevenueRow,
    SubscriptionCounts,
)
from vpnsales.application.ports.broadcast import (
    Audience,
    AudienceKind,
    Broadcast,
    BroadcastDelivery,
    BroadcastProgress,
    BroadcastStatus,
    DeliveryStatus,
)
from vpnsales.application.ports.notifier import Recipient
from vpnsales.domain.access import Access
from vpnsales.domain.customer import Customer
from vpnsales.domain.errors import AlreadyExists
from vpnsales.domain.ids import BroadcastId, CustomerId, PanelId
from vpnsales.domain.money import Money
from vpnsales.domain.payment import Payment, PaymentProvider, PaymentStatus
from vpnsales.domain.subscription import Subscription, SubscriptionStatus

ADMIN_TABLES = ("admins", "flags", "broadcasts", "deliveries")


def _ensure_tables(db: MemoryDatabase) -> None:
    for name in ADMIN_TABLES:
        db.tables.setdefault(name, {})


class _Repo:
    def __init__(self, uow: MemoryUnitOfWork) -> None:
        self._uow = uow
        _ensure_tables(uow.db)

    async def _begin(self) -> MemoryUnitOfWork:
        await self._uow.begin()
        return self._uow


class MemoryAdminRepository(_Repo):
    """Implements ``AdminRepository``."""

    async def get(self, telegram_id: int) -> Admin | None:
        uow = await self._begin()
        found: Admin | None = uow.get("admins", telegram_id)
        return found

    async def add(self, admin: Admin) -> None:
        uow = await self._begin()
        if uow.exists("admins", admin.telegram_id):
            raise AlreadyExists(f"{admin.telegram_id} is already an admin")
        uow.put("admins", admin.telegram_id, admin)

    async def save(self, admin: Admin) -> None:
        uow = await self._begin()
        uow.put("admins", admin.telegram_id, admin)

    async def list(self) -> list[Admin]:
        uow = await self._begin()
        return sorted(uow.rows("admins"), key=lambda a: a.added_at)


class MemoryFlagStore(_Repo):
    """Implements ``FlagStore``."""

    async def get(self, flag: Flag) -> bool:
        uow = await self._begin()
        return bool(uow.get("flags", flag.value))

    async def set(self, flag: Flag, value: bool) -> None:
        uow = await self._begin()
        uow.put("flags", flag.value, value)


@dataclass(slots=True)
class DeliveryRow:
    delivery: BroadcastDelivery
    locked_until: datetime | None = None


def audience_members(
    customers: list[Customer],
    subscriptions: list[Subscription],
    payments: list[Payment],
    audience: Audience,
) -> list[Customer]:
    """Non-banned customers of ``audience`` (shared with tests that check previews)."""
    by_customer: dict[CustomerId, list[Subscription]] = {}
    for sub in subscriptions:
        by_customer.setdefault(sub.customer_id, []).append(sub)
    paid = {p.customer_id for p in payments if p.status is PaymentStatus.SUCCEEDED}

    def member(customer: Customer) -> bool:
        subs = by_customer.get(customer.id, [])
        live = [s for s in subs if s.status is SubscriptionStatus.ACTIVE]
        kind = audience.kind
        if kind is AudienceKind.ALL:
            return True
        if kind is AudienceKind.ACTIVE:
            return bool(live)
        if kind is AudienceKind.EXPIRED:
            return not live and any(s.status is SubscriptionStatus.EXPIRED for s in subs)
        if kind is AudienceKind.TRIAL:
            return bool(live) and all(s.is_trial for s in live)
        if kind is AudienceKind.NEVER_PAID:
            return not customer.has_purchased and customer.id not in paid
        return any(s.tariff_id == audience.tariff_id for s in live)

    return [c for c in customers if not c.banned and member(c)]


class MemoryBroadcastRepository(_Repo):
    """Implements ``BroadcastRepository``. Delivery rows are keyed by (broadcast,
    customer), so materialising twice adds nobody twice."""

    async def get(self, broadcast_id: BroadcastId, *, for_update: bool = False) -> Broadcast | None:
        uow = await self._begin()
        found: Broadcast | None = uow.get("broadcasts", broadcast_id)
        return found

    async def add(self, broadcast: Broadcast) -> None:
        uow = await self._begin()
        if uow.exists("broadcasts", broadcast.id):
            raise AlreadyExists(f"broadcast {broadcast.id} exists")
        uow.put("broadcasts", broadcast.id, broadcast)

    async def save(self, broadcast: Broadcast) -> None:
        uow = await self._begin()
        uow.put("broadcasts", broadcast.id, broadcast)

    async def running(self) -> list[BroadcastId]:
        uow = await self._begin()
        rows = [b for b in uow.rows("broadcasts") if b.status is BroadcastStatus.RUNNING]
        rows.sort(key=lambda b: b.started_at or b.created_at)
        return [b.id for b in rows]

    async def _audience(self, audience: Audience) -> list[Customer]:
        uow = await self._begin()
        return audience_members(
            list(uow.rows("customers")),
            list(uow.rows("subscriptions")),
            list(uow.rows("payments")),
            audience,
        )

    async def count_audience(self, audience: Audience, now: datetime) -> int:
        return len(await self._audience(audience))

    async def materialise(
        self, broadcast_id: BroadcastId, audience: Audience, now: datetime
    ) -> int:
        uow = await self._begin()
        for customer in await self._audience(audience):
            key = (broadcast_id, customer.id)
            if not uow.exists("deliveries", key):
                recipient = Recipient(telegram_id=customer.telegram_id, language=customer.language)
                delivery = BroadcastDelivery(
                    broadcast_id=broadcast_id, customer_id=customer.id, recipient=recipient
                )
                uow.put("deliveries", key, DeliveryRow(delivery))
        return sum(1 for key, _ in uow.items("deliveries") if key[0] == broadcast_id)

    async def claim(
        self, broadcast_id: BroadcastId, now: datetime, *, limit: int, lease: timedelta
    ) -> list[BroadcastDelivery]:
        uow = await self._begin()
        claimed: list[BroadcastDelivery] = []
        for key, row in list(uow.items("deliveries")):
            if len(claimed) >= limit:
                break
            if key[0] != broadcast_id or row.delivery.status is not DeliveryStatus.PENDING:
                continue
            if row.locked_until is not None and row.locked_until > now:
                continue
            uow.put("deliveries", key, DeliveryRow(row.delivery, now + lease))
            claimed.append(copy.deepcopy(row.delivery))
        return claimed

    async def mark(
        self, broadcast_id: BroadcastId, customer_id: CustomerId, status: DeliveryStatus
    ) -> None:
        uow = await self._begin()
        row: DeliveryRow | None = uow.get("deliveries", (broadcast_id, customer_id))
        if row is not None:
            uow.put(
                "deliveries",
                (broadcast_id, customer_id),
                DeliveryRow(replace(row.delivery, status=status), None),
            )

    async def progress(self, broadcast_id: BroadcastId) -> BroadcastProgress:
        uow = await self._begin()
        statuses = [
            row.delivery.status for key, row in uow.items("deliveries") if key[0] == broadcast_id
        ]
        return BroadcastProgress(
            total=len(statuses),
            sent=statuses.count(DeliveryStatus.SENT),
            blocked=statuses.count(DeliveryStatus.BLOCKED),
            failed=statuses.count(DeliveryStatus.FAILED),
        )


class MemoryAccessLookup(_Repo):
    """Implements ``AccessLookup``."""

    async def by_account(
        self, panel_id: PanelId, *, username: str | None, external_id: str | None
    ) -> Access | None:
        uow = await self._begin()
        for row in uow.rows("accesses"):
            if row.panel_id != panel_id:
                continue
            if (username and row.username == username) or (
                external_id and row.external_id == external_id
            ):
                found: Access = copy.deepcopy(row)
                return found
        return None


def _day_start(moment: datetime) -> datetime:
    return datetime.combine(moment.astimezone(UTC).date(), time(), tzinfo=UTC)


class MemoryStatisticsReader:
    """Implements ``StatisticsReader`` over committed rows."""

    def __init__(self, db: MemoryDatabase) -> None:
        self._db = db

    def _rows(self, table: str) -> list[Any]:
        return list(self._db.tables.get(table, {}).values())

    async def customers(self, now: datetime) -> CustomerCounts:
        rows: list[Customer] = self._rows("customers")
        today = _day_start(now)

        def since(moment: datetime) -> int:
            return sum(1 for c in rows if moment <= c.created_at <= now)

        return CustomerCounts(
            total=sum(1 for c in rows if c.created_at <= now),
            new_today=since(today),
            new_7d=since(now - timedelta(days=7)),
            new_30d=since(now - timedelta(days=30)),
        )

    async def new_customers(self, since: datetime, until: datetime) -> int:
        return sum(1 for c in self._rows("customers") if since <= c.created_at < until)

    async def subscriptions(self, now: datetime) -> SubscriptionCounts:
        rows: list[Subscription] = self._rows("subscriptions")
        active = [s for s in rows if s.status is SubscriptionStatus.ACTIVE]
        return SubscriptionCounts(
            active=sum(1 for s in active if not s.is_trial),
            trial=sum(1 for s in active if s.is_trial),
            expired=sum(1 for s in rows if s.status is SubscriptionStatus.EXPIRED),
            suspended=sum(1 for s in rows if s.status is SubscriptionStatus.SUSPENDED),
        )

    async def revenue(self, since: datetime, until: datetime) -> list[RevenueRow]:
        groups: dict[tuple[date, PaymentProvider, str], list[Payment]] = {}
        for p in self._rows("payments"):
            if p.succeeded_at is None or not since <= p.succeeded_at < until:
                continue
            if p.status not in (PaymentStatus.SUCCEEDED, PaymentStatus.REFUNDED):
                continue
            money = p.confirmed_amount or p.amount
            key = (p.succeeded_at.astimezone(UTC).date(), p.provider, money.currency.value)
            groups.setdefault(key, []).append(p)
        result = []
        for (day, provider, _), payments in sorted(groups.items()):
            amounts = [p.confirmed_amount or p.amount for p in payments]
            total = amounts[0]
            for extra in amounts[1:]:
                total = total + extra
            refunded = [
                p.confirmed_amount or p.amount
                for p in payments
                if p.status is PaymentStatus.REFUNDED
            ]
            refunded_total: Money | None = None
            for amount in refunded:
                refunded_total = amount if refunded_total is None else refunded_total + amount
            result.append(
                RevenueRow(
                    day=day,
                    provider=provider,
                    amount=total,
                    payments=len(payments),
                    refunded=refunded_total,
                )
            )
        return result

    async def conversion(self, since: datetime, until: datetime) -> Conversion:
        started: set[CustomerId] = set()
        paid: set[CustomerId] = set()
        for p in self._rows("payments"):
            if p.provider is PaymentProvider.BALANCE or not since <= p.created_at < until:
                continue
            started.add(p.customer_id)
            if p.succeeded_at is not None and since <= p.succeeded_at < until:
                paid.add(p.customer_id)
        return Conversion(started=len(started), paid=len(paid & started))

    async def churn(self, since: datetime, until: datetime) -> Churn:
        rows: list[Subscription] = [s for s in self._rows("subscriptions") if not s.is_trial]
        base = sum(
            1
            for s in rows
            if s.started_at <= since
            and (s.status is SubscriptionStatus.ACTIVE or (s.expired_at or s.expires_at) > since)
        )
        churned = sum(
            1
            for s in rows
            if s.status is SubscriptionStatus.EXPIRED
            and s.expired_at is not None
            and since <= s.expired_at < until
        )
        return Churn(base=base, churned=churned)


__all__ = [
    "MemoryAccessLookup",
    "MemoryAdminRepository",
    "MemoryBroadcastRepository",
    "MemoryFlagStore",
    "MemoryStatisticsReader",
    "audience_members",
]
