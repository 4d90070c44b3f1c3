"""Periods, traffic and device limits: frozen, self-validating value objects."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

from vpnsales.domain.errors import InvalidValue

GIB = 1024**3


@dataclass(frozen=True, slots=True, order=True)
class Period:
    """A whole number of days that can be bought."""

    days: int

    def __post_init__(self) -> None:
        if isinstance(self.days, bool) or not isinstance(self.days, int):
            raise InvalidValue("period days must be an integer")
        if not 0 < self.days <= 3660:
            raise InvalidValue("period must be between 1 and 3660 days")

    @property
    def delta(self) -> timedelta:
        return timedelta(days=self.days)

    def __add__(self, other: Period) -> Period:
        return Period(self.days + other.days)


class TrafficResetStrategy(StrEnum):
    NO_RESET = "NO_RESET"
    DAY = "DAY"
    WEEK = "WEEK"
    MONTH = "MONTH"
    MONTH_ROLLING = "MONTH_ROLLING"


@dataclass(frozen=True, slots=True)
class TrafficLimit:
    """Traffic allowance in bytes per reset period; ``0`` bytes means unlimited."""

    bytes: int = 0
    reset: TrafficResetStrategy = TrafficResetStrategy.NO_RESET

    def __post_init__(self) -> None:
        if isinstance(self.bytes, bool) or not isinstance(self.bytes, int) or self.bytes < 0:
            raise InvalidValue("traffic limit must be a non-negative integer of bytes")

    @classmethod
    def unlimited(cls) -> TrafficLimit:
        return cls(0, TrafficResetStrategy.NO_RESET)

    @classmethod
    def gib(
        cls, amount: int, reset: TrafficResetStrategy = TrafficResetStrategy.MONTH
    ) -> TrafficLimit:
        return cls(amount * GIB, reset)

    @property
    def is_unlimited(self) -> bool:
        return self.bytes == 0

    def used_fraction(self, used_bytes: int) -> float | None:
        """Share of the allowance used, or ``None`` when unlimited."""
        if self.is_unlimited:
            return None
        return used_bytes / self.bytes


@dataclass(frozen=True, slots=True)
class DeviceLimit:
    """How many devices (HWIDs / IPs) may use the access at once; ``None`` = unlimited."""

    count: int | None = None

    def __post_init__(self) -> None:
        if self.count is not None and (
            isinstance(self.count, bool) or not isinstance(self.count, int) or self.count < 1
        ):
            raise InvalidValue("device limit must be a positive integer or unlimited")

    @property
    def is_unlimited(self) -> bool:
        return self.count is None
