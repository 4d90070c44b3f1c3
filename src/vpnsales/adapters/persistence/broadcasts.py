"""Broadcasts and their delivery rows (materialised once, claimed with a lease)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    and_,
    exists,
    func,
    insert,
    literal,
    not_,
    or_,
    select,
    true,
    tuple_,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from vpnsales.adapters.persistence.errors import guarded
from vpnsales.adapters.persistence.tables import (
    broadcast_deliveries,
    broadcasts,
    customers,
    payments,
    subscriptions,
)
from vpnsales.application.ports.broadcast import (
    Audience,
    AudienceKind,
    Broadcast,
    BroadcastButton,
    BroadcastDelivery,
    BroadcastMessage,
    BroadcastProgress,
    BroadcastRepository,
    BroadcastStatus,
    DeliveryStatus,
)
from vpnsales.application.ports.notifier import Recipient
from vpnsales.domain.customer import Language
from vpnsales.domain.ids import BroadcastId, CustomerId, TariffId
from vpnsales.domain.payment import PaymentStatus
from vpnsales.domain.subscription import SubscriptionStatus

_PENDING = DeliveryStatus.PENDING.value
_ACTIVE = SubscriptionStatus.ACTIVE.value


def broadcast_from_row(row: Mapping[Any, Any]) -> Broadcast:
    button = None
    if row["button_text"] is not None:
        button = BroadcastButton(text=row["button_text"], url=row["button_url"])
    tariff_id = row["audience_tariff_id"]
    return Broadcast(
        id=BroadcastId(row["id"]),
        created_by=row["created_by"],
        created_at=row["created_at"],
        audience=Audience(
            kind=AudienceKind(row["audience_kind"]),
            tariff_id=TariffId(tariff_id) if tariff_id else None,
        ),
        message=BroadcastMessage(text=row["text"], photo=row["photo"], button=button),
        status=BroadcastStatus(row["status"]),
        started_at=row["started_at"],
        finished_at=row["finished_at"],
        recipients=row["recipients"],
    )


def broadcast_to_values(broadcast: Broadcast) -> dict[str, Any]:
    button = broadcast.message.button
    return {
        "id": broadcast.id,
        "created_by": broadcast.created_by,
        "created_at": broadcast.created_at,
        "audience_kind": broadcast.audience.kind.value,
        "audience_tariff_id": broadcast.audience.tariff_id,
        "text": broadcast.message.text,
        "photo": broadcast.message.photo,
        "button_text": button.text if button else None,
        "button_url": button.url if button else None,
        "status": broadcast.status.value,
        "started_at": broadcast.started_at,
        "finished_at": broadcast.finished_at,
        "recipients": broadcast.recipients,
    }


def audience_filter(audience: Audience) -> ColumnElement[bool]:
    """Non-banned customers of the audience, as a WHERE clause over ``customers``."""
    subs = subscriptions.c
    mine = subs.customer_id == customers.c.id
    live = exists().where(mine, subs.status == _ACTIVE)
    kind = audience.kind
    if kind is AudienceKind.ALL:
        member: ColumnElement[bool] = true()
    elif kind is AudienceKind.ACTIVE:
        member = live
    elif kind is AudienceKind.EXPIRED:
        member = and_(
            not_(live),
            exists().where(mine, subs.status == SubscriptionStatus.EXPIRED.value),
        )
    elif kind is AudienceKind.TRIAL:
        paid_live = exists().where(mine, subs.status == _ACTIVE, subs.is_trial.is_(False))
        member = and_(live, not_(paid_live))
    elif kind is AudienceKind.NEVER_PAID:
        paid = exists().where(
            payments.c.customer_id == customers.c.id,
            payments.c.status == PaymentStatus.SUCCEEDED.value,
        )
        member = and_(customers.c.has_purchased.is_(False), not_(paid))
    else:
        member = exists().where(mine, subs.status == _ACTIVE, subs.tariff_id == audience.tariff_id)
    return and_(customers.c.banned.is_(False), member)


class SqlBroadcastRepository(BroadcastRepository):
    __slots__ = ("_session",)

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def get(self, broadcast_id: BroadcastId, *, for_update: bool = False) -> Broadcast | None:
        query = select(broadcasts).where(broadcasts.c.id == broadcast_id)
        if for_update:
            query = query.with_for_update()
        row = (await self._session.execute(query)).mappings().first()
        return None if row is None else broadcast_from_row(row)

    async def add(self, broadcast: Broadcast) -> None:
        async with guarded(self._session):
            await self._session.execute(insert(broadcasts).values(broadcast_to_values(broadcast)))

    async def save(self, broadcast: Broadcast) -> None:
        values = broadcast_to_values(broadcast)
        del values["id"], values["created_at"]
        await self._session.execute(
            update(broadcasts).where(broadcasts.c.id == broadcast.id).values(values)
        )

    async def running(self) -> list[BroadcastId]:
        query = (
            select(broadcasts.c.id)
            .where(broadcasts.c.status == BroadcastStatus.RUNNING.value)
            .order_by(func.coalesce(broadcasts.c.started_at, broadcasts.c.created_at))
        )
        return [BroadcastId(i) for i in (await self._session.execute(query)).scalars()]

    async def count_audience(self, audience: Audience, now: datetime) -> int:
        query = select(func.count()).select_from(customers).where(audience_filter(audience))
        return int((await self._session.execute(query)).scalar_one())

    async def materialise(
        self, broadcast_id: BroadcastId, audience: Audience, now: datetime
    ) -> int:
        members = select(
            literal(broadcast_id).label("broadcast_id"),
            customers.c.id,
            customers.c.telegram_id,
            customers.c.language,
            literal(_PENDING).label("status"),
        ).where(audience_filter(audience))
        statement = (
            pg_insert(broadcast_deliveries)
            .from_select(
                ["broadcast_id", "customer_id", "telegram_id", "language", "status"], members
            )
            .on_conflict_do_nothing()
        )
        await self._session.execute(statement)
        count = select(func.count()).where(broadcast_deliveries.c.broadcast_id == broadcast_id)
        return int((await self._session.execute(count)).scalar_one())

    async def claim(
        self, broadcast_id: BroadcastId, now: datetime, *, limit: int, lease: timedelta
    ) -> list[BroadcastDelivery]:
        d = broadcast_deliveries.c
        free = (
            select(d.broadcast_id, d.customer_id)
            .where(
                d.broadcast_id == broadcast_id,
                d.status == _PENDING,
                or_(d.locked_until.is_(None), d.locked_until <= now),
            )
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        statement = (
            update(broadcast_deliveries)
            .where(tuple_(d.broadcast_id, d.customer_id).in_(free))
            .values(locked_until=now + lease)
            .returning(d.broadcast_id, d.customer_id, d.telegram_id, d.language, d.status)
        )
        rows = (await self._session.execute(statement)).mappings()
        return [
            BroadcastDelivery(
                broadcast_id=BroadcastId(r["broadcast_id"]),
                customer_id=CustomerId(r["customer_id"]),
                recipient=Recipient(telegram_id=r["telegram_id"], language=Language(r["language"])),
                status=DeliveryStatus(r["status"]),
            )
            for r in rows
        ]

    async def mark(
        self, broadcast_id: BroadcastId, customer_id: CustomerId, status: DeliveryStatus
    ) -> None:
        d = broadcast_deliveries.c
        await self._session.execute(
            update(broadcast_deliveries)
            .where(d.broadcast_id == broadcast_id, d.customer_id == customer_id)
            .values(status=status.value, locked_until=None)
        )

    async def progress(self, broadcast_id: BroadcastId) -> BroadcastProgress:
        status = broadcast_deliveries.c.status
        query = select(
            func.count(),
            func.count().filter(status == DeliveryStatus.SENT.value),
            func.count().filter(status == DeliveryStatus.BLOCKED.value),
            func.count().filter(status == DeliveryStatus.FAILED.value),
        ).where(broadcast_deliveries.c.broadcast_id == broadcast_id)
        total, sent, blocked, failed = (await self._session.execute(query)).one()
        return BroadcastProgress(total=total, sent=sent, blocked=blocked, failed=failed)
