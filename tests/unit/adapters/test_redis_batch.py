"""``AutoPipeline``'s batching and failure handling over a scripted stand-in for the
redis-py client (the real server is in ``tests/integration/bot/test_redis_batch.py``)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import NoScriptError, ResponseError

from vpnsales.adapters.redis_batch import AutoPipeline

pytestmark = pytest.mark.timeout(30)

Command = tuple[Any, ...]


class FakeRedis:
    """Runs each ``EVALSHA`` through ``reply`` (its arguments → a reply or an exception
    instance); ``fail`` makes a whole pipeline (or a ``SCRIPT LOAD``) raise."""

    def __init__(self, reply: Callable[[Command], Any]) -> None:
        self.reply = reply
        self.pipelines: list[list[Command]] = []
        self.direct: list[Command] = []
        self.loaded: list[str] = []
        self.fail: list[BaseException | None] = []  # per pipeline, in order
        self.fail_load: BaseException | None = None
        self.gate: asyncio.Event | None = None  # pipelines wait for it when set

    def register_script(self, source: str) -> Any:
        async def run(keys: list[Any], args: list[Any]) -> Any:
            self.direct.append(("EVALSHA", "?", len(keys), *keys, *args))
            return self.reply(("EVALSHA", "?", len(keys), *keys, *args))

        return run

    def pipeline(self, transaction: bool = True) -> FakePipeline:
        assert transaction is False
        return FakePipeline(self)

    async def script_load(self, source: str) -> str:
        if self.fail_load is not None:
            raise self.fail_load
        self.loaded.append(source)
        return "sha"


class FakePipeline:
    def __init__(self, redis: FakeRedis) -> None:
        self.redis = redis
        self.command_stack: list[Command] = []

    def execute_command(self, *args: Any) -> FakePipeline:
        self.command_stack.append(args)
        return self

    async def execute(self, raise_on_error: bool = True) -> list[Any]:
        assert raise_on_error is False
        redis = self.redis
        redis.pipelines.append(self.command_stack)
        failure = redis.fail.pop(0) if redis.fail else None
        if redis.gate is not None:
            await redis.gate.wait()
        if failure is not None:
            raise failure
        return [redis.reply(command) for command in self.command_stack]


def echo_key(command: Command) -> Any:
    return command[3]


async def test_one_tick_is_one_pipeline_and_the_next_tick_another() -> None:
    redis = FakeRedis(echo_key)
    script = AutoPipeline(redis, max_batch=256).register_script("return 1")  # type: ignore[arg-type]

    first = await asyncio.gather(*(script(keys=[f"a{i}"]) for i in range(5)))
    second = await asyncio.gather(*(script(keys=[f"b{i}"]) for i in range(3)))

    assert first == [f"a{i}" for i in range(5)]
    assert second == [f"b{i}" for i in range(3)]
    assert [len(p) for p in redis.pipelines] == [5, 3]
    assert redis.direct == []


async def test_a_lone_call_runs_the_script_directly() -> None:
    redis = FakeRedis(echo_key)
    script = AutoPipeline(redis).register_script("return 1")  # type: ignore[arg-type]

    assert await script(keys=["only"], args=["x"]) == "only"
    assert redis.pipelines == []
    assert redis.direct == [("EVALSHA", "?", 1, "only", "x")]


async def test_evalsha_carries_the_sha_the_key_count_keys_and_args() -> None:
    redis = FakeRedis(echo_key)
    script = AutoPipeline(redis).register_script("return 1")  # type: ignore[arg-type]

    await asyncio.gather(script(keys=["k1", "k2"], args=["a"]), script(keys=["k3"], args=[]))

    sha = "e0e1f9fabfc9d4800c877a703b823ac0578ff8db"  # SHA1("return 1"), as Redis has it
    assert redis.pipelines == [[("EVALSHA", sha, 2, "k1", "k2", "a"), ("EVALSHA", sha, 1, "k3")]]


async def test_noscript_is_loaded_and_retried_once_then_reported() -> None:
    attempts: dict[str, int] = {}

    def reply(command: Command) -> Any:
        key = command[3]
        attempts[key] = attempts.get(key, 0) + 1
        if key == "never" or (key == "once" and attempts[key] == 1):
            return NoScriptError("NOSCRIPT No matching script.")
        return key

    redis = FakeRedis(reply)
    batch = AutoPipeline(redis)  # type: ignore[arg-type]
    one, two = batch.register_script("return 1"), batch.register_script("return 2")

    replies = await asyncio.gather(
        one(keys=["fine"]), one(keys=["once"]), two(keys=["never"]), return_exceptions=True
    )

    assert replies[:2] == ["fine", "once"]
    assert isinstance(replies[2], NoScriptError)
    assert sorted(redis.loaded) == ["return 1", "return 2"]
    assert [[c[3] for c in p] for p in redis.pipelines] == [
        ["fine", "once", "never"],
        ["once", "never"],
    ]


async def test_a_failed_retry_fails_only_the_retried_calls() -> None:
    redis = FakeRedis(lambda c: NoScriptError("NOSCRIPT") if c[3] == "gone" else c[3])
    redis.fail_load = RedisConnectionError("lost")
    script = AutoPipeline(redis).register_script("return 1")  # type: ignore[arg-type]

    replies = await asyncio.gather(
        script(keys=["ran"]), script(keys=["gone"]), return_exceptions=True
    )

    assert replies[0] == "ran"
    assert isinstance(replies[1], RedisConnectionError)


async def test_a_failed_pipeline_reaches_every_waiter_and_a_command_error_its_caller() -> None:
    redis = FakeRedis(lambda c: ResponseError("WRONGTYPE") if c[3] == "bad" else c[3])
    redis.fail = [RedisConnectionError("refused"), None]
    script = AutoPipeline(redis).register_script("return 1")  # type: ignore[arg-type]

    failed = await asyncio.gather(
        *(script(keys=[f"k{i}"]) for i in range(4)), return_exceptions=True
    )
    mixed = await asyncio.gather(script(keys=["ok"]), script(keys=["bad"]), return_exceptions=True)

    assert all(isinstance(r, RedisConnectionError) for r in failed), failed
    assert mixed[0] == "ok"
    assert isinstance(mixed[1], ResponseError)


async def test_a_full_queue_leaves_at_once() -> None:
    redis = FakeRedis(echo_key)
    script = AutoPipeline(redis, max_batch=4).register_script("return 1")  # type: ignore[arg-type]

    replies = await asyncio.gather(*(script(keys=[i]) for i in range(10)))

    assert replies == list(range(10))
    assert [[c[3] for c in p] for p in redis.pipelines] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]


async def test_cancelling_the_batch_cancels_its_waiters() -> None:
    redis = FakeRedis(echo_key)
    redis.gate = asyncio.Event()  # the pipeline never answers
    batch = AutoPipeline(redis)  # type: ignore[arg-type]
    script = batch.register_script("return 1")
    waiters = [asyncio.ensure_future(script(keys=[i])) for i in range(3)]
    deadline = asyncio.get_running_loop().time() + 5
    while not redis.pipelines:  # the batch is in flight
        assert asyncio.get_running_loop().time() < deadline
        await asyncio.sleep(0)

    for task in list(batch._tasks):
        task.cancel()
    done = await asyncio.gather(*waiters, return_exceptions=True)

    assert all(isinstance(r, asyncio.CancelledError) for r in done), done


def test_a_batch_holds_at_least_one_call() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        AutoPipeline(FakeRedis(echo_key), max_batch=0)  # type: ignore[arg-type]
