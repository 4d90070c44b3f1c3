"""Shop statistics for the admin panel (owner)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from vpnsales.application.interactors.admin._guard import Permission, authorize
from vpnsales.application.ports.admin import (
    AdminRepository,
    Churn,
    Conversion,
    CustomerCounts,
    RevenueRow,
    StatisticsReader,
    SubscriptionCounts,
)
from vpnsales.application.ports.clock import Clock
from vpnsales.application.ports.uow import UnitOfWork


@dataclass(frozen=True, slots=True, kw_only=True)
class GetStatisticsCommand:
    actor_telegram_id: int
    days: int = 30
    """Length of the revenue series, conversion and churn window (whole UTC days)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Statistics:
    generated_at: datetime
    since: datetime
    customers: CustomerCounts
    subscriptions: SubscriptionCounts
    revenue: tuple[RevenueRow, ...]
    """Per day, provider and currency."""
    conversion: Conversion
    churn: Churn


class GetStatistics:
    def __init__(
        self,
        *,
        uow: UnitOfWork,
        admins: AdminRepository,
        statistics: StatisticsReader,
        clock: Clock,
    ) -> None:
        self._uow = uow
        self._admins = admins
        self._statistics = statistics
        self._clock = clock

    async def __call__(self, command: GetStatisticsCommand) -> Statistics:
        await authorize(self._admins, command.actor_telegram_id, Permission.STATISTICS)
        await self._uow.commit()
        now = self._clock.now()
        today = datetime.combine(now.astimezone(UTC).date(), time(), tzinfo=UTC)
        since = today - timedelta(days=max(command.days, 1) - 1)
        until = today + timedelta(days=1)
        return Statistics(
            generated_at=now,
            since=since,
            customers=await self._statistics.customers(now),
            subscriptions=await self._statistics.subscriptions(now),
            revenue=tuple(await self._statistics.revenue(since, until)),
            conversion=await self._statistics.conversion(since, until),
            churn=await self._statistics.churn(since, until),
        )
