"""Expiry sweep (DB first, panel converges later) and reminders (once per threshold)."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from vpnsales.application.interactors.system.expire_due_subscriptions import (
    ExpireDueSubscriptionsCommand,
    ExpireResult,
)
from vpnsales.application.interactors.system.send_reminders import (
    RemindersResult,
    SendRemindersCommand,
)
from vpnsales.application.ports.outbox import OutboxKind, OutboxStatus
from vpnsales.application.ports.panels import PanelAccountStatus
from vpnsales.domain.access import DesiredState, SyncStatus
from vpnsales.domain.notifications import IntentKind
from vpnsales.domain.subscription import SubscriptionStatus

from .conftest import Kit


async def _expire(kit: Kit, batch: int | None = None) -> ExpireResult:
    result: ExpireResult = await kit.run(
        lambda w: w.expire(), ExpireDueSubscriptionsCommand(batch=batch)
    )
    return result


async def _remind(kit: Kit) -> RemindersResult:
    result: RemindersResult = await kit.run(lambda w: w.reminders(), SendRemindersCommand())
    return result


def _reminder_hours(kit: Kit) -> list[int]:
    return [
        int(m.payload["hours"])
        for m in kit.app.outbox(OutboxKind.NOTIFY)
        if m.payload["kind"] == "expiring_soon"
    ]


async def test_expiry_with_the_panel_down_changes_the_database_at_once(kit: Kit) -> None:
    seeded = await kit.seed(days=1)
    kit.app.clock.advance(days=1, minutes=1)
    kit.app.panel.down = True

    result = await _expire(kit)

    assert result == ExpireResult(expired=1, accesses_disabled=1)
    subscription = await kit.subscription(seeded.subscription.id)
    access = await kit.access(seeded.access.id)
    assert subscription.status is SubscriptionStatus.EXPIRED
    assert access.desired is DesiredState.DISABLED
    assert access.sync is SyncStatus.PENDING
    # the panel is still down: the sync fails and is retried, the customer is told anyway
    await kit.drain()
    assert IntentKind.EXPIRED in kit.app.notifier.kinds()
    account = kit.app.panel.account(seeded.access.username)
    assert account is not None
    assert account.status is PanelAccountStatus.ACTIVE

    kit.app.panel.down = False
    kit.app.clock.advance(minutes=5)
    await kit.drain()

    assert account.status is PanelAccountStatus.DISABLED
    assert (await kit.access(seeded.access.id)).sync is SyncStatus.IN_SYNC
    assert not kit.app.outbox(status=OutboxStatus.PENDING)


async def test_expiry_loops_over_bounded_batches_and_leaves_live_ones(kit: Kit) -> None:
    due = [await kit.seed(days=1, provision=False) for _ in range(5)]
    live = await kit.seed(days=30, provision=False)
    kit.app.clock.advance(days=2)

    result = await _expire(kit, batch=2)

    assert result.expired == 5
    for seeded in due:
        assert (await kit.subscription(seeded.subscription.id)).status is (
            SubscriptionStatus.EXPIRED
        )
    assert (await kit.subscription(live.subscription.id)).is_live
    assert (await _expire(kit)).expired == 0


async def test_reminders_once_per_threshold_per_period(kit: Kit) -> None:
    seeded = await kit.seed(days=3)  # expires in 72 h
    kit.app.clock.advance(hours=10)  # 62 h left

    await _remind(kit)
    await _remind(kit)
    assert _reminder_hours(kit) == [72]

    kit.app.clock.advance(hours=40)  # 22 h left
    await _remind(kit)
    await _remind(kit)
    assert _reminder_hours(kit) == [72, 24]

    # a renewal starts a new period: reminders apply again
    async with kit.app.scope() as p:
        subscription = await p.subscriptions.get(seeded.subscription.id, for_update=True)
        assert subscription is not None
        subscription.extend(2, kit.now)
        await p.subscriptions.save(subscription)
        await p.uow.commit()
    await _remind(kit)
    assert _reminder_hours(kit) == [72, 24, 72]


async def test_a_late_customer_gets_only_the_nearest_reminder(kit: Kit) -> None:
    await kit.seed(days=1)
    kit.app.clock.advance(hours=14)  # 10 h left: both thresholds are crossed

    result = await _remind(kit)
    await _remind(kit)

    assert _reminder_hours(kit) == [24]
    assert result.sent == 1


async def test_auto_renewing_subscriptions_get_no_reminder(kit: Kit) -> None:
    await kit.seed(days=1, auto_renew=True)
    kit.app.clock.advance(hours=2)

    result = await _remind(kit)

    assert _reminder_hours(kit) == []
    assert result.skipped_auto_renew == 1


async def test_reminder_carries_the_expiry(kit: Kit) -> None:
    seeded = await kit.seed(days=1)
    kit.app.clock.advance(hours=1)
    await _remind(kit)
    await kit.drain()
    [intent] = kit.app.notifier.intents(IntentKind.EXPIRING_SOON)
    assert intent.expires_at == seeded.subscription.expires_at
    assert intent.expires_at - kit.now == timedelta(hours=23)


async def test_concurrent_sweeps_expire_each_subscription_once(kit: Kit) -> None:
    for _ in range(6):
        await kit.seed(days=1, provision=False)
    kit.app.clock.advance(days=2)

    results = await asyncio.gather(*(_expire(kit, batch=2) for _ in range(3)))

    assert sum(r.expired for r in results) == 6
    expired_notices = [
        m for m in kit.app.outbox(OutboxKind.NOTIFY) if m.payload["kind"] == "expired"
    ]
    assert len(expired_notices) == 6
