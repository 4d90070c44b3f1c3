"""Admin side: admins and roles, feature flags, statistics (plain aggregate selects)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, time, timedelta
from typing import Any

from sqlalchemy import Date, cast, func, insert, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from vpnsales.adapters.persistence.errors import guarded
from vpnsales.adapters.persistence.tables import admins, customers, flags, payments, subscriptions
from vpnsales.application.ports.admin import (
    Admin,
    AdminRepository,
    AdminRole,
    Churn,
    Conversion,
    CustomerCounts,
    Flag,
    FlagStore,
    RevenueRow,
    StatisticsReader,
    SubscriptionCounts,
)
from vpnsales.domain.money import Money
from vpnsales.domain.payment import PaymentProvider, PaymentStatus
from vpnsales.domain.subscription import SubscriptionStatus


def admin_from_row(row: Mapping[Any, Any]) -> Admin:
    return Admin(
        telegram_id=row["telegram_id"],
        role=AdminRole(row["role"]),
        added_at=row["added_at"],
        added_by=row["added_by"],
        name=row["name"],
    )


def admin_to_values(admin: Admin) -> dict[str, Any]:
    return {
        "telegram_id": admin.telegram_id,
        "role": admin.role.value,
        "added_at": admin.added_at,
        "added_by": admin.added_by,
        "name": admin.name,
    }


class SqlAdminRepository(AdminRepository):
    __slots__ = ("_session",)

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def get(self, telegram_id: int) -> Admin | None:
        query = select(admins).where(admins.c.telegram_id == telegram_id)
        row = (await self._session.execute(query)).mappings().first()
        return None if row is None else admin_from_row(row)

    async def add(self, admin: Admin) -> None:
        async with guarded(self._session):
            await self._session.execute(insert(admins).values(admin_to_values(admin)))

    async def save(self, admin: Admin) -> None:
        values = admin_to_values(admin)
        statement = pg_insert(admins).values(values)
        statement = statement.on_conflict_do_update(
            index_elements=[admins.c.telegram_id],
            set_={k: statement.excluded[k] for k in values if k != "telegram_id"},
        )
        await self._session.execute(statement)

    async def list(self) -> list[Admin]:
        query = select(admins).order_by(admins.c.added_at, admins.c.telegram_id)
        rows = (await self._session.execute(query)).mappings()
        return [admin_from_row(r) for r in rows]


class SqlFlagStore(FlagStore):
    __slots__ = ("_session",)

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def get(self, flag: Flag) -> bool:
        query = select(flags.c.value).where(flags.c.name == flag.value)
        return bool((await self._session.execute(query)).scalar_one_or_none())

    async def set(self, flag: Flag, value: bool) -> None:
        statement = pg_insert(flags).values(name=flag.value, value=value)
        statement = statement.on_conflict_do_update(
            index_elements=[flags.c.name], set_={"value": value, "updated_at": func.now()}
        )
        await self._session.execute(statement)


def _day_start(moment: datetime) -> datetime:
    return datetime.combine(moment.astimezone(UTC).date(), time(), tzinfo=UTC)


_ACTIVE = SubscriptionStatus.ACTIVE.value
_EXPIRED = SubscriptionStatus.EXPIRED.value


class SqlStatisticsReader(StatisticsReader):
    """Aggregates in SQL; windows are ``[since, until)``. Point it at a replica if wanted."""

    __slots__ = ("_session",)

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def customers(self, now: datetime) -> CustomerCounts:
        created = customers.c.created_at

        def since(moment: datetime) -> Any:
            return func.count().filter(created >= moment, created <= now)

        query = select(
            func.count().filter(created <= now),
            since(_day_start(now)),
            since(now - timedelta(days=7)),
            since(now - timedelta(days=30)),
        )
        total, today, week, month = (await self._session.execute(query)).one()
        return CustomerCounts(total=total, new_today=today, new_7d=week, new_30d=month)

    async def new_customers(self, since: datetime, until: datetime) -> int:
        query = select(func.count()).where(
            customers.c.created_at >= since, customers.c.created_at < until
        )
        return int((await self._session.execute(query)).scalar_one())

    async def subscriptions(self, now: datetime) -> SubscriptionCounts:
        status, trial = subscriptions.c.status, subscriptions.c.is_trial
        query = select(
            func.count().filter(status == _ACTIVE, trial.is_(False)),
            func.count().filter(status == _ACTIVE, trial.is_(True)),
            func.count().filter(status == _EXPIRED),
            func.count().filter(status == SubscriptionStatus.SUSPENDED.value),
        )
        active, trials, expired, suspended = (await self._session.execute(query)).one()
        return SubscriptionCounts(active=active, trial=trials, expired=expired, suspended=suspended)

    async def revenue(self, since: datetime, until: datetime) -> list[RevenueRow]:
        amount = func.coalesce(payments.c.confirmed_amount, payments.c.total_amount)
        currency = func.coalesce(payments.c.confirmed_currency, payments.c.currency)
        day = cast(func.timezone("UTC", payments.c.succeeded_at), Date)
        refunded = payments.c.status == PaymentStatus.REFUNDED.value
        query = (
            select(
                day.label("day"),
                payments.c.provider,
                currency.label("currency"),
                func.sum(amount).label("amount"),
                func.count().label("payments"),
                func.sum(amount).filter(refunded).label("refunded"),
            )
            .where(
                payments.c.status.in_(
                    [PaymentStatus.SUCCEEDED.value, PaymentStatus.REFUNDED.value]
                ),
                payments.c.succeeded_at >= since,
                payments.c.succeeded_at < until,
            )
            .group_by(day, payments.c.provider, currency)
            .order_by(day, payments.c.provider, currency)
        )
        rows = (await self._session.execute(query)).mappings()
        return [
            RevenueRow(
                day=r["day"],
                provider=PaymentProvider(r["provider"]),
                amount=Money.exact(r["amount"], r["currency"]),
                payments=r["payments"],
                refunded=Money.exact(r["refunded"], r["currency"])
                if r["refunded"] is not None
                else None,
            )
            for r in rows
        ]

    async def conversion(self, since: datetime, until: datetime) -> Conversion:
        succeeded = payments.c.succeeded_at
        query = select(
            func.count(payments.c.customer_id.distinct()),
            func.count(payments.c.customer_id.distinct()).filter(
                succeeded >= since, succeeded < until
            ),
        ).where(
            payments.c.provider != PaymentProvider.BALANCE.value,
            payments.c.created_at >= since,
            payments.c.created_at < until,
        )
        started, paid = (await self._session.execute(query)).one()
        return Conversion(started=started, paid=paid)

    async def churn(self, since: datetime, until: datetime) -> Churn:
        s = subscriptions.c
        ended = func.coalesce(s.expired_at, s.expires_at)
        query = select(
            func.count().filter(s.started_at <= since, (s.status == _ACTIVE) | (ended > since)),
            func.count().filter(
                s.status == _EXPIRED,
                s.expired_at.is_not(None),
                s.expired_at >= since,
                s.expired_at < until,
            ),
        ).where(s.is_trial.is_(False))
        base, churned = (await self._session.execute(query)).one()
        return Churn(base=base, churned=churned)
