"""Charge saved payment methods for subscriptions that renew themselves."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from uuid import uuid4

from vpnsales.application.common import enqueue_notify
from vpnsales.application.interactors.payments.pay_from_balance import (
    PayFromBalance,
    PayFromBalanceCommand,
)
from vpnsales.application.policy import ShopPolicy
from vpnsales.application.ports.clock import Clock
from vpnsales.application.ports.outbox import Outbox
from vpnsales.application.ports.payments import (
    CheckoutRequest,
    PaymentGatewayError,
    PaymentGatewayUnavailable,
    ProviderPayment,
    ProviderStatus,
    RecurringPaymentGateway,
)
from vpnsales.application.ports.repositories import (
    CustomerRepository,
    PaymentRepository,
    SubscriptionRepository,
    TariffRepository,
)
from vpnsales.application.ports.telemetry import NO_TELEMETRY, Telemetry
from vpnsales.application.ports.uow import UnitOfWork
from vpnsales.application.ports.worker import PaymentConfirmer
from vpnsales.domain.errors import DomainError
from vpnsales.domain.ids import PaymentId, SubscriptionId, TelegramId
from vpnsales.domain.notifications import Intent, IntentKind
from vpnsales.domain.payment import (
    Payment,
    PaymentProvider,
    PaymentPurpose,
    PaymentStatus,
)
from vpnsales.domain.pricing import make_quote
from vpnsales.domain.subscription import Subscription


@dataclass(frozen=True, slots=True, kw_only=True)
class AutoRenewCommand:
    limit: int = 100


@dataclass(frozen=True, slots=True, kw_only=True)
class AutoRenewResult:
    claimed: int = 0
    charged: int = 0
    pending: int = 0
    """Charge accepted but not final yet (the recheck job finishes it)."""
    failed: int = 0
    skipped: int = 0
    """A renewal payment for this period is already in flight."""


@dataclass(frozen=True, slots=True)
class _FromBalance:
    subscription_id: SubscriptionId
    telegram_id: TelegramId
    tariff_code: str
    days: int


@dataclass(frozen=True, slots=True)
class _Charge:
    payment_id: PaymentId
    subscription_id: SubscriptionId
    provider: PaymentProvider
    method_id: str
    request: CheckoutRequest


class AutoRenew:
    """For each ``auto_renew`` subscription expiring within
    ``policy.auto_renew_days_before`` days, renew the last paid period (or the tariff's
    shortest option):

    * from the balance when it covers the price (``PayFromBalance``, when wired);
    * otherwise by charging the customer's saved payment method: a renewal payment is
      created (transaction), ``charge_saved`` runs OUTSIDE any transaction, and a
      success goes through the confirmation seam.

    On failure the customer is told (``auto_renewal_failed``) and auto-renew is turned
    off so the ordinary reminders apply. A pending renewal payment of the subscription
    blocks a second charge, so two workers (or two runs) never charge one period twice."""

    def __init__(
        self,
        *,
        uow: UnitOfWork,
        subscriptions: SubscriptionRepository,
        payments: PaymentRepository,
        tariffs: TariffRepository,
        customers: CustomerRepository,
        outbox: Outbox,
        gateways: Mapping[PaymentProvider, RecurringPaymentGateway],
        confirmer: PaymentConfirmer,
        clock: Clock,
        policy: ShopPolicy,
        balance: PayFromBalance | None = None,
        telemetry: Telemetry = NO_TELEMETRY,
    ) -> None:
        self._uow = uow
        self._telemetry = telemetry
        self._subscriptions = subscriptions
        self._payments = payments
        self._tariffs = tariffs
        self._customers = customers
        self._outbox = outbox
        self._gateways = gateways
        self._confirmer = confirmer
        self._clock = clock
        self._policy = policy
        self._balance = balance

    async def __call__(self, command: AutoRenewCommand) -> AutoRenewResult:
        now = self._clock.now()
        before = now + timedelta(days=self._policy.auto_renew_days_before)
        batch = await self._subscriptions.claim_for_auto_renewal(now, before, command.limit)
        plans: list[_Charge | _FromBalance] = []
        failures: list[tuple[SubscriptionId, str]] = []
        skipped = 0
        for subscription in batch:
            try:
                plan = await self._prepare(subscription)
            except DomainError as exc:
                failures.append((subscription.id, exc.code))
                continue
            if plan is None:
                skipped += 1
            elif isinstance(plan, str):
                failures.append((subscription.id, plan))
            else:
                plans.append(plan)
        await self._uow.commit()
        for subscription_id, reason in failures:
            await self._fail(subscription_id, None, reason)
        charged = pending = 0
        failed = len(failures)
        for plan in plans:
            if isinstance(plan, _FromBalance):
                outcome = await self._from_balance(plan)
            else:
                outcome = await self._charge(plan)
            if outcome == "charged":
                charged += 1
            elif outcome == "pending":
                pending += 1
            else:
                failed += 1
        return AutoRenewResult(
            claimed=len(batch), charged=charged, pending=pending, failed=failed, skipped=skipped
        )

    async def _prepare(self, subscription: Subscription) -> _Charge | _FromBalance | str | None:
        """What to do: a charge, a balance payment, a failure reason, or None (a renewal
        is already in flight)."""
        history = await self._payments.for_customer(subscription.customer_id, limit=50)
        if any(
            p.auto_renewal
            and p.status is PaymentStatus.PENDING
            and p.subscription_id == subscription.id
            for p in history
        ):
            return None
        tariff = await self._tariffs.get(subscription.tariff_id)
        customer = await self._customers.get(subscription.customer_id)
        if tariff is None or customer is None or not tariff.active or tariff.is_trial:
            return "tariff_unavailable"
        succeeded = sorted(
            (p for p in history if p.status is PaymentStatus.SUCCEEDED),
            key=lambda p: p.created_at,
            reverse=True,
        )
        last_paid = next((p for p in succeeded if p.subscription_id == subscription.id), None)
        days = last_paid.quote.days if last_paid is not None else 0
        option = next((o for o in tariff.options if o.days == days), tariff.options[0])

        base = self._policy.base_currency
        if (
            self._balance is not None
            and base in option.prices
            and customer.balance.currency is base
            and customer.balance >= option.price(base)
        ):
            return _FromBalance(
                subscription_id=subscription.id,
                telegram_id=customer.telegram_id,
                tariff_code=tariff.code,
                days=option.days,
            )

        method = next(
            (
                p
                for p in sorted(succeeded, key=lambda p: p.subscription_id != subscription.id)
                if p.saved_method_id and p.provider in self._gateways
            ),
            None,
        )
        if method is None or method.saved_method_id is None:
            return "no_saved_method"
        currency = method.quote.currency if method.quote.currency in option.prices else base
        quote = make_quote(option.price(currency), tariff_id=tariff.id, days=option.days)
        payment = Payment(
            id=PaymentId(uuid4()),
            customer_id=subscription.customer_id,
            purpose=PaymentPurpose.RENEWAL,
            provider=method.provider,
            quote=quote,
            created_at=self._clock.now(),
            tariff_id=tariff.id,
            subscription_id=subscription.id,
            saved_method_id=method.saved_method_id,
            auto_renewal=True,
        )
        await self._payments.add(payment)
        return _Charge(
            payment_id=payment.id,
            subscription_id=subscription.id,
            provider=payment.provider,
            method_id=method.saved_method_id,
            request=CheckoutRequest(
                payment_id=payment.id,
                amount=quote.total,
                description=f"Auto-renewal: {tariff.code}, {option.days} days",
                telegram_id=customer.telegram_id,
                title=tariff.code,
            ),
        )

    async def _from_balance(self, plan: _FromBalance) -> str:
        assert self._balance is not None
        try:
            await self._balance(
                PayFromBalanceCommand(
                    telegram_id=plan.telegram_id,
                    tariff_code=plan.tariff_code,
                    days=plan.days,
                    purpose=PaymentPurpose.RENEWAL,
                    subscription_id=plan.subscription_id,
                )
            )
        except DomainError as exc:
            await self._uow.rollback()
            await self._fail(plan.subscription_id, None, exc.code)
            return "failed"
        return "charged"

    async def _charge(self, charge: _Charge) -> str:
        gateway = self._gateways[charge.provider]
        try:
            result = await gateway.charge_saved(charge.method_id, charge.request)
        except PaymentGatewayUnavailable:
            return "pending"  # outcome unknown: left pending, stale-payment sweep closes it
        except PaymentGatewayError as exc:
            await self._fail(charge.subscription_id, charge.payment_id, str(exc) or "declined")
            return "failed"
        await self._attach(charge.payment_id, result)
        if result.status is ProviderStatus.SUCCEEDED:
            await self._confirmer.confirm(result)
            return "charged"
        if result.status is ProviderStatus.PENDING:
            return "pending"
        reason = result.failure_reason.value if result.failure_reason else "declined"
        await self._fail(charge.subscription_id, charge.payment_id, reason)
        return "failed"

    async def _attach(self, payment_id: PaymentId, result: ProviderPayment) -> None:
        payment = await self._payments.get(payment_id, for_update=True)
        if payment is not None and payment.provider_payment_id is None:
            payment.attach_provider(result.provider_payment_id, None)
            await self._payments.save(payment)
        await self._uow.commit()

    async def _fail(
        self, subscription_id: SubscriptionId, payment_id: PaymentId | None, reason: str
    ) -> None:
        now = self._clock.now()
        failed: Payment | None = None
        if payment_id is not None:
            payment = await self._payments.get(payment_id, for_update=True)
            if payment is not None and payment.status is PaymentStatus.PENDING:
                payment.mark_failed(now, reason)
                await self._payments.save(payment)
                failed = payment
        subscription = await self._subscriptions.get(subscription_id, for_update=True)
        if subscription is not None:
            subscription.auto_renew = False
            await self._subscriptions.save(subscription)
            await enqueue_notify(
                self._outbox,
                Intent(
                    kind=IntentKind.AUTO_RENEWAL_FAILED,
                    customer_id=subscription.customer_id,
                    subscription_id=subscription.id,
                    payment_id=payment_id,
                    reason=reason,
                    expires_at=subscription.expires_at,
                ),
                now,
            )
        await self._uow.commit()
        if failed is not None:
            self._telemetry.payments_moved(failed)
