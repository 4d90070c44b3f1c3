"""Confirm a payment: provider-agnostic and idempotent.

Input is what a provider (webhook, re-check, Stars ``successful_payment``) confirmed: our
payment id or the provider's, the amount, optionally the Stars charge id and a saved
payment method. Under ``for_update`` the payment moves to ``succeeded`` once; the purchase,
balance, referral reward, outbox syncs and notifications are written in the SAME
transaction. A repeated confirmation changes nothing. A confirmed amount that differs from
the quote flags the payment, alerts the seller and credits nothing. A confirmation of a
payment we had closed locally (stale sweep, lost cancel race) is credited — the provider
holds the money — and flagged, and the seller is alerted.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from vpnsales.application.common import enqueue_alert
from vpnsales.application.interactors.payments._support import Fulfilment, find_payment, kick
from vpnsales.application.policy import ShopPolicy
from vpnsales.application.ports.clock import Clock
from vpnsales.application.ports.notifier import Alert, AlertKind
from vpnsales.application.ports.outbox import Outbox, TaskKicker
from vpnsales.application.ports.panels import PanelRegistry
from vpnsales.application.ports.repositories import (
    AccessRepository,
    CustomerRepository,
    PaymentRepository,
    PromoCodeRepository,
    Redemption,
    SubscriptionRepository,
    TariffRepository,
)
from vpnsales.application.ports.telemetry import NO_TELEMETRY, PaymentAnomaly, Telemetry
from vpnsales.application.ports.uow import UnitOfWork
from vpnsales.domain.errors import (
    DomainError,
    InvalidPaymentTransition,
    PaymentAmountMismatch,
)
from vpnsales.domain.ids import PaymentId, SubscriptionId
from vpnsales.domain.money import Money
from vpnsales.domain.payment import Payment, PaymentProvider, PaymentStatus


@dataclass(frozen=True, slots=True, kw_only=True)
class ConfirmPaymentCommand:
    provider: PaymentProvider
    amount: Money
    """What the provider confirmed (fetched, never taken from an unverified body)."""
    payment_id: PaymentId | None = None
    provider_payment_id: str | None = None
    charge_id: str | None = None
    """Telegram Stars ``telegram_payment_charge_id``."""
    refund_reference: str | None = None
    """Stars: what a later refund needs (``"{user_id}:{charge_id}"``); stored as the
    payment's provider id once it succeeds (Telegram has no payment id before that)."""
    saved_method_id: str | None = None


class ConfirmOutcome(StrEnum):
    CONFIRMED = "confirmed"
    ALREADY_PROCESSED = "already_processed"
    AMOUNT_MISMATCH = "amount_mismatch"
    """Flagged for a human; nothing credited."""
    LATE = "late"
    """Not credited for a human to decide. A confirmation (right amount) of a payment we
    had already closed locally is credited (CONFIRMED) and flagged instead."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ConfirmPaymentResult:
    payment_id: PaymentId
    outcome: ConfirmOutcome
    subscription_id: SubscriptionId | None = None
    reactivated: bool = False


class ConfirmPayment:
    def __init__(
        self,
        *,
        uow: UnitOfWork,
        customers: CustomerRepository,
        tariffs: TariffRepository,
        subscriptions: SubscriptionRepository,
        accesses: AccessRepository,
        payments: PaymentRepository,
        promos: PromoCodeRepository,
        outbox: Outbox,
        kicker: TaskKicker,
        panels: PanelRegistry,
        clock: Clock,
        policy: ShopPolicy,
        telemetry: Telemetry = NO_TELEMETRY,
    ) -> None:
        self._uow = uow
        self._customers = customers
        self._telemetry = telemetry
        self._promos = promos
        self._payments = payments
        self._outbox = outbox
        self._kicker = kicker
        self._clock = clock
        self._fulfilment = Fulfilment(
            customers=customers,
            tariffs=tariffs,
            subscriptions=subscriptions,
            accesses=accesses,
            outbox=outbox,
            panels=panels,
            policy=policy,
        )

    async def __call__(self, command: ConfirmPaymentCommand) -> ConfirmPaymentResult:
        now = self._clock.now()
        payment = await find_payment(
            self._payments,
            provider=command.provider,
            payment_id=command.payment_id,
            provider_payment_id=command.provider_payment_id,
        )
        if command.provider_payment_id and payment.provider_payment_id is None:
            payment.attach_provider(command.provider_payment_id, payment.pay_url)
        try:
            first = payment.mark_succeeded(
                command.amount,
                now,
                charge_id=command.charge_id,
                saved_method_id=command.saved_method_id,
            )
        except PaymentAmountMismatch:
            return await self._flag(
                payment, AlertKind.AMOUNT_MISMATCH, ConfirmOutcome.AMOUNT_MISMATCH, command
            )
        except InvalidPaymentTransition:
            # Closed here (expired/cancelled/failed) but the provider holds the money: the
            # customer gets what they paid for (when the promo price still holds), and
            # the seller is told.
            if command.amount == payment.amount and not await self._reclaim_promo(payment, now):
                return await self._flag(
                    payment, AlertKind.LATE_PAYMENT, ConfirmOutcome.LATE, command
                )
            try:
                payment.accept_late_confirmation(
                    command.amount,
                    now,
                    charge_id=command.charge_id,
                    saved_method_id=command.saved_method_id,
                )
            except PaymentAmountMismatch:
                return await self._flag(
                    payment, AlertKind.AMOUNT_MISMATCH, ConfirmOutcome.AMOUNT_MISMATCH, command
                )
            except InvalidPaymentTransition:
                return await self._flag(
                    payment, AlertKind.LATE_PAYMENT, ConfirmOutcome.LATE, command
                )
            await self._alert_late(payment, command, now)
            first = True
        if not first:
            await self._uow.rollback()
            return ConfirmPaymentResult(
                payment_id=payment.id,
                outcome=ConfirmOutcome.ALREADY_PROCESSED,
                subscription_id=payment.subscription_id,
            )
        if command.refund_reference:
            payment.provider_payment_id = command.refund_reference
        fulfilled = await self._fulfilment.apply(payment, now)
        await self._payments.save(payment)
        await self._uow.commit()
        self._telemetry.payments_moved(payment)
        await kick(self._kicker)
        return ConfirmPaymentResult(
            payment_id=payment.id,
            outcome=ConfirmOutcome.CONFIRMED,
            subscription_id=fulfilled.subscription_id,
            reactivated=fulfilled.reactivated,
        )

    async def _reclaim_promo(self, payment: Payment, now: datetime) -> bool:
        """Take back the promo use released when the payment was closed; False when the
        code is gone or its limits are reached (then a human decides)."""
        code = payment.quote.promo_code
        if not code:
            return True
        if payment.status not in (
            PaymentStatus.CANCELED,
            PaymentStatus.EXPIRED,
            PaymentStatus.FAILED,
        ):
            return True  # accept_late_confirmation refuses it
        # the same lock order as checkout (customer, then promo)
        await self._customers.get(payment.customer_id, for_update=True)
        promo = await self._promos.get_by_code(code, for_update=True)
        if promo is None:
            payment.flagged = _noted(payment, f"promo {code} no longer exists")
            return False
        if await self._promos.remove_redemption(promo.id, payment.id):
            promo.release()  # never released when it was closed: count it once, not twice
        uses = await self._promos.customer_uses(promo.id, payment.customer_id)
        try:
            promo.reclaim(customer_uses=uses)
            await self._promos.save(promo)
            await self._promos.add_redemption(
                Redemption(
                    promo_id=promo.id,
                    customer_id=payment.customer_id,
                    redeemed_at=now,
                    payment_id=payment.id,
                    single_use=promo.max_uses_per_customer == 1,
                )
            )
        except DomainError as exc:
            payment.flagged = _noted(payment, f"promo {code} unavailable ({exc.code})")
            return False
        return True

    async def _alert_late(
        self, payment: Payment, command: ConfirmPaymentCommand, now: datetime
    ) -> None:
        text = (
            f"Payment {payment.id} ({payment.provider} {payment.provider_payment_id}) of "
            f"customer {payment.customer_id} was confirmed ({command.amount}) after it had "
            "been closed here; it was credited."
        )
        await enqueue_alert(
            self._outbox, Alert(kind=AlertKind.LATE_PAYMENT, text=text), now, f"late:{payment.id}"
        )

    async def _flag(
        self,
        payment: Payment,
        kind: AlertKind,
        outcome: ConfirmOutcome,
        command: ConfirmPaymentCommand,
    ) -> ConfirmPaymentResult:
        now = self._clock.now()
        await self._payments.save(payment)
        text = (
            f"Payment {payment.id} ({payment.provider} {payment.provider_payment_id}) of "
            f"customer {payment.customer_id}: {payment.flagged}; confirmed {command.amount}. "
            "Nothing was credited."
        )
        await enqueue_alert(
            self._outbox, Alert(kind=kind, text=text), now, f"{outcome.value}:{payment.id}"
        )
        await self._uow.commit()
        self._telemetry.payment_flagged(payment, PaymentAnomaly(outcome.value))
        await kick(self._kicker)
        return ConfirmPaymentResult(
            payment_id=payment.id, outcome=outcome, subscription_id=payment.subscription_id
        )


def _noted(payment: Payment, note: str) -> str:
    return f"{payment.flagged}; {note}" if payment.flagged else note
