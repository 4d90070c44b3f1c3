"""Draft a broadcast (owner)."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import uuid4

from vpnsales.application.interactors.admin._guard import Permission, authorize
from vpnsales.application.ports.admin import AdminRepository
from vpnsales.application.ports.broadcast import (
    Audience,
    Broadcast,
    BroadcastButton,
    BroadcastMessage,
    BroadcastRepository,
)
from vpnsales.application.ports.clock import Clock
from vpnsales.application.ports.repositories import AuditLog, TariffRepository
from vpnsales.application.ports.uow import UnitOfWork
from vpnsales.domain.errors import TariffNotFound
from vpnsales.domain.ids import BroadcastId


@dataclass(frozen=True, slots=True, kw_only=True)
class CreateBroadcastCommand:
    actor_telegram_id: int
    audience: Audience
    text: str
    photo: str | None = None
    """A Telegram file id or a stored-bytes ref."""
    button: BroadcastButton | None = None


class CreateBroadcast:
    def __init__(
        self,
        *,
        uow: UnitOfWork,
        admins: AdminRepository,
        broadcasts: BroadcastRepository,
        tariffs: TariffRepository,
        audit: AuditLog,
        clock: Clock,
    ) -> None:
        self._uow = uow
        self._admins = admins
        self._broadcasts = broadcasts
        self._tariffs = tariffs
        self._audit = audit
        self._clock = clock

    async def __call__(self, command: CreateBroadcastCommand) -> BroadcastId:
        await authorize(self._admins, command.actor_telegram_id, Permission.BROADCAST)
        message = BroadcastMessage(text=command.text, photo=command.photo, button=command.button)
        tariff_id = command.audience.tariff_id
        if tariff_id is not None and await self._tariffs.get(tariff_id) is None:
            raise TariffNotFound(str(tariff_id))
        now = self._clock.now()
        broadcast = Broadcast(
            id=BroadcastId(uuid4()),
            created_by=command.actor_telegram_id,
            created_at=now,
            audience=command.audience,
            message=message,
        )
        await self._broadcasts.add(broadcast)
        await self._audit.record(
            actor_telegram_id=command.actor_telegram_id,
            action="broadcast.create",
            target=f"broadcast:{broadcast.id}",
            at=now,
            after={
                "audience": command.audience.kind.value,
                "tariff_id": str(tariff_id) if tariff_id else None,
                "text": command.text[:200],
                "photo": bool(command.photo),
                "button": command.button.url if command.button else None,
            },
        )
        await self._uow.commit()
        return broadcast.id
