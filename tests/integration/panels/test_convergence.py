"""Convergence on a real panel: PostgreSQL + the Remnawave emulator over HTTP + the worker's
use cases. The database is the source of truth; the panel follows."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from typing import Any
from uuid import uuid4

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from vpnsales.adapters.panels._http import RetryPolicy
from vpnsales.adapters.panels.remnawave import RemnawaveConfig, RemnawavePanel
from vpnsales.application.common import enqueue_sync
from vpnsales.application.interactors.system.expire_due_subscriptions import (
    ExpireDueSubscriptions,
    ExpireDueSubscriptionsCommand,
)
from vpnsales.application.interactors.system.reconcile_panel import (
    ReconcilePanel,
    ReconcilePanelCommand,
)
from vpnsales.domain.access import Access, DesiredState, SyncStatus
from vpnsales.domain.ids import AccessId, PanelId
from vpnsales.domain.subscription import SubscriptionStatus
from vpnsales.testing.builders import a_customer, a_subscription, a_tariff
from vpnsales.testing.emulators.remnawave import RemnawaveEmulator
from vpnsales.testing.postgres import PostgresApp, postgres_app
from vpnsales.testing.worker import system_outbox_runner

PANEL = PanelId("rw")


async def _setup(
    sessions: async_sessionmaker[AsyncSession], emulator: RemnawaveEmulator, *, count: int
) -> tuple[PostgresApp, list[Access]]:
    app = postgres_app(sessions, outbox_runner=system_outbox_runner)
    panel = RemnawavePanel(
        RemnawaveConfig(
            panel_id=PANEL,
            base_url=emulator.base_url,
            api_token=emulator.api_token,  # type: ignore[arg-type]
            retry=RetryPolicy(attempts=1),
            circuit_reset_timeout=0.05,
        ),
        clock=app.clock.now,
    )
    app.registry._panels = {PANEL: panel}  # the real adapter behind the test app's registry
    emulator.clock = app.clock.now
    tariff = await app.add_tariff(a_tariff(panel=str(PANEL)))
    accesses = []
    async with app.scope() as p:
        for i in range(count):
            customer = a_customer(telegram_id=700_000 + i, created_at=app.clock.now())
            subscription = a_subscription(
                customer=customer, tariff=tariff, days=1, now=app.clock.now()
            )
            access = Access.new(
                id=AccessId(uuid4()),
                subscription_id=subscription.id,
                customer_id=customer.id,
                panel_id=PANEL,
                now=app.clock.now(),
            )
            await p.customers.add(customer)
            await p.subscriptions.add(subscription)
            await p.accesses.add(access)
            await enqueue_sync(p.outbox, access, app.clock.now())
            accesses.append(access)
        await p.uow.commit()
    await app.run_outbox()
    return app, accesses


async def _accesses(app: PostgresApp, ids: list[AccessId]) -> list[Access]:
    async with app.scope() as p:
        found = [await p.accesses.get(i) for i in ids]
    return [a for a in found if a is not None]


async def _expire(app: PostgresApp) -> Any:
    async with app.scope() as p:
        return await ExpireDueSubscriptions(
            uow=p.uow,
            subscriptions=p.subscriptions,
            accesses=p.accesses,
            outbox=p.outbox,
            clock=p.clock,
            policy=p.policy,
        )(ExpireDueSubscriptionsCommand())


async def _reconcile(app: PostgresApp) -> Any:
    async with app.scope() as p:
        return await ReconcilePanel(
            uow=p.uow,
            accesses=p.accesses,
            subscriptions=p.subscriptions,
            customers=p.customers,
            panels=p.panels,
            clock=p.clock,
            outbox=p.outbox,
        )(ReconcilePanelCommand(panel_id=PANEL))


async def test_panel_down_during_an_expiry_sweep_of_500_converges_after_recovery(
    clean_db: async_sessionmaker[AsyncSession],
) -> None:
    async with RemnawaveEmulator() as emulator:
        app, accesses = await _setup(clean_db, emulator, count=500)
        assert len(emulator.users) == 500
        assert {u.status for u in emulator.users.values()} == {"ACTIVE"}

        app.clock.advance(days=2)
        emulator.faults.down = True
        result = await _expire(app)

        # the database is right at once, whatever the panel does
        assert result.expired == 500
        async with app.scope() as p:
            subs = await p.subscriptions.get_many([a.subscription_id for a in accesses])
        assert {s.status for s in subs.values()} == {SubscriptionStatus.EXPIRED}
        stored = await _accesses(app, [a.id for a in accesses])
        assert {a.desired for a in stored} == {DesiredState.DISABLED}

        await app.run_outbox()  # every panel call fails: retried later, nothing lost
        stored = await _accesses(app, [a.id for a in accesses])
        assert {a.sync for a in stored} == {SyncStatus.FAILING}
        # our disable has not arrived; the panel only applied its own expiry rule
        assert {u.status for u in emulator.users.values()} == {"EXPIRED"}

        emulator.faults.down = False
        app.clock.advance(minutes=1)  # past the first backoff delay: one retry cycle
        await app.run_outbox()

        stored = await _accesses(app, [a.id for a in accesses])
        assert {a.sync for a in stored} == {SyncStatus.IN_SYNC}
        assert len(emulator.users) == 500  # nothing recreated twice
        assert {u.status for u in emulator.users.values()} == {"DISABLED"}
        usernames = Counter(u.username for u in emulator.users.values())
        assert max(usernames.values()) == 1


async def test_one_reconcile_run_repairs_drift_made_behind_our_back(
    clean_db: async_sessionmaker[AsyncSession],
) -> None:
    async with RemnawaveEmulator() as emulator:
        app, accesses = await _setup(clean_db, emulator, count=4)
        deleted, reenabled, live, untouched = accesses
        before = {a.username: emulator.users[a.username] for a in accesses}

        # an expired subscription whose account someone re-enabled on the panel
        app.clock.advance(days=2)
        async with app.scope() as p:
            for access in (deleted, live, untouched):
                sub = await p.subscriptions.get(access.subscription_id, for_update=True)
                assert sub is not None
                sub.extend(30, app.clock.now())
                await p.subscriptions.save(sub)
            await p.uow.commit()
        await _expire(app)
        await app.run_outbox()
        assert emulator.users[reenabled.username].status == "DISABLED"

        emulator.delete_behind_our_back(deleted.username)
        emulator.edit_behind_our_back(
            reenabled.username, status="ACTIVE", expire_at=app.clock.now() + timedelta(days=30)
        )
        emulator.edit_behind_our_back(live.username, status="DISABLED")

        result = await _reconcile(app)
        await app.run_outbox()

        assert result.checked == 4
        assert emulator.users[deleted.username].status == "ACTIVE"  # recreated, live again
        assert emulator.users[deleted.username].short_uuid == before[deleted.username].short_uuid, (
            "the customer's link survives"
        )
        assert emulator.users[reenabled.username].status == "DISABLED"
        assert emulator.users[live.username].status == "ACTIVE"
        assert emulator.users[untouched.username].status == "ACTIVE"
        assert len(emulator.users) == 4  # never deletes what a live subscription owns


@pytest.fixture(autouse=True)
def _quiet_panel_logs(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level("ERROR", logger="vpnsales.adapters.panels")
