"""What the use cases report through the ``Telemetry`` port: payments by status, flagged
confirmations, the time from a payment to its working access, broadcast progress."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from uuid import uuid4

import pytest

from vpnsales.adapters.memory import MemoryUnitOfWork
from vpnsales.adapters.memory.admin import MemoryBroadcastRepository
from vpnsales.application.interactors.system.cancel_stale_payments import (
    CancelStalePayments,
    CancelStalePaymentsCommand,
)
from vpnsales.application.interactors.system.process_broadcast import (
    ProcessBroadcast,
    ProcessBroadcastCommand,
)
from vpnsales.application.ports.broadcast import (
    Audience,
    AudienceKind,
    Broadcast,
    BroadcastMessage,
    BroadcastProgress,
    DeliveryStatus,
)
from vpnsales.application.ports.notifier import DeliveryOutcome, Recipient
from vpnsales.application.ports.telemetry import PaymentAnomaly
from vpnsales.domain.errors import PaymentProviderUnavailable
from vpnsales.domain.ids import BroadcastId
from vpnsales.domain.payment import Payment, PaymentProvider, PaymentPurpose, PaymentStatus
from vpnsales.testing.app import InMemoryApp
from vpnsales.testing.builders import a_customer, rub

from .conftest import TG, YK, customer, make_shop


@dataclass
class RecordingTelemetry:
    """A fake ``Telemetry``: what was reported, in order."""

    payments: list[tuple[PaymentProvider, PaymentStatus]] = field(default_factory=list)
    flagged: list[tuple[PaymentProvider, PaymentAnomaly]] = field(default_factory=list)
    waits: list[timedelta] = field(default_factory=list)
    progress: list[BroadcastProgress | None] = field(default_factory=list)
    delivered: list[DeliveryStatus] = field(default_factory=list)

    def payments_moved(self, *payments: Payment) -> None:
        self.payments.extend((p.provider, p.status) for p in payments)

    def payment_flagged(self, payment: Payment, anomaly: PaymentAnomaly) -> None:
        self.flagged.append((payment.provider, anomaly))

    def access_ready(self, waited: timedelta) -> None:
        self.waits.append(waited)

    def broadcast_progress(
        self, broadcast_id: BroadcastId, progress: BroadcastProgress | None
    ) -> None:
        self.progress.append(progress)

    def broadcast_delivered(self, broadcast_id: BroadcastId, status: DeliveryStatus) -> None:
        self.delivered.append(status)


async def _shop() -> tuple[InMemoryApp, RecordingTelemetry]:
    telemetry = RecordingTelemetry()
    shop = await make_shop(telemetry=telemetry)
    await customer(shop)
    return shop, telemetry


async def _checkout(shop: InMemoryApp, **kw: Any) -> Any:
    return await shop.start_checkout(
        telegram_id=TG, tariff_code="basic", days=30, provider=YK, **kw
    )


async def _pay(shop: InMemoryApp, checkout: Any, **kw: Any) -> Any:
    paid = shop.gateways[YK].succeed(checkout.payment_id)
    return await shop.confirm_payment(
        provider=YK,
        provider_payment_id=paid.provider_payment_id,
        amount=kw.pop("amount", paid.amount),
        **kw,
    )


async def test_a_confirmed_payment_is_reported_once_however_often_it_is_confirmed() -> None:
    shop, telemetry = await _shop()
    checkout = await _checkout(shop)

    await _pay(shop, checkout)
    await _pay(shop, checkout)

    assert telemetry.payments == [(YK, PaymentStatus.SUCCEEDED)]
    assert telemetry.flagged == []


async def test_an_amount_mismatch_is_flagged_not_counted_as_paid() -> None:
    shop, telemetry = await _shop()
    checkout = await _checkout(shop)

    await _pay(shop, checkout, amount=rub(3))

    assert telemetry.flagged == [(YK, PaymentAnomaly.AMOUNT_MISMATCH)]
    assert telemetry.payments == []


async def test_failures_and_refunds_are_reported_with_their_status() -> None:
    shop, telemetry = await _shop()
    cancelled = await _checkout(shop)
    await shop.record_payment_failure(provider=YK, payment_id=cancelled.payment_id)
    paid = await _checkout(shop)
    await _pay(shop, paid)

    await shop.refund(payment_id=paid.payment_id)

    assert telemetry.payments == [
        (YK, PaymentStatus.CANCELED),
        (YK, PaymentStatus.SUCCEEDED),
        (YK, PaymentStatus.REFUNDED),
    ]


async def test_the_gateway_failing_at_checkout_reports_a_failed_payment() -> None:
    shop, telemetry = await _shop()
    shop.gateways[YK].fail_next()

    with pytest.raises(PaymentProviderUnavailable):
        await _checkout(shop)

    assert telemetry.payments == [(YK, PaymentStatus.FAILED)]


async def test_stale_payments_expired_in_a_batch_are_each_reported() -> None:
    shop, telemetry = await _shop()
    await _checkout(shop)
    await _checkout(shop)
    shop.clock.advance(shop.policy.payment_ttl + timedelta(minutes=1))

    async with shop.scope() as p:
        sweep = CancelStalePayments(
            uow=p.uow,
            payments=p.payments,
            promos=p.promos,
            outbox=p.outbox,
            clock=p.clock,
            policy=p.policy,
            telemetry=telemetry,
        )
        result = await sweep(CancelStalePaymentsCommand())

    assert result.expired == 2
    assert telemetry.payments == [(YK, PaymentStatus.EXPIRED)] * 2


async def test_time_to_access_runs_from_the_payment_to_the_synced_access() -> None:
    shop, telemetry = await _shop()
    await _pay(shop, await _checkout(shop))
    shop.clock.advance(timedelta(seconds=7))

    await shop.run_outbox()

    assert telemetry.waits == [timedelta(seconds=7)]


async def test_time_to_access_includes_the_panel_being_down() -> None:
    shop, telemetry = await _shop()
    await _pay(shop, await _checkout(shop))
    shop.panel.fail_next()
    await shop.run_outbox()
    assert telemetry.waits == []

    shop.clock.advance(timedelta(minutes=5))
    await shop.run_outbox()

    assert telemetry.waits == [timedelta(minutes=5)]


async def test_a_renewal_measures_its_own_payment_and_a_trial_measures_nothing() -> None:
    shop, telemetry = await _shop()
    await shop.activate_trial(telegram_id=TG)
    await shop.run_outbox()
    assert telemetry.waits == []
    first = await _pay(shop, await _checkout(shop))
    await shop.run_outbox()
    shop.clock.advance(timedelta(days=3))

    renewal = await _checkout(
        shop, purpose=PaymentPurpose.RENEWAL, subscription_id=first.subscription_id
    )
    await _pay(shop, renewal)
    shop.clock.advance(timedelta(seconds=2))
    await shop.run_outbox()

    assert telemetry.waits == [timedelta(0), timedelta(seconds=2)]


class _Sender:
    def __init__(self, blocked: set[int]) -> None:
        self.blocked = blocked

    async def send(self, recipient: Recipient, message: BroadcastMessage) -> DeliveryOutcome:
        if recipient.telegram_id in self.blocked:
            return DeliveryOutcome.BLOCKED
        return DeliveryOutcome.SENT


async def test_broadcast_progress_is_reported_from_start_to_finish() -> None:
    telemetry = RecordingTelemetry()
    shop = await make_shop(telemetry=telemetry)
    now = shop.clock.now()
    ids = [(await shop.add_customer(a_customer(created_at=now))).telegram_id for _ in range(3)]
    broadcast = Broadcast(
        id=BroadcastId(uuid4()),
        created_by=1,
        created_at=now,
        audience=Audience(kind=AudienceKind.ALL),
        message=BroadcastMessage(text="Hello"),
    )
    async with shop.scope() as p:
        assert isinstance(p.uow, MemoryUnitOfWork)
        repo = MemoryBroadcastRepository(p.uow)
        broadcast.start(now)
        await repo.add(broadcast)
        await repo.materialise(broadcast.id, broadcast.audience, now)
        await p.uow.commit()

    async with shop.scope() as p:
        assert isinstance(p.uow, MemoryUnitOfWork)
        process = ProcessBroadcast(
            uow=p.uow,
            broadcasts=MemoryBroadcastRepository(p.uow),
            sender=_Sender(blocked={ids[1]}),
            clock=p.clock,
            telemetry=telemetry,
        )
        await process(ProcessBroadcastCommand(broadcast_id=broadcast.id, batch=2))

    assert telemetry.progress == [BroadcastProgress(total=3, sent=0, blocked=0, failed=0), None]
    assert sorted(telemetry.delivered) == sorted(
        [DeliveryStatus.SENT, DeliveryStatus.BLOCKED, DeliveryStatus.SENT]
    )
