"""Create a promo code of any kind (owner)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from uuid import uuid4

from vpnsales.application.interactors.admin._guard import Permission, authorize
from vpnsales.application.interactors.admin._snapshots import promo_snapshot
from vpnsales.application.ports.admin import AdminRepository
from vpnsales.application.ports.clock import Clock
from vpnsales.application.ports.repositories import AuditLog, PromoCodeRepository
from vpnsales.application.ports.uow import UnitOfWork
from vpnsales.domain.errors import PromoCodeAlreadyExists
from vpnsales.domain.ids import PromoCodeId, TariffId
from vpnsales.domain.money import Money
from vpnsales.domain.promo import PromoCode, PromoKind


@dataclass(frozen=True, slots=True, kw_only=True)
class CreatePromoCodeCommand:
    actor_telegram_id: int
    code: str
    kind: PromoKind
    percent: Decimal | None = None
    amount: Money | None = None
    days: int | None = None
    valid_from: datetime | None = None
    valid_until: datetime | None = None
    max_uses: int | None = None
    max_uses_per_customer: int = 1
    allowed_tariffs: frozenset[TariffId] | None = None
    first_purchase_only: bool = False


class CreatePromoCode:
    """The domain validates the kind's parameters (percent, amount or days)."""

    def __init__(
        self,
        *,
        uow: UnitOfWork,
        admins: AdminRepository,
        promos: PromoCodeRepository,
        audit: AuditLog,
        clock: Clock,
    ) -> None:
        self._uow = uow
        self._admins = admins
        self._promos = promos
        self._audit = audit
        self._clock = clock

    async def __call__(self, command: CreatePromoCodeCommand) -> PromoCodeId:
        await authorize(self._admins, command.actor_telegram_id, Permission.EDIT_PROMOS)
        now = self._clock.now()
        promo = PromoCode(
            id=PromoCodeId(uuid4()),
            code=command.code,
            kind=command.kind,
            created_at=now,
            percent=command.percent,
            amount=command.amount,
            days=command.days,
            valid_from=command.valid_from,
            valid_until=command.valid_until,
            max_uses=command.max_uses,
            max_uses_per_customer=command.max_uses_per_customer,
            allowed_tariffs=command.allowed_tariffs,
            first_purchase_only=command.first_purchase_only,
        )
        if await self._promos.get_by_code(promo.code) is not None:
            raise PromoCodeAlreadyExists(promo.code)
        await self._promos.add(promo)
        await self._audit.record(
            actor_telegram_id=command.actor_telegram_id,
            action="promo.create",
            target=f"promo:{promo.code}",
            at=now,
            after=promo_snapshot(promo),
        )
        await self._uow.commit()
        return promo.id
