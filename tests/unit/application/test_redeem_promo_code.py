"""RedeemPromoCode: normalise, check, count atomically, apply by kind."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from vpnsales.application.interactors.customer.redeem_promo_code import RedeemOutcome
from vpnsales.domain.customer import BalanceReason
from vpnsales.domain.errors import (
    InvalidPromoCode,
    PromoCodeAlreadyUsed,
    PromoCodeExhausted,
    PromoCodeExpired,
    PromoCodeInactive,
    PromoCodeNotApplicable,
    PromoCodeNotFound,
)
from vpnsales.domain.ids import TelegramId
from vpnsales.domain.promo import PromoKind
from vpnsales.testing.app import InMemoryApp
from vpnsales.testing.builders import a_promo, rub

from .conftest import TG, customer


async def _promo(shop: InMemoryApp, code: str):  # type: ignore[no-untyped-def]
    async with shop.scope() as p:
        return await p.promos.get_by_code(code)


@pytest.mark.parametrize("text", ["", "ab", "DROP TABLE;", "промо", "x" * 80, "A B C"])
async def test_text_that_cannot_be_a_code_is_invalid(shop: InMemoryApp, text: str) -> None:
    await customer(shop)

    with pytest.raises(InvalidPromoCode):
        await shop.redeem_promo(telegram_id=TG, text=text)


async def test_unknown_code_is_not_found(shop: InMemoryApp) -> None:
    await customer(shop)

    with pytest.raises(PromoCodeNotFound):
        await shop.redeem_promo(telegram_id=TG, text="NOSUCH")


async def test_balance_credit_code_credits_the_ledger(shop: InMemoryApp) -> None:
    await customer(shop)
    await shop.add_promo(a_promo("GIFT100", kind=PromoKind.BALANCE_CREDIT, amount=100))

    result = await shop.redeem_promo(telegram_id=TG, text=" gift100 ")

    assert result.outcome is RedeemOutcome.BALANCE_CREDITED
    me = await shop.customer(TG)
    assert me.balance == rub(100)
    async with shop.scope() as p:
        (entry,) = await p.customers.ledger(me.id)
    assert entry.reason is BalanceReason.PROMO_CREDIT
    assert entry.reference == "GIFT100"
    assert (await _promo(shop, "GIFT100")).uses == 1


async def test_a_single_use_code_cannot_be_redeemed_twice(shop: InMemoryApp) -> None:
    await customer(shop)
    await shop.add_promo(a_promo("GIFT", kind=PromoKind.BALANCE_CREDIT, amount=100))
    await shop.redeem_promo(telegram_id=TG, text="GIFT")

    with pytest.raises(PromoCodeAlreadyUsed):
        await shop.redeem_promo(telegram_id=TG, text="GIFT")
    assert (await shop.customer(TG)).balance == rub(100)


async def test_concurrent_redemptions_never_exceed_the_total_uses(shop: InMemoryApp) -> None:
    for n in range(6):
        await customer(shop, 10 + n)
    await shop.add_promo(a_promo("FEW", kind=PromoKind.BALANCE_CREDIT, amount=10, max_uses=2))

    results = await asyncio.gather(
        *(shop.redeem_promo(telegram_id=TelegramId(10 + n), text="FEW") for n in range(6)),
        return_exceptions=True,
    )

    ok = [r for r in results if not isinstance(r, BaseException)]
    assert len(ok) == 2
    assert all(isinstance(r, PromoCodeExhausted) for r in results if isinstance(r, BaseException))
    assert (await _promo(shop, "FEW")).uses == 2


async def test_bonus_days_extend_the_live_subscription(shop: InMemoryApp) -> None:
    await customer(shop)
    paid = await shop.buy(TG, "basic")
    before = await shop.get("subscriptions", paid.subscription_id)
    await shop.add_promo(a_promo("PLUS7", kind=PromoKind.BONUS_DAYS, days=7))

    result = await shop.redeem_promo(telegram_id=TG, text="PLUS7")

    assert result.outcome is RedeemOutcome.DAYS_ADDED
    after = await shop.get("subscriptions", paid.subscription_id)
    assert after.expires_at == before.expires_at + timedelta(days=7)
    await shop.run_outbox()
    (access,) = shop.rows("accesses")
    assert shop.panel.account(access.username).expires_at == after.expires_at  # type: ignore[union-attr]


async def test_bonus_days_without_a_subscription_are_kept_for_checkout(
    shop: InMemoryApp,
) -> None:
    await customer(shop)
    await shop.add_promo(a_promo("PLUS7", kind=PromoKind.BONUS_DAYS, days=7))

    result = await shop.redeem_promo(telegram_id=TG, text="PLUS7")

    assert result.outcome is RedeemOutcome.APPLY_AT_CHECKOUT
    assert (await _promo(shop, "PLUS7")).uses == 0


async def test_trial_extension_extends_the_live_trial(shop: InMemoryApp) -> None:
    await customer(shop)
    trial = await shop.activate_trial(telegram_id=TG)
    await shop.add_promo(a_promo("MORETRIAL", kind=PromoKind.TRIAL_EXTENSION, days=4))

    result = await shop.redeem_promo(telegram_id=TG, text="MORETRIAL")

    assert result.outcome is RedeemOutcome.TRIAL_EXTENDED
    sub = await shop.get("subscriptions", trial.subscription_id)
    assert sub.expires_at == trial.expires_at + timedelta(days=4)


async def test_trial_extension_without_a_trial_is_not_applicable(shop: InMemoryApp) -> None:
    await customer(shop)
    await shop.add_promo(a_promo("MORETRIAL", kind=PromoKind.TRIAL_EXTENSION, days=4))

    with pytest.raises(PromoCodeNotApplicable):
        await shop.redeem_promo(telegram_id=TG, text="MORETRIAL")


async def test_percent_code_is_validated_and_left_for_checkout(shop: InMemoryApp) -> None:
    await customer(shop)
    await shop.add_promo(a_promo("SAVE15", percent=15))

    result = await shop.redeem_promo(telegram_id=TG, text="save15")

    assert result.outcome is RedeemOutcome.APPLY_AT_CHECKOUT
    assert result.percent == 15
    assert (await _promo(shop, "SAVE15")).uses == 0


async def test_expired_code_is_refused(shop: InMemoryApp) -> None:
    await customer(shop)
    await shop.add_promo(
        a_promo("OLD", kind=PromoKind.BALANCE_CREDIT, amount=5, valid_for=timedelta(hours=1))
    )
    shop.clock.advance(hours=2)

    with pytest.raises(PromoCodeExpired):
        await shop.redeem_promo(telegram_id=TG, text="OLD")
    assert (await shop.customer(TG)).balance == rub(0)


async def test_deactivated_code_is_refused(shop: InMemoryApp) -> None:
    await customer(shop)
    await shop.add_promo(a_promo("OFF", kind=PromoKind.BALANCE_CREDIT, amount=5, active=False))

    with pytest.raises(PromoCodeInactive):
        await shop.redeem_promo(telegram_id=TG, text="OFF")
