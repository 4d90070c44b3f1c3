"""Time helpers: aware UTC only; whole days left rounded up."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone, tzinfo

import pytest
from tests.unit.domain.builders import NOW

from vpnsales.domain.errors import InvalidValue
from vpnsales.domain.time import days_left, ensure_aware


class _NoOffset(tzinfo):
    def utcoffset(self, dt: datetime | None) -> timedelta | None:
        return None


def test_ensure_aware_refuses_naive_datetime() -> None:
    with pytest.raises(InvalidValue):
        ensure_aware(datetime(2026, 1, 1))


def test_ensure_aware_refuses_tzinfo_without_offset() -> None:
    with pytest.raises(InvalidValue):
        ensure_aware(datetime(2026, 1, 1, tzinfo=_NoOffset()))


def test_ensure_aware_converts_to_utc() -> None:
    moscow = datetime(2026, 1, 1, 15, 0, tzinfo=timezone(timedelta(hours=3)))
    converted = ensure_aware(moscow)
    assert converted.tzinfo is UTC
    assert converted == datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


def test_ensure_aware_keeps_utc_unchanged() -> None:
    assert ensure_aware(NOW) == NOW


@pytest.mark.parametrize(
    ("remaining", "expected"),
    [
        (timedelta(days=3), 3),
        (timedelta(days=2, seconds=1), 3),
        (timedelta(seconds=1), 1),
        (timedelta(0), 0),
        (timedelta(days=-5), 0),
    ],
)
def test_days_left_rounds_a_started_day_up(remaining: timedelta, expected: int) -> None:
    assert days_left(NOW + remaining, NOW) == expected
