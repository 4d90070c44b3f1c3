"""Clocks: the system clock for production, a settable one for tests and demos."""

from __future__ import annotations

from datetime import UTC, datetime

from vpnsales.domain.time import ensure_aware


class SystemClock:
    """Implements ``Clock`` with the real time."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class ManualClock:
    """Implements ``Clock`` with a time that only moves when told to."""

    def __init__(self, at: datetime) -> None:
        self._now = ensure_aware(at)

    def now(self) -> datetime:
        return self._now

    def set(self, at: datetime) -> None:
        self._now = ensure_aware(at)
