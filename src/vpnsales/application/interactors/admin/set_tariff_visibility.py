"""Hide a tariff from sale or show it again (owner)."""

from __future__ import annotations

from dataclasses import dataclass

from vpnsales.application.interactors.admin._guard import Permission, authorize
from vpnsales.application.ports.admin import AdminRepository
from vpnsales.application.ports.clock import Clock
from vpnsales.application.ports.repositories import AuditLog, TariffRepository
from vpnsales.application.ports.uow import UnitOfWork
from vpnsales.domain.errors import TariffNotFound
from vpnsales.domain.ids import TariffId


@dataclass(frozen=True, slots=True, kw_only=True)
class SetTariffVisibilityCommand:
    actor_telegram_id: int
    tariff_id: TariffId
    visible: bool


class SetTariffVisibility:
    """A hidden tariff is neither listed nor sold; live subscriptions on it continue."""

    def __init__(
        self,
        *,
        uow: UnitOfWork,
        admins: AdminRepository,
        tariffs: TariffRepository,
        audit: AuditLog,
        clock: Clock,
    ) -> None:
        self._uow = uow
        self._admins = admins
        self._tariffs = tariffs
        self._audit = audit
        self._clock = clock

    async def __call__(self, command: SetTariffVisibilityCommand) -> bool:
        await authorize(self._admins, command.actor_telegram_id, Permission.EDIT_TARIFFS)
        tariff = await self._tariffs.get(command.tariff_id)
        if tariff is None:
            raise TariffNotFound(str(command.tariff_id))
        if tariff.active == command.visible:
            await self._uow.rollback()  # nothing to change
            return False
        before = tariff.active
        if command.visible:
            tariff.activate()
        else:
            tariff.deactivate()
        await self._tariffs.save(tariff)
        await self._audit.record(
            actor_telegram_id=command.actor_telegram_id,
            action="tariff.show" if command.visible else "tariff.hide",
            target=f"tariff:{tariff.code}",
            at=self._clock.now(),
            before={"active": before},
            after={"active": tariff.active},
        )
        await self._uow.commit()
        return True
