"""Broadcast delivery (resumable, cancellable, no duplicates) and the daily summary."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from uuid import uuid4

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vpnsales.adapters.memory import MemoryUnitOfWork
from vpnsales.adapters.memory.admin import MemoryBroadcastRepository
from vpnsales.application.interactors.system.daily_summary import (
    DailySummaryCommand,
    DailySummaryResult,
)
from vpnsales.application.interactors.system.process_broadcast import (
    ProcessBroadcastCommand,
    ProcessBroadcastResult,
)
from vpnsales.application.ports.broadcast import (
    Audience,
    AudienceKind,
    Broadcast,
    BroadcastMessage,
    BroadcastProgress,
    BroadcastStatus,
)
from vpnsales.application.ports.notifier import AlertKind, DeliveryOutcome, Recipient
from vpnsales.application.ports.outbox import OutboxKind
from vpnsales.domain.ids import BroadcastId, PaymentId
from vpnsales.domain.payment import Payment, PaymentProvider, PaymentPurpose
from vpnsales.domain.pricing import make_quote
from vpnsales.testing.builders import a_customer, rub

from .conftest import Kit, build_app


class Sender:
    """Records deliveries; ``before_send`` runs before each one (crash, cancel…)."""

    def __init__(self) -> None:
        self.sent: list[int] = []
        self.blocked: set[int] = set()
        self.before_send: Callable[[int], Awaitable[None]] | None = None

    async def send(self, recipient: Recipient, message: BroadcastMessage) -> DeliveryOutcome:
        if self.before_send is not None:
            await self.before_send(len(self.sent))
        if recipient.telegram_id in self.blocked:
            return DeliveryOutcome.BLOCKED
        self.sent.append(recipient.telegram_id)
        return DeliveryOutcome.SENT


async def _running_broadcast(kit: Kit, customers: int) -> tuple[BroadcastId, list[int]]:
    ids = []
    for _ in range(customers):
        ids.append((await kit.app.add_customer(a_customer(created_at=kit.now))).telegram_id)
    broadcast = Broadcast(
        id=BroadcastId(uuid4()),
        created_by=1,
        created_at=kit.now,
        audience=Audience(kind=AudienceKind.ALL),
        message=BroadcastMessage(text="Hello"),
    )
    async with kit.app.scope() as p:
        assert isinstance(p.uow, MemoryUnitOfWork)
        repo = MemoryBroadcastRepository(p.uow)
        broadcast.start(kit.now)
        await repo.add(broadcast)
        assert await repo.materialise(broadcast.id, broadcast.audience, kit.now) == customers
        await p.uow.commit()
    return broadcast.id, ids


async def _process(
    kit: Kit, sender: Sender, broadcast_id: BroadcastId | None, batch: int = 2
) -> ProcessBroadcastResult:
    result: ProcessBroadcastResult = await kit.run(
        lambda w: w.broadcast(sender),
        ProcessBroadcastCommand(broadcast_id=broadcast_id, batch=batch),
    )
    return result


async def _state(kit: Kit, broadcast_id: BroadcastId) -> tuple[BroadcastStatus, BroadcastProgress]:
    async with kit.app.scope() as p:
        assert isinstance(p.uow, MemoryUnitOfWork)
        repo = MemoryBroadcastRepository(p.uow)
        broadcast = await repo.get(broadcast_id)
        assert broadcast is not None
        return broadcast.status, await repo.progress(broadcast_id)


async def test_broadcast_reaches_everyone_once_and_finishes(kit: Kit) -> None:
    broadcast_id, ids = await _running_broadcast(kit, 5)
    sender = Sender()
    sender.blocked.add(ids[0])

    result = await _process(kit, sender, None)  # every running broadcast

    assert sorted(sender.sent) == sorted(ids[1:])
    assert (result.sent, result.blocked, result.finished) == (4, 1, 1)
    status, progress = await _state(kit, broadcast_id)
    assert status is BroadcastStatus.DONE
    assert progress == BroadcastProgress(total=5, sent=4, blocked=1, failed=0)
    assert (await _process(kit, sender, broadcast_id)).claimed == 0


async def test_a_crashed_worker_resumes_without_sending_anyone_twice(kit: Kit) -> None:
    broadcast_id, ids = await _running_broadcast(kit, 6)
    sender = Sender()

    async def crash_after_three(sent: int) -> None:
        if sent == 3:
            raise asyncio.CancelledError  # the worker is killed mid-batch

    sender.before_send = crash_after_three
    with contextlib.suppress(asyncio.CancelledError):
        await _process(kit, sender, broadcast_id)
    sender.before_send = None
    assert len(sender.sent) == 3

    # the row in flight is still leased: a restart right away sends the rest but not it
    await _process(kit, sender, broadcast_id)
    assert len(sender.sent) == 5
    assert (await _state(kit, broadcast_id))[0] is BroadcastStatus.RUNNING

    kit.app.clock.advance(minutes=6)  # the lease runs out
    await _process(kit, sender, broadcast_id)

    assert sorted(sender.sent) == sorted(ids)
    assert (await _state(kit, broadcast_id))[0] is BroadcastStatus.DONE


async def test_cancellation_is_honoured_between_batches(kit: Kit) -> None:
    broadcast_id, _ = await _running_broadcast(kit, 6)
    sender = Sender()

    async def cancel_during_first_batch(sent: int) -> None:
        if sent == 1:
            async with kit.app.scope() as p:
                assert isinstance(p.uow, MemoryUnitOfWork)
                repo = MemoryBroadcastRepository(p.uow)
                broadcast = await repo.get(broadcast_id)
                assert broadcast is not None
                broadcast.cancel(kit.now)
                await repo.save(broadcast)
                await p.uow.commit()

    sender.before_send = cancel_during_first_batch
    result = await _process(kit, sender, broadcast_id, batch=2)

    assert len(sender.sent) == 2  # the batch in hand finishes, the next never starts
    assert result.cancelled == 1
    status, progress = await _state(kit, broadcast_id)
    assert status is BroadcastStatus.CANCELLED
    assert progress.pending == 4


async def test_a_sender_error_marks_that_recipient_failed_and_goes_on(kit: Kit) -> None:
    broadcast_id, _ = await _running_broadcast(kit, 3)
    sender = Sender()

    failures = [RuntimeError("chat not found")]

    async def flaky(sent: int) -> None:
        if failures:
            raise failures.pop()

    sender.before_send = flaky
    result = await _process(kit, sender, broadcast_id)

    assert (result.sent, result.failed, result.finished) == (2, 1, 1)


async def test_daily_summary_reports_yesterday_once(kit: Kit) -> None:
    customer = await kit.app.add_customer(a_customer(created_at=kit.now))
    payment = Payment(
        id=PaymentId(uuid4()),
        customer_id=customer.id,
        purpose=PaymentPurpose.NEW,
        provider=PaymentProvider.YOOKASSA,
        quote=make_quote(rub(300), tariff_id=None, days=30),
        created_at=kit.now,
    )
    payment.mark_succeeded(rub(300), kit.now)
    async with kit.app.scope() as p:
        await p.payments.add(payment)
        await p.uow.commit()
    day = kit.now.date()
    kit.app.clock.advance(days=1)

    result: DailySummaryResult = await kit.run(
        lambda w: w.daily_summary(kit.app.db), DailySummaryCommand()
    )
    await kit.run(lambda w: w.daily_summary(kit.app.db), DailySummaryCommand())

    assert result.day == day
    assert "New customers: 1" in result.text
    assert "Payments: 1, revenue: 300.00 RUB" in result.text
    assert "Checkout conversion: 1/1" in result.text
    assert len(kit.app.outbox(OutboxKind.ADMIN_ALERT)) == 1
    await kit.drain()
    assert kit.app.alerter.kinds() == [AlertKind.DAILY_SUMMARY]


async def test_two_workers_deliver_one_broadcast_without_duplicates(kit: Kit) -> None:
    broadcast_id, ids = await _running_broadcast(kit, 9)
    sender = Sender()

    async def yielding(_: int) -> None:
        await asyncio.sleep(0)  # let the other worker interleave

    sender.before_send = yielding
    results = await asyncio.gather(
        _process(kit, sender, broadcast_id), _process(kit, sender, broadcast_id)
    )

    assert sorted(sender.sent) == sorted(ids)
    assert sum(r.sent for r in results) == 9
    assert (await _state(kit, broadcast_id))[0] is BroadcastStatus.DONE


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(crash_at=st.integers(min_value=0, max_value=6), batch=st.integers(min_value=1, max_value=4))
async def test_any_crash_point_resumes_to_exactly_once(crash_at: int, batch: int) -> None:
    kit = Kit(build_app())
    broadcast_id, ids = await _running_broadcast(kit, 6)
    sender = Sender()

    async def crash(sent: int) -> None:
        if sent == crash_at:
            raise asyncio.CancelledError

    sender.before_send = crash
    with contextlib.suppress(asyncio.CancelledError):
        await _process(kit, sender, broadcast_id, batch=batch)
    sender.before_send = None
    kit.app.clock.advance(minutes=10)
    await _process(kit, sender, broadcast_id, batch=batch)

    assert sorted(sender.sent) == sorted(ids)
