"""A busy simulated day (in memory, with the worker's real outbox use cases) while the
panel misbehaves: bursts of failures (5xx / dropped connections surface as the panel
adapter's errors), accounts deleted on the panel behind our back, time passing with
expiry sweeps. Hypothesis picks the timeline.

After the faults stop, the outbox retries (clock advanced past the backoff) and one
reconciliation run; then the panel is the projection of the database:

* every live subscription's access is desired enabled and its panel account exists,
  enabled, with the subscription's expiry;
* every expired subscription's access is desired disabled and not enabled on the panel;
* exactly one panel account per access (nothing created twice), none of an unknown
  username; every succeeded payment staged exactly one ``payment_received`` (delivered,
  or withdrawn because the new access's card went first).
"""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vpnsales.application.interactors.system.expire_due_subscriptions import (
    ExpireDueSubscriptions,
    ExpireDueSubscriptionsCommand,
)
from vpnsales.application.interactors.system.reconcile_panel import (
    ReconcilePanel,
    ReconcilePanelCommand,
)
from vpnsales.application.ports.panels import PanelAccountStatus, PanelUnavailable
from vpnsales.domain.access import DesiredState
from vpnsales.domain.errors import DomainError
from vpnsales.domain.ids import TelegramId
from vpnsales.domain.notifications import IntentKind
from vpnsales.domain.payment import PaymentProvider, PaymentPurpose, PaymentStatus
from vpnsales.domain.subscription import SubscriptionStatus
from vpnsales.testing.app import InMemoryApp, build_in_memory_app
from vpnsales.testing.builders import a_tariff, an_option

from .conftest import payment_receipts

FAST = settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
SLOW = settings(max_examples=600, deadline=None, suppress_health_check=list(HealthCheck))

CUSTOMERS = tuple(range(7001, 7007))
_YK = PaymentProvider.YOOKASSA
event = st.one_of(
    st.tuples(st.just("buy"), st.sampled_from(CUSTOMERS), st.sampled_from([1, 30])),
    st.tuples(st.just("burst"), st.integers(1, 6)),
    st.tuples(st.just("drop_account"), st.integers(0, 20)),
    st.tuples(st.just("hours"), st.sampled_from([1, 6, 24, 24 * 31])),
    st.tuples(st.just("outbox")),
)
timelines = st.lists(event, min_size=3, max_size=25)


async def _sweep(app: InMemoryApp) -> None:
    async with app.scope() as p:
        await ExpireDueSubscriptions(
            uow=p.uow,
            subscriptions=p.subscriptions,
            accesses=p.accesses,
            outbox=p.outbox,
            clock=p.clock,
            policy=p.policy,
        )(ExpireDueSubscriptionsCommand())


async def _reconcile(app: InMemoryApp) -> None:
    async with app.scope() as p:
        await ReconcilePanel(
            uow=p.uow,
            accesses=p.accesses,
            subscriptions=p.subscriptions,
            customers=p.customers,
            panels=p.panels,
            clock=p.clock,
            outbox=p.outbox,
        )(ReconcilePanelCommand(panel_id=app.panel.panel_id))


async def _step(app: InMemoryApp, item: tuple[Any, ...]) -> None:
    kind = item[0]
    if kind == "buy":
        tg = TelegramId(item[1])
        await app.register(telegram_id=tg)
        me = await app.customer(tg)
        mine = [s for s in app.rows("subscriptions") if s.customer_id == me.id]
        try:
            if mine:
                checkout = await app.start_checkout(
                    telegram_id=tg,
                    tariff_code="basic",
                    days=item[2],
                    provider=_YK,
                    purpose=PaymentPurpose.RENEWAL,
                    subscription_id=mine[-1].id,
                )
                paid = app.gateways[_YK].succeed(checkout.payment_id)
                await app.confirm_provider_payment(paid)
            else:
                await app.buy(tg, "basic", item[2])
        except DomainError:
            pass
    elif kind == "burst":
        app.panel.fail_next(item[1])
    elif kind == "drop_account":
        accounts = sorted(app.panel.accounts)
        if accounts:
            app.panel.drop_account(accounts[item[1] % len(accounts)])
    elif kind == "hours":
        app.clock.advance(timedelta(hours=item[1]))
        await _sweep(app)
    else:
        await app.run_outbox()


async def _day(timeline: list[tuple[Any, ...]]) -> None:
    app = build_in_memory_app()
    await app.add_tariff(
        a_tariff(code="basic", options=(an_option(1, rub=10), an_option(30, rub=300)))
    )
    for item in timeline:
        await _step(app, item)

    # no new faults; retries come after their backoff; the scheduler's reconciliation
    # job runs until a run gets through (it fails like any panel call while a burst lasts)
    for _ in range(8):
        app.clock.advance(timedelta(minutes=30))
        await _sweep(app)
        await app.run_outbox()
    injected = sum(item[1] for item in timeline if item[0] == "burst")
    for _ in range(injected + 1):  # each failed run uses up one injected failure
        try:
            await _reconcile(app)
        except PanelUnavailable:
            continue
        break
    await app.run_outbox()

    subs = {s.id: s for s in app.rows("subscriptions")}
    accesses = app.rows("accesses")
    now = app.clock.now()
    usernames = Counter(a.username for a in accesses)
    assert all(n == 1 for n in usernames.values())
    assert set(app.panel.accounts) <= set(usernames), "no account of an unknown username"
    for access in accesses:
        sub = subs[access.subscription_id]
        account = app.panel.account(access.username)
        if sub.status is SubscriptionStatus.ACTIVE and sub.expires_at > now:
            assert access.desired is DesiredState.ENABLED, (access, sub)
            assert account is not None, f"live access {access.username} missing on the panel"
            assert account.status is PanelAccountStatus.ACTIVE, account
            assert account.expires_at == sub.expires_at
        elif sub.status is SubscriptionStatus.EXPIRED:
            assert access.desired is DesiredState.DISABLED, (access, sub)
            assert account is None or account.status is not PanelAccountStatus.ACTIVE
    # one "payment received" staged per credit (delivered, or withdrawn by the new
    # access's card); a renewal of an expired subscription is told as "reactivated"
    received = payment_receipts(app)
    reactivated = len(app.notifier.intents(IntentKind.REACTIVATED))
    succeeded = [p for p in app.rows("payments") if p.status is PaymentStatus.SUCCEEDED]
    assert all(received[str(p.id)] <= 1 for p in succeeded)
    assert sum(received.values()) + reactivated == len(succeeded)


@FAST
@given(timeline=timelines)
def test_a_busy_day_with_a_misbehaving_panel_converges(timeline: list[tuple[Any, ...]]) -> None:
    asyncio.run(_day(timeline))


@pytest.mark.slow
@SLOW
@given(timeline=timelines)
def test_a_busy_day_with_a_misbehaving_panel_converges_many_days(
    timeline: list[tuple[Any, ...]],
) -> None:
    asyncio.run(_day(timeline))
