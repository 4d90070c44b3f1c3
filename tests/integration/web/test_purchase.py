"""Full purchases through the web app, one per provider: checkout (the real use case
against the provider emulator) → the provider's webhook (or Telegram's Stars updates)
→ payment succeeded → access provisioning queued → the worker's drain creates the
panel account and the customer gets the access card."""

from __future__ import annotations

from decimal import Decimal

import pytest

from vpnsales.application.ports.outbox import OutboxKind
from vpnsales.domain.payment import PaymentProvider, PaymentStatus
from vpnsales.domain.subscription import SubscriptionStatus

pytestmark = pytest.mark.integration


async def _assert_provisioned_and_notified(stack, customer, payment_id) -> None:
    payment = await stack.payment(payment_id)
    assert payment.status is PaymentStatus.SUCCEEDED
    subscription = await stack.subscription(payment.subscription_id)
    assert subscription.status is SubscriptionStatus.ACTIVE
    assert (subscription.expires_at - stack.clock.now()).days == 30
    assert await stack.outbox(OutboxKind.SYNC_ACCESS.value), "provisioning was not queued"
    assert stack.kicker.kicks >= 1, "the worker was not kicked after the commit"

    await stack.drain()

    assert len(stack.panel.users) == 1
    user = next(iter(stack.panel.users.values()))
    assert user.status == "ACTIVE"
    card = await stack.tg.wait_for_message(
        int(customer.telegram_id), lambda m: m.method == "sendPhoto", timeout=5
    )
    assert card.chat_id == int(customer.telegram_id)


async def test_card_purchase_through_the_yookassa_webhook(stack):
    tariff = await stack.add_tariff(code="basic", rub=199)
    customer = await stack.add_customer()
    started = await stack.checkout(customer, tariff, PaymentProvider.YOOKASSA)
    assert started.pay_url
    stack.yookassa.succeed(started.provider_payment_id)

    delivery = await stack.yookassa.deliver_webhook(
        stack.url("/webhooks/yookassa"), "payment.succeeded", started.provider_payment_id
    )

    assert delivery.status == 200
    assert stack.yookassa.calls_to(f"/v3/payments/{started.provider_payment_id}", "GET")
    await _assert_provisioned_and_notified(stack, customer, started.payment_id)


async def test_crypto_purchase_through_the_signed_cryptopay_webhook(stack):
    tariff = await stack.add_tariff(code="basic", rub=199)
    customer = await stack.add_customer()
    started = await stack.checkout(customer, tariff, PaymentProvider.CRYPTOPAY)
    assert started.pay_url
    stack.cryptopay.pay(started.provider_payment_id)

    delivery = await stack.cryptopay.deliver_webhook(
        stack.url("/webhooks/cryptopay"), started.provider_payment_id
    )

    assert delivery.status == 200
    assert stack.cryptopay.calls_to("/api/getInvoices")
    await _assert_provisioned_and_notified(stack, customer, started.payment_id)


async def test_stars_purchase_through_the_telegram_webhook(stack):
    tariff = await stack.add_tariff(code="basic", rub=199, xtr=100)
    customer = await stack.add_customer()
    started = await stack.checkout(customer, tariff, PaymentProvider.STARS)
    assert started.pay_url
    payload = str(started.payment_id)
    user = int(customer.telegram_id)

    pre_checkout = stack.tg.pre_checkout_query(user, total_amount=100, invoice_payload=payload)
    assert await stack.tg.deliver(pre_checkout, stack.url("/webhooks/telegram"), "wrong") == 401
    assert (
        await stack.tg.deliver(pre_checkout, stack.url("/webhooks/telegram"), stack_secret(stack))
        == 200
    )
    answer = stack.tg.answered_pre_checkout(pre_checkout.pre_checkout_query.id)
    assert answer is not None
    assert answer.ok
    paid = stack.tg.successful_payment(user, total_amount=100, invoice_payload=payload)
    status = await stack.tg.deliver(paid, stack.url("/webhooks/telegram"), stack_secret(stack))

    assert status == 200
    payment = await stack.payment(started.payment_id)
    assert payment.confirmed_amount.amount == Decimal(100)
    await _assert_provisioned_and_notified(stack, customer, started.payment_id)


def stack_secret(stack) -> str:
    return stack.settings.telegram.webhook_secret.get()
