"""The VPN panel port. Panels are projections of our state: every call is idempotent.

Adapters (Remnawave dialects, 3x-UI dialects, the in-memory fake) implement
``VpnPanel``; the registry picks one for a tariff's binding.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Protocol
from uuid import UUID

from vpnsales.domain.ids import PanelId
from vpnsales.domain.limits import DeviceLimit, TrafficLimit


class PanelAccountStatus(StrEnum):
    ACTIVE = "ACTIVE"
    DISABLED = "DISABLED"
    LIMITED = "LIMITED"
    """Over its traffic quota (the panel stopped it)."""
    EXPIRED = "EXPIRED"
    """Past its expiry (the panel stopped it)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class AccountSpec:
    """What an account on a panel must look like. ``ensure_account`` makes it so."""

    username: str
    """Stable account name, ``^[a-zA-Z0-9_-]{3,36}$`` (3x-UI uses it as the client email)."""
    expires_at: datetime
    enabled: bool
    traffic: TrafficLimit
    devices: DeviceLimit
    telegram_id: int | None = None
    description: str = ""
    squads: tuple[str, ...] = ()
    """Remnawave internal squad uuids."""
    inbounds: tuple[int, ...] = ()
    """3x-UI inbound ids."""
    client_uuid: UUID | None = None
    """3x-UI client id / Remnawave vless uuid to keep the link stable on re-creation."""
    sub_id: str | None = None
    """3x-UI subscription id (``subId``); always sent so the link works."""


@dataclass(frozen=True, slots=True)
class AccountRef:
    """How we address an account: its panel id when we know it, and its username."""

    username: str
    external_id: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class AccountState:
    """What the panel reports about an account (observed state)."""

    external_id: str
    username: str
    status: PanelAccountStatus
    expires_at: datetime | None
    traffic_limit_bytes: int = 0
    used_traffic_bytes: int = 0
    last_online_at: datetime | None = None
    devices: int | None = None
    """Connected devices, where the panel reports them."""
    subscription_url: str = ""

    @property
    def is_active(self) -> bool:
        return self.status is PanelAccountStatus.ACTIVE

    @property
    def ref(self) -> AccountRef:
        return AccountRef(self.username, self.external_id)


class CircuitState(StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


@dataclass(frozen=True, slots=True, kw_only=True)
class PanelHealth:
    panel_id: PanelId
    reachable: bool
    circuit: CircuitState
    latency_ms: float | None = None
    accounts: int | None = None
    nodes_online: int | None = None
    nodes_offline: int | None = None
    error: str | None = None


class PanelError(Exception):
    """Base of panel failures. Messages never contain tokens or passwords."""

    retryable: bool = False

    def __init__(self, message: str, *, panel_id: str = "") -> None:
        super().__init__(f"[{panel_id}] {message}" if panel_id else message)
        self.panel_id = panel_id


class PanelUnavailable(PanelError):
    """Network error, timeout, 5xx, 429 or an open circuit: try again later."""

    retryable = True


class PanelAuthError(PanelError):
    """Credentials refused. Needs the seller, not a retry."""


class PanelRejected(PanelError):
    """The panel refused the request (validation, conflict). Not retried as is."""


class AccountNotFound(PanelError):
    """The account does not exist on the panel."""


class VpnPanel(Protocol):
    """One panel (or one 3x-UI server). All operations are idempotent from our side."""

    @property
    def panel_id(self) -> PanelId: ...

    async def ensure_account(
        self, spec: AccountSpec, ref: AccountRef | None = None
    ) -> AccountState:
        """Create the account, or update it to match ``spec`` if it exists."""
        ...

    async def enable(self, ref: AccountRef) -> None:
        """Already enabled is success."""
        ...

    async def disable(self, ref: AccountRef) -> None:
        """Already disabled is success."""
        ...

    async def set_expiry(self, ref: AccountRef, expires_at: datetime) -> None: ...

    async def reset_traffic(self, ref: AccountRef) -> None: ...

    async def revoke(self, ref: AccountRef) -> AccountState:
        """Issue a new subscription link (the old one stops working)."""
        ...

    async def delete(self, ref: AccountRef) -> None:
        """Already absent is success."""
        ...

    async def get_state(self, ref: AccountRef) -> AccountState | None:
        """``None`` when the account does not exist."""
        ...

    async def list_accounts(self) -> Sequence[AccountState]:
        """Every account on the panel (for reconciliation)."""
        ...

    async def health(self) -> PanelHealth: ...


@dataclass(frozen=True, slots=True)
class PanelLoad:
    panel_id: PanelId
    accounts: int


class PanelRegistry(Protocol):
    """Resolves a binding (a panel or a 3x-UI server group) to panels."""

    def get(self, panel_id: PanelId) -> VpnPanel:
        """The panel or server with this id; raises ``KeyError`` when unknown."""
        ...

    async def choose_for_new(self, target: PanelId) -> VpnPanel:
        """For a panel id: that panel. For a server group: its least-loaded server."""
        ...

    def candidates(self, target: PanelId) -> Sequence[PanelId]:
        """Pure configuration lookup, no I/O: ``(target,)`` for a panel id, the member
        servers for a server group. Lets a use case place a new access inside its
        transaction from ``AccessRepository.count_by_panel`` (see ``choose_panel``)."""
        ...

    def all(self) -> Sequence[VpnPanel]: ...


@dataclass(frozen=True, slots=True)
class PanelGroup:
    """A named group of 3x-UI servers a tariff can provision on."""

    group_id: PanelId
    members: tuple[PanelId, ...] = field(default_factory=tuple)


def choose_panel(candidates: Sequence[PanelId], load: Mapping[PanelId, int]) -> PanelId:
    """The least-loaded candidate (ties: the first configured). Pure."""
    if not candidates:
        raise KeyError("no panel configured for this binding")
    return min(candidates, key=lambda panel: (load.get(panel, 0), candidates.index(panel)))
