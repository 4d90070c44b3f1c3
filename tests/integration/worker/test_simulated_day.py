"""Two workers and one scheduler, one Redis, one database, for two and a third simulated days.

(The cluster: see ``conftest.py``.) The shared clock moves in 8-hour steps; after each step the test waits until the
expiry sweep and the reminders job have each started twice more (read from the
workers' /metrics) and the outbox has nothing due. Every expiry, reminder and
reactivation must have happened exactly once, on the panel and in Telegram.
"""

from __future__ import annotations

from collections import Counter

from vpnsales.adapters.persistence.outbox import WITHDRAWN_NOTE

from .conftest import Cluster, wait_for  # type: ignore[import-not-found]

DAYS = {101: 1, 102: 2, 103: 3, 104: 4, 105: 1, 106: 30}
RENEWER = 105
STEP_HOURS = 8
STEPS = 7  # 56 simulated hours
RENEW_AT_STEP = 4  # 32 h: eight hours after 105's subscription expired

EXPECTED_REMINDERS = {
    101: {24: 1},  # 1 day: inside the 24 h window at once (the 72 h one is implied)
    102: {72: 1, 24: 1},
    103: {72: 1, 24: 1},
    104: {72: 1},
    105: {24: 2, 72: 1},  # 24 h in its first period; 72 h and 24 h in the renewed one
    106: {},
}
EXPIRED = {101, 102, 105}


async def test_two_workers_and_a_scheduler_do_every_expiry_reminder_and_reactivation_once(
    cluster: Cluster,
) -> None:
    await cluster.seed_tariff(1, 2, 3, 4, 30)
    assert [p.name for p in cluster.procs.values() if p.alive] == ["w1", "w2", "scheduler"]

    subs = {}
    for customer, days in DAYS.items():
        result = await cluster.pay(customer, days)
        assert result.subscription_id is not None
        subs[customer] = result.subscription_id
    usernames = {c: (await cluster.access_of(s))["username"] for c, s in subs.items()}
    await wait_for(
        lambda: all(
            (u := cluster.panel_user(name)) is not None and u.status == "ACTIVE"
            for name in usernames.values()
        ),
        what="every access to be provisioned",
    )
    await cluster.settle("expire", "remind")

    for step in range(1, STEPS + 1):
        cluster.advance(hours=STEP_HOURS)
        if step == RENEW_AT_STEP:
            assert (await cluster.subscription(subs[RENEWER]))["status"] == "expired"
            renewed = await cluster.pay(RENEWER, 2, renew=subs[RENEWER])
            assert renewed.reactivated
        await cluster.settle("expire", "remind")

    # -- every effect exactly once -------------------------------------------------
    notes = await cluster.notifications()
    assert all(n["status"] == "done" for n in notes), [n for n in notes if n["status"] != "done"]
    kinds: dict[int, Counter[str]] = {c: Counter() for c in DAYS}
    reminders: dict[int, Counter[int]] = {c: Counter() for c in DAYS}
    for n in notes:
        kinds[n["telegram_id"]][n["payload"]["kind"]] += 1
        if n["payload"]["kind"] == "expiring_soon":
            reminders[n["telegram_id"]][int(n["payload"]["hours"])] += 1
    for customer in DAYS:
        assert dict(reminders[customer]) == EXPECTED_REMINDERS[customer], customer
        assert kinds[customer]["expired"] == (1 if customer in EXPIRED else 0), customer
        assert kinds[customer]["reactivated"] == (1 if customer == RENEWER else 0), customer
        assert kinds[customer]["access_ready"] == 1, (customer, kinds[customer])
        assert kinds[customer]["payment_received"] == 1, (customer, kinds[customer])

    for customer, sub in subs.items():
        status = (await cluster.subscription(sub))["status"]
        panel = cluster.panel_user(usernames[customer]).status
        if customer in EXPIRED - {RENEWER}:
            assert (status, panel) == ("expired", "DISABLED"), customer
        else:
            assert (status, panel) == ("active", "ACTIVE"), customer

    # Each notification reached Telegram once: as many messages as notifications, less
    # a purchase's "payment received" that its access card withdrew (the card came first).
    withdrawn: Counter[int] = Counter()
    for n in notes:
        if n["last_error"] == WITHDRAWN_NOTE:
            assert n["payload"]["kind"] == "payment_received", n
            withdrawn[n["telegram_id"]] += 1
    for customer in DAYS:
        sent = len(cluster.messages_to(customer))
        expected = sum(kinds[customer].values()) - withdrawn[customer]
        assert sent == expected, (customer, sent, kinds[customer], withdrawn[customer])
