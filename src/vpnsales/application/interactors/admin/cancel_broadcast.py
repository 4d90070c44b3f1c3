"""Cancel a broadcast (owner): the worker stops before its next batch."""

from __future__ import annotations

from dataclasses import dataclass

from vpnsales.application.interactors.admin._guard import Permission, authorize
from vpnsales.application.ports.admin import AdminRepository
from vpnsales.application.ports.broadcast import BroadcastRepository
from vpnsales.application.ports.clock import Clock
from vpnsales.application.ports.repositories import AuditLog
from vpnsales.application.ports.uow import UnitOfWork
from vpnsales.domain.errors import NotFound
from vpnsales.domain.ids import BroadcastId


@dataclass(frozen=True, slots=True, kw_only=True)
class CancelBroadcastCommand:
    actor_telegram_id: int
    broadcast_id: BroadcastId


class CancelBroadcast:
    def __init__(
        self,
        *,
        uow: UnitOfWork,
        admins: AdminRepository,
        broadcasts: BroadcastRepository,
        audit: AuditLog,
        clock: Clock,
    ) -> None:
        self._uow = uow
        self._admins = admins
        self._broadcasts = broadcasts
        self._audit = audit
        self._clock = clock

    async def __call__(self, command: CancelBroadcastCommand) -> bool:
        await authorize(self._admins, command.actor_telegram_id, Permission.BROADCAST)
        broadcast = await self._broadcasts.get(command.broadcast_id, for_update=True)
        if broadcast is None:
            raise NotFound(f"broadcast {command.broadcast_id}")
        before = broadcast.status.value
        now = self._clock.now()
        if not broadcast.cancel(now):
            await self._uow.rollback()  # nothing to change
            return False
        await self._broadcasts.save(broadcast)
        await self._audit.record(
            actor_telegram_id=command.actor_telegram_id,
            action="broadcast.cancel",
            target=f"broadcast:{broadcast.id}",
            at=now,
            before={"status": before},
            after={"status": broadcast.status.value},
        )
        await self._uow.commit()
        return True
