"""A panel outage: the item is retried with backoff on the shared clock and
dead-lettered exactly at the configured attempt (the seller is alerted); after the
panel recovers, retries and reconciliation bring every access back in line.

The cluster's safety-net drain is hourly; the test enqueues it by hand (what the
scheduler does every few seconds in production) to control when attempts happen."""

from __future__ import annotations

import signal
from collections.abc import Awaitable, Callable

from vpnsales.entrypoints.worker.tasks import TaskName
from vpnsales.testing.stack import ADMIN_ID

from .conftest import CIRCUIT_RESET, WORKERS, Cluster, wait_for  # type: ignore[import-not-found]  # type: ignore[import-not-found]
from .conftest import MAX_ATTEMPTS as ATTEMPTS  # type: ignore[import-not-found]

FIRST, SECOND = 7201, 7202


async def test_outage_dead_letters_after_the_configured_attempts_and_converges_after(
    cluster: Cluster,
) -> None:
    await cluster.seed_tariff(30)
    panel = cluster.stack.remnawave
    panel.faults.down = True

    first = await cluster.pay(FIRST, 30)
    assert first.subscription_id is not None
    first_access = await cluster.access_of(first.subscription_id)

    async def item(access_id: object) -> dict[str, object]:
        (row,) = await cluster.rows(
            "SELECT status, attempts, last_error FROM outbox "
            "WHERE kind = 'sync_access' AND payload->>'access_id' = :a",
            a=str(access_id),
        )
        return dict(row)

    for attempt in range(1, ATTEMPTS):
        await wait_for(
            lambda n=attempt: _has(item(first_access["id"]), attempts=n),  # type: ignore[misc]
            what=f"attempt {attempt} to fail",
        )
        assert (await item(first_access["id"]))["status"] == "pending"
        cluster.advance(hours=1)  # past the backoff (capped at 30 minutes)
        await cluster.enqueue(TaskName.DRAIN_OUTBOX)

    await wait_for(
        lambda: _has(item(first_access["id"]), status="dead"), what="the item to be dead-lettered"
    )
    dead = await item(first_access["id"])
    assert dead["attempts"] == ATTEMPTS
    await wait_for(
        lambda: any("dead-lettered" in (m.text or "") for m in cluster.messages_to(ADMIN_ID)),
        what="the seller to be alerted",
    )
    assert panel.get_user(first_access["username"]) is None

    # A second customer pays during the outage: retrying, not dead yet.
    second = await cluster.pay(SECOND, 30)
    assert second.subscription_id is not None
    second_access = await cluster.access_of(second.subscription_id)
    await wait_for(
        lambda: _has(item(second_access["id"]), attempts=1), what="the second item to fail once"
    )

    # Recovery: the retry converges the second access; reconciliation the first. The
    # workers' circuits opened during the outage: a call within CIRCUIT_RESET of a
    # worker's last failure fails fast (and counts as an attempt), so the retry is
    # nudged as the scheduler and the passing time would, spaced past the reset.
    panel.faults.down = False
    await cluster.enqueue(TaskName.RECONCILE, panel_id="rw")
    await wait_for(
        lambda: all(
            (u := panel.get_user(a["username"])) is not None and u.status == "ACTIVE"
            for a in (first_access, second_access)
        ),
        what="both accounts to exist and be enabled on the panel",
    )
    await wait_for(
        _retried(cluster, lambda: _has(item(second_access["id"]), status="done")),
        what="the retry to succeed",
        interval=CIRCUIT_RESET * 1.5,
    )
    assert (await item(first_access["id"]))["status"] == "dead"  # never resurrected
    for customer in (FIRST, SECOND):
        assert len([u for u in panel.users.values() if u.telegram_id == customer]) <= 1
    await wait_for(cluster.outbox_idle, what="the outbox to drain")
    dead_letters = await cluster.rows("SELECT count(*) AS n FROM outbox WHERE status = 'dead'")
    assert dead_letters[0]["n"] == 1
    # the next test starts with fresh workers (closed circuits): the fixture restarts them
    for name in WORKERS:
        await cluster.kill(name, signal.SIGTERM)


def _retried(
    cluster: Cluster, done: Callable[[], Awaitable[bool]]
) -> Callable[[], Awaitable[bool]]:
    """``done``, and if not yet: past the item's backoff on the shared clock, and a drain."""

    async def check() -> bool:
        if await done():
            return True
        cluster.advance(hours=1)
        await cluster.enqueue(TaskName.DRAIN_OUTBOX)
        return False

    return check


async def _has(row: object, **expected: object) -> bool:
    data = await row  # type: ignore[misc]
    return all(data[k] == v for k, v in expected.items())
