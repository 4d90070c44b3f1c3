"""Promo codes and their redemptions.

Use counting is atomic because redemption happens under the promo row's lock
(``get(..., for_update=True)``); ``CHECK (uses <= max_uses)`` and the partial unique
index on single-use redemptions back the rules up in the database itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Select, delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from vpnsales.adapters.persistence.errors import guarded, translated
from vpnsales.adapters.persistence.tables import promo_codes, promo_redemptions
from vpnsales.application.ports.repositories import PromoCodeRepository, Redemption
from vpnsales.domain.errors import InvalidPromoCode
from vpnsales.domain.ids import CustomerId, PaymentId, PromoCodeId, TariffId
from vpnsales.domain.money import Money
from vpnsales.domain.promo import PromoCode, PromoKind, normalise_code


def promo_from_row(row: Mapping[Any, Any]) -> PromoCode:
    allowed = row["allowed_tariffs"]
    return PromoCode(
        id=PromoCodeId(row["id"]),
        code=row["code"],
        kind=PromoKind(row["kind"]),
        created_at=row["created_at"],
        percent=row["percent"],
        amount=Money.exact(row["amount"], row["amount_currency"])
        if row["amount"] is not None
        else None,
        days=row["days"],
        valid_from=row["valid_from"],
        valid_until=row["valid_until"],
        max_uses=row["max_uses"],
        max_uses_per_customer=row["max_uses_per_customer"],
        uses=row["uses"],
        allowed_tariffs=frozenset(TariffId(t) for t in allowed) if allowed is not None else None,
        first_purchase_only=row["first_purchase_only"],
        active=row["active"],
    )


def promo_to_values(promo: PromoCode) -> dict[str, Any]:
    return {
        "id": promo.id,
        "code": promo.code,
        "kind": promo.kind.value,
        "created_at": promo.created_at,
        "percent": promo.percent,
        "amount": promo.amount.amount if promo.amount else None,
        "amount_currency": promo.amount.currency.value if promo.amount else None,
        "days": promo.days,
        "valid_from": promo.valid_from,
        "valid_until": promo.valid_until,
        "max_uses": promo.max_uses,
        "max_uses_per_customer": promo.max_uses_per_customer,
        "uses": promo.uses,
        "allowed_tariffs": sorted(promo.allowed_tariffs)
        if promo.allowed_tariffs is not None
        else None,
        "first_purchase_only": promo.first_purchase_only,
        "active": promo.active,
    }


def redemption_to_values(redemption: Redemption) -> dict[str, Any]:
    return {
        "promo_id": redemption.promo_id,
        "customer_id": redemption.customer_id,
        "payment_id": redemption.payment_id,
        "redeemed_at": redemption.redeemed_at,
        "single_use": redemption.single_use,
    }


class SqlPromoCodeRepository(PromoCodeRepository):
    __slots__ = ("_session",)

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def _all(self, query: Select[Any]) -> list[PromoCode]:
        rows = (await self._session.execute(query)).mappings()
        return [promo_from_row(r) for r in rows]

    async def _one(self, where: Any, *, for_update: bool) -> PromoCode | None:
        query = select(promo_codes).where(where)
        if for_update:
            query = query.with_for_update()
        found = await self._all(query)
        return found[0] if found else None

    async def get(self, promo_id: PromoCodeId, *, for_update: bool = False) -> PromoCode | None:
        return await self._one(promo_codes.c.id == promo_id, for_update=for_update)

    async def get_by_code(self, code: str, *, for_update: bool = False) -> PromoCode | None:
        try:
            normalised = normalise_code(code)
        except InvalidPromoCode:
            return None
        return await self._one(promo_codes.c.code == normalised, for_update=for_update)

    async def add(self, promo: PromoCode) -> None:
        async with guarded(self._session):
            await self._session.execute(insert(promo_codes).values(promo_to_values(promo)))

    async def save(self, promo: PromoCode) -> None:
        values = promo_to_values(promo)
        del values["id"], values["created_at"]
        async with translated():
            await self._session.execute(
                update(promo_codes).where(promo_codes.c.id == promo.id).values(values)
            )

    async def list(self, *, include_inactive: bool = True) -> list[PromoCode]:
        query = select(promo_codes).order_by(promo_codes.c.created_at.desc(), promo_codes.c.code)
        if not include_inactive:
            query = query.where(promo_codes.c.active.is_(True))
        return await self._all(query)

    async def customer_uses(self, promo_id: PromoCodeId, customer_id: CustomerId) -> int:
        query = select(func.count()).where(
            promo_redemptions.c.promo_id == promo_id,
            promo_redemptions.c.customer_id == customer_id,
        )
        return int((await self._session.execute(query)).scalar_one())

    async def add_redemption(self, redemption: Redemption) -> None:
        async with guarded(self._session):
            await self._session.execute(
                insert(promo_redemptions).values(redemption_to_values(redemption))
            )

    async def remove_redemption(self, promo_id: PromoCodeId, payment_id: PaymentId) -> bool:
        query = (
            delete(promo_redemptions)
            .where(
                promo_redemptions.c.promo_id == promo_id,
                promo_redemptions.c.payment_id == payment_id,
            )
            .returning(promo_redemptions.c.id)
        )
        return (await self._session.execute(query)).first() is not None
