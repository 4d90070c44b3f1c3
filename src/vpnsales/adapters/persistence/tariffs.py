"""Tariffs: a tariff row, its options as child rows and their prices as grandchild rows.

Child rows rather than JSONB so that prices are real ``NUMERIC(14,2)`` money with
database checks (non-negative, whole Stars) and can be joined by statistics; names and
descriptions are free text per language, never queried, so they are JSONB.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any
from uuid import UUID

from sqlalchemy import delete, event, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from vpnsales.adapters.persistence.tables import tariff_options, tariff_prices, tariffs
from vpnsales.application.ports.repositories import TariffRepository
from vpnsales.domain.customer import Language
from vpnsales.domain.ids import PanelId, TariffId
from vpnsales.domain.limits import DeviceLimit, Period, TrafficLimit, TrafficResetStrategy
from vpnsales.domain.money import Currency, Money
from vpnsales.domain.tariff import Availability, PanelBinding, Tariff, TariffOption

_WATCHED = "vpnsales.tariffs_changed"
"""Session info key: an ``after_commit`` listener for ``on_change`` is registered."""


def tariff_from_rows(
    row: Mapping[Any, Any], options: Iterable[tuple[int, Mapping[Currency, Money]]]
) -> Tariff:
    return Tariff(
        id=TariffId(row["id"]),
        code=row["code"],
        names={Language(k): v for k, v in row["names"].items()},
        descriptions={Language(k): v for k, v in row["descriptions"].items()},
        options=tuple(TariffOption(Period(days), prices) for days, prices in options),
        binding=PanelBinding(
            panel=PanelId(row["panel_id"]),
            squads=tuple(row["squads"]),
            inbounds=tuple(row["inbounds"]),
        ),
        traffic=TrafficLimit(row["traffic_bytes"], TrafficResetStrategy(row["traffic_reset"])),
        devices=DeviceLimit(row["device_limit"]),
        locations=tuple(row["locations"]),
        availability=Availability(row["availability"]),
        order=row["sort_order"],
        active=row["active"],
        is_trial=row["is_trial"],
    )


def tariff_to_values(tariff: Tariff) -> dict[str, Any]:
    return {
        "id": tariff.id,
        "code": tariff.code,
        "names": {k.value: v for k, v in tariff.names.items()},
        "descriptions": {k.value: v for k, v in tariff.descriptions.items()},
        "traffic_bytes": tariff.traffic.bytes,
        "traffic_reset": tariff.traffic.reset.value,
        "device_limit": tariff.devices.count,
        "panel_id": tariff.binding.panel,
        "squads": list(tariff.binding.squads),
        "inbounds": list(tariff.binding.inbounds),
        "locations": list(tariff.locations),
        "availability": tariff.availability.value,
        "sort_order": tariff.order,
        "active": tariff.active,
        "is_trial": tariff.is_trial,
    }


def _option_rows(tariff: Tariff) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    options = [{"tariff_id": tariff.id, "days": o.days} for o in tariff.options]
    prices = [
        {
            "tariff_id": tariff.id,
            "days": o.days,
            "currency": currency.value,
            "amount": price.amount,
        }
        for o in tariff.options
        for currency, price in o.prices.items()
    ]
    return options, prices


class SqlTariffRepository(TariffRepository):
    """``on_change``: called when a write is staged and again when the session commits
    it (a cached catalog's ``invalidate``)."""

    __slots__ = ("_on_change", "_session")

    def __init__(
        self, session: AsyncSession, *, on_change: Callable[[], None] | None = None
    ) -> None:
        self._session = session
        self._on_change = on_change

    def _changed(self) -> None:
        on_change = self._on_change
        if on_change is None:
            return
        on_change()
        sync = self._session.sync_session
        if sync.info.get(_WATCHED):
            return
        sync.info[_WATCHED] = True

        def committed(session: Session) -> None:
            session.info.pop(_WATCHED, None)
            on_change()

        event.listen(sync, "after_commit", committed, once=True)

    async def _load(self, rows: Sequence[Mapping[Any, Any]]) -> list[Tariff]:
        if not rows:
            return []
        ids = [r["id"] for r in rows]
        # one query for every option of every tariff, prices joined in
        query = (
            select(
                tariff_options.c.tariff_id,
                tariff_options.c.days,
                tariff_prices.c.currency,
                tariff_prices.c.amount,
            )
            .select_from(
                tariff_options.outerjoin(
                    tariff_prices,
                    (tariff_prices.c.tariff_id == tariff_options.c.tariff_id)
                    & (tariff_prices.c.days == tariff_options.c.days),
                )
            )
            .where(tariff_options.c.tariff_id.in_(ids))
        )
        options: dict[UUID, dict[int, dict[Currency, Money]]] = defaultdict(dict)
        for tariff_id, days, currency, amount in await self._session.execute(query):
            prices = options[tariff_id].setdefault(days, {})
            if currency is not None:
                prices[Currency(currency)] = Money.exact(amount, currency)
        return [tariff_from_rows(r, options[r["id"]].items()) for r in rows]

    async def _select(self, where: Any = None, *, ordered: bool = False) -> list[Tariff]:
        query = select(tariffs)
        if where is not None:
            query = query.where(where)
        if ordered:
            query = query.order_by(tariffs.c.sort_order, tariffs.c.code)
        rows = (await self._session.execute(query)).mappings().all()
        return await self._load(rows)

    async def get(self, tariff_id: TariffId) -> Tariff | None:
        found = await self._select(tariffs.c.id == tariff_id)
        return found[0] if found else None

    async def get_by_code(self, code: str) -> Tariff | None:
        found = await self._select(tariffs.c.code == code)
        return found[0] if found else None

    async def list(self, *, include_inactive: bool = False) -> list[Tariff]:
        where = None if include_inactive else tariffs.c.active.is_(True)
        loaded = await self._select(where, ordered=True)
        # "ordered by order then name": the name is language-dependent; English first
        return sorted(loaded, key=lambda t: (t.order, t.name(Language.EN)))

    async def add(self, tariff: Tariff) -> None:
        self._changed()
        await self._session.execute(insert(tariffs).values(tariff_to_values(tariff)))
        await self._write_options(tariff)

    async def save(self, tariff: Tariff) -> None:
        self._changed()
        values = tariff_to_values(tariff)
        del values["id"]
        await self._session.execute(update(tariffs).where(tariffs.c.id == tariff.id).values(values))
        # catalog edits are rare: replace the options wholesale (prices cascade)
        await self._session.execute(
            delete(tariff_options).where(tariff_options.c.tariff_id == tariff.id)
        )
        await self._write_options(tariff)

    async def _write_options(self, tariff: Tariff) -> None:
        options, prices = _option_rows(tariff)
        await self._session.execute(insert(tariff_options), options)
        if prices:
            await self._session.execute(insert(tariff_prices), prices)
