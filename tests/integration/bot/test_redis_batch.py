"""Auto-pipelining of the throttle's scripts (``adapters/redis_batch.py``) against a real
Redis: the calls of one event-loop tick go out as one pipeline, each caller getting its
own reply; a lone call goes the direct way; ``NOSCRIPT``, an unreachable server and a
cancelled caller are survived. ``SCRIPT FLUSH`` runs on a Redis server of the test's own
(``OwnRedis``): the shared server's script cache is never flushed."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from aiogram.types import Chat, Message, Update, User
from redis.asyncio import Redis
from redis.asyncio.client import Pipeline
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ResponseError

from vpnsales.adapters.redis_batch import AutoPipeline
from vpnsales.entrypoints.bot.middlewares import throttling
from vpnsales.entrypoints.bot.middlewares.throttling import ThrottlingMiddleware

from .conftest import Harness
from .test_redis_outage import OwnRedis, _free_port

# the throttle's own scripts
COUNT, COUNT_AND_GET = throttling._SCRIPT, throttling._SCRIPT_WITH_STATE
DEADLINE = 10.0
pytestmark = pytest.mark.timeout(60)  # a waiter left hanging fails fast


@dataclass
class Sent:
    """What this process sent: each pipeline's command names, and the direct commands."""

    pipelines: list[list[str]] = field(default_factory=list)
    direct: list[str] = field(default_factory=list)

    def pipelined(self, name: str) -> int:
        return sum(commands.count(name) for commands in self.pipelines)


@contextlib.contextmanager
def sent_commands(monkeypatch: pytest.MonkeyPatch) -> Iterator[Sent]:
    sent = Sent()
    original = Redis.execute_command
    original_pipeline = Pipeline.execute

    async def execute_command(self: Redis, *args: Any, **options: Any) -> Any:
        sent.direct.append(str(args[0]).upper())
        return await original(self, *args, **options)

    async def execute(self: Pipeline, raise_on_error: bool = True) -> Any:
        sent.pipelines.append([str(args[0]).upper() for args, _ in self.command_stack])
        return await original_pipeline(self, raise_on_error)

    with monkeypatch.context() as patch:
        patch.setattr(Redis, "execute_command", execute_command)
        patch.setattr(Pipeline, "execute", execute)
        yield sent


@pytest.fixture
async def prefix(redis: Redis) -> AsyncIterator[str]:
    name = f"vpnsales-test-{uuid.uuid4().hex[:8]}:"
    yield name
    keys = [k async for k in redis.scan_iter(match=f"{name}*")]
    if keys:
        await redis.delete(*keys)


async def wait_until(condition: Any, what: str) -> None:
    """Yield to the loop until ``condition()`` holds (a deadline, never a fixed sleep)."""
    deadline = asyncio.get_running_loop().time() + DEADLINE
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0)


async def test_fifty_concurrent_calls_go_out_in_one_pipeline_each_with_its_reply(
    redis: Redis, prefix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    batch = AutoPipeline(redis)
    script = batch.register_script(COUNT_AND_GET)
    for k in range(10):
        await redis.set(f"{prefix}state:{k}", f"step-{k}")
    calls = [(f"{prefix}thr:{i % 10}", f"{prefix}state:{i % 10}") for i in range(50)]

    with sent_commands(monkeypatch) as sent:
        replies = await asyncio.gather(
            *(script(keys=[counter, state], args=["60000"]) for counter, state in calls)
        )

    counts: dict[str, list[int]] = {}
    for (counter, state), (count, value) in zip(calls, replies, strict=True):
        assert value == f"step-{state.rsplit(':', 1)[1]}".encode()
        counts.setdefault(counter, []).append(int(count))
    assert {key: sorted(values) for key, values in counts.items()} == {
        f"{prefix}thr:{k}": [1, 2, 3, 4, 5] for k in range(10)
    }
    assert counts[f"{prefix}thr:0"] == [1, 2, 3, 4, 5]  # in the order of the calls
    for k in range(10):
        assert await redis.get(f"{prefix}thr:{k}") == b"5"
        assert 0 < await redis.pttl(f"{prefix}thr:{k}") <= 60000
    assert sent.pipelines == [["EVALSHA"] * 50]  # one round trip
    assert "EVALSHA" not in sent.direct


async def test_a_lone_call_goes_directly_without_a_pipeline(
    redis: Redis, prefix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    script = AutoPipeline(redis).register_script(COUNT)
    await script(keys=[f"{prefix}warm"], args=["60000"])  # the script is loaded

    with sent_commands(monkeypatch) as sent:
        first = await script(keys=[f"{prefix}lone"], args=["60000"])
        second = await script(keys=[f"{prefix}lone"], args=["60000"])  # a later tick

    assert (first, second) == (1, 2)
    assert sent.pipelines == []
    assert sent.direct == ["EVALSHA", "EVALSHA"]


async def test_a_full_pipeline_leaves_and_the_rest_follow_in_more_pipelines(
    redis: Redis, prefix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    script = AutoPipeline(redis, max_batch=8).register_script(COUNT)

    with sent_commands(monkeypatch) as sent:
        replies = await asyncio.gather(
            *(script(keys=[f"{prefix}capped"], args=["60000"]) for _ in range(50))
        )

    assert sorted(replies) == list(range(1, 51))
    assert [len(p) for p in sent.pipelines] == [8] * 6 + [2]


async def test_two_scripts_share_the_pipeline_and_an_error_reaches_its_caller_only(
    redis: Redis, prefix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    batch = AutoPipeline(redis)
    count, count_and_get = batch.register_script(COUNT), batch.register_script(COUNT_AND_GET)
    await redis.rpush(f"{prefix}a-list", "x")  # INCR on a list: WRONGTYPE

    with sent_commands(monkeypatch) as sent:
        replies = await asyncio.gather(
            count(keys=[f"{prefix}one"], args=["60000"]),
            count(keys=[f"{prefix}a-list"], args=["60000"]),
            count_and_get(keys=[f"{prefix}two", f"{prefix}none"], args=["60000"]),
            return_exceptions=True,
        )

    assert replies[0] == 1
    assert isinstance(replies[1], ResponseError)
    assert "WRONGTYPE" in str(replies[1])
    assert replies[2] == [1, None]
    assert sent.pipelines == [["EVALSHA"] * 3]


async def test_calls_succeed_after_script_flush(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = OwnRedis(tmp_path)
    await server.start()
    client = Redis.from_url(server.url)
    try:
        batch = AutoPipeline(client)
        count, count_and_get = batch.register_script(COUNT), batch.register_script(COUNT_AND_GET)

        async def both(round_: int) -> list[Any]:
            return await asyncio.gather(
                *(count(keys=[f"c{round_}"], args=["60000"]) for _ in range(10)),
                *(count_and_get(keys=[f"g{round_}", "s"], args=["60000"]) for _ in range(10)),
            )

        await client.set("s", "state")
        with sent_commands(monkeypatch) as sent:
            first = await both(1)  # a fresh server: NOSCRIPT for both scripts
        assert sent.direct.count("SCRIPT LOAD") == 2
        assert sorted(first[:10]) == list(range(1, 11))
        assert sorted(r[0] for r in first[10:]) == list(range(1, 11))

        assert await client.script_flush() is True
        with sent_commands(monkeypatch) as sent:
            second = await both(2)
            lone = await count(keys=["lone"], args=["60000"])
        assert sorted(second[:10]) == list(range(1, 11))
        assert sorted(r[0] for r in second[10:]) == list(range(1, 11))
        assert {r[1] for r in second[10:]} == {b"state"}
        assert lone == 1
        assert sent.direct.count("SCRIPT LOAD") == 2  # each script loaded once, then retried
        assert [len(p) for p in sent.pipelines] == [20, 20]  # the batch, then the retry

        await client.script_flush()
        assert await count(keys=["lone"], args=["60000"]) == 2  # redis-py reloads it
    finally:
        await client.aclose()
        await server.kill()


def unreachable() -> Redis:
    """A client of a port nothing listens on (one quick retry, as redis-py would)."""
    return Redis(
        host="127.0.0.1", port=_free_port(), socket_connect_timeout=1, retry=Retry(NoBackoff(), 1)
    )


async def test_every_waiter_gets_the_error_when_redis_is_unreachable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    client = unreachable()
    try:
        script = AutoPipeline(client).register_script(COUNT)
        with sent_commands(monkeypatch) as sent:
            replies = await asyncio.gather(
                *(script(keys=[f"k{i}"], args=["1000"]) for i in range(10)),
                return_exceptions=True,
            )
            lone = await asyncio.gather(script(keys=["k"], args=["1000"]), return_exceptions=True)
    finally:
        await client.aclose()

    assert all(isinstance(r, RedisConnectionError) for r in replies), replies
    assert isinstance(lone[0], RedisConnectionError)
    assert sent.pipelines == [["EVALSHA"] * 10]


def _update(update_id: int, user: User) -> Update:
    message = Message(
        message_id=update_id,
        date=datetime.now(UTC),
        chat=Chat(id=user.id, type="private"),
        from_user=user,
        text="hello",
    )
    return Update(update_id=update_id, message=message)


async def test_the_throttle_lets_concurrent_updates_through_when_redis_is_unreachable(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    client = unreachable()
    throttle = ThrottlingMiddleware(client, rate=1, i18n=None)
    handled: list[int] = []

    async def handler(event: Any, data: dict[str, Any]) -> str:
        handled.append(event.update_id)
        return "handled"

    users = [User(id=9100 + i, is_bot=False, first_name="U") for i in range(8)]
    try:
        with (
            sent_commands(monkeypatch) as sent,
            caplog.at_level(logging.WARNING, logger="vpnsales.bot.throttling"),
        ):
            results = await asyncio.gather(
                *(
                    throttle(handler, _update(i, user), {"event_from_user": user})
                    for i, user in enumerate(users)
                )
            )
    finally:
        await client.aclose()

    assert results == ["handled"] * 8
    assert sorted(handled) == list(range(8))
    assert sent.pipelines == [["EVALSHA"] * 8]  # they were batched, and failed together
    warnings = [r for r in caplog.records if r.name == "vpnsales.bot.throttling"]
    assert len(warnings) == 8
    assert all("throttling unavailable" in r.getMessage() for r in warnings)


async def test_a_caller_cancelled_while_queued_is_not_sent_and_the_others_are(
    redis: Redis, prefix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    script = AutoPipeline(redis).register_script(COUNT)
    loop = asyncio.get_running_loop()
    with sent_commands(monkeypatch) as sent:
        tasks = [
            loop.create_task(script(keys=[f"{prefix}q{i}"], args=["60000"])) for i in range(10)
        ]
        loop.call_soon(tasks[3].cancel)  # after the calls are queued, before the flush
        done = await asyncio.gather(*tasks, return_exceptions=True)

    assert isinstance(done[3], asyncio.CancelledError)
    assert [r for i, r in enumerate(done) if i != 3] == [1] * 9
    assert await redis.get(f"{prefix}q3") is None  # never sent
    assert sent.pipelines == [["EVALSHA"] * 9]


async def test_a_caller_cancelled_in_flight_does_not_hurt_the_others(
    redis: Redis, prefix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    script = AutoPipeline(redis).register_script(COUNT)
    loop = asyncio.get_running_loop()
    tasks: list[asyncio.Task[Any]] = []
    original = Pipeline.execute

    async def execute(self: Pipeline, raise_on_error: bool = True) -> Any:
        tasks[0].cancel()  # every caller is waiting for its reply now
        return await original(self, raise_on_error)

    monkeypatch.setattr(Pipeline, "execute", execute)
    tasks.extend(
        loop.create_task(script(keys=[f"{prefix}f{i}"], args=["60000"])) for i in range(10)
    )
    done = await asyncio.gather(*tasks, return_exceptions=True)

    assert isinstance(done[0], asyncio.CancelledError)
    assert done[1:] == [1] * 9
    await wait_until(lambda: not batch_tasks(script), "the pipeline to finish")
    assert await redis.get(f"{prefix}f0") == b"1"  # it was sent; only its reply was dropped


def batch_tasks(script: Any) -> set[asyncio.Task[None]]:
    return script._batcher._tasks  # type: ignore[no-any-return]


async def test_concurrent_updates_of_the_bot_share_one_throttle_round_trip(
    h: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    users = [h.tg.add_user(7300 + i, f"U{i}", language_code="en") for i in range(12)]
    for user in users:
        await h.start(user)  # registered: the next /start is a returning customer's
    before = {user.id: h.count(user) for user in users}

    with sent_commands(monkeypatch) as sent:
        await asyncio.gather(*(h.start(user) for user in users))

    for user in users:
        assert h.count(user) > before[user.id]
        assert "Buy VPN" in " ".join(h.labels(user))
    assert "EVALSHA" not in sent.direct
    assert sent.pipelined("EVALSHA") == 12
    assert len([p for p in sent.pipelines if "EVALSHA" in p]) == 1
