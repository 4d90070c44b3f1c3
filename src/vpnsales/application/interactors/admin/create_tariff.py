"""Create a tariff (owner)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from uuid import uuid4

from vpnsales.application.interactors.admin._guard import Permission, authorize
from vpnsales.application.interactors.admin._snapshots import tariff_snapshot
from vpnsales.application.ports.admin import AdminRepository
from vpnsales.application.ports.clock import Clock
from vpnsales.application.ports.repositories import AuditLog, TariffRepository
from vpnsales.application.ports.uow import UnitOfWork
from vpnsales.domain.customer import Language
from vpnsales.domain.errors import AlreadyExists
from vpnsales.domain.ids import TariffId
from vpnsales.domain.limits import DeviceLimit, TrafficLimit
from vpnsales.domain.tariff import Availability, PanelBinding, Tariff, TariffOption


@dataclass(frozen=True, slots=True, kw_only=True)
class CreateTariffCommand:
    actor_telegram_id: int
    code: str
    names: Mapping[Language, str]
    options: tuple[TariffOption, ...]
    binding: PanelBinding
    descriptions: Mapping[Language, str] = field(default_factory=dict)
    traffic: TrafficLimit = field(default_factory=TrafficLimit.unlimited)
    devices: DeviceLimit = field(default_factory=DeviceLimit)
    locations: tuple[str, ...] = ()
    availability: Availability = Availability.EVERYONE
    order: int = 0
    is_trial: bool = False
    active: bool = True


class CreateTariff:
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

    async def __call__(self, command: CreateTariffCommand) -> TariffId:
        await authorize(self._admins, command.actor_telegram_id, Permission.EDIT_TARIFFS)
        tariff = Tariff(
            id=TariffId(uuid4()),
            code=command.code,
            names=dict(command.names),
            options=command.options,
            binding=command.binding,
            descriptions=dict(command.descriptions),
            traffic=command.traffic,
            devices=command.devices,
            locations=command.locations,
            availability=command.availability,
            order=command.order,
            active=command.active,
            is_trial=command.is_trial,
        )
        if await self._tariffs.get_by_code(tariff.code) is not None:
            raise AlreadyExists(f"tariff code {tariff.code} is taken")
        await self._tariffs.add(tariff)
        await self._audit.record(
            actor_telegram_id=command.actor_telegram_id,
            action="tariff.create",
            target=f"tariff:{tariff.code}",
            at=self._clock.now(),
            after=tariff_snapshot(tariff),
        )
        await self._uow.commit()
        return tariff.id
