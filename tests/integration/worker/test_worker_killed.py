"""A worker killed with SIGKILL in the middle of an outbox item: the item stays leased,
is claimed again once the lease has expired, and the panel ends in the right state with
one account — and the customer hears "access ready" once."""

from __future__ import annotations

from datetime import timedelta

from vpnsales.entrypoints.worker.tasks import TaskName

from .conftest import Cluster, wait_for  # type: ignore[import-not-found]

CUSTOMER = 7101


async def test_item_of_a_killed_worker_runs_again_after_its_lease_and_converges_once(
    cluster: Cluster,
) -> None:
    await cluster.seed_tariff(30)
    panel = cluster.stack.remnawave
    calls_before = len(panel.calls)
    panel.faults.latency = 10.0  # the worker taking the item gets stuck in the panel call

    bought = await cluster.pay(CUSTOMER, 30)
    assert bought.subscription_id is not None
    access = await cluster.access_of(bought.subscription_id)
    await wait_for(lambda: len(panel.calls) > calls_before, what="a worker to call the panel")
    # SIGKILL mid-item. Both workers: whichever holds the item dies with it (the panel's
    # request log cannot tell which one it is).
    await cluster.kill("w1")
    await cluster.kill("w2")
    panel.faults.latency = 0.0

    (item,) = await cluster.rows(
        "SELECT * FROM outbox WHERE kind = 'sync_access' AND payload->>'access_id' = :a",
        a=str(access["id"]),
    )
    assert item["status"] == "pending"
    assert item["locked_until"] > cluster.clock.now()  # still leased by the dead worker
    assert item["attempts"] == 0  # a crash is not a failure report

    await cluster.start_worker("w3")  # a fresh worker takes over
    # While the lease holds, drains leave the item alone.
    await cluster.enqueue(TaskName.DRAIN_OUTBOX)
    await cluster.settle("outbox", runs=1, idle=False)
    (still,) = await cluster.rows("SELECT status, claims FROM outbox WHERE id = :i", i=item["id"])
    assert (still["status"], still["claims"]) == ("pending", 1)

    # The lease (2 minutes) runs out on the shared clock; the next drain takes it over.
    cluster.advance(minutes=3)
    await cluster.enqueue(TaskName.DRAIN_OUTBOX)

    async def done() -> bool:
        rows = await cluster.rows("SELECT status FROM outbox WHERE id = :i", i=item["id"])
        return bool(rows[0]["status"] == "done")

    await wait_for(done, what="the item to be executed again")
    await wait_for(cluster.outbox_idle, what="follow-ups (access ready) to be delivered")

    (final,) = await cluster.rows("SELECT claims, attempts FROM outbox WHERE id = :i", i=item["id"])
    assert (final["claims"], final["attempts"]) == (2, 0)
    accounts = [u for u in panel.users.values() if u.username == access["username"]]
    assert len(accounts) == 1
    assert accounts[0].status == "ACTIVE"
    assert abs(
        accounts[0].expire_at - (await cluster.subscription(bought.subscription_id))["expires_at"]
    ) < timedelta(minutes=1)
    synced = await cluster.access_of(bought.subscription_id)
    assert synced["sync"] == "in_sync"
    assert synced["subscription_url"]
    kinds = [n["payload"]["kind"] for n in await cluster.notifications(CUSTOMER)]
    assert kinds.count("access_ready") == 1
    assert len(cluster.messages_to(CUSTOMER)) == len(kinds)
