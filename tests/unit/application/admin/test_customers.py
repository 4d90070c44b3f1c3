"""Customer support: find + card, ban/unban, grant/take days, resync, message, refund."""

from __future__ import annotations

from datetime import timedelta
from uuid import uuid4

import pytest

from vpnsales.application.interactors.admin.ban_customer import BanCustomer, BanCustomerCommand
from vpnsales.application.interactors.admin.find_customer import (
    CustomerCard,
    FindCustomer,
    FindCustomerCommand,
)
from vpnsales.application.interactors.admin.grant_days import GrantDays, GrantDaysCommand
from vpnsales.application.interactors.admin.message_customer import (
    MessageCustomer,
    MessageCustomerCommand,
)
from vpnsales.application.interactors.admin.refund_payment import (
    RefundPayment,
    RefundPaymentCommand,
)
from vpnsales.application.interactors.admin.resync_customer import (
    ResyncCustomer,
    ResyncCustomerCommand,
)
from vpnsales.application.interactors.admin.take_days import TakeDays, TakeDaysCommand
from vpnsales.application.interactors.admin.unban_customer import (
    UnbanCustomer,
    UnbanCustomerCommand,
)
from vpnsales.application.interactors.payments.refund_payment import (
    RefundOutcome,
    RefundPaymentResult,
)
from vpnsales.application.policy import RefundMode
from vpnsales.application.ports.outbox import OutboxKind
from vpnsales.application.ports.panels import PanelAccountStatus
from vpnsales.domain.access import DesiredState, SyncStatus
from vpnsales.domain.customer import BalanceReason
from vpnsales.domain.errors import CustomerNotFound, InvalidPaymentTransition, InvalidValue
from vpnsales.domain.ids import CustomerId, PaymentId, SubscriptionId
from vpnsales.domain.notifications import IntentKind
from vpnsales.domain.payment import Payment, PaymentProvider, PaymentPurpose, PaymentStatus
from vpnsales.domain.pricing import make_quote
from vpnsales.domain.subscription import SubscriptionStatus
from vpnsales.testing.app import build_in_memory_app
from vpnsales.testing.builders import a_customer, rub

from .conftest import OWNER, SUPPORT, AdminKit, Seeded


async def _paid(
    kit: AdminKit,
    customer_id: CustomerId,
    subscription_id: SubscriptionId | None,
    *,
    provider: PaymentProvider = PaymentProvider.YOOKASSA,
    balance_applied: int = 0,
    purpose: PaymentPurpose = PaymentPurpose.NEW,
) -> Payment:
    quote = make_quote(
        rub(300),
        tariff_id=None,
        days=30,
        balance=rub(balance_applied) if balance_applied else None,
    )
    payment = Payment(
        id=PaymentId(uuid4()),
        customer_id=customer_id,
        purpose=purpose,
        provider=provider,
        quote=quote,
        created_at=kit.now,
        subscription_id=subscription_id,
        provider_payment_id=f"yk-{uuid4().hex[:8]}",
    )
    payment.mark_succeeded(quote.total, kit.now)
    async with kit.app.scope() as p:
        await p.payments.add(payment)
        await p.uow.commit()
    return payment


async def test_find_customer_by_telegram_id_or_username_shows_the_card(kit: AdminKit) -> None:
    customer = await kit.app.add_customer(
        a_customer(telegram_id=555, username="Alice", created_at=kit.now, balance=rub(40))
    )
    await kit.app.add_customer(a_customer(referrer_id=customer.id, created_at=kit.now))
    seeded = await kit.seed(customer=customer)
    payment = await _paid(kit, customer.id, seeded.subscription.id)

    by_id: CustomerCard = await kit.run(
        FindCustomer, FindCustomerCommand(actor_telegram_id=SUPPORT, query="555")
    )
    by_name: CustomerCard = await kit.run(
        FindCustomer, FindCustomerCommand(actor_telegram_id=OWNER, query="@alice")
    )

    assert by_id.customer_id == by_name.customer_id == customer.id
    assert by_id.balance == rub(40)
    [subscription] = by_id.subscriptions
    assert subscription.subscription_id == seeded.subscription.id
    assert subscription.access is not None
    assert subscription.access.sync is SyncStatus.IN_SYNC
    assert [p.payment_id for p in by_id.payments] == [payment.id]
    assert by_id.referrals.invited == 1
    assert [e.actor_telegram_id for e in kit.audit("customer.view")] == [SUPPORT, OWNER]


async def test_find_unknown_customer_fails(kit: AdminKit) -> None:
    with pytest.raises(CustomerNotFound):
        await kit.run(FindCustomer, FindCustomerCommand(actor_telegram_id=OWNER, query="@ghost"))


async def test_ban_suspends_and_disables_then_unban_reactivates(kit: AdminKit) -> None:
    seeded = await kit.seed()
    telegram_id = str(seeded.customer.telegram_id)

    banned = await kit.run(
        BanCustomer,
        BanCustomerCommand(actor_telegram_id=OWNER, customer=telegram_id, reason="fraud"),
    )

    assert (banned.changed, banned.subscriptions_suspended) == (True, 1)
    assert (await kit.app.customer(seeded.customer.id)).banned
    subscription = await kit.app.get("subscriptions", seeded.subscription.id)
    assert subscription.status is SubscriptionStatus.SUSPENDED
    access = await kit.app.get("accesses", seeded.access.id)
    assert access.desired is DesiredState.DISABLED
    await kit.app.run_outbox()
    account = kit.app.panel.account(seeded.access.username)
    assert account is not None
    assert account.status is PanelAccountStatus.DISABLED
    again = await kit.run(
        BanCustomer, BanCustomerCommand(actor_telegram_id=OWNER, customer=telegram_id)
    )
    assert again.changed is False

    unbanned = await kit.run(
        UnbanCustomer, UnbanCustomerCommand(actor_telegram_id=OWNER, customer=telegram_id)
    )

    assert (unbanned.changed, unbanned.reactivated) == (True, 1)
    assert (await kit.app.get("subscriptions", seeded.subscription.id)).is_live
    await kit.app.run_outbox()
    assert account.status is PanelAccountStatus.ACTIVE
    [ban] = kit.audit("customer.ban")
    assert ban.before == {"banned": False}
    assert ban.after["suspended"] == [str(seeded.subscription.id)]
    assert len(kit.audit("customer.unban")) == 1


async def test_unban_after_the_period_ran_out_leaves_it_expired(kit: AdminKit) -> None:
    seeded = await kit.seed(days=1)
    ref = str(seeded.customer.telegram_id)
    await kit.run(BanCustomer, BanCustomerCommand(actor_telegram_id=OWNER, customer=ref))
    kit.app.clock.advance(days=2)

    result = await kit.run(
        UnbanCustomer, UnbanCustomerCommand(actor_telegram_id=OWNER, customer=ref)
    )

    assert result.reactivated == 0
    subscription = await kit.app.get("subscriptions", seeded.subscription.id)
    assert subscription.status is SubscriptionStatus.EXPIRED


async def test_grant_days_extends_and_reactivates_an_expired_subscription(
    kit: AdminKit,
) -> None:
    seeded = await kit.seed(days=1)
    kit.app.clock.advance(days=3)
    async with kit.app.scope() as p:
        sub = await p.subscriptions.get(seeded.subscription.id, for_update=True)
        assert sub is not None
        sub.expire(kit.now)
        await p.subscriptions.save(sub)
        for access in await p.accesses.for_subscription(sub.id, for_update=True):
            access.desire(DesiredState.DISABLED)
            await p.accesses.save(access)
        await p.uow.commit()

    result = await kit.run(
        GrantDays,
        GrantDaysCommand(
            actor_telegram_id=OWNER, customer=str(seeded.customer.telegram_id), days=10
        ),
    )

    assert result.live
    assert result.expires_at == kit.now + timedelta(days=10)
    access = await kit.app.get("accesses", seeded.access.id)
    assert access.desired is DesiredState.ENABLED
    await kit.app.run_outbox()
    account = kit.app.panel.account(seeded.access.username)
    assert account is not None
    assert account.status is PanelAccountStatus.ACTIVE
    assert account.expires_at == result.expires_at
    assert IntentKind.DAYS_GRANTED in kit.app.notifier.kinds()
    [entry] = kit.audit("subscription.grant_days")
    assert entry.after["days"] == 10


async def test_take_days_shortens_and_expires_when_nothing_is_left(kit: AdminKit) -> None:
    seeded = await kit.seed(days=5)
    ref = str(seeded.customer.telegram_id)

    shorter = await kit.run(
        TakeDays, TakeDaysCommand(actor_telegram_id=OWNER, customer=ref, days=2)
    )
    assert shorter.live
    assert shorter.expires_at == seeded.subscription.expires_at - timedelta(days=2)

    gone = await kit.run(TakeDays, TakeDaysCommand(actor_telegram_id=OWNER, customer=ref, days=5))
    assert not gone.live
    access = await kit.app.get("accesses", seeded.access.id)
    assert access.desired is DesiredState.DISABLED
    assert len(kit.audit("subscription.take_days")) == 2
    with pytest.raises(InvalidValue):
        await kit.run(TakeDays, TakeDaysCommand(actor_telegram_id=OWNER, customer=ref, days=0))


async def test_resync_queues_a_fresh_sync_for_each_access(kit: AdminKit) -> None:
    seeded = await kit.seed()
    second = await kit.seed(customer=seeded.customer)
    kit.app.panel.drop_account(seeded.access.username)
    before = len(kit.app.outbox(OutboxKind.SYNC_ACCESS))

    queued = await kit.run(
        ResyncCustomer,
        ResyncCustomerCommand(actor_telegram_id=SUPPORT, customer=str(seeded.customer.telegram_id)),
    )

    assert queued == 2
    assert len(kit.app.outbox(OutboxKind.SYNC_ACCESS)) == before + 2
    await kit.app.run_outbox()
    assert kit.app.panel.account(seeded.access.username) is not None
    assert kit.app.panel.account(second.access.username) is not None
    [entry] = kit.audit("customer.resync")
    assert entry.actor_telegram_id == SUPPORT


async def test_message_customer_goes_through_the_outbox(kit: AdminKit) -> None:
    customer = await kit.app.add_customer(a_customer(username="bob", created_at=kit.now))

    await kit.run(
        MessageCustomer,
        MessageCustomerCommand(actor_telegram_id=SUPPORT, customer="@bob", text="Hi Bob"),
    )

    [message] = kit.app.outbox(OutboxKind.SEND_MESSAGE)
    assert message.payload == {"customer_id": str(customer.id), "text": "Hi Bob"}
    await kit.app.run_outbox()
    assert [d.text for d in kit.app.notifier.deliveries] == ["Hi Bob"]
    assert len(kit.audit("customer.message")) == 1
    with pytest.raises(InvalidValue):
        await kit.run(
            MessageCustomer,
            MessageCustomerCommand(actor_telegram_id=SUPPORT, customer="@bob", text="  "),
        )


async def _refund(kit: AdminKit, payment_id: PaymentId) -> RefundPaymentResult:
    result: RefundPaymentResult = await kit.run(
        RefundPayment,
        RefundPaymentCommand(actor_telegram_id=OWNER, payment_id=payment_id),
    )
    return result


async def test_refund_takes_the_period_back_and_refunds_at_the_provider(
    kit: AdminKit,
) -> None:
    seeded = await kit.seed(days=30)
    payment = await _paid(kit, seeded.customer.id, seeded.subscription.id)

    result = await _refund(kit, payment.id)

    assert result.outcome is RefundOutcome.REFUNDED
    assert result.days_removed == 30
    assert (await kit.app.get("payments", payment.id)).status is PaymentStatus.REFUNDED
    subscription = await kit.app.get("subscriptions", seeded.subscription.id)
    assert subscription.status is SubscriptionStatus.EXPIRED
    assert (await kit.app.get("accesses", seeded.access.id)).desired is DesiredState.DISABLED
    [message] = kit.app.outbox(OutboxKind.PROVIDER_REFUND)
    assert message.payload["amount"] == "300.00"
    assert any(m.payload["kind"] == "refunded" for m in kit.app.outbox(OutboxKind.NOTIFY))
    [entry] = kit.audit("refund_payment")
    assert entry.actor_telegram_id == OWNER
    assert entry.before["status"] == "succeeded"
    assert entry.after["status"] == "refunded"

    again = await _refund(kit, payment.id)
    assert again.outcome is RefundOutcome.ALREADY_REFUNDED
    assert len(kit.app.outbox(OutboxKind.PROVIDER_REFUND)) == 1


async def test_refund_in_suspend_mode_suspends(kit: AdminKit) -> None:
    kit.app = build_in_memory_app(refund_mode=RefundMode.SUSPEND)
    from vpnsales.application.ports.admin import AdminRole

    await kit.add_admin(OWNER, AdminRole.OWNER)
    seeded: Seeded = await kit.seed(days=30)
    payment = await _paid(kit, seeded.customer.id, seeded.subscription.id)

    await _refund(kit, payment.id)

    subscription = await kit.app.get("subscriptions", seeded.subscription.id)
    assert subscription.status is SubscriptionStatus.SUSPENDED


async def test_refund_gives_the_balance_part_back_to_the_balance(kit: AdminKit) -> None:
    customer = await kit.app.add_customer(a_customer(created_at=kit.now))
    seeded = await kit.seed(customer=customer)
    payment = await _paid(
        kit,
        customer.id,
        seeded.subscription.id,
        provider=PaymentProvider.BALANCE,
        balance_applied=300,
    )

    result = await _refund(kit, payment.id)

    assert result.outcome is RefundOutcome.REFUNDED
    assert not kit.app.outbox(OutboxKind.PROVIDER_REFUND)
    refreshed = await kit.app.customer(customer.id)
    assert refreshed.balance == rub(300)
    entries = [e for e in kit.app.rows("ledger") if e.customer_id == customer.id]
    assert [e.reason for e in entries] == [BalanceReason.REFUND]


async def test_only_a_succeeded_payment_can_be_refunded(kit: AdminKit) -> None:
    customer = await kit.app.add_customer(a_customer(created_at=kit.now))
    payment = Payment(
        id=PaymentId(uuid4()),
        customer_id=customer.id,
        purpose=PaymentPurpose.NEW,
        provider=PaymentProvider.YOOKASSA,
        quote=make_quote(rub(300), tariff_id=None, days=30),
        created_at=kit.now,
    )
    async with kit.app.scope() as p:
        await p.payments.add(payment)
        await p.uow.commit()

    with pytest.raises(InvalidPaymentTransition):
        await _refund(kit, payment.id)
    assert not kit.audit("refund_payment")
