"""Subscription: the state machine, renewal arithmetic and plan changes."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from uuid import uuid4

import pytest
from hypothesis import given
from hypothesis import strategies as st
from tests.unit.domain.builders import DAY, NOW, PROPERTY, a_subscription, a_tariff, customer_id

from vpnsales.domain.access import DesiredState
from vpnsales.domain.errors import (
    InvalidSubscriptionTransition,
    InvalidValue,
    PlanChangeNotAllowed,
)
from vpnsales.domain.ids import SubscriptionId
from vpnsales.domain.limits import DeviceLimit, Period, TrafficLimit
from vpnsales.domain.subscription import Subscription, SubscriptionStatus, prorate, whole_days

ACTIVE = SubscriptionStatus.ACTIVE
EXPIRED = SubscriptionStatus.EXPIRED
SUSPENDED = SubscriptionStatus.SUSPENDED
CANCELLED = SubscriptionStatus.CANCELLED


def an_expired_subscription(expired_days_ago: int = 5) -> Subscription:
    subscription = a_subscription(now=NOW - (30 + expired_days_ago) * DAY, days=30)
    subscription.expire(NOW - expired_days_ago * DAY)
    return subscription


# -- start -------------------------------------------------------------------------------


def test_start_is_active_for_the_period() -> None:
    subscription = a_subscription(days=30)
    assert subscription.status is ACTIVE
    assert subscription.started_at == NOW
    assert subscription.expires_at == NOW + 30 * DAY
    assert subscription.period_number == 1


def test_start_adds_bonus_days() -> None:
    subscription = Subscription.start(
        id=SubscriptionId(uuid4()),
        customer_id=customer_id(),
        tariff=a_tariff(),
        period=Period(30),
        now=NOW,
        bonus_days=7,
    )
    assert subscription.expires_at == NOW + 37 * DAY


def test_start_refuses_negative_bonus_days() -> None:
    with pytest.raises(InvalidValue):
        Subscription.start(
            id=SubscriptionId(uuid4()),
            customer_id=customer_id(),
            tariff=a_tariff(),
            period=Period(30),
            now=NOW,
            bonus_days=-1,
        )


def test_start_refuses_naive_now() -> None:
    with pytest.raises(InvalidValue):
        a_subscription(now=datetime(2026, 1, 1))


def test_start_copies_limits_from_the_tariff() -> None:
    tariff = a_tariff(traffic=TrafficLimit.gib(5), devices=DeviceLimit(1), is_trial=True)
    subscription = a_subscription(tariff=tariff)
    assert subscription.tariff_id == tariff.id
    assert subscription.traffic == TrafficLimit.gib(5)
    assert subscription.devices == DeviceLimit(1)
    assert subscription.binding == tariff.binding
    assert subscription.is_trial


def test_later_tariff_edits_do_not_change_the_paid_period() -> None:
    tariff = a_tariff(traffic=TrafficLimit.gib(5))
    subscription = a_subscription(tariff=tariff)
    tariff.traffic = TrafficLimit.gib(1)
    assert subscription.traffic == TrafficLimit.gib(5)


def test_subscriptions_compare_and_hash_by_id() -> None:
    one = a_subscription()
    assert one == one
    assert hash(one) == hash(one.id)
    assert one != a_subscription()
    assert one != "subscription"


# -- queries -----------------------------------------------------------------------------


def test_remaining_time_of_an_active_subscription() -> None:
    assert a_subscription(days=30).remaining(NOW + 10 * DAY) == 20 * DAY


def test_remaining_never_negative() -> None:
    assert a_subscription(days=1).remaining(NOW + 5 * DAY) == timedelta(0)


@pytest.mark.parametrize("status", [EXPIRED, SUSPENDED, CANCELLED])
def test_remaining_is_zero_when_not_active(status: SubscriptionStatus) -> None:
    assert a_subscription(status=status).remaining(NOW) == timedelta(0)


def test_is_due_only_once_expiry_has_passed() -> None:
    subscription = a_subscription(days=1)
    assert not subscription.is_due(NOW)
    assert subscription.is_due(NOW + DAY)


@pytest.mark.parametrize(
    ("status", "desired"),
    [
        (ACTIVE, DesiredState.ENABLED),
        (EXPIRED, DesiredState.DISABLED),
        (SUSPENDED, DesiredState.DISABLED),
        (CANCELLED, DesiredState.DELETED),
    ],
)
def test_desired_access_follows_status(status: SubscriptionStatus, desired: DesiredState) -> None:
    subscription = a_subscription(status=status)
    assert subscription.desired_access is desired
    assert subscription.is_live is (status is ACTIVE)


# -- extend ------------------------------------------------------------------------------


def test_extend_active_adds_to_current_expiry() -> None:
    subscription = a_subscription(days=30)
    assert subscription.extend(30, NOW + 10 * DAY) is False
    assert subscription.expires_at == NOW + 60 * DAY


def test_extend_overdue_but_active_counts_from_now() -> None:
    subscription = a_subscription(days=30)
    subscription.extend(30, NOW + 40 * DAY)
    assert subscription.expires_at == NOW + 70 * DAY


def test_extend_expired_reactivates_from_now() -> None:
    subscription = an_expired_subscription(expired_days_ago=5)
    assert subscription.extend(30, NOW) is True
    assert subscription.status is ACTIVE
    assert subscription.expires_at == NOW + 30 * DAY
    assert subscription.expired_at is None


@pytest.mark.parametrize("status", [SUSPENDED, CANCELLED])
def test_cannot_extend_suspended_or_cancelled(status: SubscriptionStatus) -> None:
    subscription = a_subscription(status=status)
    with pytest.raises(InvalidSubscriptionTransition):
        subscription.extend(30, NOW)


@pytest.mark.parametrize("days", [0, -1])
def test_extend_needs_positive_days(days: int) -> None:
    with pytest.raises(InvalidValue):
        a_subscription().extend(days, NOW)


def test_extend_starts_a_new_period_and_resets_marks() -> None:
    subscription = a_subscription()
    subscription.mark_reminder_sent(24)
    subscription.mark_traffic_alert_sent(80)
    subscription.extend(30, NOW)
    assert subscription.period_number == 2
    assert subscription.reminders_sent == frozenset()
    assert subscription.traffic_alerts_sent == frozenset()


def test_grant_uses_the_extension_arithmetic() -> None:
    subscription = an_expired_subscription()
    assert subscription.grant(3, NOW) is True
    assert subscription.expires_at == NOW + 3 * DAY


# -- expire ------------------------------------------------------------------------------


def test_expire_when_due() -> None:
    subscription = a_subscription(days=30)
    subscription.expire(NOW + 30 * DAY)
    assert subscription.status is EXPIRED
    assert subscription.expired_at == NOW + 30 * DAY


def test_cannot_expire_before_due() -> None:
    subscription = a_subscription(days=30)
    with pytest.raises(InvalidSubscriptionTransition):
        subscription.expire(NOW + 29 * DAY)
    assert subscription.status is ACTIVE


@pytest.mark.parametrize("status", [EXPIRED, SUSPENDED, CANCELLED])
def test_only_active_can_expire(status: SubscriptionStatus) -> None:
    with pytest.raises(InvalidSubscriptionTransition):
        a_subscription(days=1, status=status).expire(NOW + 2 * DAY)


# -- suspend / reactivate ----------------------------------------------------------------


@pytest.mark.parametrize("status", [ACTIVE, EXPIRED])
def test_suspend_active_or_expired(status: SubscriptionStatus) -> None:
    subscription = a_subscription(status=status)
    subscription.suspend()
    assert subscription.status is SUSPENDED


@pytest.mark.parametrize("status", [SUSPENDED, CANCELLED])
def test_cannot_suspend_suspended_or_cancelled(status: SubscriptionStatus) -> None:
    with pytest.raises(InvalidSubscriptionTransition):
        a_subscription(status=status).suspend()


def test_reactivate_with_time_left_is_active() -> None:
    subscription = a_subscription(days=30)
    subscription.suspend()
    subscription.reactivate(NOW + 10 * DAY)
    assert subscription.status is ACTIVE
    assert subscription.expires_at == NOW + 30 * DAY


def test_reactivate_after_expiry_time_is_expired() -> None:
    subscription = a_subscription(days=30)
    subscription.suspend()
    subscription.reactivate(NOW + 31 * DAY)
    assert subscription.status is EXPIRED
    assert subscription.expired_at == NOW + 31 * DAY


@pytest.mark.parametrize("status", [ACTIVE, EXPIRED, CANCELLED])
def test_only_suspended_can_be_reactivated(status: SubscriptionStatus) -> None:
    with pytest.raises(InvalidSubscriptionTransition):
        a_subscription(status=status).reactivate(NOW)


# -- cancel ------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [ACTIVE, EXPIRED, SUSPENDED])
def test_cancel_from_any_live_state(status: SubscriptionStatus) -> None:
    subscription = a_subscription(status=status)
    subscription.cancel()
    assert subscription.status is CANCELLED


def test_cancel_is_final() -> None:
    subscription = a_subscription(status=CANCELLED)
    with pytest.raises(InvalidSubscriptionTransition):
        subscription.cancel()
    with pytest.raises(InvalidSubscriptionTransition):
        subscription.extend(1, NOW)
    with pytest.raises(InvalidSubscriptionTransition):
        subscription.suspend()
    with pytest.raises(InvalidSubscriptionTransition):
        subscription.reactivate(NOW)


# -- shorten -----------------------------------------------------------------------------


def test_shorten_takes_days_back() -> None:
    subscription = a_subscription(days=30)
    subscription.shorten(10, NOW)
    assert subscription.expires_at == NOW + 20 * DAY
    assert subscription.status is ACTIVE


def test_shorten_expires_at_once_when_nothing_is_left() -> None:
    subscription = a_subscription(days=30)
    subscription.shorten(30, NOW)
    assert subscription.status is EXPIRED
    assert subscription.expired_at == NOW


def test_shorten_a_suspended_subscription_keeps_it_suspended() -> None:
    subscription = a_subscription(days=30, status=SUSPENDED)
    subscription.shorten(40, NOW)
    assert subscription.status is SUSPENDED
    assert subscription.expires_at == NOW - 10 * DAY


def test_cannot_shorten_cancelled() -> None:
    with pytest.raises(InvalidSubscriptionTransition):
        a_subscription(status=CANCELLED).shorten(1, NOW)


@pytest.mark.parametrize("days", [0, -3])
def test_shorten_needs_positive_days(days: int) -> None:
    with pytest.raises(InvalidValue):
        a_subscription().shorten(days, NOW)


# -- change plan -------------------------------------------------------------------------


def test_change_plan_switches_tariff_limits_and_time() -> None:
    subscription = a_subscription(tariff=a_tariff(is_trial=True))
    new = a_tariff(code="pro", traffic=TrafficLimit.unlimited(), devices=DeviceLimit(5))
    subscription.mark_reminder_sent(24)
    subscription.change_plan(new, remaining=10 * DAY, now=NOW + DAY)
    assert subscription.tariff_id == new.id
    assert subscription.traffic == TrafficLimit.unlimited()
    assert subscription.devices == DeviceLimit(5)
    assert subscription.binding == new.binding
    assert not subscription.is_trial
    assert subscription.expires_at == NOW + 11 * DAY
    assert subscription.period_number == 2
    assert subscription.reminders_sent == frozenset()


@pytest.mark.parametrize("status", [EXPIRED, SUSPENDED, CANCELLED])
def test_change_plan_only_when_active(status: SubscriptionStatus) -> None:
    with pytest.raises(PlanChangeNotAllowed):
        a_subscription(status=status).change_plan(a_tariff(), remaining=DAY, now=NOW)


def test_change_plan_to_the_same_tariff_is_refused() -> None:
    tariff = a_tariff()
    with pytest.raises(PlanChangeNotAllowed):
        a_subscription(tariff=tariff).change_plan(tariff, remaining=DAY, now=NOW)


def test_change_plan_refuses_negative_remaining() -> None:
    with pytest.raises(InvalidValue):
        a_subscription().change_plan(a_tariff(), remaining=-DAY, now=NOW)


# -- reminder and traffic marks ----------------------------------------------------------


def test_reminder_is_marked_once_per_period() -> None:
    subscription = a_subscription()
    assert subscription.mark_reminder_sent(24) is True
    assert subscription.mark_reminder_sent(24) is False
    assert subscription.mark_reminder_sent(72) is True
    assert subscription.reminders_sent == frozenset({24, 72})


def test_traffic_alert_is_marked_once_per_period() -> None:
    subscription = a_subscription()
    assert subscription.mark_traffic_alert_sent(80) is True
    assert subscription.mark_traffic_alert_sent(80) is False


# -- prorate -----------------------------------------------------------------------------


def test_prorate_to_a_dearer_plan_gives_less_time() -> None:
    assert prorate(10 * DAY, old_daily_value=Decimal(10), new_daily_value=Decimal(20)) == 5 * DAY


def test_prorate_to_a_cheaper_plan_gives_more_time() -> None:
    assert prorate(10 * DAY, old_daily_value=Decimal(10), new_daily_value=Decimal(5)) == 20 * DAY


def test_prorate_of_nothing_is_nothing() -> None:
    assert prorate(timedelta(0), old_daily_value=Decimal(1), new_daily_value=Decimal(1)) == (
        timedelta(0)
    )


def test_prorate_from_a_free_plan_carries_nothing() -> None:
    assert prorate(10 * DAY, old_daily_value=Decimal(0), new_daily_value=Decimal(5)) == (
        timedelta(0)
    )


def test_prorate_to_a_free_plan_is_refused() -> None:
    with pytest.raises(InvalidValue):
        prorate(10 * DAY, old_daily_value=Decimal(5), new_daily_value=Decimal(0))


def test_whole_days_truncates() -> None:
    assert whole_days(timedelta(days=2, hours=23)) == 2


# -- properties --------------------------------------------------------------------------

days = st.integers(min_value=1, max_value=3660)
offsets = st.timedeltas(min_value=-400 * DAY, max_value=400 * DAY)


@PROPERTY
@given(days, days, days, offsets)
def test_extending_by_a_then_b_equals_extending_by_a_plus_b(
    initial: int, a: int, b: int, offset: timedelta
) -> None:
    one, other = a_subscription(days=initial), a_subscription(days=initial)
    now = NOW + offset
    one.extend(a, now)
    one.extend(b, now)
    other.extend(a + b, now)
    assert one.expires_at == other.expires_at


@PROPERTY
@given(days, st.timedeltas(min_value=timedelta(0), max_value=400 * DAY), days)
def test_renewing_an_expired_subscription_starts_from_now(
    initial: int, after_expiry: timedelta, renewal: int
) -> None:
    subscription = a_subscription(days=initial)
    expired_at = subscription.expires_at
    subscription.expire(expired_at)
    now = expired_at + after_expiry
    assert subscription.extend(renewal, now) is True
    assert subscription.expires_at == now + renewal * DAY
    assert subscription.status is ACTIVE


@PROPERTY
@given(days, offsets, days)
def test_extension_never_shortens_and_always_counts_from_the_later_of_now_and_expiry(
    initial: int, offset: timedelta, extra: int
) -> None:
    subscription = a_subscription(days=initial)
    before = subscription.expires_at
    now = NOW + offset
    subscription.extend(extra, now)
    assert subscription.expires_at == max(now, before) + extra * DAY
    assert subscription.expires_at > now


daily_values = st.decimals(min_value=Decimal("0.01"), max_value=Decimal(10_000), places=4)
ratios = st.decimals(min_value=Decimal("0.05"), max_value=Decimal(20), places=3)


@PROPERTY
@given(st.timedeltas(min_value=timedelta(0), max_value=3660 * DAY), daily_values, ratios)
def test_plan_change_preserves_remaining_value_within_one_day(
    remaining: timedelta, old_daily: Decimal, ratio: Decimal
) -> None:
    # Realistic plans differ in daily value by at most ×20 either way; extreme ratios
    # push the converted expiry past datetime.max (see report).
    new_daily = old_daily * ratio
    converted = prorate(remaining, old_daily_value=old_daily, new_daily_value=new_daily)
    subscription = a_subscription()
    subscription.change_plan(a_tariff(code="pro"), remaining=converted, now=NOW)
    old_value = Decimal(remaining.total_seconds()) / 86400 * old_daily
    new_value = Decimal((subscription.expires_at - NOW).total_seconds()) / 86400 * new_daily
    assert abs(new_value - old_value) <= new_daily  # within one day on the new plan
    assert converted >= timedelta(0)
