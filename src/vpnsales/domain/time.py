"""Time helpers. The domain never reads a clock: ``now`` is always passed in."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from vpnsales.domain.errors import InvalidValue


def ensure_aware(moment: datetime) -> datetime:
    """Refuse naive datetimes: every time in the system is aware UTC."""
    if moment.tzinfo is None or moment.tzinfo.utcoffset(moment) is None:
        raise InvalidValue("datetime must be timezone-aware")
    return moment.astimezone(UTC)


def days_left(expires_at: datetime, now: datetime) -> int:
    """Whole days left, rounding a started day up (0 when already over)."""
    remaining = expires_at - now
    if remaining <= timedelta(0):
        return 0
    return -(-remaining // timedelta(days=1))
