"""Two read-only admin queries the application layer does not have yet, shaped like its
interactors (constructor ports, one ``__call__``, the role checked by ``authorize``) so
they can move to ``application/interactors/admin`` unchanged.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from vpnsales.application.interactors.admin._guard import Permission, authorize
from vpnsales.application.ports.admin import AdminRepository
from vpnsales.application.ports.panels import CircuitState, PanelHealth, PanelRegistry
from vpnsales.application.ports.repositories import TariffRepository
from vpnsales.application.ports.uow import UnitOfWork
from vpnsales.domain.ids import PanelId
from vpnsales.domain.tariff import Tariff

HEALTH_TIMEOUT = 8.0


@dataclass(frozen=True, slots=True, kw_only=True)
class ListAllTariffsQuery:
    actor_telegram_id: int


class ListAllTariffs:
    """Every tariff, hidden and trial ones included, in catalog order (owner)."""

    def __init__(self, *, uow: UnitOfWork, admins: AdminRepository, tariffs: TariffRepository):
        self._uow = uow
        self._admins = admins
        self._tariffs = tariffs

    async def __call__(self, query: ListAllTariffsQuery) -> list[Tariff]:
        try:
            await authorize(self._admins, query.actor_telegram_id, Permission.EDIT_TARIFFS)
            return await self._tariffs.list(include_inactive=True)
        finally:
            await self._uow.rollback()


@dataclass(frozen=True, slots=True, kw_only=True)
class PanelsHealthQuery:
    actor_telegram_id: int


class PanelsHealth:
    """Every panel asked at once (reachability, circuit, latency, accounts, nodes);
    a panel that does not answer in time is reported unreachable (owner, support)."""

    def __init__(self, *, uow: UnitOfWork, admins: AdminRepository, panels: PanelRegistry):
        self._uow = uow
        self._admins = admins
        self._panels = panels

    async def __call__(self, query: PanelsHealthQuery) -> list[PanelHealth]:
        try:
            await authorize(self._admins, query.actor_telegram_id, Permission.RESYNC)
        finally:
            await self._uow.rollback()
        panels = list(self._panels.all())
        results = await asyncio.gather(
            *(asyncio.wait_for(p.health(), HEALTH_TIMEOUT) for p in panels),
            return_exceptions=True,
        )
        report: list[PanelHealth] = []
        for panel, result in zip(panels, results, strict=True):
            if isinstance(result, PanelHealth):
                report.append(result)
            else:
                report.append(
                    PanelHealth(
                        panel_id=PanelId(str(panel.panel_id)),
                        reachable=False,
                        circuit=CircuitState.OPEN,
                        error=type(result).__name__,
                    )
                )
        return report


__all__ = [
    "ListAllTariffs",
    "ListAllTariffsQuery",
    "PanelsHealth",
    "PanelsHealthQuery",
]
