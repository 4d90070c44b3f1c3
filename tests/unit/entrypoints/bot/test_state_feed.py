"""``StateChangeFeed`` over a scripted subscription: watching only once Redis confirmed
the subscription, never across a reconnection, and not past a silent connection."""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import Callable
from typing import Any

import pytest
from aiogram.fsm.storage.base import DefaultKeyBuilder, StorageKey
from aiogram.fsm.storage.redis import RedisStorage

from vpnsales.entrypoints.bot.state_mirror import MISSING, StateChangeFeed, StateMirror
from vpnsales.testing.clock import ManualTimer

KEY = StorageKey(bot_id=1, chat_id=42, user_id=42)
CHANNEL = "shop:fsm:changed"


class Connection:
    def __init__(self) -> None:
        self.callbacks: list[Callable[[Any], Any]] = []

    def register_connect_callback(self, callback: Callable[[Any], Any]) -> None:
        self.callbacks.append(callback)

    def deregister_connect_callback(self, callback: Callable[[Any], Any]) -> None:
        self.callbacks.remove(callback)

    def reconnect(self) -> None:
        for callback in self.callbacks:
            callback(self)


class PubSub:
    """Answers ``get_message`` from a script; an empty script is a silent connection
    (the wait takes the whole timeout on the clock)."""

    def __init__(self, clock: ManualTimer, script: deque[Any]) -> None:
        self.clock = clock
        self.script = script
        self.connection: Connection | None = None
        self.pings = 0
        self.closed = False

    async def subscribe(self, channel: str) -> None:
        assert channel == CHANNEL
        self.connection = Connection()

    async def get_message(self, timeout: float) -> dict[str, Any] | None:
        await asyncio.sleep(0)
        if not self.script:
            self.clock.now += timeout
            return None
        step = self.script.popleft()
        if callable(step):
            return step(self)  # type: ignore[no-any-return]
        return step  # type: ignore[no-any-return]

    async def ping(self) -> None:
        self.pings += 1

    async def aclose(self) -> None:
        self.closed = True


class Redis:
    def __init__(self, clock: ManualTimer, scripts: list[deque[Any]]) -> None:
        self.clock = clock
        self.scripts = scripts
        self.made: list[PubSub] = []

    def pubsub(self) -> PubSub:
        pubsub = PubSub(self.clock, self.scripts.pop(0) if self.scripts else deque())
        self.made.append(pubsub)
        return pubsub


class Stop(Exception):
    """Ends ``run`` from the backoff sleep."""


def subscribed() -> dict[str, Any]:
    return {"type": "subscribe", "data": 1}


def message(payload: str) -> dict[str, Any]:
    return {"type": "message", "data": payload.encode()}


def mirror() -> StateMirror:
    inner = RedisStorage(None, key_builder=DefaultKeyBuilder(prefix="shop:fsm"))  # type: ignore[arg-type]
    return StateMirror(inner, channel=CHANNEL)


async def run(feed: StateChangeFeed) -> None:
    with pytest.raises(Stop):
        await feed.run()


def feed_for(
    redis: Redis, states: StateMirror, clock: ManualTimer, seen: list[Any]
) -> StateChangeFeed:
    async def sleep(seconds: float) -> None:
        seen.append(("sleep", seconds, states.watched))
        raise Stop

    return StateChangeFeed(
        redis,  # type: ignore[arg-type]
        states,
        keepalive=15.0,
        sleep=sleep,
        clock=clock,
    )


async def test_watching_starts_at_the_confirmation_and_other_writes_are_heard() -> None:
    clock, states, seen = ManualTimer(), mirror(), []
    key = states.state_key(KEY)
    watched_before: list[bool] = []

    def before_confirmation(pubsub: PubSub) -> dict[str, Any]:
        watched_before.append(states.watched)
        return subscribed()

    def hold(pubsub: PubSub) -> dict[str, Any]:
        states._keep(key, "Flow:typing")  # as a read would
        return message(states.message(key))  # this process's own write: ignored

    def check_own_ignored(pubsub: PubSub) -> dict[str, Any]:
        seen.append(("held", states.peek_state(KEY)))
        return message(f"other {key}")

    def fail(pubsub: PubSub) -> dict[str, Any]:
        seen.append(("after", states.peek_state(KEY)))
        raise ConnectionError("lost")

    script = deque([before_confirmation, hold, check_own_ignored, fail])
    redis = Redis(clock, [script])
    feed = feed_for(redis, states, clock, seen)
    await run(feed)
    assert watched_before == [False]
    assert seen == [("held", "Flow:typing"), ("after", MISSING), ("sleep", 0.5, False)]
    assert feed.connections == 1
    assert redis.made[0].closed
    assert redis.made[0].connection is not None
    assert redis.made[0].connection.callbacks == []


async def test_a_silent_connection_is_pinged_then_given_up() -> None:
    clock, states, seen = ManualTimer(), mirror(), []
    redis = Redis(clock, [deque([subscribed()])])  # then nothing at all
    await run(feed_for(redis, states, clock, seen))
    assert redis.made[0].pings == 1
    assert seen == [("sleep", 0.5, False)]
    assert clock.now >= 30.0  # two keep-alive periods: the silence, then the ping's


async def test_an_answered_ping_keeps_watching() -> None:
    clock, states, seen = ManualTimer(), mirror(), []

    def silence(pubsub: PubSub) -> None:
        clock.now += 15.0
        return

    def check(pubsub: PubSub) -> dict[str, Any]:
        seen.append(("pinged", pubsub.pings, states.watched))
        return {"type": "pong", "data": b""}

    def fail(pubsub: PubSub) -> None:
        seen.append(("after pong", states.watched))
        raise ConnectionError("lost")

    redis = Redis(clock, [deque([subscribed(), silence, check, fail])])
    await run(feed_for(redis, states, clock, seen))
    assert seen == [("pinged", 1, True), ("after pong", True), ("sleep", 0.5, False)]


async def test_a_reconnection_unwatches_until_the_new_subscription_is_confirmed() -> None:
    clock, states, seen = ManualTimer(), mirror(), []
    key = states.state_key(KEY)

    def reconnect(pubsub: PubSub) -> dict[str, Any]:
        states._keep(key, None)
        assert pubsub.connection is not None
        pubsub.connection.reconnect()  # redis-py reconnected (and resubscribed) by itself
        seen.append(("reconnected", states.watched, states.peek_state(KEY)))
        return subscribed()

    def fail(pubsub: PubSub) -> None:
        seen.append(("confirmed", states.watched))
        raise ConnectionError("lost")

    redis = Redis(clock, [deque([subscribed(), reconnect, fail])])
    feed = feed_for(redis, states, clock, seen)
    await run(feed)
    assert seen == [
        ("reconnected", False, MISSING),
        ("confirmed", True),
        ("sleep", 0.5, False),
    ]
    assert feed.connections == 2


async def test_cancelled_while_cleaning_up_a_lost_subscription_the_feed_ends() -> None:
    """The process stops (SIGTERM) while the feed closes a lost connection, and the
    cancellation is swallowed below it (as Python 3.11's ``wait_for`` can, racing a
    completing close): the feed must end, not subscribe again — it hung shutdown."""
    clock, states = ManualTimer(), mirror()
    closing = asyncio.Event()

    class SlowToClose(PubSub):
        async def aclose(self) -> None:
            closing.set()
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.Event().wait()

    class Server(Redis):
        def pubsub(self) -> PubSub:
            pubsub = SlowToClose(self.clock, deque([subscribed(), lost]))
            self.made.append(pubsub)
            return pubsub

    def lost(pubsub: PubSub) -> None:
        raise ConnectionError("lost")

    redis = Server(clock, [])
    feed = StateChangeFeed(redis, states, clock=clock)  # type: ignore[arg-type]
    task = asyncio.create_task(feed.run())
    await asyncio.wait_for(closing.wait(), 5)
    task.cancel()
    await asyncio.wait([task], timeout=5)
    assert task.cancelled()
    assert len(redis.made) == 1
    assert not states.watched
