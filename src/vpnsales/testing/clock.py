"""A clock tests can steer: time moves only when told to."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from vpnsales.domain.time import ensure_aware

DEFAULT_START = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)


class SteerableClock:
    """Implements ``Clock``. ``advance(days=1, hours=2)`` or ``set(moment)``."""

    def __init__(self, start: datetime = DEFAULT_START) -> None:
        self._now = ensure_aware(start)

    def now(self) -> datetime:
        return self._now

    def advance(
        self,
        delta: timedelta | None = None,
        *,
        days: float = 0,
        hours: float = 0,
        minutes: float = 0,
        seconds: float = 0,
    ) -> datetime:
        step = (delta or timedelta(0)) + timedelta(
            days=days, hours=hours, minutes=minutes, seconds=seconds
        )
        if step < timedelta(0):
            raise ValueError("time only moves forward; use set() to go back")
        self._now += step
        return self._now

    def set(self, moment: datetime) -> datetime:
        self._now = ensure_aware(moment)
        return self._now


class ManualTimer:
    """A monotonic clock (what ``time.monotonic`` and ``time.perf_counter`` give the code
    under test) that moves only when told: ``timer.advance(1.5)`` or ``timer.now = …``."""

    def __init__(self, start: float = 0.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> float:
        if seconds < 0:
            raise ValueError("a monotonic clock does not go back")
        self.now += seconds
        return self.now
