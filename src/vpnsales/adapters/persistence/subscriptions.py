"""Subscriptions, with the batch claims used by the sweeps (``FOR UPDATE SKIP LOCKED``)."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, any_, bindparam, insert, select, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession

from vpnsales.adapters.persistence.tables import subscriptions
from vpnsales.application.ports.repositories import SubscriptionRepository
from vpnsales.domain.ids import CustomerId, PanelId, SubscriptionId, TariffId
from vpnsales.domain.limits import DeviceLimit, TrafficLimit, TrafficResetStrategy
from vpnsales.domain.subscription import Subscription, SubscriptionStatus, SuspensionReason
from vpnsales.domain.tariff import PanelBinding

_ACTIVE = SubscriptionStatus.ACTIVE.value
_UUID_ARRAY = ARRAY(subscriptions.c.id.type)


def subscription_from_row(row: Mapping[Any, Any]) -> Subscription:
    return Subscription(
        id=SubscriptionId(row["id"]),
        customer_id=CustomerId(row["customer_id"]),
        tariff_id=TariffId(row["tariff_id"]),
        status=SubscriptionStatus(row["status"]),
        started_at=row["started_at"],
        expires_at=row["expires_at"],
        traffic=TrafficLimit(row["traffic_bytes"], TrafficResetStrategy(row["traffic_reset"])),
        devices=DeviceLimit(row["device_limit"]),
        binding=PanelBinding(
            panel=PanelId(row["panel_id"]),
            squads=tuple(row["squads"]),
            inbounds=tuple(row["inbounds"]),
        ),
        is_trial=row["is_trial"],
        auto_renew=row["auto_renew"],
        period_number=row["period_number"],
        reminders_sent=frozenset(row["reminders_sent"]),
        traffic_alerts_sent=frozenset(row["traffic_alerts_sent"]),
        expired_at=row["expired_at"],
        suspended_reason=(
            SuspensionReason(row["suspended_reason"]) if row["suspended_reason"] else None
        ),
    )


def subscription_to_values(subscription: Subscription) -> dict[str, Any]:
    return {
        "id": subscription.id,
        "customer_id": subscription.customer_id,
        "tariff_id": subscription.tariff_id,
        "status": subscription.status.value,
        "started_at": subscription.started_at,
        "expires_at": subscription.expires_at,
        "expired_at": subscription.expired_at,
        "traffic_bytes": subscription.traffic.bytes,
        "traffic_reset": subscription.traffic.reset.value,
        "device_limit": subscription.devices.count,
        "panel_id": subscription.binding.panel,
        "squads": list(subscription.binding.squads),
        "inbounds": list(subscription.binding.inbounds),
        "is_trial": subscription.is_trial,
        "auto_renew": subscription.auto_renew,
        "period_number": subscription.period_number,
        "reminders_sent": sorted(subscription.reminders_sent),
        "traffic_alerts_sent": sorted(subscription.traffic_alerts_sent),
        "suspended_reason": (
            subscription.suspended_reason.value if subscription.suspended_reason else None
        ),
    }


_UPDATE_COLUMNS = tuple(
    c.name for c in subscriptions.columns if c.name not in ("id", "customer_id", "started_at")
)
# Built once: a cached, fully bound UPDATE is ~30 % cheaper per row than ``.values(dict)``
# and doubles as the executemany statement of ``save_all``.
_UPDATE = (
    update(subscriptions)
    .where(subscriptions.c.id == bindparam("_id"))
    .values({name: bindparam(name) for name in _UPDATE_COLUMNS})
)


def _update_params(subscription: Subscription) -> dict[str, Any]:
    values = subscription_to_values(subscription)
    params = {name: values[name] for name in _UPDATE_COLUMNS}
    params["_id"] = subscription.id
    return params


class SqlSubscriptionRepository(SubscriptionRepository):
    __slots__ = ("_session",)

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def _all(self, query: Select[Any]) -> list[Subscription]:
        rows = (await self._session.execute(query)).mappings()
        return [subscription_from_row(r) for r in rows]

    async def get(
        self, subscription_id: SubscriptionId, *, for_update: bool = False
    ) -> Subscription | None:
        query = select(subscriptions).where(subscriptions.c.id == subscription_id)
        if for_update:
            query = query.with_for_update()
        found = await self._all(query)
        return found[0] if found else None

    async def get_many(
        self, subscription_ids: Collection[SubscriptionId], *, for_update: bool = False
    ) -> dict[SubscriptionId, Subscription]:
        """One query, ``id = ANY(:ids)``; locks in id order."""
        wanted = set(subscription_ids)
        if not wanted:
            return {}
        ids = bindparam("subscription_ids", list(wanted), type_=_UUID_ARRAY)
        query = (
            select(subscriptions)
            .where(subscriptions.c.id == any_(ids))
            .order_by(subscriptions.c.id)
        )
        if for_update:
            query = query.with_for_update()
        return {s.id: s for s in await self._all(query)}

    async def for_customer(self, customer_id: CustomerId) -> list[Subscription]:
        query = (
            select(subscriptions)
            .where(subscriptions.c.customer_id == customer_id)
            .order_by(subscriptions.c.started_at.desc(), subscriptions.c.id)
        )
        return await self._all(query)

    async def add(self, subscription: Subscription) -> None:
        await self._session.execute(
            insert(subscriptions).values(subscription_to_values(subscription))
        )

    async def save(self, subscription: Subscription) -> None:
        connection = await self._session.connection()
        await connection.execute(_UPDATE, _update_params(subscription))

    async def save_all(self, batch: Iterable[Subscription]) -> None:
        """Write back many loaded subscriptions in one pipelined ``executemany``
        (a sweep saving 1,000 claimed rows is ~4x faster this way than ``save`` each)."""
        params = [_update_params(s) for s in batch]
        if params:
            connection = await self._session.connection()
            await connection.execute(_UPDATE, params)

    @staticmethod
    def _claim(where: Any, limit: int) -> Select[Any]:
        # The partial index on expires_at WHERE status = 'active' serves every claim.
        return (
            select(subscriptions)
            .where(subscriptions.c.status == _ACTIVE, where)
            .order_by(subscriptions.c.expires_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )

    async def claim_due(self, now: datetime, limit: int) -> list[Subscription]:
        return await self._all(self._claim(subscriptions.c.expires_at <= now, limit))

    async def claim_expiring(
        self, now: datetime, within_hours: int, threshold: int, limit: int
    ) -> list[Subscription]:
        horizon = now + timedelta(hours=within_hours)
        where = (
            (subscriptions.c.expires_at > now)
            & (subscriptions.c.expires_at <= horizon)
            & ~subscriptions.c.reminders_sent.contains([threshold])
        )
        return await self._all(self._claim(where, limit))

    async def claim_for_auto_renewal(
        self, now: datetime, before: datetime, limit: int
    ) -> list[Subscription]:
        where = subscriptions.c.auto_renew.is_(True) & (subscriptions.c.expires_at < before)
        return await self._all(self._claim(where, limit))
