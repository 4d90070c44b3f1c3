"""Ban / unban / refund suspensions, and a payment confirmed for a banned customer."""

from __future__ import annotations

from vpnsales.application.interactors.admin.ban_customer import BanCustomer, BanCustomerCommand
from vpnsales.application.interactors.admin.unban_customer import (
    UnbanCustomer,
    UnbanCustomerCommand,
)
from vpnsales.application.policy import RefundMode
from vpnsales.application.ports.outbox import OutboxKind
from vpnsales.domain.access import DesiredState
from vpnsales.domain.payment import PaymentStatus
from vpnsales.domain.subscription import SubscriptionStatus, SuspensionReason
from vpnsales.testing.app import InMemoryApp

from .conftest import OWNER, TG, YK, make_app, run


async def _ban(app: InMemoryApp) -> None:
    await run(app, BanCustomer, BanCustomerCommand(actor_telegram_id=OWNER, customer=str(TG)))


async def _unban(app: InMemoryApp) -> None:
    await run(app, UnbanCustomer, UnbanCustomerCommand(actor_telegram_id=OWNER, customer=str(TG)))


async def test_unban_does_not_lift_a_refund_suspension() -> None:
    app = await make_app(refund_mode=RefundMode.SUSPEND)
    await app.register(telegram_id=TG)
    paid = await app.buy(TG, "basic")
    await app.refund(payment_id=paid.payment_id)
    await _ban(app)

    await _unban(app)

    sub = await app.get("subscriptions", paid.subscription_id)
    assert sub.status is SubscriptionStatus.SUSPENDED
    assert sub.suspended_reason is SuspensionReason.REFUND
    (access,) = app.rows("accesses")
    assert access.desired is DesiredState.DISABLED


async def test_a_refund_while_banned_survives_the_unban() -> None:
    app = await make_app(refund_mode=RefundMode.SUSPEND)
    await app.register(telegram_id=TG)
    paid = await app.buy(TG, "basic")
    await _ban(app)
    await app.refund(payment_id=paid.payment_id)

    await _unban(app)

    sub = await app.get("subscriptions", paid.subscription_id)
    assert sub.status is SubscriptionStatus.SUSPENDED
    assert sub.suspended_reason is SuspensionReason.REFUND


async def test_unban_restores_what_the_ban_suspended(app: InMemoryApp) -> None:
    await app.register(telegram_id=TG)
    paid = await app.buy(TG, "basic")
    await _ban(app)
    banned = await app.get("subscriptions", paid.subscription_id)
    assert banned.suspended_reason is SuspensionReason.BAN

    await _unban(app)

    sub = await app.get("subscriptions", paid.subscription_id)
    assert sub.status is SubscriptionStatus.ACTIVE
    assert sub.suspended_reason is None


async def test_payment_confirmed_after_a_ban_is_credited_but_not_enabled(
    app: InMemoryApp,
) -> None:
    await app.register(telegram_id=TG)
    checkout = await app.start_checkout(telegram_id=TG, tariff_code="basic", days=30, provider=YK)
    await _ban(app)
    paid = app.gateways[YK].succeed(checkout.payment_id)

    result = await app.confirm_payment(
        provider=YK, provider_payment_id=paid.provider_payment_id, amount=paid.amount
    )

    payment = await app.get("payments", checkout.payment_id)
    assert payment.status is PaymentStatus.SUCCEEDED  # the money was taken: keep it on record
    assert payment.flagged
    sub = await app.get("subscriptions", result.subscription_id)
    assert sub.status is SubscriptionStatus.SUSPENDED
    assert sub.suspended_reason is SuspensionReason.BAN
    assert all(a.desired is not DesiredState.ENABLED for a in app.rows("accesses"))
    assert app.outbox(OutboxKind.ADMIN_ALERT)

    await _unban(app)  # the paid period comes back with the customer

    assert (await app.get("subscriptions", result.subscription_id)).is_live
