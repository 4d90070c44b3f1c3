"""Refunds give back exactly what the payment took, and take back what it paid out."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any
from uuid import uuid4

from vpnsales.application.ports.notifier import AlertKind
from vpnsales.application.ports.outbox import OutboxKind
from vpnsales.domain.customer import BalanceReason
from vpnsales.domain.ids import CustomerId, TelegramId
from vpnsales.domain.payment import PaymentPurpose
from vpnsales.domain.referral import ReferralPolicy, ReferrerRewardKind
from vpnsales.domain.subscription import Subscription
from vpnsales.testing.builders import rub

from .conftest import TG, YK, credit, make_app


async def test_refund_credits_only_the_balance_actually_debited() -> None:
    app = await make_app()
    await app.register(telegram_id=TG)
    await credit(app, TG, rub(100))
    checkout = await app.start_checkout(
        telegram_id=TG, tariff_code="basic", days=30, provider=YK, use_balance=True
    )
    assert checkout.quote.balance_applied == rub(100)
    async with app.scope() as p:  # the balance is spent elsewhere before the provider pays
        me = await p.customers.get_by_telegram_id(TelegramId(TG), for_update=True)
        assert me is not None
        me.debit(rub(100), BalanceReason.ADMIN_DEBIT, app.clock.now(), entry_id=uuid4())
        await p.customers.save(me)
        await p.uow.commit()
    paid = app.gateways[YK].succeed(checkout.payment_id)
    await app.confirm_payment(
        provider=YK, provider_payment_id=paid.provider_payment_id, amount=paid.amount
    )
    assert (await app.customer(TG)).balance == rub(0)  # nothing left to debit: flagged

    await app.refund(payment_id=checkout.payment_id)

    assert (await app.customer(TG)).balance == rub(0)  # no money out of thin air


async def test_refund_gives_back_the_balance_part_of_a_payment() -> None:
    app = await make_app()
    await app.register(telegram_id=TG)
    await credit(app, TG, rub(100))
    checkout = await app.start_checkout(
        telegram_id=TG, tariff_code="basic", days=30, provider=YK, use_balance=True
    )
    paid = app.gateways[YK].succeed(checkout.payment_id)
    await app.confirm_payment(
        provider=YK, provider_payment_id=paid.provider_payment_id, amount=paid.amount
    )
    assert (await app.customer(TG)).balance == rub(0)

    await app.refund(payment_id=checkout.payment_id)

    assert (await app.customer(TG)).balance == rub(100)


async def test_refund_takes_back_the_referrers_reward() -> None:
    app = await make_app(referral=ReferralPolicy(referrer_percent=Decimal(10)))
    referrer = await app.register(telegram_id=TelegramId(1))
    await app.register(telegram_id=TG, start_payload=f"ref_{referrer.referral_code}")
    paid = await app.buy(TG, "basic")
    assert (await app.customer(referrer.customer_id)).balance == rub(30)

    await app.refund(payment_id=paid.payment_id)
    await app.refund(payment_id=paid.payment_id)  # a repeat takes nothing more

    assert (await app.customer(referrer.customer_id)).balance == rub(0)
    async with app.scope() as p:
        entries = await p.customers.ledger(referrer.customer_id)
    assert sum((e.amount.amount for e in entries), Decimal(0)) == 0


async def _subscriptions(app: Any, customer_id: CustomerId) -> list[Subscription]:
    async with app.scope() as p:
        return list(await p.subscriptions.for_customer(customer_id))


async def test_refund_takes_back_the_referrers_days() -> None:
    app = await make_app(
        referral=ReferralPolicy(referrer_reward=ReferrerRewardKind.DAYS, referrer_days=7)
    )
    referrer = await app.register(telegram_id=TelegramId(1))
    await app.buy(TelegramId(1), "basic")
    (before,) = await _subscriptions(app, referrer.customer_id)
    await app.register(telegram_id=TG, start_payload=f"ref_{referrer.referral_code}")
    paid = await app.buy(TG, "basic")
    (rewarded,) = await _subscriptions(app, referrer.customer_id)
    assert rewarded.expires_at - before.expires_at == timedelta(days=7)

    await app.refund(payment_id=paid.payment_id)
    await app.refund(payment_id=paid.payment_id)  # a repeat takes nothing more

    (after,) = await _subscriptions(app, referrer.customer_id)
    assert after.expires_at == before.expires_at
    assert after.is_live


async def test_refund_of_a_spent_top_up_is_flagged_for_the_seller() -> None:
    app = await make_app()
    await app.register(telegram_id=TG)
    checkout = await app.start_checkout(
        telegram_id=TG, provider=YK, purpose=PaymentPurpose.TOP_UP, top_up=rub(300)
    )
    paid = app.gateways[YK].succeed(checkout.payment_id)
    await app.confirm_payment(
        provider=YK, provider_payment_id=paid.provider_payment_id, amount=paid.amount
    )
    await app.pay_from_balance(telegram_id=TG, tariff_code="basic", days=30)  # spent it all

    await app.refund(payment_id=checkout.payment_id)  # the provider gave the 300 back

    assert (await app.customer(TG)).balance == rub(0)
    payment = await app.get("payments", checkout.payment_id)
    assert payment.flagged
    assert "300" in payment.flagged
    kinds = [m.payload["kind"] for m in app.outbox(OutboxKind.ADMIN_ALERT)]
    assert AlertKind.REFUND.value in kinds
