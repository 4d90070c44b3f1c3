"""Stale payments, provider re-checks, provider cancel/refund executors and auto-renewal."""

from __future__ import annotations

from datetime import timedelta
from uuid import uuid4

from vpnsales.application.interactors.system.auto_renew import AutoRenewCommand, AutoRenewResult
from vpnsales.application.interactors.system.cancel_stale_payments import (
    CancelStalePaymentsCommand,
)
from vpnsales.application.interactors.system.recheck_pending_payments import (
    RecheckPendingPaymentsCommand,
    RecheckResult,
)
from vpnsales.application.interactors.system.send_reminders import SendRemindersCommand
from vpnsales.application.ports.notifier import AlertKind
from vpnsales.application.ports.outbox import OutboxKind
from vpnsales.application.ports.payments import CheckoutRequest
from vpnsales.application.ports.repositories import Redemption
from vpnsales.domain.customer import Customer
from vpnsales.domain.ids import PaymentId, SubscriptionId
from vpnsales.domain.notifications import IntentKind
from vpnsales.domain.payment import Payment, PaymentProvider, PaymentPurpose, PaymentStatus
from vpnsales.domain.pricing import make_quote
from vpnsales.domain.promo import PromoCode
from vpnsales.domain.tariff import Tariff
from vpnsales.testing.builders import a_customer, a_promo, a_tariff, rub

from .conftest import Kit

YK = PaymentProvider.YOOKASSA


async def _pending(
    kit: Kit,
    customer: Customer,
    tariff: Tariff,
    *,
    promo: PromoCode | None = None,
    purpose: PaymentPurpose = PaymentPurpose.NEW,
    subscription_id: SubscriptionId | None = None,
) -> Payment:
    base = tariff.options[0].price(rub(0).currency)
    quote = make_quote(
        base,
        tariff_id=tariff.id,
        days=tariff.options[0].days,
        promo=promo.discount if promo else None,
        promo_code=promo.code if promo else None,
    )
    payment = Payment(
        id=PaymentId(uuid4()),
        customer_id=customer.id,
        purpose=purpose,
        provider=YK,
        quote=quote,
        created_at=kit.now,
        tariff_id=tariff.id,
        subscription_id=subscription_id,
    )
    created = await kit.app.gateways[YK].create(
        CheckoutRequest(
            payment_id=payment.id,
            amount=quote.total,
            description="test",
            telegram_id=customer.telegram_id,
        )
    )
    payment.attach_provider(created.provider_payment_id, created.pay_url)
    async with kit.app.scope() as p:
        await p.payments.add(payment)
        if promo is not None:
            stored = await p.promos.get_by_code(promo.code, for_update=True)
            assert stored is not None
            stored.redeem(customer=customer, now=kit.now, customer_uses=0)
            await p.promos.save(stored)
            await p.promos.add_redemption(
                Redemption(
                    promo_id=stored.id,
                    customer_id=customer.id,
                    redeemed_at=kit.now,
                    payment_id=payment.id,
                    single_use=True,
                )
            )
        await p.uow.commit()
    return payment


async def _setup(kit: Kit, *, promo: bool = False) -> tuple[Customer, Tariff, PromoCode | None]:
    tariff = await kit.app.add_tariff(a_tariff())
    customer = await kit.app.add_customer(a_customer(created_at=kit.now))
    code = await kit.app.add_promo(a_promo("SAVE10")) if promo else None
    return customer, tariff, code


async def _promo(kit: Kit, code: str) -> PromoCode:
    async with kit.app.scope() as p:
        found = await p.promos.get_by_code(code)
    assert found is not None
    return found


async def test_stale_payment_expires_releases_the_promo_and_cancels_at_provider(
    kit: Kit,
) -> None:
    customer, tariff, promo = await _setup(kit, promo=True)
    payment = await _pending(kit, customer, tariff, promo=promo)
    assert (await _promo(kit, "SAVE10")).uses == 1
    kit.app.clock.advance(kit.app.policy.payment_ttl + timedelta(seconds=1))

    result = await kit.run(lambda w: w.cancel_stale(), CancelStalePaymentsCommand())

    assert (result.expired, result.promos_released) == (1, 1)
    assert (await kit.payment(payment.id)).status is PaymentStatus.EXPIRED
    assert (await _promo(kit, "SAVE10")).uses == 0
    assert not kit.app.rows("redemptions")
    await kit.drain()
    assert kit.app.gateways[YK].cancels == [payment.provider_payment_id]
    [failed] = kit.app.notifier.intents(IntentKind.PAYMENT_FAILED)
    assert failed.reason == "expired"
    assert failed.payment_id == payment.id


async def test_young_pending_payments_are_left_alone(kit: Kit) -> None:
    customer, tariff, _ = await _setup(kit)
    payment = await _pending(kit, customer, tariff)
    kit.app.clock.advance(minutes=30)

    result = await kit.run(lambda w: w.cancel_stale(), CancelStalePaymentsCommand())

    assert result.expired == 0
    assert (await kit.payment(payment.id)).status is PaymentStatus.PENDING


async def test_paid_at_the_last_moment_is_handed_to_confirmation_and_flagged(kit: Kit) -> None:
    customer, tariff, _ = await _setup(kit)
    payment = await _pending(kit, customer, tariff)
    kit.app.clock.advance(hours=2)
    await kit.run(lambda w: w.cancel_stale(), CancelStalePaymentsCommand())
    kit.app.gateways[YK].succeed(payment.id)  # the customer paid before the cancel ran

    await kit.drain()

    assert AlertKind.LATE_PAYMENT in kit.app.alerter.kinds()
    assert (await kit.payment(payment.id)).flagged


async def test_recheck_confirms_a_payment_whose_webhook_was_lost(kit: Kit) -> None:
    customer, tariff, _ = await _setup(kit)
    payment = await _pending(kit, customer, tariff)
    kit.app.gateways[YK].succeed(payment.id)
    kit.app.clock.advance(minutes=3)

    result: RecheckResult = await kit.run(lambda w: w.recheck(), RecheckPendingPaymentsCommand())

    assert (result.checked, result.confirmed) == (1, 1)
    stored = await kit.payment(payment.id)
    assert stored.status is PaymentStatus.SUCCEEDED
    assert stored.subscription_id is not None
    await kit.drain()
    assert kit.app.panel.accounts  # provisioned through the outbox


async def test_recheck_cancels_locally_what_the_provider_cancelled(kit: Kit) -> None:
    customer, tariff, promo = await _setup(kit, promo=True)
    payment = await _pending(kit, customer, tariff, promo=promo)
    kit.app.gateways[YK].decline(payment.id)
    kit.app.clock.advance(minutes=3)

    result: RecheckResult = await kit.run(lambda w: w.recheck(), RecheckPendingPaymentsCommand())

    assert result.canceled == 1
    assert (await kit.payment(payment.id)).status is PaymentStatus.CANCELED
    assert (await _promo(kit, "SAVE10")).uses == 0
    assert any(m.payload["kind"] == "payment_failed" for m in kit.app.outbox(OutboxKind.NOTIFY))


async def test_recheck_survives_a_provider_outage_and_skips_young_payments(kit: Kit) -> None:
    customer, tariff, _ = await _setup(kit)
    old = await _pending(kit, customer, tariff)
    kit.app.clock.advance(minutes=3)
    young = await _pending(kit, customer, tariff)
    kit.app.gateways[YK].down = True

    result: RecheckResult = await kit.run(lambda w: w.recheck(), RecheckPendingPaymentsCommand())

    assert (result.checked, result.failed) == (1, 1)
    assert (await kit.payment(old.id)).status is PaymentStatus.PENDING
    assert (await kit.payment(young.id)).status is PaymentStatus.PENDING


async def _auto_renewing(
    kit: Kit, *, method: str | None = "pm-1"
) -> tuple[Customer, SubscriptionId]:
    seeded = await kit.seed(days=1, auto_renew=True)
    # the purchase that saved the card
    previous = await _pending(
        kit,
        seeded.customer,
        seeded.tariff,
        purpose=PaymentPurpose.NEW,
        subscription_id=seeded.subscription.id,
    )
    async with kit.app.scope() as p:
        stored = await p.payments.get(previous.id, for_update=True)
        assert stored is not None
        stored.mark_succeeded(stored.amount, kit.now, saved_method_id=method)
        await p.payments.save(stored)
        await p.uow.commit()
    kit.app.clock.advance(hours=6)
    return seeded.customer, seeded.subscription.id


async def _renew(kit: Kit) -> AutoRenewResult:
    result: AutoRenewResult = await kit.run(lambda w: w.auto_renew(), AutoRenewCommand())
    return result


async def test_auto_renew_charges_the_saved_method_and_extends(kit: Kit) -> None:
    _, subscription_id = await _auto_renewing(kit)
    before = (await kit.subscription(subscription_id)).expires_at

    result = await _renew(kit)

    assert (result.claimed, result.charged, result.failed) == (1, 1, 0)
    [(method, request)] = kit.app.gateways[YK].saved_charges
    assert method == "pm-1"
    assert request.amount == rub(300)
    renewal = await kit.payment(request.payment_id)
    assert renewal.status is PaymentStatus.SUCCEEDED
    assert renewal.auto_renewal
    assert renewal.purpose is PaymentPurpose.RENEWAL
    subscription = await kit.subscription(subscription_id)
    assert subscription.expires_at == before + timedelta(days=30)
    assert (await _renew(kit)).claimed == 0  # renewed: no longer due


async def test_auto_renew_failure_notifies_and_turns_auto_renew_off(kit: Kit) -> None:
    _, subscription_id = await _auto_renewing(kit)
    kit.app.gateways[YK].declined_methods.add("pm-1")

    result = await _renew(kit)

    assert (result.charged, result.failed) == (0, 1)
    subscription = await kit.subscription(subscription_id)
    assert not subscription.auto_renew
    [(_, request)] = kit.app.gateways[YK].saved_charges
    assert (await kit.payment(request.payment_id)).status is PaymentStatus.FAILED
    await kit.drain()
    assert IntentKind.AUTO_RENEWAL_FAILED in kit.app.notifier.kinds()
    # ordinary reminders apply now
    await kit.run(lambda w: w.reminders(), SendRemindersCommand())
    assert any(m.payload["kind"] == "expiring_soon" for m in kit.app.outbox(OutboxKind.NOTIFY))


async def test_auto_renew_without_a_saved_method_fails_softly(kit: Kit) -> None:
    _, subscription_id = await _auto_renewing(kit, method=None)

    result = await _renew(kit)

    assert result.failed == 1
    assert not kit.app.gateways[YK].saved_charges
    assert not (await kit.subscription(subscription_id)).auto_renew


async def test_auto_renew_never_charges_one_period_twice(kit: Kit) -> None:
    await _auto_renewing(kit)
    kit.app.gateways[YK].fail_next(1)  # outcome unknown: left pending

    first = await _renew(kit)
    second = await _renew(kit)

    assert first.pending == 1
    assert second.skipped == 1
    assert len(kit.app.gateways[YK].saved_charges) == 0


async def _queue(kit: Kit, kind: OutboxKind, payload: dict[str, str]) -> None:
    from vpnsales.application.ports.outbox import OutboxMessage

    async with kit.app.scope() as p:
        await p.outbox.add(
            OutboxMessage(
                id=uuid4(), kind=kind, payload=payload, created_at=kit.now, due_at=kit.now
            )
        )
        await p.uow.commit()


async def test_provider_refund_executor_refunds_once_with_an_idempotency_key(kit: Kit) -> None:
    customer, tariff, _ = await _setup(kit)
    payment = await _pending(kit, customer, tariff)
    kit.app.gateways[YK].succeed(payment.id)
    await _queue(
        kit,
        OutboxKind.PROVIDER_REFUND,
        {"payment_id": str(payment.id), "amount": "300.00", "currency": "RUB"},
    )

    result = await kit.drain()

    assert result.done == 1
    [refund] = kit.app.gateways[YK].refunds
    assert refund.idempotency_key == f"refund-{payment.id}"
    assert refund.amount == rub(300)


async def test_provider_refund_refused_by_the_provider_is_dead_lettered_with_an_alert(
    kit: Kit,
) -> None:
    customer, tariff, _ = await _setup(kit)
    payment = await _pending(kit, customer, tariff)  # never paid: the provider refuses
    await _queue(kit, OutboxKind.PROVIDER_REFUND, {"payment_id": str(payment.id)})

    result = await kit.drain()

    assert result.dead == 1
    assert kit.app.alerter.kinds() == [AlertKind.DEAD_LETTER]


async def test_admin_message_is_retried_when_telegram_fails_and_dropped_when_blocked(
    kit: Kit,
) -> None:
    customer = await kit.app.add_customer(a_customer(created_at=kit.now))
    kit.app.notifier.failing = 1
    await _queue(kit, OutboxKind.SEND_MESSAGE, {"customer_id": str(customer.id), "text": "Hi"})

    assert (await kit.drain()).retried == 1
    kit.app.clock.advance(minutes=1)
    assert (await kit.drain()).done == 1
    assert [d.text for d in kit.app.notifier.deliveries] == ["Hi"]

    kit.app.notifier.blocked.add(customer.telegram_id)
    await _queue(kit, OutboxKind.SEND_MESSAGE, {"customer_id": str(customer.id), "text": "2"})
    assert (await kit.drain()).done == 1
    assert len(kit.app.notifier.deliveries) == 1


async def test_auto_renew_pays_from_the_balance_when_it_covers_the_price(kit: Kit) -> None:
    customer = await kit.app.add_customer(a_customer(created_at=kit.now, balance=rub(500)))
    seeded = await kit.seed(days=1, auto_renew=True, customer=customer)
    before = seeded.subscription.expires_at
    kit.app.clock.advance(hours=6)

    result = await _renew(kit)

    assert (result.charged, result.failed) == (1, 0)
    assert not kit.app.gateways[YK].saved_charges
    assert (await kit.app.customer(customer.id)).balance == rub(200)
    subscription = await kit.subscription(seeded.subscription.id)
    assert subscription.expires_at == before + timedelta(days=30)
    assert subscription.auto_renew


async def test_auto_renew_with_a_short_balance_and_no_card_fails(kit: Kit) -> None:
    customer = await kit.app.add_customer(a_customer(created_at=kit.now, balance=rub(100)))
    seeded = await kit.seed(days=1, auto_renew=True, customer=customer)
    kit.app.clock.advance(hours=6)

    result = await _renew(kit)

    assert result.failed == 1
    assert (await kit.app.customer(customer.id)).balance == rub(100)
    assert not (await kit.subscription(seeded.subscription.id)).auto_renew
