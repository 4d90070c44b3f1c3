"""Refund a payment (a provider's refund notice, or the seller from the admin panel).

``mark_refunded`` once; then, per ``policy.refund_mode``, take back the days the payment
added (``shorten``: expires at once when nothing is left) or suspend the subscription.
The access follows the subscription. Balance the payment really debited goes back to the
balance; a refunded top-up is taken back from the balance (as far as it goes, a shortfall
is flagged and alerted), and so is the referrer's balance reward for the payment. The
customer is told (``refunded``). Seller-initiated refunds queue the provider's refund
(outbox PROVIDER_REFUND) in the same transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from uuid import uuid4

from vpnsales.application.common import enqueue_alert, enqueue_notify
from vpnsales.application.interactors.payments._support import (
    find_payment,
    kick,
    resync_accesses,
)
from vpnsales.application.policy import RefundMode, ShopPolicy
from vpnsales.application.ports.clock import Clock
from vpnsales.application.ports.notifier import Alert, AlertKind
from vpnsales.application.ports.outbox import Outbox, OutboxKind, OutboxMessage, TaskKicker
from vpnsales.application.ports.repositories import (
    AccessRepository,
    AuditLog,
    CustomerRepository,
    PaymentRepository,
    SubscriptionRepository,
)
from vpnsales.application.ports.telemetry import NO_TELEMETRY, Telemetry
from vpnsales.application.ports.uow import UnitOfWork
from vpnsales.domain.customer import BalanceReason, Customer
from vpnsales.domain.errors import CustomerNotFound, PaymentNotFound
from vpnsales.domain.ids import PaymentId
from vpnsales.domain.money import Money
from vpnsales.domain.notifications import Intent, IntentKind
from vpnsales.domain.payment import Payment, PaymentProvider, PaymentPurpose
from vpnsales.domain.subscription import SubscriptionStatus, SuspensionReason

LEDGER_SCAN = 1000
"""How far back the ledger is searched for a payment's entries (newest first)."""


class RefundInitiator(StrEnum):
    PROVIDER = "provider"
    """The provider already refunded (webhook, ``refunded_payment``): record it."""
    ADMIN = "admin"
    """The seller refunds: record it and ask the provider (outbox)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class RefundPaymentCommand:
    payment_id: PaymentId | None = None
    provider: PaymentProvider | None = None
    provider_payment_id: str | None = None
    charge_id: str | None = None
    """Telegram Stars ``telegram_payment_charge_id`` (``refunded_payment`` updates)."""
    initiated_by: RefundInitiator = RefundInitiator.PROVIDER
    admin_telegram_id: int | None = None


class RefundOutcome(StrEnum):
    REFUNDED = "refunded"
    ALREADY_REFUNDED = "already_refunded"


@dataclass(frozen=True, slots=True, kw_only=True)
class RefundPaymentResult:
    payment_id: PaymentId
    outcome: RefundOutcome
    days_removed: int = 0
    subscription_status: SubscriptionStatus | None = None


class RefundPayment:
    def __init__(
        self,
        *,
        uow: UnitOfWork,
        customers: CustomerRepository,
        subscriptions: SubscriptionRepository,
        accesses: AccessRepository,
        payments: PaymentRepository,
        outbox: Outbox,
        kicker: TaskKicker,
        audit: AuditLog,
        clock: Clock,
        policy: ShopPolicy,
        telemetry: Telemetry = NO_TELEMETRY,
    ) -> None:
        self._uow = uow
        self._telemetry = telemetry
        self._customers = customers
        self._subscriptions = subscriptions
        self._accesses = accesses
        self._payments = payments
        self._outbox = outbox
        self._kicker = kicker
        self._audit = audit
        self._clock = clock
        self._policy = policy

    async def __call__(self, command: RefundPaymentCommand) -> RefundPaymentResult:
        now = self._clock.now()
        payment = await self._find(command)
        if not payment.mark_refunded(now):
            await self._uow.rollback()
            return RefundPaymentResult(
                payment_id=payment.id, outcome=RefundOutcome.ALREADY_REFUNDED
            )
        customer = await self._customers.get(payment.customer_id, for_update=True)
        if customer is None:
            raise CustomerNotFound(str(payment.customer_id))
        await self._settle_balance(customer, payment)
        await self._customers.save(customer)
        await self._take_back_referral_reward(customer, payment)
        await self._payments.save(payment)

        days_removed, status = await self._take_back_access(payment)

        await enqueue_notify(
            self._outbox,
            Intent(
                kind=IntentKind.REFUNDED,
                customer_id=payment.customer_id,
                payment_id=payment.id,
                subscription_id=payment.subscription_id,
                amount=payment.confirmed_amount or payment.amount,
            ),
            now,
        )
        if command.initiated_by is RefundInitiator.ADMIN:
            await self._queue_provider_refund(payment)
            await self._audit.record(
                actor_telegram_id=command.admin_telegram_id or 0,
                action="refund_payment",
                target=str(payment.id),
                at=now,
                before={"status": "succeeded"},
                after={"status": "refunded", "days_removed": days_removed},
            )
        await self._uow.commit()
        self._telemetry.payments_moved(payment)
        await kick(self._kicker)
        return RefundPaymentResult(
            payment_id=payment.id,
            outcome=RefundOutcome.REFUNDED,
            days_removed=days_removed,
            subscription_status=status,
        )

    async def _find(self, command: RefundPaymentCommand) -> Payment:
        if command.charge_id is not None:
            by_charge = await self._payments.get_by_charge_id(command.charge_id)
            if by_charge is None:
                raise PaymentNotFound(f"no payment with charge id {command.charge_id}")
            return await find_payment(
                self._payments,
                provider=by_charge.provider,
                payment_id=by_charge.id,
                provider_payment_id=None,
            )
        if command.payment_id is not None:
            known = await self._payments.get(command.payment_id)
            return await find_payment(
                self._payments,
                provider=command.provider or (known.provider if known else PaymentProvider.BALANCE),
                payment_id=command.payment_id,
                provider_payment_id=None,
            )
        if command.provider is None or command.provider_payment_id is None:
            raise PaymentNotFound("a refund names our payment id or the provider's")
        return await find_payment(
            self._payments,
            provider=command.provider,
            payment_id=None,
            provider_payment_id=command.provider_payment_id,
        )

    async def _ledger_sum(self, customer: Customer, reason: BalanceReason, reference: str) -> Money:
        total = Money.zero(customer.balance.currency)
        for entry in await self._customers.ledger(customer.id, limit=LEDGER_SCAN):
            if (
                entry.reason is reason
                and entry.reference == reference
                and entry.amount.currency is total.currency
            ):
                total = total + entry.amount
        return total

    async def _settle_balance(self, customer: Customer, payment: Payment) -> None:
        now = self._clock.now()
        # Give back what the purchase really debited: less than quoted when the balance
        # was spent elsewhere between checkout and confirmation ("balance short").
        used = -await self._ledger_sum(customer, BalanceReason.PURCHASE, str(payment.id))
        if not used.is_positive and not (payment.flagged and "balance short" in payment.flagged):
            used = payment.quote.balance_applied  # debited outside the scanned ledger window
        if used.is_positive:
            customer.credit(
                used, BalanceReason.REFUND, now, entry_id=uuid4(), reference=str(payment.id)
            )
        if payment.purpose is PaymentPurpose.TOP_UP:
            paid = payment.confirmed_amount or payment.amount
            if paid.currency is customer.balance.currency:
                take = paid.min(customer.balance)
                if take.is_positive:
                    customer.debit(
                        take, BalanceReason.REFUND, now, entry_id=uuid4(), reference=str(payment.id)
                    )
                if take < paid:  # already spent: the seller must know what was lost
                    note = f"refunded top-up {paid} only taken back up to {take}"
                    payment.flagged = f"{payment.flagged}; {note}" if payment.flagged else note
                    await enqueue_alert(
                        self._outbox,
                        Alert(kind=AlertKind.REFUND, text=f"Payment {payment.id}: {note}."),
                        now,
                        f"refund-short:{payment.id}",
                    )

    async def _take_back_referral_reward(self, customer: Customer, payment: Payment) -> None:
        """The referrer's reward for a refunded payment is taken back: balance as far as
        the balance goes (a shortfall is flagged on the payment for a human), days from
        the subscription they were added to."""
        if customer.referrer_id is None:
            return
        await self._take_back_referrer_days(payment)
        referrer = await self._customers.get(customer.referrer_id, for_update=True)
        if referrer is None:
            return
        reference = f"payment:{payment.id}"
        rewarded = await self._ledger_sum(referrer, BalanceReason.REFERRAL_REWARD, reference)
        if not rewarded.is_positive:
            return
        take = rewarded.min(referrer.balance)
        if take < rewarded:
            note = f"referral reward {rewarded} only taken back up to {take}"
            payment.flagged = f"{payment.flagged}; {note}" if payment.flagged else note
        if take.is_positive:
            referrer.debit(
                take,
                BalanceReason.REFERRAL_REWARD,
                self._clock.now(),
                entry_id=uuid4(),
                reference=reference,
            )
            await self._customers.save(referrer)

    async def _take_back_referrer_days(self, payment: Payment) -> None:
        if payment.referrer_days <= 0 or payment.referrer_subscription_id is None:
            return
        rewarded = await self._subscriptions.get(payment.referrer_subscription_id, for_update=True)
        if rewarded is None or rewarded.status is SubscriptionStatus.CANCELLED:
            return
        now = self._clock.now()
        rewarded.shorten(payment.referrer_days, now)
        await self._subscriptions.save(rewarded)
        await resync_accesses(
            accesses=self._accesses, outbox=self._outbox, subscription=rewarded, now=now
        )

    async def _take_back_access(self, payment: Payment) -> tuple[int, SubscriptionStatus | None]:
        if payment.purpose is PaymentPurpose.TOP_UP or payment.subscription_id is None:
            return 0, None
        subscription = await self._subscriptions.get(payment.subscription_id, for_update=True)
        if subscription is None or subscription.status is SubscriptionStatus.CANCELLED:
            return 0, None
        now = self._clock.now()
        days = 0
        if self._policy.refund_mode is RefundMode.SUSPEND:
            # also marks a ban-suspended subscription as held by the refund
            subscription.suspend(SuspensionReason.REFUND)
        else:
            days = payment.quote.days + payment.quote.bonus_days
            if days > 0:
                subscription.shorten(days, now)
        await self._subscriptions.save(subscription)
        await resync_accesses(
            accesses=self._accesses, outbox=self._outbox, subscription=subscription, now=now
        )
        return days, subscription.status

    async def _queue_provider_refund(self, payment: Payment) -> None:
        if payment.provider is PaymentProvider.BALANCE or not payment.amount.is_positive:
            return
        now = self._clock.now()
        amount = payment.confirmed_amount or payment.amount
        await self._outbox.add(
            OutboxMessage(
                id=uuid4(),
                kind=OutboxKind.PROVIDER_REFUND,
                payload={
                    "payment_id": str(payment.id),
                    "provider": payment.provider.value,
                    "provider_payment_id": payment.provider_payment_id,
                    "amount": str(amount.amount),
                    "currency": amount.currency.value,
                },
                created_at=now,
                due_at=now,
                dedup_key=f"refund:{payment.id}",
            )
        )
