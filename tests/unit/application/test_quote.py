"""QuotePrice: base price → promo → referral discount → balance → provider minimum."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from vpnsales.application.errors import CurrencyNotAccepted
from vpnsales.domain.errors import (
    CustomerBanned,
    OptionUnavailable,
    PromoCodeExpired,
    PromoCodeFirstPurchaseOnly,
    PromoCodeNotApplicable,
    PromoCodeNotFound,
    PromoCodeNotStarted,
)
from vpnsales.domain.money import Currency, Money
from vpnsales.domain.payment import PaymentProvider
from vpnsales.domain.promo import PromoKind
from vpnsales.domain.referral import ReferralPolicy
from vpnsales.testing.app import InMemoryApp
from vpnsales.testing.builders import a_promo, a_tariff, an_option, rub

from .conftest import TG, YK, ban, customer, make_shop


async def test_quote_is_the_option_price_in_the_currency(shop: InMemoryApp) -> None:
    await customer(shop)

    result = await shop.quote(telegram_id=TG, tariff_code="basic", days=90, provider=YK)

    assert result.quote.base == rub(800)
    assert result.quote.total == rub(800)
    assert result.total_days == 90


async def test_unknown_option_is_refused(shop: InMemoryApp) -> None:
    await customer(shop)

    with pytest.raises(OptionUnavailable):
        await shop.quote(telegram_id=TG, tariff_code="basic", days=7, provider=YK)


async def test_percent_promo_takes_its_share_off(shop: InMemoryApp) -> None:
    await customer(shop)
    await shop.add_promo(a_promo("SAVE10", percent=10))

    result = await shop.quote(
        telegram_id=TG, tariff_code="basic", days=30, provider=YK, promo_code=" save10 "
    )

    assert result.quote.promo_discount == rub(30)
    assert result.quote.total == rub(270)
    assert result.quote.promo_code == "SAVE10"


async def test_fixed_promo_takes_its_amount_off(shop: InMemoryApp) -> None:
    await customer(shop)
    await shop.add_promo(a_promo("MINUS50", kind=PromoKind.FIXED, amount=50))

    result = await shop.quote(
        telegram_id=TG, tariff_code="basic", days=30, provider=YK, promo_code="MINUS50"
    )

    assert result.quote.total == rub(250)


async def test_bonus_days_promo_adds_days_to_the_quote(shop: InMemoryApp) -> None:
    await customer(shop)
    await shop.add_promo(a_promo("PLUS7", kind=PromoKind.BONUS_DAYS, days=7))

    result = await shop.quote(
        telegram_id=TG, tariff_code="basic", days=30, provider=YK, promo_code="PLUS7"
    )

    assert result.quote.total == rub(300)
    assert result.total_days == 37


async def test_invited_customer_gets_the_referral_discount_on_the_first_purchase() -> None:
    shop = await make_shop(
        referral=ReferralPolicy(invitee_discount_percent=Decimal(20), invitee_bonus_days=5)
    )
    referrer = await customer(shop, 1)
    await shop.register(telegram_id=TG, start_payload=f"ref_{referrer.referral_code}")

    result = await shop.quote(telegram_id=TG, tariff_code="basic", days=30, provider=YK)

    assert result.quote.referral_discount == rub(60)
    assert result.quote.total == rub(240)
    assert result.referral_bonus_days == 5
    assert result.total_days == 35


async def test_referral_discount_is_gone_after_the_first_purchase() -> None:
    shop = await make_shop(referral=ReferralPolicy(invitee_discount_percent=Decimal(20)))
    referrer = await customer(shop, 1)
    await shop.register(telegram_id=TG, start_payload=f"ref_{referrer.referral_code}")
    await shop.buy(TG, "basic")

    result = await shop.quote(telegram_id=TG, tariff_code="pro", days=30, provider=YK)

    assert result.quote.referral_discount.is_zero


async def test_balance_is_applied_only_when_chosen(shop: InMemoryApp) -> None:
    await customer(shop, balance=rub(100))

    without = await shop.quote(telegram_id=TG, tariff_code="basic", days=30, provider=YK)
    with_balance = await shop.quote(
        telegram_id=TG, tariff_code="basic", days=30, provider=YK, use_balance=True
    )

    assert without.quote.total == rub(300)
    assert with_balance.quote.balance_applied == rub(100)
    assert with_balance.quote.total == rub(200)


async def test_charge_never_drops_below_the_provider_minimum(shop: InMemoryApp) -> None:
    await customer(shop, balance=rub("299.50"))

    result = await shop.quote(
        telegram_id=TG, tariff_code="basic", days=30, provider=YK, use_balance=True
    )

    assert result.quote.total == rub(1)  # the fake YooKassa's minimum
    assert result.quote.balance_applied == rub(299)


async def test_stars_price_comes_from_the_options_xtr_price() -> None:
    shop = await make_shop()
    await shop.add_tariff(a_tariff(code="starry", options=(an_option(30, rub=300, xtr=150),)))
    await customer(shop)

    result = await shop.quote(
        telegram_id=TG, tariff_code="starry", days=30, provider=PaymentProvider.STARS
    )

    assert result.quote.total == Money.of(150, Currency.XTR)


async def test_stars_price_is_converted_from_rubles_when_not_set(shop: InMemoryApp) -> None:
    await customer(shop)

    result = await shop.quote(
        telegram_id=TG, tariff_code="basic", days=30, provider=PaymentProvider.STARS
    )

    assert result.quote.total == Money.of(167, Currency.XTR)


async def test_stars_cannot_be_charged_in_rubles(shop: InMemoryApp) -> None:
    await customer(shop)

    with pytest.raises(CurrencyNotAccepted):
        await shop.quote(
            telegram_id=TG,
            tariff_code="basic",
            days=30,
            provider=PaymentProvider.STARS,
            currency=Currency.RUB,
        )


async def test_expired_promo_is_refused(shop: InMemoryApp) -> None:
    await customer(shop)
    await shop.add_promo(a_promo("OLD", valid_for=timedelta(days=1)))
    shop.clock.advance(days=2)

    with pytest.raises(PromoCodeExpired):
        await shop.quote(
            telegram_id=TG, tariff_code="basic", days=30, provider=YK, promo_code="OLD"
        )


async def test_promo_not_started_yet_is_refused(shop: InMemoryApp) -> None:
    await customer(shop)
    await shop.add_promo(a_promo("SOON", valid_from=shop.clock.now() + timedelta(days=1)))

    with pytest.raises(PromoCodeNotStarted):
        await shop.quote(
            telegram_id=TG, tariff_code="basic", days=30, provider=YK, promo_code="SOON"
        )


async def test_unknown_promo_is_not_found(shop: InMemoryApp) -> None:
    await customer(shop)

    with pytest.raises(PromoCodeNotFound):
        await shop.quote(
            telegram_id=TG, tariff_code="basic", days=30, provider=YK, promo_code="NOPE"
        )


async def test_promo_for_another_tariff_is_not_applicable(shop: InMemoryApp) -> None:
    await customer(shop)
    async with shop.scope() as p:
        pro = await p.tariffs.get_by_code("pro")
    assert pro is not None
    await shop.add_promo(a_promo("PROONLY", allowed_tariffs=frozenset({pro.id})))

    with pytest.raises(PromoCodeNotApplicable):
        await shop.quote(
            telegram_id=TG, tariff_code="basic", days=30, provider=YK, promo_code="PROONLY"
        )


async def test_first_purchase_promo_is_refused_after_a_purchase(shop: InMemoryApp) -> None:
    await customer(shop)
    await shop.buy(TG, "basic")
    await shop.add_promo(a_promo("WELCOME", first_purchase_only=True))

    with pytest.raises(PromoCodeFirstPurchaseOnly):
        await shop.quote(
            telegram_id=TG, tariff_code="pro", days=30, provider=YK, promo_code="WELCOME"
        )


async def test_balance_credit_promo_is_not_a_checkout_discount(shop: InMemoryApp) -> None:
    await customer(shop)
    await shop.add_promo(a_promo("GIFT", kind=PromoKind.BALANCE_CREDIT, amount=100))

    with pytest.raises(PromoCodeNotApplicable):
        await shop.quote(
            telegram_id=TG, tariff_code="basic", days=30, provider=YK, promo_code="GIFT"
        )


async def test_banned_customer_gets_no_quote(shop: InMemoryApp) -> None:
    await customer(shop)
    await ban(shop)

    with pytest.raises(CustomerBanned):
        await shop.quote(telegram_id=TG, tariff_code="basic", days=30, provider=YK)


async def test_quote_writes_nothing(shop: InMemoryApp) -> None:
    await customer(shop)
    await shop.add_promo(a_promo("SAVE10"))
    commits = shop.db.commits

    await shop.quote(telegram_id=TG, tariff_code="basic", days=30, provider=YK, promo_code="SAVE10")

    assert shop.db.commits == commits
    assert shop.rows("payments") == []
