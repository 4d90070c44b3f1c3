"""Accesses (VPN keys): desired and observed state, sync bookkeeping."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from typing import Any

from sqlalchemy import Select, any_, bindparam, func, insert, or_, select, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession

from vpnsales.adapters.persistence.errors import guarded, translated
from vpnsales.adapters.persistence.tables import accesses
from vpnsales.application.ports.repositories import AccessRepository
from vpnsales.application.ports.worker import AccessLookup
from vpnsales.domain.access import (
    Access,
    AccessPhase,
    DesiredState,
    Observed,
    ObservedStatus,
    SyncStatus,
)
from vpnsales.domain.ids import AccessId, CustomerId, PanelId, SubscriptionId

_DELETED = DesiredState.DELETED.value
_UUID_ARRAY = ARRAY(accesses.c.subscription_id.type)


def access_from_row(row: Mapping[Any, Any]) -> Access:
    observed = None
    if row["observed_status"] is not None:
        observed = Observed(
            status=ObservedStatus(row["observed_status"]),
            at=row["observed_at"],
            expires_at=row["observed_expires_at"],
            used_traffic_bytes=row["observed_used_traffic_bytes"] or 0,
            last_online_at=row["observed_last_online_at"],
            devices=row["observed_devices"],
        )
    return Access(
        id=AccessId(row["id"]),
        subscription_id=SubscriptionId(row["subscription_id"]),
        customer_id=CustomerId(row["customer_id"]),
        panel_id=PanelId(row["panel_id"]),
        username=row["username"],
        created_at=row["created_at"],
        desired=DesiredState(row["desired"]),
        phase=AccessPhase(row["phase"]),
        external_id=row["external_id"],
        subscription_url=row["subscription_url"],
        observed=observed,
        sync=SyncStatus(row["sync"]),
        attempts=row["attempts"],
        last_error=row["last_error"],
        version=row["version"],
    )


def access_to_values(access: Access) -> dict[str, Any]:
    observed = access.observed
    return {
        "id": access.id,
        "subscription_id": access.subscription_id,
        "customer_id": access.customer_id,
        "panel_id": access.panel_id,
        "username": access.username,
        "created_at": access.created_at,
        "desired": access.desired.value,
        "phase": access.phase.value,
        "external_id": access.external_id,
        "subscription_url": access.subscription_url,
        "observed_status": observed.status.value if observed else None,
        "observed_at": observed.at if observed else None,
        "observed_expires_at": observed.expires_at if observed else None,
        "observed_used_traffic_bytes": observed.used_traffic_bytes if observed else None,
        "observed_last_online_at": observed.last_online_at if observed else None,
        "observed_devices": observed.devices if observed else None,
        "sync": access.sync.value,
        "attempts": access.attempts,
        "last_error": access.last_error,
        "version": access.version,
    }


_UPDATE_COLUMNS = tuple(
    c.name for c in accesses.columns if c.name not in ("id", "created_at", "customer_id")
)
_UPDATE = (
    update(accesses)
    .where(accesses.c.id == bindparam("_id"))
    .values({name: bindparam(name) for name in _UPDATE_COLUMNS})
)


def _update_params(access: Access) -> dict[str, Any]:
    values = access_to_values(access)
    params = {name: values[name] for name in _UPDATE_COLUMNS}
    params["_id"] = access.id
    return params


class SqlAccessRepository(AccessRepository):
    __slots__ = ("_session",)

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def _all(self, query: Select[Any]) -> list[Access]:
        rows = (await self._session.execute(query)).mappings()
        return [access_from_row(r) for r in rows]

    async def get(self, access_id: AccessId, *, for_update: bool = False) -> Access | None:
        query = select(accesses).where(accesses.c.id == access_id)
        if for_update:
            query = query.with_for_update()
        found = await self._all(query)
        return found[0] if found else None

    async def for_subscription(
        self, subscription_id: SubscriptionId, *, for_update: bool = False
    ) -> list[Access]:
        query = (
            select(accesses)
            .where(accesses.c.subscription_id == subscription_id)
            .order_by(accesses.c.created_at, accesses.c.id)
        )
        if for_update:
            query = query.with_for_update()
        return await self._all(query)

    async def for_subscriptions(
        self, subscription_ids: Collection[SubscriptionId], *, for_update: bool = False
    ) -> dict[SubscriptionId, list[Access]]:
        """One query, ``subscription_id = ANY(:ids)`` (one cached statement whatever the
        number of ids); locks in (subscription, created_at, id) order."""
        found: dict[SubscriptionId, list[Access]] = {sid: [] for sid in subscription_ids}
        if not found:
            return found
        ids = bindparam("subscription_ids", list(found), type_=_UUID_ARRAY)
        query = (
            select(accesses)
            .where(accesses.c.subscription_id == any_(ids))
            .order_by(accesses.c.subscription_id, accesses.c.created_at, accesses.c.id)
        )
        if for_update:
            query = query.with_for_update()
        for access in await self._all(query):
            found[access.subscription_id].append(access)
        return found

    async def for_customer(self, customer_id: CustomerId) -> list[Access]:
        query = (
            select(accesses)
            .where(accesses.c.customer_id == customer_id)
            .order_by(accesses.c.created_at, accesses.c.id)
        )
        return await self._all(query)

    async def for_panel(
        self, panel_id: PanelId, *, after: AccessId | None, limit: int
    ) -> list[Access]:
        query = select(accesses).where(accesses.c.panel_id == panel_id)
        if after is not None:
            query = query.where(accesses.c.id > after)
        return await self._all(query.order_by(accesses.c.id).limit(limit))

    async def add(self, access: Access) -> None:
        async with guarded(self._session):
            await self._session.execute(insert(accesses).values(access_to_values(access)))

    async def save(self, access: Access) -> None:
        async with translated():
            connection = await self._session.connection()
            await connection.execute(_UPDATE, _update_params(access))

    async def save_all(self, batch: Iterable[Access]) -> None:
        """One pipelined ``executemany`` of the same UPDATE as ``save``."""
        params = [_update_params(a) for a in batch]
        if params:
            async with translated():
                connection = await self._session.connection()
                await connection.execute(_UPDATE, params)

    async def count_by_panel(self) -> dict[PanelId, int]:
        query = (
            select(accesses.c.panel_id, func.count())
            .where(accesses.c.desired != _DELETED)
            .group_by(accesses.c.panel_id)
        )
        rows = await self._session.execute(query)
        return {PanelId(panel): int(count) for panel, count in rows}


class SqlAccessLookup(AccessLookup):
    """The access behind a panel account (panel webhooks carry only panel-side ids)."""

    __slots__ = ("_session",)

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def by_account(
        self, panel_id: PanelId, *, username: str | None, external_id: str | None
    ) -> Access | None:
        matches = []
        if username:
            matches.append(accesses.c.username == username)
        if external_id:
            matches.append(accesses.c.external_id == external_id)
        if not matches:
            return None
        query = (
            select(accesses)
            .where(accesses.c.panel_id == panel_id, or_(*matches))
            .order_by(accesses.c.created_at.desc())
            .limit(1)
        )
        row = (await self._session.execute(query)).mappings().first()
        return None if row is None else access_from_row(row)
