"""How far a broadcast got (owner)."""

from __future__ import annotations

from dataclasses import dataclass

from vpnsales.application.interactors.admin._guard import Permission, authorize
from vpnsales.application.ports.admin import AdminRepository
from vpnsales.application.ports.broadcast import (
    BroadcastProgress,
    BroadcastRepository,
    BroadcastStatus,
)
from vpnsales.application.ports.uow import UnitOfWork
from vpnsales.domain.errors import NotFound
from vpnsales.domain.ids import BroadcastId


@dataclass(frozen=True, slots=True, kw_only=True)
class GetBroadcastProgressCommand:
    actor_telegram_id: int
    broadcast_id: BroadcastId


@dataclass(frozen=True, slots=True, kw_only=True)
class BroadcastProgressView:
    broadcast_id: BroadcastId
    status: BroadcastStatus
    progress: BroadcastProgress


class GetBroadcastProgress:
    def __init__(
        self, *, uow: UnitOfWork, admins: AdminRepository, broadcasts: BroadcastRepository
    ) -> None:
        self._uow = uow
        self._admins = admins
        self._broadcasts = broadcasts

    async def __call__(self, command: GetBroadcastProgressCommand) -> BroadcastProgressView:
        await authorize(self._admins, command.actor_telegram_id, Permission.BROADCAST)
        broadcast = await self._broadcasts.get(command.broadcast_id)
        if broadcast is None:
            raise NotFound(f"broadcast {command.broadcast_id}")
        progress = await self._broadcasts.progress(broadcast.id)
        await self._uow.commit()
        return BroadcastProgressView(
            broadcast_id=broadcast.id, status=broadcast.status, progress=progress
        )
