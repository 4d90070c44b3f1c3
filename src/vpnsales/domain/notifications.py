"""Notification intents: data, not text. Rendered at the edge in the customer's language."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from vpnsales.domain.ids import AccessId, CustomerId, PaymentId, SubscriptionId
from vpnsales.domain.money import Money


class IntentKind(StrEnum):
    EXPIRING_SOON = "expiring_soon"
    EXPIRED = "expired"
    ACCESS_READY = "access_ready"
    REACTIVATED = "reactivated"
    PAYMENT_RECEIVED = "payment_received"
    PAYMENT_FAILED = "payment_failed"
    REFUNDED = "refunded"
    REFERRAL_REWARD = "referral_reward"
    TRAFFIC_THRESHOLD = "traffic_threshold"
    AUTO_RENEWAL_FAILED = "auto_renewal_failed"
    DAYS_GRANTED = "days_granted"
    BALANCE_CREDITED = "balance_credited"


@dataclass(frozen=True, slots=True, kw_only=True)
class Intent:
    """What to tell a customer. Fields beyond ``kind`` are optional parameters."""

    kind: IntentKind
    customer_id: CustomerId
    subscription_id: SubscriptionId | None = None
    payment_id: PaymentId | None = None
    hours: int | None = None
    percent: int | None = None
    days: int | None = None
    amount: Money | None = None
    reason: str | None = None
    expires_at: datetime | None = None
    access_id: AccessId | None = None
    """The access an "access ready" card is for: a plan change that moves the
    subscription to another panel gets a card with the new link."""

    @property
    def dedup_key(self) -> str:
        """Stable key: the same intent produced twice is delivered once."""
        parts = [self.kind.value, str(self.customer_id)]
        for value in (
            self.subscription_id,
            self.payment_id,
            self.hours,
            self.percent,
            self.expires_at,
        ):
            parts.append("" if value is None else str(value))
        # Intents that differ only in what they grant are different intents
        # (two credits of different amounts must both be delivered).
        parts.extend(
            f"{name}={value}"
            for name, value in (
                ("days", self.days),
                ("amount", self.amount),
                ("access", self.access_id),
            )
            if value is not None
        )
        return ":".join(parts)


def expiring_soon(
    customer_id: CustomerId, subscription_id: SubscriptionId, hours: int, expires_at: datetime
) -> Intent:
    return Intent(
        kind=IntentKind.EXPIRING_SOON,
        customer_id=customer_id,
        subscription_id=subscription_id,
        hours=hours,
        expires_at=expires_at,
    )


def expired(customer_id: CustomerId, subscription_id: SubscriptionId, at: datetime) -> Intent:
    return Intent(
        kind=IntentKind.EXPIRED,
        customer_id=customer_id,
        subscription_id=subscription_id,
        expires_at=at,
    )


def access_ready(
    customer_id: CustomerId, subscription_id: SubscriptionId, access_id: AccessId | None = None
) -> Intent:
    return Intent(
        kind=IntentKind.ACCESS_READY,
        customer_id=customer_id,
        subscription_id=subscription_id,
        access_id=access_id,
    )


def reactivated(
    customer_id: CustomerId, subscription_id: SubscriptionId, expires_at: datetime
) -> Intent:
    return Intent(
        kind=IntentKind.REACTIVATED,
        customer_id=customer_id,
        subscription_id=subscription_id,
        expires_at=expires_at,
    )
