"""The panel registry: panels by id, and 3x-UI server groups resolved to their least-loaded
member (by account count) for new accounts."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Sequence
from typing import Protocol, runtime_checkable

from vpnsales.application.ports.panels import (
    PanelError,
    PanelGroup,
    PanelUnavailable,
    VpnPanel,
    choose_panel,
)
from vpnsales.domain.ids import PanelId

logger = logging.getLogger(__name__)


@runtime_checkable
class CountsAccounts(Protocol):
    async def count_accounts(self) -> int: ...


async def _count(panel: VpnPanel) -> int:
    if isinstance(panel, CountsAccounts):
        return await panel.count_accounts()
    return len(await panel.list_accounts())


class StaticPanelRegistry:
    """Implements :class:`~vpnsales.application.ports.panels.PanelRegistry`."""

    def __init__(self, panels: Iterable[VpnPanel], groups: Iterable[PanelGroup] = ()) -> None:
        self._panels: dict[PanelId, VpnPanel] = {}
        for panel in panels:
            if panel.panel_id in self._panels:
                raise ValueError(f"duplicate panel id {panel.panel_id!r}")
            self._panels[panel.panel_id] = panel
        self._groups: dict[PanelId, PanelGroup] = {}
        for group in groups:
            if group.group_id in self._panels or group.group_id in self._groups:
                raise ValueError(f"duplicate panel or group id {group.group_id!r}")
            unknown = [m for m in group.members if m not in self._panels]
            if unknown or not group.members:
                raise ValueError(f"group {group.group_id!r} has unknown or no members: {unknown}")
            self._groups[group.group_id] = group

    def get(self, panel_id: PanelId) -> VpnPanel:
        return self._panels[panel_id]

    def all(self) -> Sequence[VpnPanel]:
        return list(self._panels.values())

    def candidates(self, target: PanelId) -> Sequence[PanelId]:
        """``(target,)`` for a panel, the members for a group; ``KeyError`` when unknown."""
        if target in self._panels:
            return (target,)
        return tuple(self._groups[target].members)

    def groups(self) -> Sequence[PanelGroup]:
        return list(self._groups.values())

    async def choose_for_new(self, target: PanelId) -> VpnPanel:
        if target in self._panels:
            return self._panels[target]
        group = self._groups.get(target)
        if group is None:
            raise KeyError(target)
        members = [self._panels[m] for m in group.members]
        results = await asyncio.gather(*(_count(p) for p in members), return_exceptions=True)
        load: dict[PanelId, int] = {}
        for panel, result in zip(members, results, strict=True):
            if isinstance(result, BaseException):
                if not isinstance(result, PanelError):
                    raise result
                logger.warning("group %s: skipping %s (%s)", target, panel.panel_id, result)
                continue
            load[panel.panel_id] = result
        if not load:
            raise PanelUnavailable(f"no member of group {target!r} is reachable", panel_id=target)
        reachable = [m for m in group.members if m in load]
        return self._panels[choose_panel(reachable, load)]
