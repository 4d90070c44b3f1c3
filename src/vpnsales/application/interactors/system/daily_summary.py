"""Send the seller yesterday's numbers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from vpnsales.application.common import enqueue_alert
from vpnsales.application.ports.admin import StatisticsReader
from vpnsales.application.ports.clock import Clock
from vpnsales.application.ports.notifier import Alert, AlertKind
from vpnsales.application.ports.outbox import Outbox
from vpnsales.application.ports.uow import UnitOfWork
from vpnsales.domain.money import Money


@dataclass(frozen=True, slots=True, kw_only=True)
class DailySummaryCommand:
    day: date | None = None
    """The UTC day to summarise; yesterday when unset."""


@dataclass(frozen=True, slots=True, kw_only=True)
class DailySummaryResult:
    day: date
    text: str


class DailySummary:
    """Queues an ADMIN_ALERT (kind daily_summary), once per day (dedup key)."""

    def __init__(
        self,
        *,
        uow: UnitOfWork,
        statistics: StatisticsReader,
        outbox: Outbox,
        clock: Clock,
    ) -> None:
        self._uow = uow
        self._statistics = statistics
        self._outbox = outbox
        self._clock = clock

    async def __call__(self, command: DailySummaryCommand) -> DailySummaryResult:
        now = self._clock.now()
        day = command.day or (now.astimezone(UTC).date() - timedelta(days=1))
        since = datetime.combine(day, time(), tzinfo=UTC)
        until = since + timedelta(days=1)
        new_customers = await self._statistics.new_customers(since, until)
        revenue = await self._statistics.revenue(since, until)
        conversion = await self._statistics.conversion(since, until)
        churn = await self._statistics.churn(since, until)
        subs = await self._statistics.subscriptions(now)
        totals: dict[str, Money] = {}
        payments = 0
        for row in revenue:
            key = row.amount.currency.value
            totals[key] = totals[key] + row.amount if key in totals else row.amount
            payments += row.payments
        money = ", ".join(str(m) for m in totals.values()) or "0"
        by_provider = "; ".join(f"{r.provider}: {r.amount} ({r.payments})" for r in revenue)
        lines = [
            f"Summary for {day.isoformat()} (UTC)",
            f"New customers: {new_customers}",
            f"Payments: {payments}, revenue: {money}",
        ]
        if by_provider:
            lines.append(f"By provider: {by_provider}")
        lines += [
            f"Checkout conversion: {conversion.paid}/{conversion.started} ({conversion.rate:.0%})",
            f"Churned: {churn.churned} of {churn.base} ({churn.rate:.1%})",
            f"Now active: {subs.active} paid, {subs.trial} trial; expired: {subs.expired}",
        ]
        text = "\n".join(lines)
        await enqueue_alert(
            self._outbox,
            Alert(kind=AlertKind.DAILY_SUMMARY, text=text),
            now,
            f"daily:{day.isoformat()}",
        )
        await self._uow.commit()
        return DailySummaryResult(day=day, text=text)
