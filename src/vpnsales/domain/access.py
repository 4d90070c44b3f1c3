"""Access: one account on one panel for one subscription (the VPN key).

The database is the source of truth; the panel converges to ``desired``. ``observed``
is what the panel last reported. Lifecycle ``provisioning → enabled ⇄ disabled → deleted``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from uuid import UUID

from vpnsales.domain.errors import AccessStateError
from vpnsales.domain.ids import AccessId, CustomerId, PanelId, SubscriptionId
from vpnsales.domain.time import ensure_aware

MAX_ERROR_LENGTH = 500


class DesiredState(StrEnum):
    ENABLED = "enabled"
    DISABLED = "disabled"
    DELETED = "deleted"


class AccessPhase(StrEnum):
    PROVISIONING = "provisioning"
    """No account on the panel yet."""
    ENABLED = "enabled"
    DISABLED = "disabled"
    DELETED = "deleted"


class SyncStatus(StrEnum):
    IN_SYNC = "in_sync"
    PENDING = "pending"
    FAILING = "failing"


class ObservedStatus(StrEnum):
    ACTIVE = "active"
    DISABLED = "disabled"
    LIMITED = "limited"
    EXPIRED = "expired"
    ABSENT = "absent"


@dataclass(frozen=True, slots=True, kw_only=True)
class Observed:
    """What the panel last reported about the account."""

    status: ObservedStatus
    at: datetime
    expires_at: datetime | None = None
    used_traffic_bytes: int = 0
    last_online_at: datetime | None = None
    devices: int | None = None


def access_username(access_id: AccessId | UUID) -> str:
    """Stable panel account name derived from the access id (fits every panel's rules)."""
    return f"vs_{access_id.hex[:20]}"


@dataclass(eq=False, slots=True, kw_only=True)
class Access:
    id: AccessId
    subscription_id: SubscriptionId
    customer_id: CustomerId
    panel_id: PanelId
    username: str
    created_at: datetime
    desired: DesiredState = DesiredState.ENABLED
    phase: AccessPhase = AccessPhase.PROVISIONING
    external_id: str | None = None
    subscription_url: str | None = None
    observed: Observed | None = None
    sync: SyncStatus = SyncStatus.PENDING
    attempts: int = 0
    last_error: str | None = None
    version: int = 0
    """Bumped when ``desired`` changes; a sync result for an older version is stale."""

    def __post_init__(self) -> None:
        ensure_aware(self.created_at)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Access) and other.id == self.id

    def __hash__(self) -> int:
        return hash(self.id)

    @classmethod
    def new(
        cls,
        *,
        id: AccessId,
        subscription_id: SubscriptionId,
        customer_id: CustomerId,
        panel_id: PanelId,
        now: datetime,
    ) -> Access:
        return cls(
            id=id,
            subscription_id=subscription_id,
            customer_id=customer_id,
            panel_id=panel_id,
            username=access_username(id),
            created_at=ensure_aware(now),
        )

    @property
    def is_provisioned(self) -> bool:
        return self.phase not in (AccessPhase.PROVISIONING, AccessPhase.DELETED)

    @property
    def is_ready(self) -> bool:
        """The customer can use it: an account exists, is enabled and we hold its link."""
        return self.phase is AccessPhase.ENABLED and bool(self.subscription_url)

    def desire(self, state: DesiredState) -> bool:
        """Set the desired state; returns True when it changed (a sync is then needed)."""
        if self.desired is DesiredState.DELETED and state is not DesiredState.DELETED:
            raise AccessStateError("a deleted access cannot come back")
        if state is self.desired:
            return False
        self.desired = state
        self.version += 1
        self.sync = SyncStatus.PENDING
        self.attempts = 0
        self.last_error = None
        return True

    def request_sync(self) -> None:
        """Something about the account must be pushed again (expiry, limits, link)."""
        self.version += 1
        self.sync = SyncStatus.PENDING

    def mark_synced(
        self,
        *,
        version: int,
        external_id: str | None,
        subscription_url: str | None,
        observed: Observed,
    ) -> bool:
        """Record a successful convergence. Stale results (older version) only update
        what was observed. Returns True when the access is now in sync."""
        if external_id is not None:
            self.external_id = external_id
        if subscription_url:
            self.subscription_url = subscription_url
        self.observed = observed
        if version != self.version:
            return False
        self.phase = {
            DesiredState.ENABLED: AccessPhase.ENABLED,
            DesiredState.DISABLED: AccessPhase.DISABLED,
            DesiredState.DELETED: AccessPhase.DELETED,
        }[self.desired]
        self.sync = SyncStatus.IN_SYNC
        self.attempts = 0
        self.last_error = None
        return True

    def mark_failed(self, error: str) -> None:
        self.sync = SyncStatus.FAILING
        self.attempts += 1
        self.last_error = error[:MAX_ERROR_LENGTH]

    def observe(self, observed: Observed) -> bool:
        """Record what the panel says. Returns True when it drifted from desired."""
        self.observed = observed
        drifted = not _matches(self.desired, observed.status)
        if drifted and self.sync is SyncStatus.IN_SYNC:
            self.sync = SyncStatus.PENDING
            self.version += 1
        return drifted


def _matches(desired: DesiredState, status: ObservedStatus) -> bool:
    if desired is DesiredState.DELETED:
        return status is ObservedStatus.ABSENT
    if status is ObservedStatus.ABSENT:
        return False
    if desired is DesiredState.ENABLED:
        # A traffic-limited account is enabled as far as we can make it: the quota resets
        # on the panel's schedule or with a bigger limit, not with another sync.
        return status in (ObservedStatus.ACTIVE, ObservedStatus.LIMITED)
    return status is not ObservedStatus.ACTIVE
