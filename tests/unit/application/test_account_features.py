"""Referral info, link reset, auto-renewal and paying from the balance."""

from __future__ import annotations

from decimal import Decimal

import pytest

from vpnsales.application.errors import SubscriptionNotOwned
from vpnsales.application.ports.outbox import OutboxKind
from vpnsales.domain.errors import AccessNotFound, InsufficientBalance
from vpnsales.domain.ids import TelegramId
from vpnsales.domain.payment import PaymentProvider, PaymentStatus
from vpnsales.domain.referral import ReferralPolicy
from vpnsales.testing.app import InMemoryApp
from vpnsales.testing.builders import a_promo, rub

from .conftest import TG, YK, customer, grant, make_shop


async def test_referral_info_counts_invited_customers_and_rewards() -> None:
    shop = await make_shop(referral=ReferralPolicy(referrer_percent=Decimal(10)))
    me = await customer(shop, 1)
    for n in (2, 3):
        await shop.register(telegram_id=TelegramId(n), start_payload=f"ref_{me.referral_code}")
    await shop.buy(TelegramId(2), "basic")

    info = await shop.referral_info(telegram_id=TelegramId(1))

    assert info.referral_code == me.referral_code
    assert info.start_payload == f"ref_{me.referral_code}"
    assert info.invited == 2
    assert info.invited_paid == 1
    assert info.earned == rub(30)
    assert info.rewards == 1


async def test_link_reset_asks_for_confirmation_first(shop: InMemoryApp) -> None:
    await customer(shop)
    paid = await shop.buy(TG, "basic")
    await shop.run_outbox()

    result = await shop.reset_access_link(telegram_id=TG, subscription_id=paid.subscription_id)

    assert result.needs_confirmation
    assert shop.outbox(OutboxKind.REVOKE_ACCESS) == []


async def test_confirmed_link_reset_issues_a_new_link_through_the_outbox(
    shop: InMemoryApp,
) -> None:
    await customer(shop)
    paid = await shop.buy(TG, "basic")
    await shop.run_outbox()
    (before,) = shop.rows("accesses")

    result = await shop.reset_access_link(
        telegram_id=TG, subscription_id=paid.subscription_id, confirmed=True
    )

    assert result.access_ids == (before.id,)
    assert len(shop.outbox(OutboxKind.REVOKE_ACCESS)) == 1
    await shop.run_outbox()
    (after,) = shop.rows("accesses")
    assert after.subscription_url != before.subscription_url


async def test_link_reset_before_provisioning_has_nothing_to_reset(shop: InMemoryApp) -> None:
    await customer(shop)
    paid = await shop.buy(TG, "basic")

    with pytest.raises(AccessNotFound):
        await shop.reset_access_link(
            telegram_id=TG, subscription_id=paid.subscription_id, confirmed=True
        )


async def test_someone_elses_subscription_cannot_be_touched(shop: InMemoryApp) -> None:
    await customer(shop)
    await customer(shop, 2)
    paid = await shop.buy(TG, "basic")
    await shop.run_outbox()

    with pytest.raises(SubscriptionNotOwned):
        await shop.reset_access_link(
            telegram_id=TelegramId(2), subscription_id=paid.subscription_id, confirmed=True
        )
    with pytest.raises(SubscriptionNotOwned):
        await shop.toggle_auto_renewal(
            telegram_id=TelegramId(2), subscription_id=paid.subscription_id
        )


async def test_auto_renewal_toggles_and_reports_a_saved_method(shop: InMemoryApp) -> None:
    await customer(shop)
    checkout = await shop.start_checkout(
        telegram_id=TG, tariff_code="basic", days=30, provider=YK, save_payment_method=True
    )
    paid = shop.gateways[YK].succeed(checkout.payment_id, saved_method_id="pm-1")
    confirmed = await shop.confirm_provider_payment(paid)
    assert confirmed.detail == "confirmed"
    sub_id = (await shop.get("payments", checkout.payment_id)).subscription_id

    on = await shop.toggle_auto_renewal(telegram_id=TG, subscription_id=sub_id)
    off = await shop.toggle_auto_renewal(telegram_id=TG, subscription_id=sub_id)

    assert on.enabled
    assert on.has_saved_method
    assert not off.enabled
    assert not (await shop.get("subscriptions", sub_id)).auto_renew


async def test_pay_from_balance_buys_at_once(shop: InMemoryApp) -> None:
    await customer(shop, balance=rub(350))

    result = await shop.pay_from_balance(telegram_id=TG, tariff_code="basic", days=30)

    assert result.balance_left == rub(50)
    assert result.subscription_id is not None
    payment = await shop.get("payments", result.payment_id)
    assert payment.provider is PaymentProvider.BALANCE
    assert payment.status is PaymentStatus.SUCCEEDED
    assert shop.outbox(OutboxKind.SYNC_ACCESS)


async def test_pay_from_balance_with_a_promo_counts_the_promo(shop: InMemoryApp) -> None:
    await customer(shop, balance=rub(300))
    await shop.add_promo(a_promo("SAVE10", max_uses=5))

    result = await shop.pay_from_balance(
        telegram_id=TG, tariff_code="basic", days=30, promo_code="SAVE10"
    )

    assert result.balance_left == rub(30)
    assert len(shop.rows("redemptions")) == 1


async def test_pay_from_balance_without_enough_balance_writes_nothing(shop: InMemoryApp) -> None:
    await customer(shop)
    await grant(shop, TG, rub(100))
    commits = shop.db.commits

    with pytest.raises(InsufficientBalance):
        await shop.pay_from_balance(telegram_id=TG, tariff_code="basic", days=30)

    assert shop.db.commits == commits
    assert shop.rows("payments") == []
    assert (await shop.customer(TG)).balance == rub(100)
