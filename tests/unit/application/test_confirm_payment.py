"""ConfirmPayment: once, in one transaction, provider-agnostic; never touches the panel."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest

from vpnsales.application.interactors.payments.confirm_payment import ConfirmOutcome
from vpnsales.application.ports.notifier import AlertKind
from vpnsales.application.ports.outbox import OutboxKind, OutboxStatus
from vpnsales.application.ports.panels import PanelGroup
from vpnsales.domain.access import DesiredState, SyncStatus
from vpnsales.domain.customer import BalanceReason
from vpnsales.domain.errors import DuplicateProviderPayment, PaymentNotFound
from vpnsales.domain.ids import PanelId, TelegramId
from vpnsales.domain.money import Currency, Money
from vpnsales.domain.notifications import IntentKind
from vpnsales.domain.payment import PaymentProvider, PaymentPurpose, PaymentStatus
from vpnsales.domain.promo import PromoKind
from vpnsales.domain.referral import ReferralPolicy, ReferrerRewardKind
from vpnsales.domain.subscription import SubscriptionStatus
from vpnsales.testing.app import InMemoryApp
from vpnsales.testing.builders import a_promo, a_tariff, rub
from vpnsales.testing.fakes import FakePanel

from .conftest import TG, YK, ban, customer, make_shop

STARS = PaymentProvider.STARS


async def _checkout(shop: InMemoryApp, code: str = "basic", days: int = 30, **kw: Any) -> Any:
    return await shop.start_checkout(
        telegram_id=kw.pop("telegram_id", TG), tariff_code=code, days=days, provider=YK, **kw
    )


async def _pay(shop: InMemoryApp, checkout: Any, **kw: Any) -> Any:
    paid = shop.gateways[checkout.provider].succeed(checkout.payment_id)
    return await shop.confirm_payment(
        provider=checkout.provider,
        provider_payment_id=paid.provider_payment_id,
        amount=kw.pop("amount", paid.amount),
        **kw,
    )


async def _subscriptions(shop: InMemoryApp) -> list[Any]:
    return shop.rows("subscriptions")


async def test_confirmation_starts_the_subscription_and_queues_the_access(
    shop: InMemoryApp,
) -> None:
    await customer(shop)
    checkout = await _checkout(shop)

    result = await _pay(shop, checkout)

    assert result.outcome is ConfirmOutcome.CONFIRMED
    (sub,) = await _subscriptions(shop)
    assert sub.id == result.subscription_id
    assert sub.status is SubscriptionStatus.ACTIVE
    assert sub.expires_at == shop.clock.now() + timedelta(days=30)
    (access,) = shop.rows("accesses")
    assert access.subscription_id == sub.id
    assert access.desired is DesiredState.ENABLED
    (sync,) = shop.outbox(OutboxKind.SYNC_ACCESS)
    assert sync.payload["access_id"] == str(access.id)
    payment = await shop.get("payments", checkout.payment_id)
    assert payment.status is PaymentStatus.SUCCEEDED
    assert payment.subscription_id == sub.id
    assert (await shop.customer(TG)).has_purchased
    assert shop.kicker.kicks >= 1


async def test_a_purchase_ready_in_time_is_announced_by_the_access_card_alone(
    shop: InMemoryApp,
) -> None:
    await customer(shop)
    await _pay(shop, await _checkout(shop))

    await shop.run_outbox()
    shop.clock.advance(shop.policy.payment_received_delay + timedelta(minutes=1))
    await shop.run_outbox()

    assert shop.notifier.kinds() == [IntentKind.ACCESS_READY]  # the receipt was withdrawn


async def test_a_purchase_whose_access_is_late_is_told_the_payment_arrived_first(
    shop: InMemoryApp,
) -> None:
    await customer(shop)
    shop.panel.down = True
    result = await _pay(shop, await _checkout(shop))
    await shop.run_outbox()
    assert shop.notifier.kinds() == []  # not before the delay: the card may still win

    shop.clock.advance(shop.policy.payment_received_delay)
    await shop.run_outbox()
    (received,) = shop.notifier.intents(IntentKind.PAYMENT_RECEIVED)
    assert received.payment_id == result.payment_id
    assert received.subscription_id == result.subscription_id

    shop.panel.down = False
    shop.clock.advance(minutes=2)
    await shop.run_outbox()
    assert shop.notifier.kinds() == [IntentKind.PAYMENT_RECEIVED, IntentKind.ACCESS_READY]


async def test_without_a_delay_the_payment_received_goes_at_once_and_before_the_card() -> None:
    shop = await make_shop(payment_received_delay=timedelta(0))
    await customer(shop)
    await _pay(shop, await _checkout(shop))

    await shop.run_outbox()

    assert shop.notifier.kinds() == [IntentKind.PAYMENT_RECEIVED, IntentKind.ACCESS_READY]


async def test_a_renewal_is_told_the_payment_arrived_at_once(shop: InMemoryApp) -> None:
    await customer(shop)
    await shop.buy(TG, "basic")
    (sub,) = await _subscriptions(shop)
    renewal = await _checkout(shop, purpose=PaymentPurpose.RENEWAL, subscription_id=sub.id)
    before = len(shop.notifier.intents(IntentKind.PAYMENT_RECEIVED))

    result = await _pay(shop, renewal)
    await shop.run_outbox()  # no card follows a renewal: nothing to wait for

    received = shop.notifier.intents(IntentKind.PAYMENT_RECEIVED)[before:]
    assert [i.payment_id for i in received] == [result.payment_id]


async def test_a_purchase_held_for_a_banned_customer_is_still_told_the_payment_arrived(
    shop: InMemoryApp,
) -> None:
    await customer(shop)
    checkout = await _checkout(shop)
    await ban(shop)
    await _pay(shop, checkout)

    await shop.run_outbox()
    shop.clock.advance(shop.policy.payment_received_delay)
    await shop.run_outbox()

    assert shop.notifier.kinds() == [IntentKind.PAYMENT_RECEIVED]  # no card: held suspended


async def test_confirmation_never_calls_the_panel(shop: InMemoryApp) -> None:
    await customer(shop)
    shop.panel.down = True

    result = await _pay(shop, await _checkout(shop))

    assert result.outcome is ConfirmOutcome.CONFIRMED
    assert shop.panel.calls == []
    (sync,) = shop.outbox(OutboxKind.SYNC_ACCESS)
    assert sync.status is OutboxStatus.PENDING


async def test_access_converges_when_the_panel_comes_back(shop: InMemoryApp) -> None:
    await customer(shop)
    shop.panel.down = True
    await _pay(shop, await _checkout(shop))
    await shop.run_outbox()
    (access,) = shop.rows("accesses")
    assert access.sync is SyncStatus.FAILING

    shop.panel.down = False
    shop.clock.advance(minutes=2)
    await shop.run_outbox()

    (access,) = shop.rows("accesses")
    assert access.is_ready
    assert shop.panel.account(access.username) is not None


async def test_a_repeated_confirmation_changes_nothing(shop: InMemoryApp) -> None:
    await customer(shop)
    checkout = await _checkout(shop)
    first = await _pay(shop, checkout)
    outbox_before = len(shop.db.outbox_messages())

    again = await _pay(shop, checkout)

    assert again.outcome is ConfirmOutcome.ALREADY_PROCESSED
    assert again.subscription_id == first.subscription_id
    assert len(await _subscriptions(shop)) == 1
    assert len(shop.db.outbox_messages()) == outbox_before


async def test_concurrent_duplicate_confirmations_extend_once(shop: InMemoryApp) -> None:
    await customer(shop)
    await shop.buy(TG, "basic")
    (sub,) = await _subscriptions(shop)
    renewal = await _checkout(shop, purpose=PaymentPurpose.RENEWAL, subscription_id=sub.id)

    results = await asyncio.gather(*(_pay(shop, renewal) for _ in range(8)))

    outcomes = [r.outcome for r in results]
    assert outcomes.count(ConfirmOutcome.CONFIRMED) == 1
    assert outcomes.count(ConfirmOutcome.ALREADY_PROCESSED) == 7
    (renewed,) = await _subscriptions(shop)
    assert renewed.expires_at == sub.expires_at + timedelta(days=30)


async def test_confirmation_by_our_payment_id_works_for_any_provider(shop: InMemoryApp) -> None:
    await customer(shop)
    checkout = await _checkout(shop)

    result = await shop.confirm_payment(
        provider=YK, payment_id=checkout.payment_id, amount=rub(300)
    )

    assert result.outcome is ConfirmOutcome.CONFIRMED


async def test_confirmation_of_an_unknown_payment_is_refused(shop: InMemoryApp) -> None:
    with pytest.raises(PaymentNotFound):
        await shop.confirm_payment(provider=YK, provider_payment_id="nope", amount=rub(1))


async def test_amount_mismatch_flags_alerts_and_credits_nothing(shop: InMemoryApp) -> None:
    await customer(shop)
    checkout = await _checkout(shop)

    result = await _pay(shop, checkout, amount=rub(3))

    assert result.outcome is ConfirmOutcome.AMOUNT_MISMATCH
    payment = await shop.get("payments", checkout.payment_id)
    assert payment.status is PaymentStatus.PENDING
    assert payment.flagged is not None
    assert "amount mismatch" in payment.flagged
    assert await _subscriptions(shop) == []
    assert not (await shop.customer(TG)).has_purchased
    (alert,) = shop.outbox(OutboxKind.ADMIN_ALERT)
    assert alert.payload["kind"] == AlertKind.AMOUNT_MISMATCH.value
    await shop.run_outbox()
    assert shop.alerter.kinds() == [AlertKind.AMOUNT_MISMATCH]


async def test_currency_mismatch_is_an_amount_mismatch(shop: InMemoryApp) -> None:
    await customer(shop)
    checkout = await _checkout(shop)

    result = await _pay(shop, checkout, amount=Money.of(300, Currency.USD))

    assert result.outcome is ConfirmOutcome.AMOUNT_MISMATCH
    assert await _subscriptions(shop) == []


async def test_late_confirmation_of_a_cancelled_payment_is_credited_and_flagged(
    shop: InMemoryApp,
) -> None:
    # The provider holds the money: the customer gets the purchase, the seller is told.
    await customer(shop)
    checkout = await _checkout(shop)
    await shop.record_payment_failure(provider=YK, payment_id=checkout.payment_id)

    result = await _pay(shop, checkout)

    assert result.outcome is ConfirmOutcome.CONFIRMED
    assert len(await _subscriptions(shop)) == 1
    payment = await shop.get("payments", checkout.payment_id)
    assert payment.status is PaymentStatus.SUCCEEDED
    assert payment.flagged
    kinds = [m.payload["kind"] for m in shop.outbox(OutboxKind.ADMIN_ALERT)]
    assert AlertKind.LATE_PAYMENT in kinds


async def test_renewal_of_an_active_subscription_extends_from_its_expiry(
    shop: InMemoryApp,
) -> None:
    await customer(shop)
    await shop.buy(TG, "basic")
    (sub,) = await _subscriptions(shop)
    shop.clock.advance(days=10)

    result = await _pay(
        shop, await _checkout(shop, purpose=PaymentPurpose.RENEWAL, subscription_id=sub.id)
    )

    assert not result.reactivated
    (renewed,) = await _subscriptions(shop)
    assert renewed.expires_at == sub.expires_at + timedelta(days=30)
    assert renewed.period_number == sub.period_number + 1


async def _expire(shop: InMemoryApp, sub_id: Any) -> None:
    async with shop.scope() as p:
        sub = await p.subscriptions.get(sub_id, for_update=True)
        assert sub is not None
        sub.expire(shop.clock.now())
        await p.subscriptions.save(sub)
        for access in await p.accesses.for_subscription(sub.id, for_update=True):
            access.desire(sub.desired_access)
            await p.accesses.save(access)
        await p.uow.commit()


async def test_renewal_of_an_expired_subscription_reactivates_it(shop: InMemoryApp) -> None:
    await customer(shop)
    await shop.buy(TG, "basic")
    (sub,) = await _subscriptions(shop)
    shop.clock.advance(days=40)
    await _expire(shop, sub.id)

    result = await _pay(
        shop, await _checkout(shop, purpose=PaymentPurpose.RENEWAL, subscription_id=sub.id)
    )

    assert result.reactivated
    (renewed,) = await _subscriptions(shop)
    assert renewed.status is SubscriptionStatus.ACTIVE
    assert renewed.expires_at == shop.clock.now() + timedelta(days=30)
    (access,) = shop.rows("accesses")
    assert access.desired is DesiredState.ENABLED
    await shop.run_outbox()
    assert IntentKind.REACTIVATED in shop.notifier.kinds()


async def test_plan_change_keeps_the_remaining_value_within_a_day(shop: InMemoryApp) -> None:
    await customer(shop)
    await shop.buy(TG, "basic")  # 300 ₽ / 30 d = 10 ₽ a day
    (sub,) = await _subscriptions(shop)
    shop.clock.advance(days=10)  # 20 days = 200 ₽ left → 10 days of pro (20 ₽ a day)

    await _pay(
        shop,
        await _checkout(shop, "pro", purpose=PaymentPurpose.PLAN_CHANGE, subscription_id=sub.id),
    )

    (changed,) = await _subscriptions(shop)
    async with shop.scope() as p:
        pro = await p.tariffs.get_by_code("pro")
    assert pro is not None
    assert changed.tariff_id == pro.id
    expected = shop.clock.now() + timedelta(days=10 + 30)
    assert abs(changed.expires_at - expected) < timedelta(days=1)
    assert changed.traffic == pro.traffic


async def test_plan_change_to_another_panel_moves_the_access() -> None:
    shop = await make_shop(panels=[FakePanel("panel-1"), FakePanel("panel-2")])
    await shop.add_tariff(a_tariff(code="far", rub=300, panel="panel-2"))
    await customer(shop)
    await shop.buy(TG, "basic")
    (sub,) = await _subscriptions(shop)

    await _pay(
        shop,
        await _checkout(shop, "far", purpose=PaymentPurpose.PLAN_CHANGE, subscription_id=sub.id),
    )

    accesses = {a.panel_id: a for a in shop.rows("accesses")}
    assert accesses[PanelId("panel-1")].desired is DesiredState.DELETED
    assert accesses[PanelId("panel-2")].desired is DesiredState.ENABLED


async def test_plan_change_to_another_panel_sends_a_card_with_the_new_link() -> None:
    shop = await make_shop(panels=[FakePanel("panel-1"), FakePanel("panel-2")])
    await shop.add_tariff(a_tariff(code="far", rub=300, panel="panel-2"))
    await customer(shop)
    await shop.buy(TG, "basic")
    await shop.run_outbox()
    (sub,) = await _subscriptions(shop)
    await _pay(
        shop,
        await _checkout(shop, "far", purpose=PaymentPurpose.PLAN_CHANGE, subscription_id=sub.id),
    )
    await shop.run_outbox()

    cards = [d.card for d in shop.notifier.deliveries if d.card is not None]
    links = {a.panel_id: a.subscription_url for a in shop.rows("accesses")}
    assert len(cards) == 2, shop.notifier.kinds()
    assert cards[0].subscription_url == links[PanelId("panel-1")]
    assert cards[1].subscription_url == links[PanelId("panel-2")]
    assert links[PanelId("panel-1")] != links[PanelId("panel-2")]


async def test_top_up_credits_the_balance(shop: InMemoryApp) -> None:
    await customer(shop)
    checkout = await shop.start_checkout(
        telegram_id=TG, provider=YK, purpose=PaymentPurpose.TOP_UP, top_up=rub(250)
    )

    await _pay(shop, checkout)

    me = await shop.customer(TG)
    assert me.balance == rub(250)
    assert not me.has_purchased
    async with shop.scope() as p:
        (entry,) = await p.customers.ledger(me.id)
    assert entry.reason is BalanceReason.TOP_UP


async def test_balance_part_of_a_payment_is_debited_on_confirmation(shop: InMemoryApp) -> None:
    await customer(shop, balance=rub(100))
    checkout = await _checkout(shop, use_balance=True)
    assert (await shop.customer(TG)).balance == rub(100)  # not yet

    await _pay(shop, checkout)

    assert (await shop.customer(TG)).balance == rub(0)


async def test_first_purchase_gets_promo_and_referral_bonus_days() -> None:
    shop = await make_shop(referral=ReferralPolicy(invitee_bonus_days=3))
    referrer = await customer(shop, 1)
    await shop.register(telegram_id=TG, start_payload=f"ref_{referrer.referral_code}")
    await shop.add_promo(a_promo("PLUS7", kind=PromoKind.BONUS_DAYS, days=7))

    await _pay(shop, await _checkout(shop, promo_code="PLUS7"))

    (sub,) = await _subscriptions(shop)
    assert sub.expires_at == shop.clock.now() + timedelta(days=30 + 7 + 3)


async def test_referrer_earns_a_share_of_each_payment() -> None:
    shop = await make_shop(referral=ReferralPolicy(referrer_percent=Decimal(10)))
    referrer = await customer(shop, 1)
    await shop.register(telegram_id=TG, start_payload=f"ref_{referrer.referral_code}")

    await shop.buy(TG, "basic")
    await shop.buy(TG, "pro")

    assert (await shop.customer(referrer.customer_id)).balance == rub(90)
    await shop.run_outbox()
    rewards = shop.notifier.intents(IntentKind.REFERRAL_REWARD, telegram_id=1)
    assert sorted(i.amount.amount for i in rewards) == [rub(30).amount, rub(60).amount]


async def test_referrer_is_rewarded_once_when_the_policy_says_first_purchase_only() -> None:
    shop = await make_shop(
        referral=ReferralPolicy(referrer_percent=Decimal(10), first_purchase_only=True)
    )
    referrer = await customer(shop, 1)
    await shop.register(telegram_id=TG, start_payload=f"ref_{referrer.referral_code}")

    await shop.buy(TG, "basic")
    await shop.buy(TG, "pro")

    assert (await shop.customer(referrer.customer_id)).balance == rub(30)


async def test_referrer_rewarded_in_days_gets_them_on_the_live_subscription() -> None:
    shop = await make_shop(
        referral=ReferralPolicy(referrer_reward=ReferrerRewardKind.DAYS, referrer_days=5)
    )
    referrer = await customer(shop, 1)
    await shop.buy(TelegramId(1), "basic")
    (before,) = await _subscriptions(shop)
    await shop.register(telegram_id=TG, start_payload=f"ref_{referrer.referral_code}")

    await shop.buy(TG, "basic")

    after = await shop.get("subscriptions", before.id)
    assert after.expires_at == before.expires_at + timedelta(days=5)


async def test_large_payment_alerts_the_seller() -> None:
    shop = await make_shop(large_payment=rub(500))
    await customer(shop)

    await _pay(shop, await _checkout(shop, days=90))

    assert [m.payload["kind"] for m in shop.outbox(OutboxKind.ADMIN_ALERT)] == ["large_payment"]


async def test_saved_payment_method_is_kept_on_the_payment(shop: InMemoryApp) -> None:
    await customer(shop)
    checkout = await _checkout(shop, save_payment_method=True)

    await _pay(shop, checkout, saved_method_id="pm-1")

    assert (await shop.get("payments", checkout.payment_id)).saved_method_id == "pm-1"


async def test_stars_payment_is_keyed_by_its_charge_id(shop: InMemoryApp) -> None:
    await customer(shop)
    first = await shop.start_checkout(telegram_id=TG, tariff_code="basic", days=30, provider=STARS)
    second = await shop.start_checkout(telegram_id=TG, tariff_code="pro", days=30, provider=STARS)
    stars = Money.of(167, Currency.XTR)
    await shop.confirm_payment(
        provider=STARS, payment_id=first.payment_id, amount=stars, charge_id="charge-1"
    )

    with pytest.raises(DuplicateProviderPayment):
        await shop.confirm_payment(
            provider=STARS,
            payment_id=second.payment_id,
            amount=Money.of(334, Currency.XTR),
            charge_id="charge-1",
        )
    assert len(await _subscriptions(shop)) == 1


async def test_new_access_goes_to_the_least_loaded_server_of_a_group() -> None:
    panels = [FakePanel("s1"), FakePanel("s2")]
    shop = await make_shop(
        panels=panels, groups=[PanelGroup(PanelId("eu"), (PanelId("s1"), PanelId("s2")))]
    )
    await shop.add_tariff(a_tariff(code="eu", rub=100, panel="eu"))
    for n in range(4):
        await customer(shop, 10 + n)
        await shop.buy(TelegramId(10 + n), "eu")

    placed = sorted(a.panel_id for a in shop.rows("accesses"))

    assert placed == ["s1", "s1", "s2", "s2"]
