"""Outbox execution: dispatch, retry with backoff, dead-letter (+ alert), leases, concurrency."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import timedelta
from uuid import uuid4

from vpnsales.application.common import enqueue_notify
from vpnsales.application.interactors.system.drain_outbox import DrainOutboxCommand
from vpnsales.application.interactors.system.execute_outbox_message import (
    ExecuteOutboxMessageCommand,
    ExecutionOutcome,
)
from vpnsales.application.ports.notifier import AlertKind
from vpnsales.application.ports.outbox import (
    OutboxKind,
    OutboxMessage,
    OutboxStatus,
    RetryPolicy,
)
from vpnsales.application.ports.panels import PanelRejected
from vpnsales.domain.access import SyncStatus
from vpnsales.domain.notifications import IntentKind, expired

from .conftest import Kit, Worker, build_app


def _alert_message(kit: Kit, text: str = "hi") -> OutboxMessage:
    return OutboxMessage(
        id=uuid4(),
        kind=OutboxKind.ADMIN_ALERT,
        payload={"kind": "daily_summary", "text": text},
        created_at=kit.now,
        due_at=kit.now,
    )


async def _add(kit: Kit, *messages: OutboxMessage) -> None:
    async with kit.app.scope() as p:
        for message in messages:
            await p.outbox.add(message)
        await p.uow.commit()


async def test_provisioning_through_the_outbox_completes_every_message(kit: Kit) -> None:
    seeded = await kit.seed()

    access = seeded.access
    assert access.is_ready
    assert access.sync is SyncStatus.IN_SYNC
    assert kit.app.panel.account(access.username) is not None
    assert [m.status for m in kit.app.outbox()] == [OutboxStatus.DONE] * len(kit.app.outbox())
    assert kit.app.notifier.kinds() == [IntentKind.ACCESS_READY]
    [delivery] = kit.app.notifier.deliveries
    assert delivery.card is not None
    assert delivery.card.subscription_url == access.subscription_url
    assert delivery.card.tariff_name == seeded.tariff.name(seeded.customer.language)


async def test_retryable_failure_is_retried_with_backoff_then_succeeds(kit: Kit) -> None:
    seeded = await kit.seed(provision=False)
    kit.app.panel.fail_next(1)

    result = await kit.drain()

    assert (result.claimed, result.retried, result.done) == (1, 1, 0)
    [message] = kit.app.outbox(OutboxKind.SYNC_ACCESS)
    assert message.attempts == 1
    assert message.status is OutboxStatus.PENDING
    # attempt 1: base 2 s, jitter 0.5, rnd 0.5 → 2 s × 0.75
    assert message.due_at == kit.now + timedelta(seconds=1.5)
    assert (await kit.access(seeded.access.id)).sync is SyncStatus.FAILING

    assert (await kit.drain()).claimed == 0  # not due yet
    kit.app.clock.advance(seconds=2)
    await kit.drain()

    assert (await kit.access(seeded.access.id)).is_ready
    assert kit.app.outbox(OutboxKind.SYNC_ACCESS, OutboxStatus.DONE)


async def test_backoff_grows_exponentially_and_uses_the_injected_randomness() -> None:
    app = build_app()
    kit = Kit(app)
    seeded = await kit.seed(provision=False)
    app.panel.down = True
    delays = []
    for _ in range(4):
        async with app.scope() as ports:
            await Worker(ports, random=lambda: 0.0).drain()(DrainOutboxCommand())
        [message] = app.outbox(OutboxKind.SYNC_ACCESS)
        delays.append(message.due_at - app.clock.now())
        app.clock.set(message.due_at)
    assert delays == [timedelta(seconds=s) for s in (1, 2, 4, 8)]
    assert (await kit.access(seeded.access.id)).attempts == 4


async def test_dead_letter_after_max_attempts_alerts_the_seller() -> None:
    app = build_app(outbox_max_attempts=3)
    kit = Kit(app)
    await kit.seed(provision=False)
    app.panel.down = True

    outcomes = []
    for _ in range(3):
        outcomes.append(await kit.drain())
        app.clock.advance(hours=1)

    assert [r.retried for r in outcomes] == [1, 1, 0]
    [message] = app.outbox(OutboxKind.SYNC_ACCESS)
    assert message.status is OutboxStatus.DEAD
    assert message.attempts == 3
    assert "PanelUnavailable" in (message.last_error or "")
    assert AlertKind.DEAD_LETTER in app.alerter.kinds()  # delivered by the same drain loop


async def test_non_retryable_failure_is_dead_lettered_at_once(kit: Kit) -> None:
    await kit.seed(provision=False)
    kit.app.panel.fail_next(1, PanelRejected("validation failed"))

    result = await kit.drain()

    assert result.dead == 1
    assert result.retried == 0
    [message] = kit.app.outbox(OutboxKind.SYNC_ACCESS)
    assert message.status is OutboxStatus.DEAD
    assert message.attempts == 1
    assert kit.app.alerter.kinds() == [AlertKind.DEAD_LETTER]


async def test_malformed_payload_and_unknown_kind_are_dead_lettered(kit: Kit) -> None:
    bad = OutboxMessage(
        id=uuid4(),
        kind=OutboxKind.SYNC_ACCESS,
        payload={"access_id": "not-a-uuid"},
        created_at=kit.now,
        due_at=kit.now,
    )
    await _add(kit, bad)
    async with kit.app.scope() as ports:
        worker = Worker(ports)
        handlers = worker.handlers()
        del handlers[OutboxKind.ADMIN_ALERT]
        [claimed] = await ports.outbox_consumer.claim(kit.now, limit=10, lease=timedelta(minutes=1))
        outcome = await worker.execute(handlers)(ExecuteOutboxMessageCommand(message=claimed))
        assert outcome is ExecutionOutcome.DEAD
        # the dead-letter alert itself has no handler here: dead, and no alert about it
        [alert] = await ports.outbox_consumer.claim(kit.now, limit=10, lease=timedelta(minutes=1))
        assert alert.kind is OutboxKind.ADMIN_ALERT
        assert await worker.execute(handlers)(ExecuteOutboxMessageCommand(message=alert)) is (
            ExecutionOutcome.DEAD
        )
    assert len(kit.app.outbox(OutboxKind.ADMIN_ALERT)) == 1


async def test_notifier_failure_is_retried_and_blocked_customer_is_final(kit: Kit) -> None:
    seeded = await kit.seed()
    kit.app.notifier.failing = 1
    async with kit.app.scope() as p:
        await enqueue_notify(
            p.outbox, expired(seeded.customer.id, seeded.subscription.id, kit.now), kit.now
        )
        await p.uow.commit()

    assert (await kit.drain()).retried == 1
    kit.app.clock.advance(minutes=1)
    assert (await kit.drain()).done == 1
    assert IntentKind.EXPIRED in kit.app.notifier.kinds()

    kit.app.notifier.blocked.add(seeded.customer.telegram_id)
    async with kit.app.scope() as p:
        await enqueue_notify(
            p.outbox,
            dataclasses.replace(
                expired(seeded.customer.id, seeded.subscription.id, kit.now), hours=1
            ),
            kit.now,
        )
        await p.uow.commit()
    assert (await kit.drain()).done == 1


async def test_a_message_whose_lease_expired_is_executed_again(kit: Kit) -> None:
    await _add(kit, _alert_message(kit, "lost"))
    # a worker claims it and dies before completing
    claimed = await kit.app.consumer.claim(kit.now, limit=10, lease=timedelta(minutes=2))
    assert len(claimed) == 1

    assert (await kit.drain()).claimed == 0  # still leased
    kit.app.clock.advance(minutes=3)
    result = await kit.drain()

    assert result.done == 1
    assert [a.text for a in kit.app.alerter.alerts] == ["lost"]


async def test_two_concurrent_drains_never_execute_a_message_twice(kit: Kit) -> None:
    messages = [_alert_message(kit, f"m{i}") for i in range(40)]
    await _add(kit, *messages)
    executed: list[str] = []

    async def handler(message: OutboxMessage) -> None:
        await asyncio.sleep(0)  # let the other drain interleave
        executed.append(str(message.payload["text"]))

    async def one_drain() -> int:
        async with kit.app.scope() as ports:
            drain = Worker(ports).drain({OutboxKind.ADMIN_ALERT: handler})
            return (await drain(DrainOutboxCommand(batch=3, max_batches=100))).done

    done = await asyncio.gather(one_drain(), one_drain())

    assert sorted(executed) == sorted(f"m{i}" for i in range(40))
    assert sum(done) == 40
    assert all(d > 0 for d in done)
    assert len(kit.app.outbox(status=OutboxStatus.DONE)) == 40


async def test_retry_policy_caps_the_delay() -> None:
    policy = RetryPolicy(base=timedelta(seconds=2), cap=timedelta(seconds=10), jitter=0.0)
    assert policy.delay(10, 0.9) == timedelta(seconds=10)


async def test_an_unreachable_panel_alerts_the_seller_once_per_hour() -> None:
    app = build_app()
    kit = Kit(app)
    await kit.seed(provision=False)
    await kit.seed(provision=False)
    app.panel.down = True

    async def fail_round() -> None:
        await kit.drain()  # alerts are delivered by the same drain loop
        app.clock.advance(minutes=2)

    await fail_round()
    await fail_round()
    assert AlertKind.PANEL_UNREACHABLE not in app.alerter.kinds()  # a blip is not an outage
    await fail_round()
    await fail_round()
    assert app.alerter.kinds().count(AlertKind.PANEL_UNREACHABLE) == 1

    app.clock.advance(hours=1)
    await fail_round()
    assert app.alerter.kinds().count(AlertKind.PANEL_UNREACHABLE) == 2
