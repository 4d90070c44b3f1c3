"""My subscriptions: read models with live traffic/devices from the panel.

The database view comes from the reader (no transaction held). Live numbers are asked
from each access's panel afterwards, concurrently, with a short timeout; a panel that is
down or slow leaves the last observed state (``live=False``)."""

from __future__ import annotations

import asyncio
import dataclasses
from dataclasses import dataclass

from vpnsales.application.interactors.customer._views import viewer
from vpnsales.application.ports.clock import Clock
from vpnsales.application.ports.panels import AccountRef, AccountState, PanelRegistry
from vpnsales.application.ports.readers import (
    CustomerReader,
    CustomerView,
    SubscriptionReader,
    SubscriptionView,
)
from vpnsales.domain.errors import CustomerNotFound
from vpnsales.domain.ids import TelegramId

DEFAULT_TIMEOUT = 2.0


@dataclass(frozen=True, slots=True, kw_only=True)
class MySubscriptionsQuery:
    telegram_id: TelegramId
    live: bool = True
    """Ask the panels for live traffic/devices (False: database only, fastest)."""
    customer: CustomerView | None = None
    """The caller's view of this customer (the bot's cached one): not read again."""


@dataclass(frozen=True, slots=True, kw_only=True)
class MySubscriptions:
    subscriptions: tuple[SubscriptionView, ...]
    degraded: bool = False
    """At least one panel did not answer in time: some numbers are last observed."""


class ListMySubscriptions:
    def __init__(
        self,
        *,
        customers: CustomerReader,
        subscriptions: SubscriptionReader,
        panels: PanelRegistry,
        clock: Clock,
        panel_timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        self._customers = customers
        self._subscriptions = subscriptions
        self._panels = panels
        self._clock = clock
        self._timeout = panel_timeout

    async def __call__(self, query: MySubscriptionsQuery) -> MySubscriptions:
        customer = await viewer(self._customers, query.telegram_id, query.customer)
        if customer is None:
            raise CustomerNotFound(str(query.telegram_id))
        views = await self._subscriptions.for_customer(
            customer.customer_id, language=customer.language, now=self._clock.now()
        )
        if not query.live:
            return MySubscriptions(subscriptions=tuple(views))
        states = await asyncio.gather(*(self._live_state(v) for v in views))
        result: list[SubscriptionView] = []
        degraded = False
        for view, (asked, state) in zip(views, states, strict=True):
            degraded = degraded or (asked and state is None)
            if state is None:
                result.append(view)
                continue
            result.append(
                dataclasses.replace(
                    view,
                    traffic_used_bytes=state.used_traffic_bytes,
                    devices_connected=state.devices,
                    subscription_url=state.subscription_url or view.subscription_url,
                    live=True,
                )
            )
        return MySubscriptions(subscriptions=tuple(result), degraded=degraded)

    async def _live_state(self, view: SubscriptionView) -> tuple[bool, AccountState | None]:
        """``(asked, state)``: asked=False when there is nothing to ask about."""
        access = view.access
        if access is None or (access.external_id is None and not access.ready):
            return False, None
        try:
            panel = self._panels.get(access.panel_id)
        except KeyError:
            return True, None
        try:
            async with asyncio.timeout(self._timeout):
                state = await panel.get_state(AccountRef(access.username, access.external_id))
        except Exception:  # timeout, panel error, anything: show the last observed state
            return True, None
        return True, state
