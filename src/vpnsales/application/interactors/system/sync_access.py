"""Converge one access to its desired state on its panel (outbox SYNC_ACCESS)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from vpnsales.application.common import enqueue_sync, notify_message, receipt_key
from vpnsales.application.interactors.system._support import (
    absent,
    account_spec,
    observed_from,
    payload_uuid,
)
from vpnsales.application.ports.clock import Clock
from vpnsales.application.ports.outbox import Outbox, OutboxMessage
from vpnsales.application.ports.panels import (
    AccountRef,
    AccountState,
    PanelAccountStatus,
    PanelError,
    PanelRegistry,
)
from vpnsales.application.ports.repositories import (
    AccessRepository,
    CustomerRepository,
    SubscriptionRepository,
)
from vpnsales.application.ports.telemetry import NO_TELEMETRY, Telemetry
from vpnsales.application.ports.uow import UnitOfWork
from vpnsales.application.ports.worker import PermanentFailure
from vpnsales.domain.access import AccessPhase, DesiredState, Observed
from vpnsales.domain.ids import AccessId
from vpnsales.domain.notifications import access_ready


@dataclass(frozen=True, slots=True, kw_only=True)
class SyncAccessCommand:
    access_id: AccessId
    version: int | None = None
    """The version the request was made for (informational: we converge to the latest)."""
    paid_at: datetime | None = None
    """When the payment that asked for this sync succeeded (time-to-access telemetry)."""

    @classmethod
    def from_message(cls, message: OutboxMessage) -> SyncAccessCommand:
        version = message.payload.get("version")
        return cls(
            access_id=AccessId(payload_uuid(message, "access_id")),
            version=None if version is None else int(version),
            paid_at=_paid_at(message.payload.get("paid_at")),
        )


def _paid_at(value: object) -> datetime | None:
    """Telemetry only: a missing or unreadable value is no reason to fail a sync."""
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


class SyncOutcome(StrEnum):
    SYNCED = "synced"
    STALE = "stale"
    """Desired state changed while we talked to the panel; another sync is queued."""
    MISSING = "missing"


@dataclass(frozen=True, slots=True, kw_only=True)
class SyncAccessResult:
    outcome: SyncOutcome
    ready: bool = False


class SyncAccess:
    """Load (short transaction) → panel calls (no transaction) → record the result
    (new transaction; stale versions only update what was observed). Idempotent.

    Panel errors are recorded on the access (``mark_failed``) and re-raised, so the
    outbox retries retryable ones and dead-letters the rest."""

    def __init__(
        self,
        *,
        uow: UnitOfWork,
        accesses: AccessRepository,
        subscriptions: SubscriptionRepository,
        customers: CustomerRepository,
        outbox: Outbox,
        panels: PanelRegistry,
        clock: Clock,
        telemetry: Telemetry = NO_TELEMETRY,
    ) -> None:
        self._uow = uow
        self._telemetry = telemetry
        self._accesses = accesses
        self._subscriptions = subscriptions
        self._customers = customers
        self._outbox = outbox
        self._panels = panels
        self._clock = clock

    async def __call__(self, command: SyncAccessCommand) -> SyncAccessResult:
        access = await self._accesses.get(command.access_id)
        if access is None:
            await self._uow.commit()
            return SyncAccessResult(outcome=SyncOutcome.MISSING)
        subscription = await self._subscriptions.get(access.subscription_id)
        customer = await self._customers.get(access.customer_id)
        await self._uow.commit()
        version = access.version
        try:
            panel = self._panels.get(access.panel_id)
        except KeyError:
            await self._fail(access.id, f"unknown panel {access.panel_id}")
            raise PermanentFailure(f"unknown panel {access.panel_id}") from None
        ref = AccountRef(access.username, access.external_id)
        state: AccountState | None = None
        try:
            if access.desired is DesiredState.DELETED:
                await panel.delete(ref)
                observed = absent(self._clock.now())
            else:
                if subscription is None:
                    await self._fail(access.id, "subscription not found")
                    raise PermanentFailure(f"subscription of access {access.id} not found")
                spec = account_spec(access, subscription, customer)
                state = await panel.ensure_account(spec, ref)
                status = state.status
                if spec.enabled and status is PanelAccountStatus.DISABLED:
                    await panel.enable(state.ref)
                    status = PanelAccountStatus.ACTIVE
                elif not spec.enabled and status is not PanelAccountStatus.DISABLED:
                    await panel.disable(state.ref)
                    status = PanelAccountStatus.DISABLED
                if status is not state.status:
                    state = replace(state, status=status)
                observed = observed_from(state, self._clock.now())
        except PanelError as exc:
            await self._fail(access.id, str(exc))
            raise
        return await self._record(access.id, version, state, observed, command.paid_at)

    async def _record(
        self,
        access_id: AccessId,
        version: int,
        state: AccountState | None,
        observed: Observed,
        paid_at: datetime | None,
    ) -> SyncAccessResult:
        access = await self._accesses.get(access_id, for_update=True)
        if access is None:
            await self._uow.commit()
            return SyncAccessResult(outcome=SyncOutcome.MISSING)
        first_time = access.phase is AccessPhase.PROVISIONING or not access.subscription_url
        synced = access.mark_synced(
            version=version,
            external_id=state.external_id if state is not None else None,
            subscription_url=(state.subscription_url or None) if state is not None else None,
            observed=observed,
        )
        if not synced:
            # Desired state moved on while we talked to the panel, and a newer sync may
            # already have finished before our (older) panel calls landed: converge once
            # more at a new version so the panel never keeps the older state.
            access.request_sync()
            await enqueue_sync(self._outbox, access, self._clock.now(), paid_at=paid_at)
        await self._accesses.save(access)
        if synced and first_time and access.is_ready:
            now = self._clock.now()
            card = notify_message(
                access_ready(access.customer_id, access.subscription_id, access.id), now
            )
            # owed since the payment: claimed ahead of work queued after it (the drain
            # takes the oldest due first), so a backlog is not waited out twice
            await self._outbox.add(replace(card, due_at=min(now, paid_at or now)))
            # the card is on its way: a purchase's deferred "payment received" not sent
            # yet is not needed any more (the card's delivery checks again)
            await self._outbox.withdraw(receipt_key(access.subscription_id), now)
        await self._uow.commit()
        if synced and paid_at is not None and access.is_ready:
            self._telemetry.access_ready(self._clock.now() - paid_at)
        return SyncAccessResult(
            outcome=SyncOutcome.SYNCED if synced else SyncOutcome.STALE, ready=access.is_ready
        )

    async def _fail(self, access_id: AccessId, error: str) -> None:
        await self._uow.rollback()
        access = await self._accesses.get(access_id, for_update=True)
        if access is not None:
            access.mark_failed(error)
            await self._accesses.save(access)
        await self._uow.commit()
