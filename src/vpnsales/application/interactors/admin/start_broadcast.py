"""Start a drafted broadcast (owner): fix its recipient list, hand it to the worker."""

from __future__ import annotations

from dataclasses import dataclass

from vpnsales.application.interactors.admin._guard import Permission, authorize
from vpnsales.application.ports.admin import AdminRepository
from vpnsales.application.ports.broadcast import BroadcastRepository
from vpnsales.application.ports.clock import Clock
from vpnsales.application.ports.outbox import TaskKicker
from vpnsales.application.ports.repositories import AuditLog
from vpnsales.application.ports.uow import UnitOfWork
from vpnsales.domain.errors import NotFound
from vpnsales.domain.ids import BroadcastId


@dataclass(frozen=True, slots=True, kw_only=True)
class StartBroadcastCommand:
    actor_telegram_id: int
    broadcast_id: BroadcastId


class StartBroadcast:
    """Recipients are materialised in the same transaction as the status change; the
    worker (``ProcessBroadcast``) delivers them, kicked right after commit."""

    def __init__(
        self,
        *,
        uow: UnitOfWork,
        admins: AdminRepository,
        broadcasts: BroadcastRepository,
        audit: AuditLog,
        clock: Clock,
        kicker: TaskKicker,
    ) -> None:
        self._uow = uow
        self._admins = admins
        self._broadcasts = broadcasts
        self._audit = audit
        self._clock = clock
        self._kicker = kicker

    async def __call__(self, command: StartBroadcastCommand) -> int:
        """The number of recipients."""
        await authorize(self._admins, command.actor_telegram_id, Permission.BROADCAST)
        broadcast = await self._broadcasts.get(command.broadcast_id, for_update=True)
        if broadcast is None:
            raise NotFound(f"broadcast {command.broadcast_id}")
        now = self._clock.now()
        broadcast.start(now)
        broadcast.recipients = await self._broadcasts.materialise(
            broadcast.id, broadcast.audience, now
        )
        await self._broadcasts.save(broadcast)
        await self._audit.record(
            actor_telegram_id=command.actor_telegram_id,
            action="broadcast.start",
            target=f"broadcast:{broadcast.id}",
            at=now,
            before={"status": "draft"},
            after={"status": broadcast.status.value, "recipients": broadcast.recipients},
        )
        await self._uow.commit()
        await self._kicker.kick()
        return broadcast.recipients
