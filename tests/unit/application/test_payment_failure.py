"""RecordPaymentFailure, ApplyProviderPayment and ValidatePreCheckout."""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID

from vpnsales.application.interactors.payments.apply_provider_payment import (
    ProviderPaymentEffect,
)
from vpnsales.application.interactors.payments.record_payment_failure import FailureOutcome
from vpnsales.application.interactors.payments.validate_pre_checkout import PreCheckoutRefusal
from vpnsales.application.ports.payments import FailureReason
from vpnsales.domain.ids import PaymentId, TelegramId
from vpnsales.domain.money import Currency, Money
from vpnsales.domain.notifications import IntentKind
from vpnsales.domain.payment import PaymentProvider, PaymentStatus
from vpnsales.testing.app import InMemoryApp
from vpnsales.testing.builders import a_promo

from .conftest import TG, YK, ban, customer

STARS = PaymentProvider.STARS
XTR_167 = Money.of(167, Currency.XTR)


async def test_cancelled_payment_is_closed_and_its_promo_released(shop: InMemoryApp) -> None:
    await customer(shop)
    await shop.add_promo(a_promo("SAVE10", max_uses=1))
    checkout = await shop.start_checkout(
        telegram_id=TG, tariff_code="basic", days=30, provider=YK, promo_code="SAVE10"
    )

    result = await shop.record_payment_failure(
        provider=YK,
        provider_payment_id=checkout.provider_payment_id,
        reason=FailureReason.INSUFFICIENT_FUNDS.value,
    )

    assert result.outcome is FailureOutcome.CLOSED
    assert result.promo_released
    payment = await shop.get("payments", checkout.payment_id)
    assert payment.status is PaymentStatus.CANCELED
    assert shop.rows("redemptions") == []
    await shop.run_outbox()
    (intent,) = shop.notifier.intents(IntentKind.PAYMENT_FAILED)
    assert intent.reason == "insufficient_funds"


async def test_a_repeated_failure_notice_changes_nothing(shop: InMemoryApp) -> None:
    await customer(shop)
    checkout = await shop.start_checkout(telegram_id=TG, tariff_code="basic", days=30, provider=YK)
    await shop.record_payment_failure(provider=YK, payment_id=checkout.payment_id)

    again = await shop.record_payment_failure(provider=YK, payment_id=checkout.payment_id)

    assert again.outcome is FailureOutcome.ALREADY_CLOSED
    assert len(shop.outbox()) == 1


async def test_a_failure_notice_after_success_is_ignored(shop: InMemoryApp) -> None:
    await customer(shop)
    result = await shop.buy(TG, "basic")

    late = await shop.record_payment_failure(provider=YK, payment_id=result.payment_id)

    assert late.outcome is FailureOutcome.IGNORED
    assert (await shop.get("payments", result.payment_id)).status is PaymentStatus.SUCCEEDED


async def test_provider_state_routes_success_failure_and_refund(shop: InMemoryApp) -> None:
    await customer(shop)
    gateway = shop.gateways[YK]
    paid = await shop.start_checkout(telegram_id=TG, tariff_code="basic", days=30, provider=YK)
    declined = await shop.start_checkout(telegram_id=TG, tariff_code="pro", days=30, provider=YK)

    confirmed = await shop.confirm_provider_payment(gateway.succeed(paid.payment_id))
    failed = await shop.confirm_provider_payment(gateway.decline(declined.payment_id))
    refunded = await shop.confirm_provider_payment(gateway.refund_at_provider(paid.payment_id))

    assert confirmed.effect is ProviderPaymentEffect.CONFIRMED
    assert failed.effect is ProviderPaymentEffect.FAILED
    assert refunded.effect is ProviderPaymentEffect.REFUNDED
    assert (await shop.get("payments", declined.payment_id)).failure_reason == "declined"
    assert (await shop.get("payments", paid.payment_id)).status is PaymentStatus.REFUNDED


async def test_pending_provider_state_does_nothing(shop: InMemoryApp) -> None:
    await customer(shop)
    checkout = await shop.start_checkout(telegram_id=TG, tariff_code="basic", days=30, provider=YK)

    result = await shop.confirm_provider_payment(shop.gateways[YK].state(checkout.payment_id))

    assert result.effect is ProviderPaymentEffect.NOTHING


# -- Stars pre-checkout ---------------------------------------------------------------


async def _stars_checkout(shop: InMemoryApp, code: str = "basic") -> str:
    checkout = await shop.start_checkout(telegram_id=TG, tariff_code=code, days=30, provider=STARS)
    return str(checkout.payment_id)


async def test_pre_checkout_accepts_a_pending_payment_of_the_quoted_amount(
    shop: InMemoryApp,
) -> None:
    await customer(shop)
    payload = await _stars_checkout(shop)

    verdict = await shop.validate_pre_checkout(
        invoice_payload=payload, amount=XTR_167, telegram_id=TG
    )

    assert verdict.ok
    assert verdict.refusal is None


async def test_pre_checkout_refuses_an_unknown_payment(shop: InMemoryApp) -> None:
    verdict = await shop.validate_pre_checkout(
        invoice_payload="garbage", amount=XTR_167, telegram_id=TG
    )

    assert verdict.refusal is PreCheckoutRefusal.UNKNOWN_PAYMENT


async def test_pre_checkout_refuses_a_payment_no_longer_pending(shop: InMemoryApp) -> None:
    await customer(shop)
    payload = await _stars_checkout(shop)
    await shop.record_payment_failure(provider=STARS, payment_id=PaymentId(UUID(payload)))

    verdict = await shop.validate_pre_checkout(
        invoice_payload=payload, amount=XTR_167, telegram_id=TG
    )

    assert verdict.refusal is PreCheckoutRefusal.NOT_PENDING


async def test_pre_checkout_refuses_an_expired_invoice(shop: InMemoryApp) -> None:
    await customer(shop)
    payload = await _stars_checkout(shop)
    shop.clock.advance(shop.policy.payment_ttl + timedelta(seconds=1))

    verdict = await shop.validate_pre_checkout(
        invoice_payload=payload, amount=XTR_167, telegram_id=TG
    )

    assert verdict.refusal is PreCheckoutRefusal.EXPIRED


async def test_pre_checkout_refuses_a_deactivated_tariff(shop: InMemoryApp) -> None:
    await customer(shop)
    payload = await _stars_checkout(shop)
    async with shop.scope() as p:
        tariff = await p.tariffs.get_by_code("basic")
        assert tariff is not None
        tariff.deactivate()
        await p.tariffs.save(tariff)
        await p.uow.commit()

    verdict = await shop.validate_pre_checkout(
        invoice_payload=payload, amount=XTR_167, telegram_id=TG
    )

    assert verdict.refusal is PreCheckoutRefusal.TARIFF_UNAVAILABLE


async def test_pre_checkout_refuses_a_different_amount(shop: InMemoryApp) -> None:
    await customer(shop)
    payload = await _stars_checkout(shop)

    verdict = await shop.validate_pre_checkout(
        invoice_payload=payload, amount=Money.of(1, Currency.XTR), telegram_id=TG
    )

    assert verdict.refusal is PreCheckoutRefusal.AMOUNT_MISMATCH


async def test_pre_checkout_refuses_someone_elses_invoice(shop: InMemoryApp) -> None:
    await customer(shop)
    await customer(shop, 2)
    payload = await _stars_checkout(shop)

    verdict = await shop.validate_pre_checkout(
        invoice_payload=payload, amount=XTR_167, telegram_id=TelegramId(2)
    )

    assert verdict.refusal is PreCheckoutRefusal.WRONG_CUSTOMER


async def test_pre_checkout_refuses_a_banned_customer(shop: InMemoryApp) -> None:
    await customer(shop)
    payload = await _stars_checkout(shop)
    await ban(shop)

    verdict = await shop.validate_pre_checkout(
        invoice_payload=payload, amount=XTR_167, telegram_id=TG
    )

    assert verdict.refusal is PreCheckoutRefusal.CUSTOMER_BANNED


async def test_a_provider_refund_of_an_unpaid_payment_changes_nothing(shop: InMemoryApp) -> None:
    await customer(shop)
    checkout = await shop.start_checkout(telegram_id=TG, tariff_code="basic", days=30, provider=YK)

    result = await shop.confirm_provider_payment(
        shop.gateways[YK].refund_at_provider(checkout.payment_id)
    )

    assert result.effect is ProviderPaymentEffect.NOTHING
    assert (await shop.get("payments", checkout.payment_id)).status is PaymentStatus.PENDING
