"""Edit a tariff (owner). Paid periods keep their copies: only new purchases change."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from vpnsales.application.interactors.admin._guard import Permission, authorize
from vpnsales.application.interactors.admin._snapshots import tariff_snapshot
from vpnsales.application.ports.admin import AdminRepository
from vpnsales.application.ports.clock import Clock
from vpnsales.application.ports.repositories import AuditLog, TariffRepository
from vpnsales.application.ports.uow import UnitOfWork
from vpnsales.domain.customer import Language
from vpnsales.domain.errors import TariffNotFound
from vpnsales.domain.ids import TariffId
from vpnsales.domain.limits import DeviceLimit, TrafficLimit
from vpnsales.domain.tariff import Availability, PanelBinding, TariffOption


@dataclass(frozen=True, slots=True, kw_only=True)
class UpdateTariffCommand:
    """``None`` leaves a field as it is. The code (deep-link slug) never changes."""

    actor_telegram_id: int
    tariff_id: TariffId
    names: Mapping[Language, str] | None = None
    descriptions: Mapping[Language, str] | None = None
    options: tuple[TariffOption, ...] | None = None
    binding: PanelBinding | None = None
    traffic: TrafficLimit | None = None
    devices: DeviceLimit | None = None
    locations: tuple[str, ...] | None = None
    availability: Availability | None = None
    order: int | None = None


_FIELDS = (
    "names",
    "descriptions",
    "options",
    "binding",
    "traffic",
    "devices",
    "locations",
    "availability",
    "order",
)


class UpdateTariff:
    """Subscriptions hold copies of limits and binding taken at purchase, so an edit
    here never changes a period somebody already paid for."""

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

    async def __call__(self, command: UpdateTariffCommand) -> bool:
        """True when something changed."""
        await authorize(self._admins, command.actor_telegram_id, Permission.EDIT_TARIFFS)
        tariff = await self._tariffs.get(command.tariff_id)
        if tariff is None:
            raise TariffNotFound(str(command.tariff_id))
        changes: dict[str, Any] = {}
        for name in _FIELDS:
            value = getattr(command, name)
            if value is not None:
                changes[name] = dict(value) if isinstance(value, Mapping) else value
        before = tariff_snapshot(tariff)
        updated = dataclasses.replace(tariff, **changes)  # validates in __post_init__
        after = tariff_snapshot(updated)
        if after == before:
            await self._uow.rollback()  # nothing to change
            return False
        await self._tariffs.save(updated)
        await self._audit.record(
            actor_telegram_id=command.actor_telegram_id,
            action="tariff.update",
            target=f"tariff:{tariff.code}",
            at=self._clock.now(),
            before=before,
            after=after,
        )
        await self._uow.commit()
        return True
