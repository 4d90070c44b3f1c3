"""A payment for an expired subscription enables the access at once: the commit kicks
the outbox drain. No schedule can have done it: the cluster's periodic outbox drain
runs hourly."""

from __future__ import annotations

import time

from .conftest import Cluster, wait_for  # type: ignore[import-not-found]

CUSTOMER = 7001


async def test_payment_for_expired_subscription_enables_access_without_any_schedule(
    cluster: Cluster,
) -> None:
    await cluster.seed_tariff(1, 30)

    bought = await cluster.pay(CUSTOMER, 1)
    assert bought.subscription_id is not None
    sub_id = bought.subscription_id
    access = await cluster.access_of(sub_id)
    await wait_for(
        lambda: (u := cluster.panel_user(access["username"])) is not None and u.status == "ACTIVE",
        what="the access to be provisioned",
    )

    # A day and a bit later the sweep (every second) expires it and kicks the drain.
    cluster.advance(days=1, hours=1)
    await wait_for(
        lambda: (
            (u := cluster.panel_user(access["username"])) is not None and u.status == "DISABLED"
        ),
        what="the expired access to be disabled on the panel",
    )
    assert (await cluster.subscription(sub_id))["status"] == "expired"

    started = time.monotonic()
    renewed = await cluster.pay(CUSTOMER, 30, renew=sub_id)
    assert renewed.reactivated
    await wait_for(
        lambda: cluster.panel_user(access["username"]).status == "ACTIVE",
        timeout=5,
        what="the renewed access to be enabled on the panel",
    )
    elapsed = time.monotonic() - started
    assert elapsed < 5
    user = cluster.panel_user(access["username"])
    assert user.expire_at > cluster.clock.now()
    await wait_for(lambda: cluster.outbox_idle(), what="the outbox to drain")
    kinds = sorted(n["payload"]["kind"] for n in await cluster.notifications(CUSTOMER))
    assert kinds.count("expired") == 1
    assert kinds.count("reactivated") == 1
