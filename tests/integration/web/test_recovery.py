"""Lost and stale payments: the worker's re-check and stale-payment use cases against
the provider emulators and PostgreSQL (the worker engineer schedules them)."""

from __future__ import annotations

import pytest

from vpnsales.application.interactors.system.cancel_stale_payments import (
    CancelStalePayments,
    CancelStalePaymentsCommand,
)
from vpnsales.application.interactors.system.recheck_pending_payments import (
    RecheckPendingPayments,
    RecheckPendingPaymentsCommand,
)
from vpnsales.application.ports.outbox import OutboxKind
from vpnsales.domain.payment import PaymentProvider, PaymentStatus

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("provider", [PaymentProvider.YOOKASSA, PaymentProvider.CRYPTOPAY])
async def test_a_webhook_that_never_arrives_is_recovered_by_the_recheck(stack, provider):
    tariff = await stack.add_tariff(code="basic", rub=199)
    customer = await stack.add_customer()
    started = await stack.checkout(customer, tariff, provider)
    if provider is PaymentProvider.YOOKASSA:
        stack.yookassa.succeed(started.provider_payment_id)
    else:
        stack.cryptopay.pay(started.provider_payment_id)
    # … and the notification is lost.

    too_early = await stack.run(RecheckPendingPayments, RecheckPendingPaymentsCommand())
    stack.clock.advance(minutes=3)
    result = await stack.run(RecheckPendingPayments, RecheckPendingPaymentsCommand())

    assert too_early.checked == 0
    assert (result.checked, result.confirmed) == (1, 1)
    payment = await stack.payment(started.payment_id)
    assert payment.status is PaymentStatus.SUCCEEDED
    assert await stack.outbox(OutboxKind.SYNC_ACCESS.value)
    await stack.drain()
    assert len(stack.panel.users) == 1
    await stack.tg.wait_for_message(
        int(customer.telegram_id), lambda m: m.method == "sendPhoto", timeout=5
    )

    # The webhook finally shows up: acknowledged, nothing changes.
    async with stack.unchanged():
        if provider is PaymentProvider.YOOKASSA:
            late = await stack.yookassa.deliver_webhook(
                stack.url("/webhooks/yookassa"), "payment.succeeded", started.provider_payment_id
            )
        else:
            late = await stack.cryptopay.deliver_webhook(
                stack.url("/webhooks/cryptopay"), started.provider_payment_id
            )
    assert late.status == 200


async def test_the_recheck_closes_a_payment_the_provider_canceled(stack):
    tariff = await stack.add_tariff(code="basic", rub=199)
    customer = await stack.add_customer()
    started = await stack.checkout(customer, tariff, PaymentProvider.YOOKASSA)
    stack.yookassa.cancel(started.provider_payment_id, "insufficient_funds")
    stack.clock.advance(minutes=3)

    result = await stack.run(RecheckPendingPayments, RecheckPendingPaymentsCommand())

    assert (result.checked, result.canceled) == (1, 1)
    payment = await stack.payment(started.payment_id)
    assert payment.status is PaymentStatus.CANCELED
    assert await stack.rows("subscriptions") == []
    await stack.drain()
    await stack.tg.wait_for_message(int(customer.telegram_id), timeout=5)


async def test_stale_pending_payments_expire_locally_and_at_the_provider(stack):
    tariff = await stack.add_tariff(code="basic", rub=199)
    customer = await stack.add_customer()
    crypto = await stack.checkout(customer, tariff, PaymentProvider.CRYPTOPAY)
    card = await stack.checkout(customer, tariff, PaymentProvider.YOOKASSA)
    stack.clock.advance(minutes=61)

    result = await stack.run(CancelStalePayments, CancelStalePaymentsCommand())
    await stack.drain()

    assert result.expired == 2
    for started in (crypto, card):
        assert (await stack.payment(started.payment_id)).status is PaymentStatus.EXPIRED
    # The worker asked Crypto Pay (PROVIDER_CANCEL); the invoice can no longer be paid.
    assert stack.cryptopay.calls_to("/api/getInvoices")
    invoice_id = int(crypto.provider_payment_id)
    assert (
        invoice_id in stack.cryptopay.deleted
        or stack.cryptopay.invoice(invoice_id)["status"] == "expired"
    )
    # YooKassa cancels an unconfirmed payment itself; a late notice changes nothing.
    async with stack.unchanged():
        late = await stack.yookassa.deliver_webhook(
            stack.url("/webhooks/yookassa"), "payment.canceled", card.provider_payment_id
        )
    assert late.status == 200
