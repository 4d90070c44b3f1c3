"""``DrainAlarm``: the worker wakes its outbox drain when a deferred message falls due."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from vpnsales.entrypoints.worker.jobs import DrainAlarm

DEADLINE = 5.0


class Kicker:
    def __init__(self) -> None:
        self.kicks = 0
        self.kicked = asyncio.Event()

    async def kick(self) -> None:
        self.kicks += 1
        self.kicked.set()


async def test_a_message_due_soon_kicks_the_drain_when_it_falls_due() -> None:
    kicker = Kicker()
    alarm = DrainAlarm(kicker, horizon=timedelta(minutes=1))

    alarm.wake_in(0.01)

    await asyncio.wait_for(kicker.kicked.wait(), DEADLINE)
    assert kicker.kicks == 1
    assert alarm.pending is None


async def test_one_timer_per_process_set_to_the_earliest_time_asked() -> None:
    kicker = Kicker()
    alarm = DrainAlarm(kicker, horizon=timedelta(minutes=1))

    alarm.wake_in(50)
    later = alarm.pending
    alarm.wake_in(10)  # earlier: replaces the later wake-up
    earlier = alarm.pending
    alarm.wake_in(30)  # later than the one set: ignored

    assert later is not None
    assert earlier is not None
    assert earlier < later
    assert alarm.pending == earlier
    alarm.close()
    assert alarm.pending is None
    assert kicker.kicks == 0


async def test_a_message_due_in_the_past_kicks_at_once() -> None:
    kicker = Kicker()
    alarm = DrainAlarm(kicker, horizon=timedelta(minutes=1))

    alarm.wake_in(-3)

    await asyncio.wait_for(kicker.kicked.wait(), DEADLINE)


async def test_beyond_the_horizon_is_left_to_the_periodic_drain() -> None:
    kicker = Kicker()
    alarm = DrainAlarm(kicker, horizon=timedelta(seconds=10))

    alarm.wake_in(11)

    assert alarm.pending is None


async def test_closing_cancels_the_wake_up() -> None:
    kicker = Kicker()
    alarm = DrainAlarm(kicker, horizon=timedelta(minutes=1))
    alarm.wake_in(0.01)
    alarm.close()

    alarm.wake_in(0.02)  # a new one still works: only the cancelled one is gone
    await asyncio.wait_for(kicker.kicked.wait(), DEADLINE)
    assert kicker.kicks == 1
