"""A new purchase's two notices: the access card, and "payment received" only when the
card is late — never after the card, even when both race on two workers."""

from __future__ import annotations

from datetime import timedelta

from vpnsales.application.common import enqueue_receipt
from vpnsales.application.interactors.system.execute_outbox_message import (
    ExecuteOutboxMessageCommand,
    ExecutionOutcome,
)
from vpnsales.application.ports.outbox import OutboxKind, OutboxMessage, OutboxStatus
from vpnsales.domain.money import Currency, Money
from vpnsales.domain.notifications import Intent, IntentKind

from .conftest import Kit, Seeded

LEASE = timedelta(minutes=2)


async def _stage_receipt(kit: Kit, seeded: Seeded, delay: timedelta) -> None:
    intent = Intent(
        kind=IntentKind.PAYMENT_RECEIVED,
        customer_id=seeded.customer.id,
        subscription_id=seeded.subscription.id,
        amount=Money.of("300", Currency.RUB),
    )
    async with kit.app.scope() as p:
        await enqueue_receipt(p.outbox, intent, kit.now, delay)
        await p.uow.commit()


def _receipt(kit: Kit) -> OutboxMessage:
    (receipt,) = [
        m for m in kit.app.outbox(OutboxKind.NOTIFY) if m.payload["kind"] == "payment_received"
    ]
    return receipt


async def test_the_card_withdraws_a_receipt_that_is_not_due_yet(kit: Kit) -> None:
    seeded = await kit.seed(provision=False)
    await _stage_receipt(kit, seeded, timedelta(seconds=3))

    await kit.drain()  # provisioning, then the card
    kit.app.clock.advance(minutes=1)
    await kit.drain()

    assert kit.app.notifier.kinds() == [IntentKind.ACCESS_READY]
    assert _receipt(kit).status is OutboxStatus.DONE


async def test_the_card_waits_for_a_receipt_another_worker_is_sending(kit: Kit) -> None:
    seeded = await kit.seed(provision=False)
    await _stage_receipt(kit, seeded, timedelta(0))
    # worker A takes the receipt (and, in the same claim, the provisioning: handed back)
    claimed = await kit.app.consumer.claim(kit.now, limit=10, lease=LEASE)
    (receipt,) = [m for m in claimed if m.kind is OutboxKind.NOTIFY]
    for other in claimed:
        if other.id != receipt.id:
            await kit.app.consumer.retry_later(other.id, error="handed back", due_at=kit.now)

    # worker B provisions the access; its card must not overtake A's receipt
    result = await kit.drain()
    assert result.retried == 1
    assert kit.app.notifier.kinds() == []

    # A's send goes through; the card follows on its retry
    outcome = await kit.run(lambda w: w.execute(), ExecuteOutboxMessageCommand(message=receipt))
    assert outcome is ExecutionOutcome.DONE
    kit.app.clock.advance(minutes=1)
    await kit.drain()

    assert kit.app.notifier.kinds() == [IntentKind.PAYMENT_RECEIVED, IntentKind.ACCESS_READY]


async def test_a_receipt_due_before_the_access_is_ready_goes_first(kit: Kit) -> None:
    seeded = await kit.seed(provision=False)
    kit.app.panel.down = True
    await _stage_receipt(kit, seeded, timedelta(seconds=3))
    await kit.drain()
    assert kit.app.notifier.kinds() == []

    kit.app.clock.advance(seconds=3)
    await kit.drain()
    kit.app.panel.down = False
    kit.app.clock.advance(minutes=2)
    await kit.drain()

    assert kit.app.notifier.kinds() == [IntentKind.PAYMENT_RECEIVED, IntentKind.ACCESS_READY]


async def test_a_drain_reports_when_the_next_deferred_message_falls_due(kit: Kit) -> None:
    seeded = await kit.seed(provision=False)
    kit.app.panel.down = True
    await _stage_receipt(kit, seeded, timedelta(seconds=3))

    result = await kit.drain()

    assert result.claimed == 1  # the provisioning, which fails and is retried later
    receipt = _receipt(kit)
    sync = kit.app.outbox(OutboxKind.SYNC_ACCESS)[0]
    assert result.next_due == min(receipt.due_at, sync.due_at)
    assert result.next_due is not None
    assert result.next_due > kit.now
