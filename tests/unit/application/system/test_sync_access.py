"""SyncAccess converges one access to its desired state; RevokeAccessLink issues a new link."""

from __future__ import annotations

import copy
from typing import Any
from uuid import uuid4

import pytest

from vpnsales.application.interactors.system.revoke_access_link import (
    RevokeAccessLinkCommand,
)
from vpnsales.application.interactors.system.sync_access import (
    SyncAccessCommand,
    SyncOutcome,
)
from vpnsales.application.ports.outbox import OutboxKind
from vpnsales.application.ports.panels import (
    AccountRef,
    AccountSpec,
    AccountState,
    PanelAccountStatus,
    PanelUnavailable,
)
from vpnsales.application.ports.worker import PermanentFailure
from vpnsales.domain.access import AccessPhase, DesiredState, ObservedStatus, SyncStatus
from vpnsales.domain.ids import AccessId
from vpnsales.domain.notifications import IntentKind
from vpnsales.testing.fakes import FakePanel

from .conftest import Kit, build_app


async def _sync(kit: Kit, access_id: AccessId) -> Any:
    return await kit.run(lambda w: w.sync_access(), SyncAccessCommand(access_id=access_id))


async def _desire(kit: Kit, access_id: AccessId, state: DesiredState) -> None:
    async with kit.app.scope() as p:
        access = await p.accesses.get(access_id, for_update=True)
        assert access is not None
        access.desire(state)
        await p.accesses.save(access)
        await p.uow.commit()


async def test_first_sync_creates_the_account_from_the_subscription(kit: Kit) -> None:
    seeded = await kit.seed(provision=False)

    result = await _sync(kit, seeded.access.id)

    assert result.outcome is SyncOutcome.SYNCED
    assert result.ready
    account = kit.app.panel.account(seeded.access.username)
    assert account is not None
    spec = account.spec
    assert spec.expires_at == seeded.subscription.expires_at
    assert spec.traffic == seeded.subscription.traffic
    assert spec.devices == seeded.subscription.devices
    assert spec.telegram_id == seeded.customer.telegram_id
    assert spec.client_uuid == seeded.access.id
    assert spec.enabled
    access = await kit.access(seeded.access.id)
    assert access.phase is AccessPhase.ENABLED
    assert access.sync is SyncStatus.IN_SYNC
    assert access.subscription_url
    assert access.external_id == account.external_id
    assert access.observed is not None
    assert access.observed.status is ObservedStatus.ACTIVE
    assert [m.payload["kind"] for m in kit.app.outbox(OutboxKind.NOTIFY)] == ["access_ready"]


async def test_running_it_twice_gives_the_same_panel_state_and_one_notification(
    kit: Kit,
) -> None:
    seeded = await kit.seed(provision=False)
    await _sync(kit, seeded.access.id)
    before = copy.deepcopy(kit.app.panel.account(seeded.access.username))

    await _sync(kit, seeded.access.id)

    assert len(kit.app.panel.accounts) == 1
    assert kit.app.panel.account(seeded.access.username) == before
    assert len(kit.app.outbox(OutboxKind.NOTIFY)) == 1


async def test_disabled_then_enabled_again_follows_desired(kit: Kit) -> None:
    seeded = await kit.seed()
    username = seeded.access.username

    await _desire(kit, seeded.access.id, DesiredState.DISABLED)
    await _sync(kit, seeded.access.id)
    account = kit.app.panel.account(username)
    assert account is not None
    assert account.status is PanelAccountStatus.DISABLED
    assert (await kit.access(seeded.access.id)).phase is AccessPhase.DISABLED

    await _desire(kit, seeded.access.id, DesiredState.ENABLED)
    await _sync(kit, seeded.access.id)
    assert account.status is PanelAccountStatus.ACTIVE
    access = await kit.access(seeded.access.id)
    assert access.phase is AccessPhase.ENABLED
    assert access.is_ready
    # re-enabling is not a "first time ready": no second access_ready
    assert kit.app.notifier.kinds().count(IntentKind.ACCESS_READY) == 1


async def test_an_account_disabled_on_the_panel_is_enabled_by_sync(kit: Kit) -> None:
    seeded = await kit.seed()
    kit.app.panel.set_status(seeded.access.username, PanelAccountStatus.DISABLED)

    await _sync(kit, seeded.access.id)

    account = kit.app.panel.account(seeded.access.username)
    assert account is not None
    assert account.status is PanelAccountStatus.ACTIVE


async def test_deleted_access_removes_the_account(kit: Kit) -> None:
    seeded = await kit.seed()
    await _desire(kit, seeded.access.id, DesiredState.DELETED)

    await _sync(kit, seeded.access.id)

    assert kit.app.panel.account(seeded.access.username) is None
    access = await kit.access(seeded.access.id)
    assert access.phase is AccessPhase.DELETED
    assert access.sync is SyncStatus.IN_SYNC


async def test_panel_down_records_the_failure_and_raises_for_the_outbox(kit: Kit) -> None:
    seeded = await kit.seed(provision=False)
    kit.app.panel.down = True

    with pytest.raises(PanelUnavailable):
        await _sync(kit, seeded.access.id)

    access = await kit.access(seeded.access.id)
    assert access.sync is SyncStatus.FAILING
    assert access.attempts == 1
    assert "down" in (access.last_error or "")


async def test_missing_access_is_reported_not_raised(kit: Kit) -> None:
    result = await _sync(kit, AccessId(uuid4()))
    assert result.outcome is SyncOutcome.MISSING


class _RacingPanel(FakePanel):
    """Runs ``during`` while the sync talks to the panel (outside its transaction)."""

    during: Any = None

    async def ensure_account(
        self, spec: AccountSpec, ref: AccountRef | None = None
    ) -> AccountState:
        if self.during is not None:
            hook, self.during = self.during, None
            await hook()
        return await super().ensure_account(spec, ref)


async def test_a_result_for_a_stale_version_only_updates_what_was_observed() -> None:
    panel = _RacingPanel("panel-1")
    kit = Kit(build_app(panels=[panel]))
    seeded = await kit.seed(provision=False)

    async def change_desire() -> None:
        await _desire(kit, seeded.access.id, DesiredState.DISABLED)

    panel.during = change_desire
    result = await _sync(kit, seeded.access.id)

    assert result.outcome is SyncOutcome.STALE
    access = await kit.access(seeded.access.id)
    assert access.sync is SyncStatus.PENDING
    assert access.phase is AccessPhase.PROVISIONING
    assert access.subscription_url  # what was observed is kept
    assert not kit.app.outbox(OutboxKind.NOTIFY)
    # the newer version converges on its own sync
    await _sync(kit, seeded.access.id)
    account = panel.account(seeded.access.username)
    assert account is not None
    assert account.status is PanelAccountStatus.DISABLED
    assert (await kit.access(seeded.access.id)).sync is SyncStatus.IN_SYNC


async def test_revoke_stores_the_new_link_and_sends_a_fresh_card(kit: Kit) -> None:
    seeded = await kit.seed()
    old_url = seeded.access.subscription_url

    result = await kit.run(
        lambda w: w.revoke(), RevokeAccessLinkCommand(access_id=seeded.access.id)
    )
    await kit.drain()

    access = await kit.access(seeded.access.id)
    assert result.subscription_url == access.subscription_url != old_url
    cards = [d.card for d in kit.app.notifier.deliveries if d.intent and d.intent.reason]
    assert [c.subscription_url for c in cards if c] == [access.subscription_url]


async def test_an_unknown_panel_fails_permanently_and_is_recorded(kit: Kit) -> None:
    seeded = await kit.seed(provision=False, panel="panel-gone")

    with pytest.raises(PermanentFailure):
        await _sync(kit, seeded.access.id)

    access = await kit.access(seeded.access.id)
    assert access.sync is SyncStatus.FAILING
    assert "unknown panel" in (access.last_error or "")


async def test_a_notification_for_a_vanished_customer_is_dead_lettered(kit: Kit) -> None:
    from vpnsales.application.common import enqueue_notify
    from vpnsales.domain.ids import CustomerId, SubscriptionId
    from vpnsales.domain.notifications import expired

    async with kit.app.scope() as p:
        intent = expired(CustomerId(uuid4()), SubscriptionId(uuid4()), kit.now)
        await enqueue_notify(p.outbox, intent, kit.now)
        await p.uow.commit()

    result = await kit.drain()

    assert result.dead == 1
    assert not kit.app.notifier.deliveries
