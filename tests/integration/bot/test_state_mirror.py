"""The FSM state mirror on the real Redis: states served from this process while its feed
watches, every write of another process heard, nothing kept that a change overtook, and
a lost feed falling back to reading Redis."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from aiogram.fsm.storage.base import DefaultKeyBuilder, StorageKey
from aiogram.fsm.storage.redis import RedisStorage
from redis.asyncio import Redis

from vpnsales.entrypoints.bot import fsm_storage
from vpnsales.entrypoints.bot.state_mirror import MISSING, StateChangeFeed, StateMirror
from vpnsales.testing.waiting import wait_until

KEY = StorageKey(bot_id=1, chat_id=42, user_id=42)
OTHER = StorageKey(bot_id=1, chat_id=43, user_id=43)


class Process:
    """One bot process's mirror (and its feed, once started) over the shared Redis."""

    def __init__(self, redis: Redis, prefix: str, **mirror: Any) -> None:
        inner = RedisStorage(redis, key_builder=DefaultKeyBuilder(prefix=f"{prefix}:fsm"))
        self.mirror = StateMirror(inner, channel=f"{prefix}:fsm:changed", **mirror)
        self.feed = StateChangeFeed(redis, self.mirror, min_backoff=0.05, max_backoff=0.2)
        self.task: asyncio.Task[None] | None = None

    async def watch(self) -> None:
        self.task = asyncio.create_task(self.feed.run())
        await wait_until(lambda: self.mirror.watched, what="the feed to subscribe")

    async def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()
            await asyncio.wait([self.task])


@pytest.fixture
async def processes(redis: Redis) -> AsyncIterator[Callable[..., Awaitable[Process]]]:
    prefix = f"vpnsales-test-{uuid.uuid4().hex[:8]}"
    made: list[Process] = []

    async def make(watch: bool = True, **mirror: Any) -> Process:
        process = Process(redis, prefix, **mirror)
        made.append(process)
        if watch:
            await process.watch()
        return process

    yield make
    for process in made:
        await process.stop()
    keys = [k async for k in redis.scan_iter(match=f"{prefix}*")]
    if keys:
        await redis.delete(*keys)


def state_key(process: Process, key: StorageKey = KEY) -> str:
    return process.mirror.state_key(key)


async def test_unwatched_every_read_goes_to_redis(
    processes: Callable[..., Awaitable[Process]], redis: Redis
) -> None:
    p = await processes(watch=False)
    assert await p.mirror.get_state(KEY) is None
    await redis.set(state_key(p), "Flow:typing")
    assert await p.mirror.get_state(KEY) == "Flow:typing"
    assert len(p.mirror) == 0
    assert p.mirror.peek_state(KEY) is MISSING


async def test_watched_a_state_read_once_is_served_from_memory(
    processes: Callable[..., Awaitable[Process]], redis: Redis
) -> None:
    p = await processes()
    assert await p.mirror.get_state(KEY) is None
    assert p.mirror.peek_state(KEY) is None  # "no state" is held too
    # a write behind the storage's back is not heard: proof the read was not repeated
    await redis.set(state_key(p), "Flow:typing")
    assert await p.mirror.get_state(KEY) is None


async def test_a_write_goes_to_redis_and_is_held(
    processes: Callable[..., Awaitable[Process]], redis: Redis
) -> None:
    p = await processes()
    await p.mirror.set_state(KEY, "Flow:typing")
    assert await redis.get(state_key(p)) == b"Flow:typing"
    assert p.mirror.peek_state(KEY) == "Flow:typing"
    await p.mirror.set_state(KEY, None)
    assert await redis.get(state_key(p)) is None
    assert p.mirror.peek_state(KEY) is None


async def test_another_process_write_is_heard(
    processes: Callable[..., Awaitable[Process]],
) -> None:
    a, b = await processes(), await processes()
    assert await a.mirror.get_state(KEY) is None
    assert await a.mirror.get_state(OTHER) is None
    await b.mirror.set_state(KEY, "Flow:typing")
    await wait_until(lambda: a.mirror.peek_state(KEY) is MISSING, what="a to hear b's write")
    assert await a.mirror.get_state(KEY) == "Flow:typing"
    assert a.mirror.peek_state(OTHER) is None  # only the key written was forgotten
    # a's own writes come back on the channel and are not taken for another's
    await a.mirror.set_state(KEY, None)
    await b.mirror.set_state(OTHER, "Flow:other")
    await wait_until(lambda: a.mirror.peek_state(OTHER) is MISSING, what="b's second write")
    assert a.mirror.peek_state(KEY) is None


async def test_a_read_overtaken_by_a_change_is_returned_but_not_kept(
    processes: Callable[..., Awaitable[Process]], redis: Redis
) -> None:
    p = await processes()
    inner = p.mirror.inner
    reading, release = asyncio.Event(), asyncio.Event()
    original = inner.get_state

    async def slow_read(key: StorageKey) -> str | None:
        value = await original(key)
        reading.set()
        await release.wait()
        return value

    inner.get_state = slow_read  # type: ignore[method-assign]
    read = asyncio.create_task(p.mirror.get_state(KEY))
    await reading.wait()
    p.mirror.changed(state_key(p))  # another process wrote the key meanwhile
    release.set()
    assert await read is None
    assert p.mirror.peek_state(KEY) is MISSING
    # the same for a drop (the feed reconnected) during a read of another key
    reading.clear()
    release.clear()
    read = asyncio.create_task(p.mirror.get_state(OTHER))
    await reading.wait()
    p.mirror.drop()
    release.set()
    await read
    assert p.mirror.peek_state(OTHER) is MISSING
    # a change of another key does not spoil a read
    reading.clear()
    release.clear()
    read = asyncio.create_task(p.mirror.get_state(KEY))
    await reading.wait()
    p.mirror.changed(state_key(p, OTHER))
    release.set()
    await read
    assert p.mirror.peek_state(KEY) is None


async def test_overlapping_writes_of_one_key_keep_nothing(
    processes: Callable[..., Awaitable[Process]], redis: Redis
) -> None:
    """Two updates of one customer writing at once: which write Redis applied last is
    not known here, so neither is held (the next read asks Redis)."""
    p = await processes()
    await asyncio.gather(
        p.mirror.set_state(KEY, "Flow:first"), p.mirror.set_state(KEY, "Flow:second")
    )
    assert p.mirror.peek_state(KEY) is MISSING
    assert await p.mirror.get_state(KEY) == (await redis.get(state_key(p)) or b"").decode()


@pytest.mark.parametrize("write_fails", [False, True])
async def test_a_read_during_a_write_leaves_nothing_stale(
    processes: Callable[..., Awaitable[Process]], redis: Redis, write_fails: bool
) -> None:
    p = await processes()
    await redis.set(state_key(p), "Flow:old")  # behind the storage: nothing held yet
    entered, gate = asyncio.Event(), asyncio.Event()
    client = p.mirror.inner.redis
    make_pipeline = client.pipeline

    def pipeline(*args: Any, **kwargs: Any) -> Any:
        pipe = make_pipeline(*args, **kwargs)
        execute = pipe.execute

        async def held(*a: Any, **kw: Any) -> Any:
            entered.set()
            await gate.wait()
            if write_fails:
                raise TimeoutError("the reply was lost")
            return await execute(*a, **kw)

        pipe.execute = held  # type: ignore[method-assign]
        return pipe

    client.pipeline = pipeline  # type: ignore[method-assign]
    try:
        write = asyncio.create_task(p.mirror.set_state(KEY, "Flow:new"))
        await entered.wait()
        assert await p.mirror.get_state(KEY) == "Flow:old"  # Redis before the write
        gate.set()
        if write_fails:
            with pytest.raises(TimeoutError):
                await write
            assert p.mirror.peek_state(KEY) is MISSING
        else:
            await write
            assert p.mirror.peek_state(KEY) == "Flow:new"
    finally:
        client.pipeline = make_pipeline  # type: ignore[method-assign]


async def test_a_failed_write_forgets_the_key(
    processes: Callable[..., Awaitable[Process]],
) -> None:
    p = await processes()
    await p.mirror.set_state(KEY, "Flow:typing")

    class Down:
        def pipeline(self, transaction: bool = True) -> Any:
            raise ConnectionError("Redis is down")

    redis = p.mirror.inner.redis
    p.mirror.inner.redis = Down()  # type: ignore[assignment]
    try:
        with pytest.raises(ConnectionError):
            await p.mirror.set_state(KEY, None)
    finally:
        p.mirror.inner.redis = redis
    assert p.mirror.peek_state(KEY) is MISSING


async def test_the_mirror_is_bounded(processes: Callable[..., Awaitable[Process]]) -> None:
    p = await processes(max_entries=2)
    keys = [StorageKey(bot_id=1, chat_id=i, user_id=i) for i in range(1, 4)]
    for key in keys:
        await p.mirror.get_state(key)
    assert len(p.mirror) == 2
    assert p.mirror.peek_state(keys[0]) is MISSING
    assert p.mirror.peek_state(keys[2]) is None


async def test_a_lost_feed_drops_everything_and_reads_redis_until_it_is_back(
    processes: Callable[..., Awaitable[Process]], redis: Redis
) -> None:
    a, b = await processes(), await processes()
    assert await a.mirror.get_state(KEY) is None
    connections = a.feed.connections
    # kill the subscriber connections (both feeds; b's write must still reach Redis)
    await redis.execute_command("CLIENT", "KILL", "TYPE", "pubsub")
    await wait_until(lambda: a.feed.connections > connections, what="a to resubscribe")
    assert a.mirror.peek_state(KEY) is MISSING  # dropped: writes may have gone unheard
    await wait_until(lambda: b.mirror.watched, what="b to resubscribe")
    assert await a.mirror.get_state(KEY) is None
    await b.mirror.set_state(KEY, "Flow:typing")
    await wait_until(lambda: a.mirror.peek_state(KEY) is MISSING, what="a to hear b again")
    assert await a.mirror.get_state(KEY) == "Flow:typing"


async def test_a_foreign_message_on_the_channel_drops_everything(
    processes: Callable[..., Awaitable[Process]], redis: Redis
) -> None:
    p = await processes()
    await p.mirror.get_state(KEY)
    await redis.publish(p.mirror.channel, "garbage")
    await wait_until(lambda: p.mirror.peek_state(KEY) is MISSING, what="the drop")
    assert p.mirror.watched


async def test_the_fail_soft_storage_serves_held_states_without_a_timer(
    redis: Redis,
) -> None:
    """``FailSoftStorage`` answers a held state straight from the mirror (the inner
    storage is never asked); a clearing missed while Redis was down is replayed first."""
    prefix = f"vpnsales-test-{uuid.uuid4().hex[:8]}"
    storage = fsm_storage(redis, prefix)
    feed = StateChangeFeed(redis, storage.mirror)
    task = asyncio.create_task(feed.run())
    try:
        await wait_until(lambda: storage.mirror.watched, what="the feed")
        await storage.set_state(KEY, "Flow:typing")
        calls: list[StorageKey] = []
        original = storage.mirror.inner.get_state

        async def counted(key: StorageKey) -> str | None:
            calls.append(key)
            return await original(key)

        storage.mirror.inner.get_state = counted  # type: ignore[method-assign]
        assert await storage.get_state(KEY) == "Flow:typing"
        assert calls == []
        storage._remember(KEY).state = True  # a clearing that missed Redis
        assert await storage.get_state(KEY) is None  # replayed first (and then held)
        assert await redis.get(storage.mirror.state_key(KEY)) is None
    finally:
        task.cancel()
        await asyncio.wait([task])
        with contextlib.suppress(Exception):
            keys = [k async for k in redis.scan_iter(match=f"{prefix}*")]
            if keys:
                await redis.delete(*keys)
