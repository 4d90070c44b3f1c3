"""Warn customers at 80 % / 100 % of their traffic (once each per period)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from vpnsales.application.common import notify_message
from vpnsales.application.policy import ShopPolicy
from vpnsales.application.ports.clock import Clock
from vpnsales.application.ports.outbox import Outbox, OutboxMessage
from vpnsales.application.ports.panels import PanelRegistry
from vpnsales.application.ports.repositories import AccessRepository, SubscriptionRepository
from vpnsales.application.ports.uow import UnitOfWork
from vpnsales.domain.access import Access, DesiredState
from vpnsales.domain.ids import AccessId, SubscriptionId
from vpnsales.domain.notifications import Intent, IntentKind
from vpnsales.domain.subscription import Subscription


@dataclass(frozen=True, slots=True, kw_only=True)
class TrafficAlertsCommand:
    page_size: int = 500


@dataclass(frozen=True, slots=True, kw_only=True)
class TrafficAlertsResult:
    checked: int
    alerts: int


class TrafficAlerts:
    """Reads the used traffic the panels last reported (``access.observed``, refreshed by
    sync, reconciliation and panel events) — no panel call. When several thresholds are
    crossed at once only the highest is sent; the lower ones are marked too. A page of
    accesses costs a few round trips (``get_many``, ``save_all``, ``add_all``), not
    one or more per access."""

    def __init__(
        self,
        *,
        uow: UnitOfWork,
        accesses: AccessRepository,
        subscriptions: SubscriptionRepository,
        outbox: Outbox,
        panels: PanelRegistry,
        clock: Clock,
        policy: ShopPolicy,
    ) -> None:
        self._uow = uow
        self._accesses = accesses
        self._subscriptions = subscriptions
        self._outbox = outbox
        self._panels = panels
        self._clock = clock
        self._policy = policy

    async def __call__(self, command: TrafficAlertsCommand) -> TrafficAlertsResult:
        thresholds = sorted(set(self._policy.traffic_alert_percents))
        checked = alerts = 0
        for panel in self._panels.all():
            after: AccessId | None = None
            while True:
                page = await self._accesses.for_panel(
                    panel.panel_id, after=after, limit=command.page_size
                )
                now = self._clock.now()
                observed: list[tuple[Access, int]] = []
                for access in page:
                    if access.desired is not DesiredState.ENABLED or access.observed is None:
                        continue
                    checked += 1
                    observed.append((access, access.observed.used_traffic_bytes))
                if observed:
                    alerts += await self._alert(observed, thresholds, now)
                await self._uow.commit()
                if len(page) < command.page_size:
                    break
                after = page[-1].id
        return TrafficAlertsResult(checked=checked, alerts=alerts)

    async def _alert(
        self, observed: list[tuple[Access, int]], thresholds: list[int], now: datetime
    ) -> int:
        """One page, in at most four round trips: read the subscriptions, lock the ones
        with a threshold to announce, save them, stage the notifications. Same outcome
        as checking the accesses one by one (a later access of the same subscription
        sees the marks an earlier one saved). Returns the number of alerts staged."""
        seen = await self._subscriptions.get_many({a.subscription_id for a, _ in observed})

        def crossing(subscription: Subscription | None, used: int) -> list[int] | None:
            if subscription is None or not subscription.is_live:
                return None
            fraction = subscription.traffic.used_fraction(used)
            if fraction is None:
                return None
            crossed = [p for p in thresholds if fraction * 100 >= p]
            if not crossed or crossed[-1] in subscription.traffic_alerts_sent:
                return None
            return crossed

        wanted = {
            a.subscription_id
            for a, used in observed
            if crossing(seen.get(a.subscription_id), used) is not None
        }
        if not wanted:
            return 0
        locked = await self._subscriptions.get_many(wanted, for_update=True)
        changed: dict[SubscriptionId, Subscription] = {}
        messages: list[OutboxMessage] = []
        for access, used in observed:
            crossed = crossing(seen.get(access.subscription_id), used)
            subscription = locked.get(access.subscription_id)
            if crossed is None or subscription is None:
                continue
            before = subscription.traffic_alerts_sent
            fresh = [p for p in crossed if subscription.mark_traffic_alert_sent(p)]
            if crossed[-1] not in fresh:
                subscription.traffic_alerts_sent = before  # not saved: forget the marks
                continue
            changed[subscription.id] = seen[subscription.id] = subscription
            messages.append(
                notify_message(
                    Intent(
                        kind=IntentKind.TRAFFIC_THRESHOLD,
                        customer_id=subscription.customer_id,
                        subscription_id=subscription.id,
                        percent=crossed[-1],
                        expires_at=subscription.expires_at,
                    ),
                    now,
                )
            )
        await self._subscriptions.save_all(changed.values())
        await self._outbox.add_all(messages)
        return len(messages)
