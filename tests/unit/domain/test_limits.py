"""Period, TrafficLimit, DeviceLimit: self-validating value objects."""

from __future__ import annotations

from datetime import timedelta

import pytest

from vpnsales.domain.errors import InvalidValue
from vpnsales.domain.limits import GIB, DeviceLimit, Period, TrafficLimit, TrafficResetStrategy


@pytest.mark.parametrize("days", [1, 30, 3660])
def test_period_accepts_one_day_to_ten_years(days: int) -> None:
    assert Period(days).delta == timedelta(days=days)


@pytest.mark.parametrize("days", [0, -1, 3661])
def test_period_refuses_out_of_range_days(days: int) -> None:
    with pytest.raises(InvalidValue):
        Period(days)


@pytest.mark.parametrize("days", [True, 1.0, "30"])
def test_period_refuses_non_integer_days(days: object) -> None:
    with pytest.raises(InvalidValue):
        Period(days)  # type: ignore[arg-type]


def test_periods_add_and_order() -> None:
    assert Period(30) + Period(7) == Period(37)
    assert Period(7) < Period(30)


def test_period_is_immutable() -> None:
    period = Period(30)
    with pytest.raises(AttributeError):
        period.days = 31  # type: ignore[misc]


def test_traffic_zero_bytes_means_unlimited() -> None:
    assert TrafficLimit().is_unlimited
    assert TrafficLimit.unlimited().used_fraction(10**12) is None


def test_traffic_gib_builds_bytes_with_monthly_reset() -> None:
    limit = TrafficLimit.gib(50)
    assert limit.bytes == 50 * GIB
    assert limit.reset is TrafficResetStrategy.MONTH
    assert not limit.is_unlimited


def test_traffic_used_fraction() -> None:
    assert TrafficLimit.gib(10).used_fraction(5 * GIB) == 0.5


@pytest.mark.parametrize("value", [-1, True, 1.5, "10"])
def test_traffic_refuses_negative_or_non_integer_bytes(value: object) -> None:
    with pytest.raises(InvalidValue):
        TrafficLimit(value)  # type: ignore[arg-type]


def test_traffic_gib_refuses_negative_amount() -> None:
    with pytest.raises(InvalidValue):
        TrafficLimit.gib(-1)


def test_device_limit_none_is_unlimited() -> None:
    assert DeviceLimit().is_unlimited
    assert not DeviceLimit(1).is_unlimited


@pytest.mark.parametrize("count", [0, -2, True, 2.0])
def test_device_limit_refuses_non_positive_or_non_integer(count: object) -> None:
    with pytest.raises(InvalidValue):
        DeviceLimit(count)  # type: ignore[arg-type]
