"""Reconcile one panel with the database: repair drift both ways."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from vpnsales.application.common import enqueue_notify, enqueue_sync
from vpnsales.application.interactors.system._support import (
    absent,
    account_spec,
    observed_from,
    spec_differs,
)
from vpnsales.application.ports.clock import Clock
from vpnsales.application.ports.outbox import Outbox
from vpnsales.application.ports.panels import (
    AccountRef,
    AccountState,
    PanelAccountStatus,
    PanelError,
    PanelRegistry,
    VpnPanel,
)
from vpnsales.application.ports.repositories import (
    AccessRepository,
    CustomerRepository,
    SubscriptionRepository,
)
from vpnsales.application.ports.uow import UnitOfWork
from vpnsales.domain.access import Access, AccessPhase, DesiredState, Observed
from vpnsales.domain.customer import Customer
from vpnsales.domain.ids import AccessId, PanelId
from vpnsales.domain.notifications import access_ready
from vpnsales.domain.subscription import Subscription


@dataclass(frozen=True, slots=True, kw_only=True)
class ReconcilePanelCommand:
    panel_id: PanelId
    page_size: int = 200


@dataclass(frozen=True, slots=True, kw_only=True)
class ReconcileResult:
    checked: int = 0
    recreated: int = 0
    updated: int = 0
    """Accounts edited on the panel (expiry, traffic limit) put back to ours."""
    disabled: int = 0
    enabled: int = 0
    deleted: int = 0
    orphans: int = 0
    """Panel accounts no access of ours owns (reported, never touched)."""
    failed: int = 0
    orphan_usernames: tuple[str, ...] = field(default=(), repr=False)


@dataclass(slots=True)
class _Counts:
    checked: int = 0
    recreated: int = 0
    updated: int = 0
    disabled: int = 0
    enabled: int = 0
    deleted: int = 0
    failed: int = 0


@dataclass(frozen=True, slots=True)
class _Outcome:
    access_id: AccessId
    version: int
    state: AccountState | None
    observed: Observed | None
    error: str | None = None


class ReconcilePanel:
    """List the panel's accounts once, page through our accesses on that panel (short
    transactions), repair each outside any transaction and record what was observed:

    * account missing while the access should exist → re-create it with the same
      username, client uuid and subscription id (the link survives where the panel
      allows);
    * enabled on the panel while it should be disabled → disable (and the reverse);
    * expiry/traffic limit edited on the panel → put ours back;
    * desired deleted (cancelled subscription) → delete. Nothing else is ever deleted:
      not an account a live subscription owns, not an account we don't know (orphan).
    """

    def __init__(
        self,
        *,
        uow: UnitOfWork,
        accesses: AccessRepository,
        subscriptions: SubscriptionRepository,
        customers: CustomerRepository,
        panels: PanelRegistry,
        clock: Clock,
        outbox: Outbox,
    ) -> None:
        self._uow = uow
        self._outbox = outbox
        self._accesses = accesses
        self._subscriptions = subscriptions
        self._customers = customers
        self._panels = panels
        self._clock = clock

    async def __call__(self, command: ReconcilePanelCommand) -> ReconcileResult:
        panel = self._panels.get(command.panel_id)
        accounts = list(await panel.list_accounts())
        by_username = {a.username: a for a in accounts}
        by_external = {a.external_id: a for a in accounts if a.external_id}
        known: set[str] = set()
        counts = _Counts()
        after: AccessId | None = None
        while True:
            page = await self._accesses.for_panel(
                command.panel_id, after=after, limit=command.page_size
            )
            plan: list[tuple[Access, Subscription | None, Customer | None]] = []
            for access in page:
                plan.append(
                    (
                        access,
                        await self._subscriptions.get(access.subscription_id),
                        await self._customers.get(access.customer_id),
                    )
                )
            await self._uow.commit()
            if not page:
                break
            after = page[-1].id
            outcomes: list[_Outcome] = []
            for access, subscription, customer in plan:
                known.add(access.username)
                if access.external_id:
                    known.add(access.external_id)
                account = by_username.get(access.username) or (
                    by_external.get(access.external_id) if access.external_id else None
                )
                if account is not None:
                    known.add(account.username)
                counts.checked += 1
                try:
                    outcome = await self._repair(
                        panel, access, subscription, customer, account, counts
                    )
                except PanelError as exc:
                    counts.failed += 1
                    outcome = _Outcome(access.id, access.version, None, None, str(exc))
                if outcome is not None:
                    outcomes.append(outcome)
            await self._record(outcomes)
            if len(page) < command.page_size:
                break
        orphans = tuple(
            a.username
            for a in accounts
            if a.username not in known and (not a.external_id or a.external_id not in known)
        )
        return ReconcileResult(
            checked=counts.checked,
            recreated=counts.recreated,
            updated=counts.updated,
            disabled=counts.disabled,
            enabled=counts.enabled,
            deleted=counts.deleted,
            orphans=len(orphans),
            failed=counts.failed,
            orphan_usernames=orphans,
        )

    async def _repair(
        self,
        panel: VpnPanel,
        access: Access,
        subscription: Subscription | None,
        customer: Customer | None,
        account: AccountState | None,
        counts: _Counts,
    ) -> _Outcome | None:
        if access.desired is DesiredState.DELETED:
            if account is not None:
                await panel.delete(account.ref)
                counts.deleted += 1
            return _Outcome(access.id, access.version, None, absent(self._clock.now()))
        if subscription is None:
            counts.failed += 1
            return _Outcome(access.id, access.version, None, None, "subscription not found")
        spec = account_spec(access, subscription, customer)
        if account is None:
            state = await panel.ensure_account(spec, AccountRef(access.username, None))
            counts.recreated += 1
            before = None
        else:
            before = account.status
            state = account
            if spec_differs(spec, account):
                state = await panel.ensure_account(spec, account.ref)
                counts.updated += 1
        status = state.status
        if spec.enabled and status is PanelAccountStatus.DISABLED:
            await panel.enable(state.ref)
            status = PanelAccountStatus.ACTIVE
        elif not spec.enabled and status is PanelAccountStatus.ACTIVE:
            await panel.disable(state.ref)
            status = PanelAccountStatus.DISABLED
        if before is PanelAccountStatus.ACTIVE and not spec.enabled:
            counts.disabled += 1
        elif before is PanelAccountStatus.DISABLED and spec.enabled:
            counts.enabled += 1
        if status is not state.status:
            state = replace(state, status=status)
        observed = observed_from(state, self._clock.now())
        return _Outcome(access.id, access.version, state, observed)

    async def _record(self, outcomes: list[_Outcome]) -> None:
        for outcome in outcomes:
            access = await self._accesses.get(outcome.access_id, for_update=True)
            if access is None:
                continue
            if outcome.error is not None or outcome.observed is None:
                access.mark_failed(outcome.error or "unknown")
            else:
                state = outcome.state
                first_time = access.phase is AccessPhase.PROVISIONING or not access.subscription_url
                synced = access.mark_synced(
                    version=outcome.version,
                    external_id=state.external_id if state else None,
                    subscription_url=(state.subscription_url or None) if state else None,
                    observed=outcome.observed,
                )
                if synced and first_time and access.is_ready:
                    # provisioned here before its SYNC_ACCESS ran: that sync will find
                    # nothing new, so the customer must be told from here (deduplicated)
                    await enqueue_notify(
                        self._outbox,
                        access_ready(access.customer_id, access.subscription_id),
                        self._clock.now(),
                    )
                if not synced:
                    # Repaired from a snapshot the desired state has since left (a renewal,
                    # an expiry): converge again so our repair cannot stick.
                    access.request_sync()
                    await enqueue_sync(self._outbox, access, self._clock.now())
            await self._accesses.save(access)
        await self._uow.commit()
