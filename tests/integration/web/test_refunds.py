"""Refunds with each provider take back what the payment bought (remove its period, or
suspend), disable access when nothing is left, and tell the customer."""

from __future__ import annotations

from datetime import timedelta

import pytest

from vpnsales.application.interactors.payments.refund_payment import (
    RefundInitiator,
    RefundPayment,
    RefundPaymentCommand,
)
from vpnsales.domain.payment import PaymentProvider, PaymentPurpose, PaymentStatus
from vpnsales.domain.subscription import SubscriptionStatus

pytestmark = pytest.mark.integration

REFUNDED_MARK = "↩️"


async def _buy_by_card(stack, customer, tariff, **kw):
    started = await stack.checkout(customer, tariff, PaymentProvider.YOOKASSA, **kw)
    stack.yookassa.succeed(started.provider_payment_id)
    delivery = await stack.yookassa.deliver_webhook(
        stack.url("/webhooks/yookassa"), "payment.succeeded", started.provider_payment_id
    )
    assert delivery.status == 200
    await stack.drain()
    return started


async def _refund_notice(stack, customer) -> str:
    message = await stack.tg.wait_for_message(
        int(customer.telegram_id), lambda m: REFUNDED_MARK in (m.text or ""), timeout=5
    )
    return message.text or ""


def _only_user(stack):
    (user,) = stack.panel.users.values()
    return user


async def test_yookassa_refund_removes_the_period_and_disables_access(stack):
    tariff = await stack.add_tariff(code="basic", rub=199)
    customer = await stack.add_customer()
    started = await _buy_by_card(stack, customer, tariff)
    assert _only_user(stack).status == "ACTIVE"
    stack.yookassa.refund(started.provider_payment_id)

    delivery = await stack.yookassa.deliver_webhook(
        stack.url("/webhooks/yookassa"), "refund.succeeded", started.provider_payment_id
    )
    await stack.drain()

    assert delivery.status == 200
    payment = await stack.payment(started.payment_id)
    assert payment.status is PaymentStatus.REFUNDED
    subscription = await stack.subscription(payment.subscription_id)
    assert subscription.status is SubscriptionStatus.EXPIRED
    assert _only_user(stack).status in ("DISABLED", "EXPIRED")
    await _refund_notice(stack, customer)

    async with stack.unchanged():  # the redelivered refund notice
        again = await stack.yookassa.deliver_webhook(
            stack.url("/webhooks/yookassa"), "refund.succeeded", started.provider_payment_id
        )
    assert again.status == 200


async def test_refunding_one_of_two_periods_keeps_the_other(stack):
    tariff = await stack.add_tariff(code="basic", rub=199)
    customer = await stack.add_customer()
    first = await _buy_by_card(stack, customer, tariff)
    subscription_id = (await stack.payment(first.payment_id)).subscription_id
    second = await _buy_by_card(
        stack, customer, tariff, purpose=PaymentPurpose.RENEWAL, subscription_id=subscription_id
    )
    before = await stack.subscription(subscription_id)
    stack.yookassa.refund(second.provider_payment_id)

    await stack.yookassa.deliver_webhook(
        stack.url("/webhooks/yookassa"), "refund.succeeded", second.provider_payment_id
    )
    await stack.drain()

    after = await stack.subscription(subscription_id)
    assert before.expires_at - after.expires_at == timedelta(days=30)
    assert after.status is SubscriptionStatus.ACTIVE
    assert _only_user(stack).status == "ACTIVE"


@pytest.mark.parametrize("refund_mode", ["suspend"])
async def test_stars_refunded_payment_suspends_access(stack, refund_mode):
    tariff = await stack.add_tariff(code="basic", rub=199, xtr=100)
    customer = await stack.add_customer()
    user = int(customer.telegram_id)
    secret = stack.settings.telegram.webhook_secret.get()
    url = stack.url("/webhooks/telegram")
    started = await stack.checkout(customer, tariff, PaymentProvider.STARS)
    paid = stack.tg.successful_payment(
        user, total_amount=100, invoice_payload=str(started.payment_id)
    )
    assert await stack.tg.deliver(paid, url, secret) == 200
    await stack.drain()
    assert _only_user(stack).status == "ACTIVE"
    charge_id = paid.message.successful_payment.telegram_payment_charge_id

    assert await stack.tg.deliver(stack.tg.refunded_payment(user, charge_id), url, secret) == 200
    await stack.drain()

    payment = await stack.payment(started.payment_id)
    assert payment.status is PaymentStatus.REFUNDED
    subscription = await stack.subscription(payment.subscription_id)
    assert subscription.status is SubscriptionStatus.SUSPENDED
    assert _only_user(stack).status == "DISABLED"
    await _refund_notice(stack, customer)


async def test_an_admin_refund_is_sent_to_yookassa_and_takes_the_access_back(stack):
    tariff = await stack.add_tariff(code="basic", rub=199)
    customer = await stack.add_customer()
    started = await _buy_by_card(stack, customer, tariff)

    result = await stack.run(
        RefundPayment,
        RefundPaymentCommand(
            payment_id=started.payment_id,
            initiated_by=RefundInitiator.ADMIN,
            admin_telegram_id=777,
        ),
    )
    await stack.drain()

    assert result.days_removed == 30
    assert stack.yookassa.refund_creations, "the refund was asked of YooKassa"
    assert stack.yookassa.payment(started.provider_payment_id)["refunded_amount"]["value"] == (
        "199.00"
    )
    assert _only_user(stack).status in ("DISABLED", "EXPIRED")
    await _refund_notice(stack, customer)
    # YooKassa then notifies the refund we asked for: nothing more is taken back.
    async with stack.unchanged():
        notice = await stack.yookassa.deliver_webhook(
            stack.url("/webhooks/yookassa"), "refund.succeeded", started.provider_payment_id
        )
    assert notice.status == 200


async def test_an_admin_refund_of_a_crypto_payment_takes_the_access_back(stack):
    tariff = await stack.add_tariff(code="basic", rub=199)
    customer = await stack.add_customer()
    started = await stack.checkout(customer, tariff, PaymentProvider.CRYPTOPAY)
    stack.cryptopay.pay(started.provider_payment_id)
    await stack.cryptopay.deliver_webhook(
        stack.url("/webhooks/cryptopay"), started.provider_payment_id
    )
    await stack.drain()

    await stack.run(
        RefundPayment,
        RefundPaymentCommand(
            payment_id=started.payment_id,
            initiated_by=RefundInitiator.ADMIN,
            admin_telegram_id=777,
        ),
    )
    await stack.drain()

    payment = await stack.payment(started.payment_id)
    assert payment.status is PaymentStatus.REFUNDED
    assert (await stack.subscription(payment.subscription_id)).status is SubscriptionStatus.EXPIRED
    assert _only_user(stack).status in ("DISABLED", "EXPIRED")
    await _refund_notice(stack, customer)
