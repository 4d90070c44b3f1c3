"""List promo codes with their usage (owner)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from vpnsales.application.interactors.admin._guard import Permission, authorize
from vpnsales.application.ports.admin import AdminRepository
from vpnsales.application.ports.clock import Clock
from vpnsales.application.ports.repositories import PromoCodeRepository
from vpnsales.application.ports.uow import UnitOfWork
from vpnsales.domain.ids import PromoCodeId
from vpnsales.domain.money import Money
from vpnsales.domain.promo import PromoKind


@dataclass(frozen=True, slots=True, kw_only=True)
class ListPromoCodesCommand:
    actor_telegram_id: int
    include_inactive: bool = True


@dataclass(frozen=True, slots=True, kw_only=True)
class PromoCodeView:
    promo_id: PromoCodeId
    code: str
    kind: PromoKind
    percent: Decimal | None
    amount: Money | None
    days: int | None
    uses: int
    max_uses: int | None
    uses_left: int | None
    active: bool
    usable_now: bool
    """Active and inside its validity window, with uses left."""
    valid_until: datetime | None


class ListPromoCodes:
    def __init__(
        self,
        *,
        uow: UnitOfWork,
        admins: AdminRepository,
        promos: PromoCodeRepository,
        clock: Clock,
    ) -> None:
        self._uow = uow
        self._admins = admins
        self._promos = promos
        self._clock = clock

    async def __call__(self, command: ListPromoCodesCommand) -> list[PromoCodeView]:
        await authorize(self._admins, command.actor_telegram_id, Permission.VIEW_PROMOS)
        promos = await self._promos.list(include_inactive=command.include_inactive)
        await self._uow.commit()
        now = self._clock.now()
        return [
            PromoCodeView(
                promo_id=p.id,
                code=p.code,
                kind=p.kind,
                percent=p.percent,
                amount=p.amount,
                days=p.days,
                uses=p.uses,
                max_uses=p.max_uses,
                uses_left=p.uses_left,
                active=p.active,
                usable_now=p.active
                and (p.valid_from is None or p.valid_from <= now)
                and (p.valid_until is None or now < p.valid_until)
                and (p.uses_left is None or p.uses_left > 0),
                valid_until=p.valid_until,
            )
            for p in promos
        ]
