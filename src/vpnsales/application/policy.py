"""Business settings the use cases need (built from config at the edge, passed in)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from enum import StrEnum

from vpnsales.domain.money import Currency, Money
from vpnsales.domain.referral import ReferralPolicy


class RefundMode(StrEnum):
    REMOVE_PERIOD = "remove_period"
    """Take back the days the refunded payment added (expire if nothing is left)."""
    SUSPEND = "suspend"
    """Suspend the subscription at once."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ShopPolicy:
    base_currency: Currency = Currency.RUB
    """Currency of customer balances and of the statistics."""
    trial_tariff_code: str | None = "trial"
    referral: ReferralPolicy = field(default_factory=ReferralPolicy)
    reminder_hours: tuple[int, ...] = (72, 24)
    traffic_alert_percents: tuple[int, ...] = (80, 100)
    payment_ttl: timedelta = timedelta(hours=1)
    """A pending payment older than this is cancelled at the provider and locally."""
    recheck_after: timedelta = timedelta(minutes=2)
    """Pending payments older than this are re-checked at the provider."""
    refund_mode: RefundMode = RefundMode.REMOVE_PERIOD
    large_payment: Money | None = None
    """Alert the seller about payments at or above this amount."""
    rub_per_star: Decimal = Decimal("1.8")
    auto_renew_days_before: int = 1
    sweep_batch: int = 1000
    outbox_batch: int = 100
    outbox_lease: timedelta = timedelta(minutes=2)
    outbox_max_attempts: int = 8
    payment_received_delay: timedelta = timedelta(seconds=3)
    """A purchase that creates a new access is announced by its access card alone when
    the card is ready within this delay; otherwise "payment received, preparing your
    access" goes first, then the card; never after the card. Zero: it is due at once."""
