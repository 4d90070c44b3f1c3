"""The provider took the money after we closed the payment locally: the customer gets
what they paid for (once), and the seller is told."""

from __future__ import annotations

from vpnsales.application.interactors.payments.confirm_payment import ConfirmOutcome
from vpnsales.application.interactors.system.cancel_stale_payments import (
    CancelStalePayments,
    CancelStalePaymentsCommand,
)
from vpnsales.application.ports.notifier import AlertKind
from vpnsales.application.ports.outbox import OutboxKind
from vpnsales.domain.payment import PaymentStatus
from vpnsales.domain.subscription import SubscriptionStatus
from vpnsales.testing.app import InMemoryApp
from vpnsales.testing.builders import a_promo, rub

from .conftest import TG, YK, make_app, run


async def test_payment_confirmed_after_the_local_expiry_is_credited_once(
    app: InMemoryApp,
) -> None:
    await app.register(telegram_id=TG)
    checkout = await app.start_checkout(telegram_id=TG, tariff_code="basic", days=30, provider=YK)
    app.clock.advance(hours=3)
    swept = await run(app, CancelStalePayments, CancelStalePaymentsCommand())
    assert swept.expired == 1
    paid = app.gateways[YK].succeed(checkout.payment_id)  # the customer paid just in time

    first = await app.confirm_payment(
        provider=YK, provider_payment_id=paid.provider_payment_id, amount=paid.amount
    )
    again = await app.confirm_payment(
        provider=YK, provider_payment_id=paid.provider_payment_id, amount=paid.amount
    )

    assert first.outcome is ConfirmOutcome.CONFIRMED
    assert again.outcome is ConfirmOutcome.ALREADY_PROCESSED
    payment = await app.get("payments", checkout.payment_id)
    assert payment.status is PaymentStatus.SUCCEEDED
    assert payment.flagged
    assert "late" in payment.flagged
    subs = list(app.rows("subscriptions"))
    assert len(subs) == 1
    assert subs[0].status is SubscriptionStatus.ACTIVE
    kinds = [m.payload["kind"] for m in app.outbox(OutboxKind.ADMIN_ALERT)]
    assert AlertKind.LATE_PAYMENT.value in kinds


async def test_late_confirmation_with_a_wrong_amount_still_credits_nothing(
    app: InMemoryApp,
) -> None:
    await app.register(telegram_id=TG)
    checkout = await app.start_checkout(telegram_id=TG, tariff_code="basic", days=30, provider=YK)
    await app.record_payment_failure(provider=YK, payment_id=checkout.payment_id)

    result = await app.confirm_payment(provider=YK, payment_id=checkout.payment_id, amount=rub(1))

    assert result.outcome is ConfirmOutcome.AMOUNT_MISMATCH
    assert (await app.get("payments", checkout.payment_id)).status is PaymentStatus.CANCELED
    assert app.rows("subscriptions") == [] if "subscriptions" in app.db.tables else True


async def test_late_confirmation_takes_back_its_promo_use_or_waits_for_a_human() -> None:
    app = await make_app()
    await app.add_promo(a_promo("ONCE", max_uses=1))
    await app.register(telegram_id=TG)
    await app.register(telegram_id=2002)
    first = await app.start_checkout(
        telegram_id=TG, tariff_code="basic", days=30, provider=YK, promo_code="ONCE"
    )
    await app.record_payment_failure(provider=YK, payment_id=first.payment_id)
    second = await app.start_checkout(
        telegram_id=2002, tariff_code="basic", days=30, provider=YK, promo_code="ONCE"
    )
    paid = app.gateways[YK].succeed(first.payment_id)

    late = await app.confirm_payment(
        provider=YK, provider_payment_id=paid.provider_payment_id, amount=paid.amount
    )

    # the only use went to someone else meanwhile: not credited, the seller decides
    assert late.outcome is ConfirmOutcome.LATE
    assert (await app.get("payments", first.payment_id)).status is PaymentStatus.CANCELED
    await app.record_payment_failure(provider=YK, payment_id=second.payment_id)

    again = await app.confirm_payment(
        provider=YK, provider_payment_id=paid.provider_payment_id, amount=paid.amount
    )

    assert again.outcome is ConfirmOutcome.CONFIRMED
    (redemption,) = app.rows("redemptions")
    assert redemption.payment_id == first.payment_id
    async with app.scope() as p:
        promo = await p.promos.get_by_code("ONCE")
    assert promo is not None
    assert promo.uses == 1
