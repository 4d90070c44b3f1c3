"""Show a drafted broadcast and how many customers it would reach (owner)."""

from __future__ import annotations

from dataclasses import dataclass

from vpnsales.application.interactors.admin._guard import Permission, authorize
from vpnsales.application.ports.admin import AdminRepository
from vpnsales.application.ports.broadcast import (
    Audience,
    BroadcastMessage,
    BroadcastRepository,
    BroadcastStatus,
)
from vpnsales.application.ports.clock import Clock
from vpnsales.application.ports.uow import UnitOfWork
from vpnsales.domain.errors import NotFound
from vpnsales.domain.ids import BroadcastId


@dataclass(frozen=True, slots=True, kw_only=True)
class PreviewBroadcastCommand:
    actor_telegram_id: int
    broadcast_id: BroadcastId


@dataclass(frozen=True, slots=True, kw_only=True)
class BroadcastPreview:
    broadcast_id: BroadcastId
    status: BroadcastStatus
    audience: Audience
    message: BroadcastMessage
    recipients: int
    """Non-banned customers in the audience right now."""


class PreviewBroadcast:
    def __init__(
        self,
        *,
        uow: UnitOfWork,
        admins: AdminRepository,
        broadcasts: BroadcastRepository,
        clock: Clock,
    ) -> None:
        self._uow = uow
        self._admins = admins
        self._broadcasts = broadcasts
        self._clock = clock

    async def __call__(self, command: PreviewBroadcastCommand) -> BroadcastPreview:
        await authorize(self._admins, command.actor_telegram_id, Permission.BROADCAST)
        broadcast = await self._broadcasts.get(command.broadcast_id)
        if broadcast is None:
            raise NotFound(f"broadcast {command.broadcast_id}")
        count = await self._broadcasts.count_audience(broadcast.audience, self._clock.now())
        await self._uow.commit()
        return BroadcastPreview(
            broadcast_id=broadcast.id,
            status=broadcast.status,
            audience=broadcast.audience,
            message=broadcast.message,
            recipients=count,
        )
