"""Payment: one attempt to pay for a quote.

``pending → succeeded | canceled | expired | failed``; ``succeeded → refunded``.
``succeeded`` happens once, whatever the number of notifications; the confirmed amount
and currency must equal the quote or the payment is flagged and not credited.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from vpnsales.domain.errors import InvalidPaymentTransition, PaymentAmountMismatch
from vpnsales.domain.ids import CustomerId, PaymentId, SubscriptionId, TariffId
from vpnsales.domain.money import Money
from vpnsales.domain.pricing import Quote
from vpnsales.domain.time import ensure_aware


class PaymentProvider(StrEnum):
    YOOKASSA = "yookassa"
    CRYPTOPAY = "cryptopay"
    STARS = "stars"
    BALANCE = "balance"


class PaymentStatus(StrEnum):
    PENDING = "pending"
    SUCCEEDED = "succeeded"
    CANCELED = "canceled"
    EXPIRED = "expired"
    FAILED = "failed"
    REFUNDED = "refunded"

    @property
    def is_final(self) -> bool:
        return self is not PaymentStatus.PENDING and self is not PaymentStatus.SUCCEEDED


class PaymentPurpose(StrEnum):
    NEW = "new"
    RENEWAL = "renewal"
    PLAN_CHANGE = "plan_change"
    TOP_UP = "top_up"


@dataclass(eq=False, slots=True, kw_only=True)
class Payment:
    id: PaymentId
    customer_id: CustomerId
    purpose: PaymentPurpose
    provider: PaymentProvider
    quote: Quote
    created_at: datetime
    status: PaymentStatus = PaymentStatus.PENDING
    tariff_id: TariffId | None = None
    subscription_id: SubscriptionId | None = None
    """The subscription renewed/changed, or the one created once it succeeded."""
    provider_payment_id: str | None = None
    pay_url: str | None = None
    telegram_charge_id: str | None = None
    confirmed_amount: Money | None = None
    succeeded_at: datetime | None = None
    updated_at: datetime | None = None
    failure_reason: str | None = None
    flagged: str | None = None
    """Why the payment needs a human (amount mismatch, late confirmation)."""
    saved_method_id: str | None = None
    auto_renewal: bool = False
    refunded_at: datetime | None = None
    referrer_days: int = 0
    """Days this payment earned the customer's referrer (a refund takes them back)..."""
    referrer_subscription_id: SubscriptionId | None = None
    """...from this subscription of the referrer's."""

    def __post_init__(self) -> None:
        ensure_aware(self.created_at)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Payment) and other.id == self.id

    def __hash__(self) -> int:
        return hash(self.id)

    @property
    def amount(self) -> Money:
        """What the provider must confirm."""
        return self.quote.total

    def attach_provider(self, provider_payment_id: str, pay_url: str | None) -> None:
        self.provider_payment_id = provider_payment_id
        self.pay_url = pay_url

    def is_stale(self, now: datetime, ttl: timedelta) -> bool:
        return self.status is PaymentStatus.PENDING and self.created_at + ttl <= now

    def mark_succeeded(
        self,
        confirmed: Money,
        now: datetime,
        *,
        charge_id: str | None = None,
        saved_method_id: str | None = None,
    ) -> bool:
        """Move to ``succeeded``. Returns False (no-op) when it already succeeded:
        repeated notifications credit nothing. Raises on amount/currency mismatch
        (after flagging) and on a confirmation of a payment that is no longer pending."""
        now = ensure_aware(now)
        if self.status is PaymentStatus.SUCCEEDED or self.status is PaymentStatus.REFUNDED:
            return False
        if self.status is not PaymentStatus.PENDING:
            self.flagged = f"late confirmation of a {self.status} payment"
            raise InvalidPaymentTransition(f"cannot succeed a {self.status} payment")
        if confirmed.currency is not self.amount.currency or confirmed.amount != self.amount.amount:
            self.flagged = f"amount mismatch: expected {self.amount}, confirmed {confirmed}"
            self.updated_at = now
            raise PaymentAmountMismatch(self.flagged)
        self.status = PaymentStatus.SUCCEEDED
        self.confirmed_amount = confirmed
        self.succeeded_at = now
        self.updated_at = now
        self.telegram_charge_id = charge_id or self.telegram_charge_id
        self.saved_method_id = saved_method_id or self.saved_method_id
        return True

    def accept_late_confirmation(
        self,
        confirmed: Money,
        now: datetime,
        *,
        charge_id: str | None = None,
        saved_method_id: str | None = None,
    ) -> None:
        """The provider took the money after we closed the payment locally (stale sweep,
        a gateway error that was not one, a cancel that lost the race): it succeeds after
        all, flagged for the seller. The amount and currency must still match."""
        now = ensure_aware(now)
        closed = self.status
        if closed not in (PaymentStatus.CANCELED, PaymentStatus.EXPIRED, PaymentStatus.FAILED):
            raise InvalidPaymentTransition(f"cannot succeed a {closed} payment late")
        if confirmed.currency is not self.amount.currency or confirmed.amount != self.amount.amount:
            self.flagged = f"amount mismatch: expected {self.amount}, confirmed {confirmed}"
            self.updated_at = now
            raise PaymentAmountMismatch(self.flagged)
        self.status = PaymentStatus.SUCCEEDED
        self.flagged = f"late confirmation of a {closed} payment: credited"
        self.confirmed_amount = confirmed
        self.succeeded_at = now
        self.updated_at = now
        self.telegram_charge_id = charge_id or self.telegram_charge_id
        self.saved_method_id = saved_method_id or self.saved_method_id

    def _close(self, status: PaymentStatus, now: datetime, reason: str | None) -> bool:
        now = ensure_aware(now)
        if self.status is status:
            return False
        if self.status is not PaymentStatus.PENDING:
            raise InvalidPaymentTransition(f"cannot move a {self.status} payment to {status}")
        self.status = status
        self.failure_reason = reason
        self.updated_at = now
        return True

    def mark_canceled(self, now: datetime, reason: str | None = None) -> bool:
        return self._close(PaymentStatus.CANCELED, now, reason)

    def mark_expired(self, now: datetime) -> bool:
        return self._close(PaymentStatus.EXPIRED, now, "expired")

    def mark_failed(self, now: datetime, reason: str | None = None) -> bool:
        return self._close(PaymentStatus.FAILED, now, reason)

    def mark_refunded(self, now: datetime) -> bool:
        """Only a succeeded payment can be refunded; a repeat is a no-op."""
        now = ensure_aware(now)
        if self.status is PaymentStatus.REFUNDED:
            return False
        if self.status is not PaymentStatus.SUCCEEDED:
            raise InvalidPaymentTransition(f"cannot refund a {self.status} payment")
        self.status = PaymentStatus.REFUNDED
        self.refunded_at = now
        self.updated_at = now
        return True
