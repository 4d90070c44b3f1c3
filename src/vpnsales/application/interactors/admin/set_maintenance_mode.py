"""Turn maintenance mode on or off (owner)."""

from __future__ import annotations

from dataclasses import dataclass

from vpnsales.application.interactors.admin._guard import Permission, authorize
from vpnsales.application.ports.admin import AdminRepository, Flag, FlagStore
from vpnsales.application.ports.clock import Clock
from vpnsales.application.ports.repositories import AuditLog
from vpnsales.application.ports.uow import UnitOfWork


@dataclass(frozen=True, slots=True, kw_only=True)
class SetMaintenanceModeCommand:
    actor_telegram_id: int
    enabled: bool


class SetMaintenanceMode:
    def __init__(
        self,
        *,
        uow: UnitOfWork,
        admins: AdminRepository,
        flags: FlagStore,
        audit: AuditLog,
        clock: Clock,
    ) -> None:
        self._uow = uow
        self._admins = admins
        self._flags = flags
        self._audit = audit
        self._clock = clock

    async def __call__(self, command: SetMaintenanceModeCommand) -> bool:
        """True when the mode changed."""
        await authorize(self._admins, command.actor_telegram_id, Permission.MAINTENANCE)
        before = await self._flags.get(Flag.MAINTENANCE)
        if before == command.enabled:
            await self._uow.rollback()  # nothing to change
            return False
        await self._flags.set(Flag.MAINTENANCE, command.enabled)
        await self._audit.record(
            actor_telegram_id=command.actor_telegram_id,
            action="maintenance.on" if command.enabled else "maintenance.off",
            target="flag:maintenance",
            at=self._clock.now(),
            before={"enabled": before},
            after={"enabled": command.enabled},
        )
        await self._uow.commit()
        return True
