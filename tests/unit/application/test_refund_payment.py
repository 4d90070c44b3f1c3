"""RefundPayment: once; remove the period or suspend; the access follows."""

from __future__ import annotations

from datetime import timedelta

from vpnsales.application.interactors.payments.refund_payment import (
    RefundInitiator,
    RefundOutcome,
)
from vpnsales.application.policy import RefundMode
from vpnsales.application.ports.outbox import OutboxKind
from vpnsales.domain.access import DesiredState
from vpnsales.domain.notifications import IntentKind
from vpnsales.domain.payment import PaymentProvider, PaymentPurpose, PaymentStatus
from vpnsales.domain.subscription import SubscriptionStatus
from vpnsales.testing.app import InMemoryApp
from vpnsales.testing.builders import rub

from .conftest import TG, YK, customer, grant, make_shop


async def test_refund_removes_the_paid_period_and_disables_the_access(
    shop: InMemoryApp,
) -> None:
    await customer(shop)
    paid = await shop.buy(TG, "basic")

    result = await shop.refund(payment_id=paid.payment_id)

    assert result.outcome is RefundOutcome.REFUNDED
    assert result.days_removed == 30
    sub = await shop.get("subscriptions", paid.subscription_id)
    assert sub.status is SubscriptionStatus.EXPIRED
    (access,) = shop.rows("accesses")
    assert access.desired is DesiredState.DISABLED
    assert (await shop.get("payments", paid.payment_id)).status is PaymentStatus.REFUNDED


async def test_refund_of_a_renewal_keeps_the_earlier_period(shop: InMemoryApp) -> None:
    await customer(shop)
    first = await shop.buy(TG, "basic")
    renewal = await shop.buy(
        TG, "basic", purpose=PaymentPurpose.RENEWAL, subscription_id=first.subscription_id
    )

    await shop.refund(payment_id=renewal.payment_id)

    sub = await shop.get("subscriptions", first.subscription_id)
    assert sub.status is SubscriptionStatus.ACTIVE
    assert sub.expires_at == shop.clock.now() + timedelta(days=30)
    (access,) = shop.rows("accesses")
    assert access.desired is DesiredState.ENABLED


async def test_refund_in_suspend_mode_suspends_the_subscription() -> None:
    shop = await make_shop(refund_mode=RefundMode.SUSPEND)
    await customer(shop)
    paid = await shop.buy(TG, "basic")

    result = await shop.refund(payment_id=paid.payment_id)

    assert result.subscription_status is SubscriptionStatus.SUSPENDED
    (access,) = shop.rows("accesses")
    assert access.desired is DesiredState.DISABLED


async def test_a_second_refund_changes_nothing(shop: InMemoryApp) -> None:
    await customer(shop)
    paid = await shop.buy(TG, "basic")
    await shop.refund(payment_id=paid.payment_id)
    messages = len(shop.db.outbox_messages())

    again = await shop.refund(payment_id=paid.payment_id)

    assert again.outcome is RefundOutcome.ALREADY_REFUNDED
    assert len(shop.db.outbox_messages()) == messages


async def test_refund_tells_the_customer(shop: InMemoryApp) -> None:
    await customer(shop)
    paid = await shop.buy(TG, "basic")

    await shop.refund(payment_id=paid.payment_id)
    await shop.run_outbox()

    assert IntentKind.REFUNDED in shop.notifier.kinds()


async def test_admin_refund_asks_the_provider_through_the_outbox(shop: InMemoryApp) -> None:
    await customer(shop)
    paid = await shop.buy(TG, "basic")

    await shop.refund(
        payment_id=paid.payment_id, initiated_by=RefundInitiator.ADMIN, admin_telegram_id=9
    )

    (message,) = shop.outbox(OutboxKind.PROVIDER_REFUND)
    assert message.payload["payment_id"] == str(paid.payment_id)
    assert message.payload["amount"] == "300.00"
    await shop.run_outbox()
    (refund,) = shop.gateways[YK].refunds
    assert refund.amount == rub(300)
    assert len(shop.rows("audit")) == 1


async def test_provider_refund_does_not_ask_the_provider_again(shop: InMemoryApp) -> None:
    await customer(shop)
    paid = await shop.buy(TG, "basic")

    await shop.refund(payment_id=paid.payment_id, initiated_by=RefundInitiator.PROVIDER)

    assert shop.outbox(OutboxKind.PROVIDER_REFUND) == []


async def test_refund_returns_the_balance_used_to_the_balance(shop: InMemoryApp) -> None:
    await customer(shop)
    await grant(shop, TG, rub(100))
    paid = await shop.buy(TG, "basic", use_balance=True)
    assert (await shop.customer(TG)).balance == rub(0)

    await shop.refund(payment_id=paid.payment_id)

    assert (await shop.customer(TG)).balance == rub(100)


async def test_refunded_top_up_is_taken_back_from_the_balance(shop: InMemoryApp) -> None:
    await customer(shop)
    checkout = await shop.start_checkout(
        telegram_id=TG, provider=YK, purpose=PaymentPurpose.TOP_UP, top_up=rub(200)
    )
    paid = shop.gateways[YK].succeed(checkout.payment_id)
    await shop.confirm_payment(
        provider=YK, provider_payment_id=paid.provider_payment_id, amount=paid.amount
    )

    await shop.refund(payment_id=checkout.payment_id)

    assert (await shop.customer(TG)).balance == rub(0)


async def test_stars_refund_is_found_by_its_charge_id(shop: InMemoryApp) -> None:
    await customer(shop)
    checkout = await shop.start_checkout(
        telegram_id=TG, tariff_code="basic", days=30, provider=PaymentProvider.STARS
    )
    await shop.confirm_payment(
        provider=PaymentProvider.STARS,
        payment_id=checkout.payment_id,
        amount=checkout.quote.total,
        charge_id="tg-charge-1",
    )

    result = await shop.refund(charge_id="tg-charge-1")

    assert result.payment_id == checkout.payment_id
    assert result.outcome is RefundOutcome.REFUNDED
