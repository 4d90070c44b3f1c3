"""Reconciliation repairs from a snapshot: if the desired state moved on meanwhile, its
panel call must not leave a paying customer disabled."""

from __future__ import annotations

import asyncio

from vpnsales.application.interactors.system.reconcile_panel import (
    ReconcilePanel,
    ReconcilePanelCommand,
)
from vpnsales.application.interactors.system.sync_access import SyncAccess, SyncAccessCommand
from vpnsales.application.ports.panels import AccountRef, PanelAccountStatus
from vpnsales.domain.access import DesiredState
from vpnsales.domain.ids import AccessId, PanelId
from vpnsales.domain.notifications import IntentKind
from vpnsales.testing.app import InMemoryApp
from vpnsales.testing.fakes import FakePanel

from .conftest import TG, make_app, run


class GatedPanel(FakePanel):
    """``disable`` waits for ``gate`` (a slow panel call)."""

    def __init__(self, panel_id: str) -> None:
        super().__init__(panel_id)
        self.gate = asyncio.Event()
        self.entered = asyncio.Event()

    async def disable(self, ref: AccountRef) -> None:
        self.entered.set()
        await self.gate.wait()
        await super().disable(ref)


async def _desire(app: InMemoryApp, access_id: AccessId, state: DesiredState) -> None:
    async with app.scope() as p:
        locked = await p.accesses.get(access_id, for_update=True)
        assert locked is not None
        locked.desire(state)
        await p.accesses.save(locked)
        await p.uow.commit()


async def test_a_stale_reconcile_repair_does_not_disable_a_renewed_access() -> None:
    panel = GatedPanel("panel-1")
    panel.gate.set()
    app = await make_app(panels=[panel])
    await app.register(telegram_id=TG)
    await app.buy(TG, "basic")
    await app.run_outbox()
    (access,) = app.rows("accesses")
    # expired while the panel was unreachable: the database says disabled, the panel not
    await _desire(app, access.id, DesiredState.DISABLED)
    panel.gate.clear()
    reconciling = asyncio.create_task(
        run(app, ReconcilePanel, ReconcilePanelCommand(panel_id=PanelId("panel-1")))
    )
    await asyncio.wait_for(panel.entered.wait(), 5)
    # the customer renews meanwhile and the access is converged at once
    await _desire(app, access.id, DesiredState.ENABLED)
    await run(app, SyncAccess, SyncAccessCommand(access_id=access.id))
    assert panel.account(access.username).status is PanelAccountStatus.ACTIVE
    panel.gate.set()  # the reconciler's (stale) disable lands now
    await reconciling

    await app.run_outbox()

    assert panel.account(access.username).status is PanelAccountStatus.ACTIVE


async def test_reconcile_provisioning_first_still_tells_the_customer() -> None:
    app = await make_app()
    await app.register(telegram_id=TG)
    await app.buy(TG, "basic")  # the access waits in the outbox ...
    # ... and the periodic reconciliation gets to it first
    await run(app, ReconcilePanel, ReconcilePanelCommand(panel_id=PanelId("panel-1")))

    await app.run_outbox()

    (access,) = app.rows("accesses")
    assert app.panel.account(access.username) is not None
    assert len(app.notifier.intents(IntentKind.ACCESS_READY)) == 1
