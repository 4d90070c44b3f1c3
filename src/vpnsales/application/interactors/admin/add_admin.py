"""Add an admin or change an admin's role (owner; the CLI bootstraps the first one)."""

from __future__ import annotations

from dataclasses import dataclass

from vpnsales.application.interactors.admin._guard import SYSTEM_ACTOR, Permission, authorize
from vpnsales.application.ports.admin import Admin, AdminRepository, AdminRole
from vpnsales.application.ports.clock import Clock
from vpnsales.application.ports.repositories import AuditLog
from vpnsales.application.ports.uow import UnitOfWork


@dataclass(frozen=True, slots=True, kw_only=True)
class AddAdminCommand:
    actor_telegram_id: int | None
    """``None`` for the trusted CLI (``vpnsales admin add``); otherwise an owner."""
    telegram_id: int
    role: AdminRole
    name: str = ""


class AddAdmin:
    def __init__(
        self, *, uow: UnitOfWork, admins: AdminRepository, audit: AuditLog, clock: Clock
    ) -> None:
        self._uow = uow
        self._admins = admins
        self._audit = audit
        self._clock = clock

    async def __call__(self, command: AddAdminCommand) -> bool:
        """True when the admin was added or their role changed."""
        if command.actor_telegram_id is not None:
            await authorize(self._admins, command.actor_telegram_id, Permission.MANAGE_ADMINS)
        now = self._clock.now()
        existing = await self._admins.get(command.telegram_id)
        if existing is not None and existing.role is command.role:
            await self._uow.rollback()  # nothing to change
            return False
        admin = Admin(
            telegram_id=command.telegram_id,
            role=command.role,
            added_at=existing.added_at if existing else now,
            added_by=command.actor_telegram_id,
            name=command.name or (existing.name if existing else ""),
        )
        await self._admins.save(admin)
        await self._audit.record(
            actor_telegram_id=command.actor_telegram_id or SYSTEM_ACTOR,
            action="admin.add" if existing is None else "admin.role",
            target=f"admin:{command.telegram_id}",
            at=now,
            before={"role": existing.role.value} if existing else None,
            after={"role": command.role.value},
        )
        await self._uow.commit()
        return True
