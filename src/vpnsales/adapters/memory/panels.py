"""A static panel registry over already-built panels (fake or real)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence

from vpnsales.application.ports.panels import PanelGroup, VpnPanel, choose_panel
from vpnsales.domain.ids import PanelId


class StaticPanelRegistry:
    """Implements ``PanelRegistry``. Groups resolve to their members; placement of a new
    access picks the least-loaded member by ``load`` (accesses per panel)."""

    def __init__(
        self,
        panels: Sequence[VpnPanel],
        groups: Sequence[PanelGroup] = (),
        load: Callable[[], Awaitable[Mapping[PanelId, int]]] | None = None,
    ) -> None:
        self._panels: dict[PanelId, VpnPanel] = {p.panel_id: p for p in panels}
        self._groups = {g.group_id: g.members for g in groups}
        self._load = load

    def get(self, panel_id: PanelId) -> VpnPanel:
        return self._panels[panel_id]

    def candidates(self, target: PanelId) -> Sequence[PanelId]:
        if target in self._groups:
            return self._groups[target]
        if target in self._panels:
            return (target,)
        raise KeyError(f"unknown panel or group {target!r}")

    async def choose_for_new(self, target: PanelId) -> VpnPanel:
        load = await self._load() if self._load is not None else {}
        return self._panels[choose_panel(self.candidates(target), load)]

    def all(self) -> Sequence[VpnPanel]:
        return list(self._panels.values())

    def add(self, panel: VpnPanel) -> None:
        self._panels[panel.panel_id] = panel
