"""A sync that finishes after a newer one must not leave the panel in its older state."""

from __future__ import annotations

import asyncio

from vpnsales.application.interactors.system.sync_access import (
    SyncAccess,
    SyncAccessCommand,
    SyncOutcome,
)
from vpnsales.application.ports.panels import PanelAccountStatus
from vpnsales.domain.access import DesiredState, SyncStatus
from vpnsales.testing.app import InMemoryApp

from .conftest import TG, run


async def test_a_stale_sync_finishing_last_is_repaired(app: InMemoryApp) -> None:
    await app.register(telegram_id=TG)
    await app.buy(TG, "basic")
    await app.run_outbox()
    (access,) = app.rows("accesses")
    panel = app.panel
    assert panel.account(access.username).status is PanelAccountStatus.ACTIVE

    # worker A starts converging to ENABLED and stalls on the panel
    panel.hang = True
    calls = len(panel.calls)
    old = asyncio.create_task(run(app, SyncAccess, SyncAccessCommand(access_id=access.id)))
    while len(panel.calls) == calls:  # noqa: ASYNC110 - the fake panel has no event
        await asyncio.sleep(0)
    # meanwhile the access must be disabled, and worker B converges it at once
    async with app.scope() as p:
        locked = await p.accesses.get(access.id, for_update=True)
        assert locked is not None
        locked.desire(DesiredState.DISABLED)
        await p.accesses.save(locked)
        await p.uow.commit()
    panel.hang = False
    newer = await run(app, SyncAccess, SyncAccessCommand(access_id=access.id))
    assert newer.outcome is SyncOutcome.SYNCED
    assert panel.account(access.username).status is PanelAccountStatus.DISABLED
    # now A's panel call goes through: the panel is enabled again behind our back
    panel.release()
    stale = await old
    assert stale.outcome is SyncOutcome.STALE

    await app.run_outbox()

    assert panel.account(access.username).status is PanelAccountStatus.DISABLED
    stored = await app.get("accesses", access.id)
    assert stored.desired is DesiredState.DISABLED
    assert stored.sync is SyncStatus.IN_SYNC
