"""StartCheckout: payment + promo reservation committed, then the provider, then attach."""

from __future__ import annotations

import pytest

from vpnsales.application.errors import SubscriptionNotOwned, TopUpAmountInvalid
from vpnsales.application.policy import RefundMode
from vpnsales.application.ports.payments import CheckoutRequest, CheckoutResult
from vpnsales.domain.errors import (
    CustomerBanned,
    InsufficientBalance,
    InvalidSubscriptionTransition,
    PaymentProviderUnavailable,
    PlanChangeNotAllowed,
    PromoCodeAlreadyUsed,
    PromoCodeExhausted,
    TariffUnavailable,
)
from vpnsales.domain.ids import TelegramId
from vpnsales.domain.money import Currency, Money
from vpnsales.domain.payment import PaymentProvider, PaymentPurpose, PaymentStatus
from vpnsales.testing.app import InMemoryApp
from vpnsales.testing.builders import a_promo, rub
from vpnsales.testing.fakes import FakePaymentGateway

from .conftest import TG, YK, ban, customer, make_shop


async def _payment(shop: InMemoryApp, payment_id):  # type: ignore[no-untyped-def]
    return await shop.get("payments", payment_id)


async def _promo(shop: InMemoryApp, code: str):  # type: ignore[no-untyped-def]
    async with shop.scope() as p:
        return await p.promos.get_by_code(code)


async def test_checkout_creates_a_pending_payment_with_the_providers_pay_url(
    shop: InMemoryApp,
) -> None:
    await customer(shop)

    checkout = await shop.start_checkout(telegram_id=TG, tariff_code="basic", days=30, provider=YK)

    assert checkout.status is PaymentStatus.PENDING
    assert checkout.pay_url
    assert checkout.provider_payment_id
    payment = await _payment(shop, checkout.payment_id)
    assert payment.provider_payment_id == checkout.provider_payment_id
    assert payment.pay_url == checkout.pay_url
    assert payment.purpose is PaymentPurpose.NEW
    (request,) = shop.gateways[YK].created
    assert request.payment_id == checkout.payment_id
    assert request.amount == rub(300)


async def test_checkout_reserves_the_promo_use_for_the_payment(shop: InMemoryApp) -> None:
    await customer(shop)
    await shop.add_promo(a_promo("SAVE10", max_uses=10))

    checkout = await shop.start_checkout(
        telegram_id=TG, tariff_code="basic", days=30, provider=YK, promo_code="save10"
    )

    promo = await _promo(shop, "SAVE10")
    assert promo.uses == 1
    (redemption,) = shop.rows("redemptions")
    assert redemption.payment_id == checkout.payment_id
    assert redemption.single_use


async def test_gateway_is_called_outside_any_transaction(shop: InMemoryApp) -> None:
    lock = shop.db.lock
    seen: list[bool] = []

    class Watching(FakePaymentGateway):
        async def create(self, request: CheckoutRequest) -> CheckoutResult:
            seen.append(lock.locked())
            return await super().create(request)

    shop.gateways[YK] = Watching(YK)
    await customer(shop)

    await shop.start_checkout(telegram_id=TG, tariff_code="basic", days=30, provider=YK)

    assert seen == [False]


async def test_gateway_failure_fails_the_payment_and_releases_the_promo(
    shop: InMemoryApp,
) -> None:
    await customer(shop)
    await shop.add_promo(a_promo("SAVE10", max_uses=1))
    shop.gateways[YK].fail_next()

    with pytest.raises(PaymentProviderUnavailable):
        await shop.start_checkout(
            telegram_id=TG, tariff_code="basic", days=30, provider=YK, promo_code="SAVE10"
        )

    (payment,) = shop.rows("payments")
    assert payment.status is PaymentStatus.FAILED
    assert (await _promo(shop, "SAVE10")).uses == 0
    assert shop.rows("redemptions") == []
    assert shop.rows("subscriptions") == []
    assert shop.rows("accesses") == []


async def test_promo_released_by_a_failed_checkout_can_be_used_again(shop: InMemoryApp) -> None:
    await customer(shop)
    await shop.add_promo(a_promo("SAVE10", max_uses=1))
    shop.gateways[YK].fail_next()
    with pytest.raises(PaymentProviderUnavailable):
        await shop.start_checkout(
            telegram_id=TG, tariff_code="basic", days=30, provider=YK, promo_code="SAVE10"
        )

    again = await shop.start_checkout(
        telegram_id=TG, tariff_code="basic", days=30, provider=YK, promo_code="SAVE10"
    )

    assert again.quote.promo_code == "SAVE10"


async def test_balance_covering_the_price_confirms_without_a_provider(
    shop: InMemoryApp,
) -> None:
    await customer(shop, balance=rub(500))

    checkout = await shop.start_checkout(
        telegram_id=TG, tariff_code="basic", days=30, provider=YK, use_balance=True
    )

    assert checkout.status is PaymentStatus.SUCCEEDED
    assert checkout.provider is PaymentProvider.BALANCE
    assert checkout.subscription_id is not None
    assert shop.gateways[YK].created == []
    assert (await shop.customer(TG)).balance == rub(200)


async def test_deactivated_tariff_cannot_be_checked_out(shop: InMemoryApp) -> None:
    await customer(shop)
    async with shop.scope() as p:
        tariff = await p.tariffs.get_by_code("basic")
        assert tariff is not None
        tariff.deactivate()
        await p.tariffs.save(tariff)
        await p.uow.commit()

    with pytest.raises(TariffUnavailable):
        await shop.start_checkout(telegram_id=TG, tariff_code="basic", days=30, provider=YK)
    assert shop.rows("payments") == []


async def test_banned_customer_cannot_check_out(shop: InMemoryApp) -> None:
    await customer(shop)
    await ban(shop)

    with pytest.raises(CustomerBanned):
        await shop.start_checkout(telegram_id=TG, tariff_code="basic", days=30, provider=YK)
    assert shop.gateways[YK].created == []


async def test_exhausted_promo_is_refused_at_checkout(shop: InMemoryApp) -> None:
    await customer(shop, 1)
    await customer(shop, 2)
    await shop.add_promo(a_promo("ONE", max_uses=1))
    await shop.start_checkout(
        telegram_id=TelegramId(1), tariff_code="basic", days=30, provider=YK, promo_code="ONE"
    )

    with pytest.raises(PromoCodeExhausted):
        await shop.start_checkout(
            telegram_id=TelegramId(2), tariff_code="basic", days=30, provider=YK, promo_code="ONE"
        )


async def test_promo_already_used_by_the_customer_is_refused(shop: InMemoryApp) -> None:
    await customer(shop)
    await shop.add_promo(a_promo("ONCE"))
    await shop.buy(TG, "basic", promo_code="ONCE")

    with pytest.raises(PromoCodeAlreadyUsed):
        await shop.start_checkout(
            telegram_id=TG, tariff_code="pro", days=30, provider=YK, promo_code="ONCE"
        )


async def test_unconfigured_provider_is_refused_before_anything_is_written() -> None:
    shop = await make_shop(gateways={})
    await customer(shop)

    with pytest.raises(Exception, match="not configured"):
        await shop.start_checkout(telegram_id=TG, tariff_code="basic", days=30, provider=YK)
    assert shop.rows("payments") == []


async def test_paying_with_the_balance_provider_needs_enough_balance(shop: InMemoryApp) -> None:
    await customer(shop, balance=rub(100))

    with pytest.raises(InsufficientBalance):
        await shop.start_checkout(
            telegram_id=TG, tariff_code="basic", days=30, provider=PaymentProvider.BALANCE
        )
    assert shop.rows("payments") == []


async def test_renewal_of_someone_elses_subscription_is_refused(shop: InMemoryApp) -> None:
    await customer(shop)
    await customer(shop, 2)
    paid = await shop.buy(TG, "basic")

    with pytest.raises(SubscriptionNotOwned):
        await shop.start_checkout(
            telegram_id=TelegramId(2),
            tariff_code="basic",
            days=30,
            provider=YK,
            purpose=PaymentPurpose.RENEWAL,
            subscription_id=paid.subscription_id,
        )


async def test_suspended_subscription_cannot_be_renewed() -> None:
    shop = await make_shop(refund_mode=RefundMode.SUSPEND)
    await customer(shop)
    paid = await shop.buy(TG, "basic")
    await shop.refund(payment_id=paid.payment_id)

    with pytest.raises(InvalidSubscriptionTransition):
        await shop.start_checkout(
            telegram_id=TG,
            days=30,
            provider=YK,
            purpose=PaymentPurpose.RENEWAL,
            subscription_id=paid.subscription_id,
        )


async def test_plan_change_to_the_same_tariff_is_refused(shop: InMemoryApp) -> None:
    await customer(shop)
    paid = await shop.buy(TG, "basic")

    with pytest.raises(PlanChangeNotAllowed):
        await shop.start_checkout(
            telegram_id=TG,
            tariff_code="basic",
            days=30,
            provider=YK,
            purpose=PaymentPurpose.PLAN_CHANGE,
            subscription_id=paid.subscription_id,
        )


@pytest.mark.parametrize("amount", [rub(0), Money.of(5, Currency.USD)])
async def test_top_up_needs_a_positive_amount_in_the_balance_currency(
    shop: InMemoryApp, amount: Money
) -> None:
    await customer(shop)

    with pytest.raises(TopUpAmountInvalid):
        await shop.start_checkout(
            telegram_id=TG, provider=YK, purpose=PaymentPurpose.TOP_UP, top_up=amount
        )


async def test_a_free_quote_is_confirmed_without_a_provider(shop: InMemoryApp) -> None:
    crypto = PaymentProvider.CRYPTOPAY  # no minimum charge
    await customer(shop)
    await shop.add_promo(a_promo("FREE", percent=100))

    checkout = await shop.start_checkout(
        telegram_id=TG, tariff_code="basic", days=30, provider=crypto, promo_code="FREE"
    )

    assert checkout.status is PaymentStatus.SUCCEEDED
    assert checkout.subscription_id is not None
    assert shop.gateways[crypto].created == []
