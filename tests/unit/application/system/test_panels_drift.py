"""Reconciliation, panel webhook events and traffic alerts."""

from __future__ import annotations

from datetime import timedelta

from vpnsales.application.interactors.system.apply_panel_event import (
    ApplyPanelEventCommand,
    EventOutcome,
    PanelEventKind,
)
from vpnsales.application.interactors.system.reconcile_panel import (
    ReconcilePanelCommand,
    ReconcileResult,
)
from vpnsales.application.interactors.system.traffic_alerts import (
    TrafficAlertsCommand,
    TrafficAlertsResult,
)
from vpnsales.application.ports.outbox import OutboxKind
from vpnsales.application.ports.panels import (
    AccountRef,
    AccountSpec,
    AccountState,
    PanelAccountStatus,
    PanelUnavailable,
)
from vpnsales.domain.access import DesiredState, ObservedStatus, SyncStatus
from vpnsales.domain.ids import PanelId
from vpnsales.domain.limits import GIB, DeviceLimit, TrafficLimit
from vpnsales.domain.notifications import IntentKind
from vpnsales.domain.subscription import SubscriptionStatus

from .conftest import Kit

PANEL = PanelId("panel-1")


async def _reconcile(kit: Kit, page_size: int = 2) -> ReconcileResult:
    result: ReconcileResult = await kit.run(
        lambda w: w.reconcile(), ReconcilePanelCommand(panel_id=PANEL, page_size=page_size)
    )
    return result


async def _set_desired(kit: Kit, subscription_id: object, status: SubscriptionStatus) -> None:
    async with kit.app.scope() as p:
        sub = await p.subscriptions.get(subscription_id, for_update=True)  # type: ignore[arg-type]
        assert sub is not None
        sub.status = status
        await p.subscriptions.save(sub)
        for access in await p.accesses.for_subscription(sub.id, for_update=True):
            access.desire(sub.desired_access)
            await p.accesses.save(access)
        await p.uow.commit()


async def test_reconcile_repairs_every_kind_of_drift_in_one_run(kit: Kit) -> None:
    panel = kit.app.panel
    deleted = await kit.seed()
    reenabled = await kit.seed()
    edited = await kit.seed()
    disabled_there = await kit.seed()
    fine = await kit.seed()
    await _set_desired(kit, reenabled.subscription.id, SubscriptionStatus.EXPIRED)
    await kit.drain()  # disabled on the panel
    old_url = deleted.access.subscription_url

    panel.drop_account(deleted.access.username)  # someone deleted it
    panel.set_status(reenabled.access.username, PanelAccountStatus.ACTIVE)  # re-enabled by hand
    account = panel.account(edited.access.username)
    assert account is not None
    account.expires_at = kit.now + timedelta(days=365)  # generous hand edit
    account.traffic_limit_bytes = 0
    panel.set_status(disabled_there.access.username, PanelAccountStatus.DISABLED)
    panel.accounts["stranger"] = _stranger(panel, kit)

    result = await _reconcile(kit)

    assert result == ReconcileResult(
        checked=5,
        recreated=1,
        updated=1,
        disabled=1,
        enabled=1,
        deleted=0,
        orphans=1,
        failed=0,
        orphan_usernames=("stranger",),
    )
    recreated = panel.account(deleted.access.username)
    assert recreated is not None
    assert recreated.status is PanelAccountStatus.ACTIVE
    assert recreated.external_id == str(deleted.access.id)  # same client uuid
    assert (await kit.access(deleted.access.id)).subscription_url == old_url  # link survives
    assert panel.account(reenabled.access.username).status is PanelAccountStatus.DISABLED  # type: ignore[union-attr]
    assert account.expires_at == edited.subscription.expires_at
    assert account.traffic_limit_bytes == edited.subscription.traffic.bytes
    assert panel.account(disabled_there.access.username).status is PanelAccountStatus.ACTIVE  # type: ignore[union-attr]
    assert panel.account(fine.access.username) is not None
    assert "stranger" in panel.accounts  # orphans are never touched
    for seeded in (deleted, reenabled, edited, disabled_there, fine):
        access = await kit.access(seeded.access.id)
        assert access.sync is SyncStatus.IN_SYNC
        assert access.observed is not None

    again = await _reconcile(kit)
    assert (again.recreated, again.updated, again.disabled, again.enabled) == (0, 0, 0, 0)


def _stranger(panel: object, kit: Kit) -> object:
    from vpnsales.testing.fakes import FakeAccount

    return FakeAccount(
        external_id="x-1",
        username="stranger",
        status=PanelAccountStatus.ACTIVE,
        expires_at=kit.now + timedelta(days=3),
        traffic_limit_bytes=0,
        token="t",
        spec=AccountSpec(
            username="stranger",
            expires_at=kit.now + timedelta(days=3),
            enabled=True,
            traffic=TrafficLimit.unlimited(),
            devices=DeviceLimit(),
        ),
    )


async def test_reconcile_never_deletes_a_live_account_and_deletes_cancelled_ones(
    kit: Kit,
) -> None:
    live = await kit.seed()
    cancelled = await kit.seed()
    await _set_desired(kit, cancelled.subscription.id, SubscriptionStatus.CANCELLED)

    result = await _reconcile(kit)

    assert result.deleted == 1
    assert kit.app.panel.account(live.access.username) is not None
    assert kit.app.panel.account(cancelled.access.username) is None
    assert not kit.app.panel.calls_of("delete") or all(
        c.username != live.access.username for c in kit.app.panel.calls_of("delete")
    )


async def test_reconcile_records_failures_and_carries_on(kit: Kit) -> None:
    first = await kit.seed()
    second = await kit.seed()
    kit.app.panel.drop_account(first.access.username)
    kit.app.panel.drop_account(second.access.username)
    original = kit.app.panel.ensure_account
    calls = 0

    async def flaky(spec: AccountSpec, ref: AccountRef | None = None) -> AccountState:
        nonlocal calls
        calls += 1
        if calls == 2:
            raise PanelUnavailable("blip")
        return await original(spec, ref)

    kit.app.panel.ensure_account = flaky  # type: ignore[method-assign]
    result = await _reconcile(kit)

    assert (result.checked, result.recreated, result.failed) == (2, 1, 1)
    states = sorted([(await kit.access(s.access.id)).sync for s in (first, second)])
    assert states == sorted([SyncStatus.IN_SYNC, SyncStatus.FAILING])


async def test_panel_event_updates_observed_state_and_schedules_a_sync_on_drift(
    kit: Kit,
) -> None:
    seeded = await kit.seed()
    syncs_before = len(kit.app.outbox(OutboxKind.SYNC_ACCESS))

    outcome = await kit.run(
        lambda w: w.panel_event(),
        ApplyPanelEventCommand(
            panel_id=PANEL, kind=PanelEventKind.DISABLED, username=seeded.access.username
        ),
    )

    assert outcome is EventOutcome.SYNC_SCHEDULED
    access = await kit.access(seeded.access.id)
    assert access.observed is not None
    assert access.observed.status is ObservedStatus.DISABLED
    assert access.sync is SyncStatus.PENDING
    assert len(kit.app.outbox(OutboxKind.SYNC_ACCESS)) == syncs_before + 1
    kit.app.panel.set_status(seeded.access.username, PanelAccountStatus.DISABLED)
    await kit.drain()
    account = kit.app.panel.account(seeded.access.username)
    assert account is not None
    assert account.status is PanelAccountStatus.ACTIVE


async def test_panel_event_matching_desired_is_only_recorded(kit: Kit) -> None:
    seeded = await kit.seed()
    account = kit.app.panel.account(seeded.access.username)
    assert account is not None
    state = kit.app.panel._state(account)

    outcome = await kit.run(
        lambda w: w.panel_event(),
        ApplyPanelEventCommand(panel_id=PANEL, kind=PanelEventKind.MODIFIED, state=state),
    )

    assert outcome is EventOutcome.RECORDED
    assert (await kit.access(seeded.access.id)).sync is SyncStatus.IN_SYNC


async def test_panel_event_for_a_limited_account_schedules_no_sync(kit: Kit) -> None:
    seeded = await kit.seed()

    outcome = await kit.run(
        lambda w: w.panel_event(),
        ApplyPanelEventCommand(
            panel_id=PANEL, kind=PanelEventKind.LIMITED, username=seeded.access.username
        ),
    )

    assert outcome is EventOutcome.RECORDED
    access = await kit.access(seeded.access.id)
    assert access.observed is not None
    assert access.observed.status is ObservedStatus.LIMITED
    assert access.sync is SyncStatus.IN_SYNC


async def test_panel_event_for_an_unknown_account_is_ignored(kit: Kit) -> None:
    outcome = await kit.run(
        lambda w: w.panel_event(),
        ApplyPanelEventCommand(panel_id=PANEL, kind=PanelEventKind.DELETED, username="nobody"),
    )
    assert outcome is EventOutcome.UNKNOWN_ACCOUNT


async def _observe_usage(kit: Kit, seeded_access_id: object, used: int) -> None:
    async with kit.app.scope() as p:
        access = await p.accesses.get(seeded_access_id, for_update=True)  # type: ignore[arg-type]
        assert access is not None
        assert access.observed is not None
        from dataclasses import replace

        access.observed = replace(access.observed, used_traffic_bytes=used)
        await p.accesses.save(access)
        await p.uow.commit()


async def _traffic(kit: Kit) -> TrafficAlertsResult:
    result: TrafficAlertsResult = await kit.run(
        lambda w: w.traffic(), TrafficAlertsCommand(page_size=2)
    )
    return result


async def test_traffic_alerts_once_per_threshold(kit: Kit) -> None:
    seeded = await kit.seed()  # 100 GiB limit
    quiet = await kit.seed()
    await _observe_usage(kit, quiet.access.id, 10 * GIB)

    await _observe_usage(kit, seeded.access.id, 85 * GIB)
    assert (await _traffic(kit)).alerts == 1
    assert (await _traffic(kit)).alerts == 0

    await _observe_usage(kit, seeded.access.id, 100 * GIB)
    assert (await _traffic(kit)).alerts == 1
    assert (await _traffic(kit)).alerts == 0

    await kit.drain()
    percents = [i.percent for i in kit.app.notifier.intents(IntentKind.TRAFFIC_THRESHOLD)]
    assert percents == [80, 100]


async def test_crossing_both_thresholds_at_once_sends_only_the_highest(kit: Kit) -> None:
    seeded = await kit.seed()
    await _observe_usage(kit, seeded.access.id, 120 * GIB)

    result = await _traffic(kit)

    assert result.alerts == 1
    [message] = [
        m for m in kit.app.outbox(OutboxKind.NOTIFY) if m.payload["kind"] == "traffic_threshold"
    ]
    assert message.payload["percent"] == 100
    assert (await kit.subscription(seeded.subscription.id)).traffic_alerts_sent == {80, 100}


async def test_unlimited_and_disabled_accesses_get_no_traffic_alert(kit: Kit) -> None:
    from vpnsales.testing.builders import a_tariff

    unlimited_tariff = await kit.app.add_tariff(a_tariff(traffic=TrafficLimit.unlimited()))
    unlimited = await kit.seed(tariff=unlimited_tariff)
    expired = await kit.seed()
    await _observe_usage(kit, unlimited.access.id, 500 * GIB)
    await _observe_usage(kit, expired.access.id, 500 * GIB)
    await _set_desired(kit, expired.subscription.id, SubscriptionStatus.EXPIRED)

    assert (await _traffic(kit)).alerts == 0
    assert DesiredState.DISABLED is (await kit.access(expired.access.id)).desired
