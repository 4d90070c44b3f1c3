"""Property: no sequence of (duplicate, concurrent) confirm/cancel/refund events credits
a payment twice."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vpnsales.application.interactors.payments.refund_payment import RefundInitiator
from vpnsales.application.ports.outbox import OutboxKind
from vpnsales.domain.customer import BalanceReason
from vpnsales.domain.errors import DomainError
from vpnsales.domain.notifications import IntentKind
from vpnsales.domain.payment import PaymentPurpose, PaymentStatus
from vpnsales.testing.app import InMemoryApp
from vpnsales.testing.builders import rub

from .conftest import TG, YK, customer, make_shop

EVENTS = (
    "confirm",
    "confirm_wrong_amount",
    "cancel",
    "expire",
    "refund_by_provider",
    "refund_by_admin",
    "provider_success",
)


async def _event(app: InMemoryApp, name: str, checkout: Any) -> None:
    amount = checkout.quote.total
    try:
        if name == "confirm":
            await app.confirm_payment(provider=YK, payment_id=checkout.payment_id, amount=amount)
        elif name == "confirm_wrong_amount":
            await app.confirm_payment(
                provider=YK, payment_id=checkout.payment_id, amount=amount + rub(1)
            )
        elif name == "cancel":
            await app.record_payment_failure(provider=YK, payment_id=checkout.payment_id)
        elif name == "expire":
            await app.record_payment_failure(
                provider=YK, payment_id=checkout.payment_id, status=PaymentStatus.EXPIRED
            )
        elif name == "provider_success":
            await app.confirm_provider_payment(app.gateways[YK].succeed(checkout.payment_id))
        else:
            initiator = (
                RefundInitiator.ADMIN if name == "refund_by_admin" else RefundInitiator.PROVIDER
            )
            await app.refund(payment_id=checkout.payment_id, initiated_by=initiator)
    except DomainError:
        pass  # refused transitions (refund of a pending payment…) are fine


async def _scenario(purpose: PaymentPurpose, events: list[str], concurrent: bool) -> None:
    app = await make_shop()
    await customer(app)
    start = app.clock.now()
    if purpose is PaymentPurpose.TOP_UP:
        checkout = await app.start_checkout(
            telegram_id=TG, provider=YK, purpose=purpose, top_up=rub(200)
        )
    else:
        checkout = await app.start_checkout(
            telegram_id=TG, tariff_code="basic", days=30, provider=YK
        )

    if concurrent:
        await asyncio.gather(*(_event(app, e, checkout) for e in events))
    else:
        for event in events:
            await _event(app, event, checkout)
    await app.run_outbox()
    app.clock.advance(app.policy.payment_received_delay)  # a deferred receipt falls due
    await app.run_outbox()

    payment = await app.get("payments", checkout.payment_id)
    me = await app.customer(TG)
    async with app.scope() as p:
        ledger = await p.customers.ledger(me.id)
    credits = [e for e in ledger if e.reason is BalanceReason.TOP_UP]
    received = app.notifier.intents(IntentKind.PAYMENT_RECEIVED)
    # staged with the credit, in its transaction: one per crediting, delivered or not
    # (a new purchase's receipt is withdrawn when its access card goes first)
    staged = [
        m
        for m in app.db.outbox_messages()
        if m.kind is OutboxKind.NOTIFY and m.payload.get("kind") == "payment_received"
    ]
    cards = app.notifier.intents(IntentKind.ACCESS_READY)
    subscriptions = app.rows("subscriptions")
    succeeded = payment.status in (PaymentStatus.SUCCEEDED, PaymentStatus.REFUNDED)

    assert len(staged) == (1 if succeeded else 0)
    assert [m.payload.get("payment_id") for m in staged] == ([str(payment.id)] if succeeded else [])
    if purpose is PaymentPurpose.TOP_UP:
        assert len(received) == (1 if succeeded else 0)
    else:
        assert len(received) <= 1
        assert len(cards) <= 1
        if succeeded:
            assert received or cards  # told once way or the other
    if purpose is PaymentPurpose.TOP_UP:
        assert len(credits) == (1 if succeeded else 0)
        expected = rub(200) if payment.status is PaymentStatus.SUCCEEDED else rub(0)
        assert me.balance == expected
        assert subscriptions == []
    else:
        assert len(subscriptions) == (1 if succeeded else 0)
        if succeeded:
            (sub,) = subscriptions
            days = 0 if payment.status is PaymentStatus.REFUNDED else 30
            assert sub.expires_at == start + timedelta(days=days)
    refunds = app.gateways[YK].refunds
    assert len(refunds) <= 1


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    purpose=st.sampled_from([PaymentPurpose.NEW, PaymentPurpose.TOP_UP]),
    events=st.lists(st.sampled_from(EVENTS), min_size=1, max_size=8),
    concurrent=st.booleans(),
)
def test_no_event_sequence_credits_a_payment_twice(
    purpose: PaymentPurpose, events: list[str], concurrent: bool
) -> None:
    asyncio.run(_scenario(purpose, events, concurrent))
