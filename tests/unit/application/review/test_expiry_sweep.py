"""The expiry sweep must survive an access already desired deleted (moved panels)."""

from __future__ import annotations

from vpnsales.application.interactors.system.expire_due_subscriptions import (
    ExpireDueSubscriptions,
    ExpireDueSubscriptionsCommand,
)
from vpnsales.domain.access import DesiredState
from vpnsales.domain.ids import PanelId
from vpnsales.domain.payment import PaymentPurpose
from vpnsales.domain.subscription import SubscriptionStatus
from vpnsales.testing.builders import a_tariff
from vpnsales.testing.fakes import FakePanel

from .conftest import TG, make_app, run


async def test_expiry_after_a_plan_change_to_another_panel() -> None:
    app = await make_app(panels=[FakePanel("panel-1"), FakePanel("panel-2")])
    await app.add_tariff(a_tariff(code="far", rub=300, panel="panel-2"))
    await app.register(telegram_id=TG)
    first = await app.buy(TG, "basic")
    moved = await app.buy(
        TG,
        "far",
        purpose=PaymentPurpose.PLAN_CHANGE,
        subscription_id=first.subscription_id,
    )
    await app.register(telegram_id=2002)
    later = await app.buy(2002, "basic")
    app.clock.advance(days=200)

    result = await run(app, ExpireDueSubscriptions, ExpireDueSubscriptionsCommand())

    assert result.expired == 2  # one stuck row must not block everybody else's expiry
    for sub_id in (moved.subscription_id, later.subscription_id):
        assert (await app.get("subscriptions", sub_id)).status is SubscriptionStatus.EXPIRED
    me = await app.customer(TG)
    mine = {a.panel_id: a for a in app.rows("accesses") if a.customer_id == me.id}
    assert mine[PanelId("panel-1")].desired is DesiredState.DELETED
    assert mine[PanelId("panel-2")].desired is DesiredState.DISABLED
