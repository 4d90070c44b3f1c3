"""Subscription: a customer's right to VPN access over a period.

States: ``active → expired → active`` (renewal), ``active|expired → suspended`` (ban,
refund), ``suspended → active|expired`` (reactivate), ``* → cancelled`` (final).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from vpnsales.domain.access import DesiredState
from vpnsales.domain.errors import InvalidSubscriptionTransition, InvalidValue, PlanChangeNotAllowed
from vpnsales.domain.ids import CustomerId, SubscriptionId, TariffId
from vpnsales.domain.limits import DeviceLimit, Period, TrafficLimit
from vpnsales.domain.tariff import PanelBinding, Tariff
from vpnsales.domain.time import ensure_aware

_DAY = timedelta(days=1)


class SubscriptionStatus(StrEnum):
    ACTIVE = "active"
    EXPIRED = "expired"
    SUSPENDED = "suspended"
    CANCELLED = "cancelled"


class SuspensionReason(StrEnum):
    """Why a subscription is suspended: lifting a ban must not undo a refund."""

    BAN = "ban"
    REFUND = "refund"


@dataclass(eq=False, slots=True, kw_only=True)
class Subscription:
    id: SubscriptionId
    customer_id: CustomerId
    tariff_id: TariffId
    status: SubscriptionStatus
    started_at: datetime
    expires_at: datetime
    traffic: TrafficLimit
    devices: DeviceLimit
    binding: PanelBinding
    """Limits and binding copied from the tariff at purchase: later edits don't apply."""
    is_trial: bool = False
    auto_renew: bool = False
    period_number: int = 1
    """Bumped on every extension; reminders and traffic alerts are once per period."""
    reminders_sent: frozenset[int] = frozenset()
    """Reminder thresholds (hours) already sent in the current period."""
    traffic_alerts_sent: frozenset[int] = frozenset()
    """Traffic thresholds (percent) already alerted in the current period."""
    expired_at: datetime | None = None
    suspended_reason: SuspensionReason | None = None
    """Set while ``SUSPENDED``; a refund outranks a ban (unban never lifts it)."""

    def __post_init__(self) -> None:
        ensure_aware(self.started_at)
        ensure_aware(self.expires_at)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Subscription) and other.id == self.id

    def __hash__(self) -> int:
        return hash(self.id)

    @classmethod
    def start(
        cls,
        *,
        id: SubscriptionId,
        customer_id: CustomerId,
        tariff: Tariff,
        period: Period,
        now: datetime,
        bonus_days: int = 0,
    ) -> Subscription:
        now = ensure_aware(now)
        if bonus_days < 0:
            raise InvalidValue("bonus days cannot be negative")
        return cls(
            id=id,
            customer_id=customer_id,
            tariff_id=tariff.id,
            status=SubscriptionStatus.ACTIVE,
            started_at=now,
            expires_at=now + period.delta + timedelta(days=bonus_days),
            traffic=tariff.traffic,
            devices=tariff.devices,
            binding=tariff.binding,
            is_trial=tariff.is_trial,
        )

    # -- queries ---------------------------------------------------------------------
    @property
    def is_live(self) -> bool:
        return self.status is SubscriptionStatus.ACTIVE

    def remaining(self, now: datetime) -> timedelta:
        if self.status is not SubscriptionStatus.ACTIVE:
            return timedelta(0)
        return max(self.expires_at - ensure_aware(now), timedelta(0))

    def is_due(self, now: datetime) -> bool:
        return self.status is SubscriptionStatus.ACTIVE and self.expires_at <= now

    @property
    def desired_access(self) -> DesiredState:
        if self.status is SubscriptionStatus.ACTIVE:
            return DesiredState.ENABLED
        if self.status is SubscriptionStatus.CANCELLED:
            return DesiredState.DELETED
        return DesiredState.DISABLED

    # -- transitions -----------------------------------------------------------------
    def extend(self, days: int, now: datetime) -> bool:
        """Add ``days`` from ``max(now, expires_at)``. Returns True if it was reactivated."""
        now = ensure_aware(now)
        if days <= 0:
            raise InvalidValue("extension must be positive")
        if self.status in (SubscriptionStatus.CANCELLED, SubscriptionStatus.SUSPENDED):
            raise InvalidSubscriptionTransition(f"cannot extend a {self.status} subscription")
        base = max(now, self.expires_at)
        self.expires_at = base + timedelta(days=days)
        self._new_period()
        reactivated = self.status is SubscriptionStatus.EXPIRED
        self.status = SubscriptionStatus.ACTIVE
        self.expired_at = None
        return reactivated

    def _new_period(self) -> None:
        self.period_number += 1
        self.reminders_sent = frozenset()
        self.traffic_alerts_sent = frozenset()

    def expire(self, now: datetime) -> None:
        now = ensure_aware(now)
        if self.status is not SubscriptionStatus.ACTIVE:
            raise InvalidSubscriptionTransition(f"cannot expire a {self.status} subscription")
        if self.expires_at > now:
            raise InvalidSubscriptionTransition("subscription is not due yet")
        self.status = SubscriptionStatus.EXPIRED
        self.expired_at = now

    def suspend(self, reason: SuspensionReason = SuspensionReason.BAN) -> None:
        """Suspend for ``reason``. A refund of an already (ban-)suspended subscription
        only records that the refund now holds it."""
        if (
            self.status is SubscriptionStatus.SUSPENDED
            and reason is SuspensionReason.REFUND
            and self.suspended_reason is not SuspensionReason.REFUND
        ):
            self.suspended_reason = reason
            return
        if self.status in (SubscriptionStatus.CANCELLED, SubscriptionStatus.SUSPENDED):
            raise InvalidSubscriptionTransition(f"cannot suspend a {self.status} subscription")
        self.status = SubscriptionStatus.SUSPENDED
        self.suspended_reason = reason

    @property
    def suspended_by_ban(self) -> bool:
        """Suspended by a ban only (a legacy suspension without a reason counts as one)."""
        return self.status is SubscriptionStatus.SUSPENDED and self.suspended_reason in (
            SuspensionReason.BAN,
            None,
        )

    def reactivate(self, now: datetime) -> None:
        """Lift a suspension: active again if time is left, otherwise expired."""
        now = ensure_aware(now)
        if self.status is not SubscriptionStatus.SUSPENDED:
            raise InvalidSubscriptionTransition(f"cannot reactivate a {self.status} subscription")
        self.suspended_reason = None
        if self.expires_at > now:
            self.status = SubscriptionStatus.ACTIVE
        else:
            self.status = SubscriptionStatus.EXPIRED
            self.expired_at = now

    def cancel(self) -> None:
        if self.status is SubscriptionStatus.CANCELLED:
            raise InvalidSubscriptionTransition("already cancelled")
        self.status = SubscriptionStatus.CANCELLED
        self.suspended_reason = None

    def shorten(self, days: int, now: datetime) -> None:
        """Take back ``days`` (refund, admin). Expires at once if nothing is left."""
        now = ensure_aware(now)
        if days <= 0:
            raise InvalidValue("days to take must be positive")
        if self.status is SubscriptionStatus.CANCELLED:
            raise InvalidSubscriptionTransition("cannot shorten a cancelled subscription")
        self.expires_at = self.expires_at - timedelta(days=days)
        if self.status is SubscriptionStatus.ACTIVE and self.expires_at <= now:
            self.status = SubscriptionStatus.EXPIRED
            self.expired_at = now

    def grant(self, days: int, now: datetime) -> bool:
        """Admin/bonus days: same arithmetic as a paid extension."""
        return self.extend(days, now)

    def change_plan(self, tariff: Tariff, *, remaining: timedelta, now: datetime) -> None:
        """Switch to ``tariff`` now with ``remaining`` time (already converted pro rata)."""
        now = ensure_aware(now)
        if self.status is not SubscriptionStatus.ACTIVE:
            raise PlanChangeNotAllowed("only an active subscription can change plan")
        if tariff.id == self.tariff_id:
            raise PlanChangeNotAllowed("already on this tariff")
        if remaining < timedelta(0):
            raise InvalidValue("remaining time cannot be negative")
        self.tariff_id = tariff.id
        self.traffic = tariff.traffic
        self.devices = tariff.devices
        self.binding = tariff.binding
        self.is_trial = False
        self.expires_at = now + remaining
        self._new_period()

    def mark_reminder_sent(self, hours: int) -> bool:
        """Record a reminder threshold; False when it was already sent this period."""
        if hours in self.reminders_sent:
            return False
        self.reminders_sent = self.reminders_sent | {hours}
        return True

    def mark_traffic_alert_sent(self, percent: int) -> bool:
        if percent in self.traffic_alerts_sent:
            return False
        self.traffic_alerts_sent = self.traffic_alerts_sent | {percent}
        return True


def prorate(
    remaining: timedelta, *, old_daily_value: Decimal, new_daily_value: Decimal
) -> timedelta:
    """Convert remaining time on one plan into time on another of equal value.

    Value is preserved to the second; callers round to whole days for display only.
    """
    if remaining <= timedelta(0) or old_daily_value <= 0:
        return timedelta(0)
    if new_daily_value <= 0:
        raise InvalidValue("new plan must have a positive daily value")
    seconds = Decimal(remaining.total_seconds()) * old_daily_value / new_daily_value
    return timedelta(seconds=int(seconds.to_integral_value(rounding=ROUND_HALF_UP)))


def whole_days(delta: timedelta) -> int:
    return int(delta / _DAY)
