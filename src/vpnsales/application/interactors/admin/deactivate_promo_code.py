"""Deactivate a promo code (owner). Uses already made stay."""

from __future__ import annotations

from dataclasses import dataclass

from vpnsales.application.interactors.admin._guard import Permission, authorize
from vpnsales.application.ports.admin import AdminRepository
from vpnsales.application.ports.clock import Clock
from vpnsales.application.ports.repositories import AuditLog, PromoCodeRepository
from vpnsales.application.ports.uow import UnitOfWork
from vpnsales.domain.errors import PromoCodeNotFound
from vpnsales.domain.promo import normalise_code


@dataclass(frozen=True, slots=True, kw_only=True)
class DeactivatePromoCodeCommand:
    actor_telegram_id: int
    code: str


class DeactivatePromoCode:
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

    async def __call__(self, command: DeactivatePromoCodeCommand) -> bool:
        await authorize(self._admins, command.actor_telegram_id, Permission.EDIT_PROMOS)
        promo = await self._promos.get_by_code(normalise_code(command.code), for_update=True)
        if promo is None:
            raise PromoCodeNotFound(command.code)
        if not promo.active:
            await self._uow.rollback()  # nothing to change
            return False
        promo.deactivate()
        await self._promos.save(promo)
        await self._audit.record(
            actor_telegram_id=command.actor_telegram_id,
            action="promo.deactivate",
            target=f"promo:{promo.code}",
            at=self._clock.now(),
            before={"active": True},
            after={"active": False},
        )
        await self._uow.commit()
        return True
