"""Apply a panel webhook event: update the observed state, schedule a sync on drift."""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum

from vpnsales.application.common import enqueue_sync
from vpnsales.application.interactors.system._support import absent, observed_from
from vpnsales.application.ports.clock import Clock
from vpnsales.application.ports.outbox import Outbox
from vpnsales.application.ports.panels import AccountState
from vpnsales.application.ports.repositories import AccessRepository
from vpnsales.application.ports.uow import UnitOfWork
from vpnsales.application.ports.worker import AccessLookup
from vpnsales.domain.access import DesiredState, Observed, ObservedStatus, SyncStatus
from vpnsales.domain.ids import PanelId


class PanelEventKind(StrEnum):
    CREATED = "created"
    MODIFIED = "modified"
    DELETED = "deleted"
    ENABLED = "enabled"
    DISABLED = "disabled"
    LIMITED = "limited"
    EXPIRED = "expired"
    REVOKED = "revoked"
    TRAFFIC_RESET = "traffic_reset"
    OTHER = "other"


_STATUS_OF = {
    PanelEventKind.ENABLED: ObservedStatus.ACTIVE,
    PanelEventKind.DISABLED: ObservedStatus.DISABLED,
    PanelEventKind.LIMITED: ObservedStatus.LIMITED,
    PanelEventKind.EXPIRED: ObservedStatus.EXPIRED,
}


@dataclass(frozen=True, slots=True, kw_only=True)
class ApplyPanelEventCommand:
    """A verified panel event, already translated from the vendor's JSON."""

    panel_id: PanelId
    kind: PanelEventKind
    username: str | None = None
    external_id: str | None = None
    state: AccountState | None = None
    """The account as the event reports it, when it carries one."""


class EventOutcome(StrEnum):
    UNKNOWN_ACCOUNT = "unknown_account"
    RECORDED = "recorded"
    SYNC_SCHEDULED = "sync_scheduled"


class ApplyPanelEvent:
    """Drift schedules a sync (dedup by access version). A panel that stops an enabled
    account over its traffic quota (LIMITED) is enforcing our own limit: recorded, no
    sync (it would only loop on the panel's "modified" events)."""

    def __init__(
        self,
        *,
        uow: UnitOfWork,
        lookup: AccessLookup,
        accesses: AccessRepository,
        outbox: Outbox,
        clock: Clock,
    ) -> None:
        self._uow = uow
        self._lookup = lookup
        self._accesses = accesses
        self._outbox = outbox
        self._clock = clock

    async def __call__(self, command: ApplyPanelEventCommand) -> EventOutcome:
        now = self._clock.now()
        state = command.state
        found = await self._lookup.by_account(
            command.panel_id,
            username=command.username or (state.username if state else None),
            external_id=command.external_id or (state.external_id if state else None),
        )
        access = await self._accesses.get(found.id, for_update=True) if found else None
        if access is None:
            await self._uow.commit()
            return EventOutcome.UNKNOWN_ACCOUNT
        observed: Observed | None
        if command.kind is PanelEventKind.DELETED:
            observed = absent(now)
        elif state is not None:
            observed = observed_from(state, now)
        elif command.kind in _STATUS_OF and access.observed is not None:
            observed = replace(access.observed, status=_STATUS_OF[command.kind], at=now)
        elif command.kind in _STATUS_OF:
            observed = Observed(status=_STATUS_OF[command.kind], at=now)
        else:
            observed = None
        if observed is None:
            await self._uow.commit()
            return EventOutcome.RECORDED
        if state is not None and state.subscription_url:
            access.subscription_url = state.subscription_url
        if state is not None and state.external_id:
            access.external_id = state.external_id
        scheduled = False
        if self._enforced_by_panel(access.desired, observed):
            access.observed = observed
        elif access.observe(observed) and access.sync is SyncStatus.PENDING:
            await enqueue_sync(self._outbox, access, now)
            scheduled = True
        await self._accesses.save(access)
        await self._uow.commit()
        return EventOutcome.SYNC_SCHEDULED if scheduled else EventOutcome.RECORDED

    @staticmethod
    def _enforced_by_panel(desired: DesiredState, observed: Observed) -> bool:
        return desired is DesiredState.ENABLED and observed.status is ObservedStatus.LIMITED
