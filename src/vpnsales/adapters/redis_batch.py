"""Auto-pipelining of Lua scripts (like ioredis's ``enableAutoPipelining``).

Many concurrent tasks that each run one short script (the bot's throttle: one
``EVALSHA`` per update) each pay a whole redis-py round trip: pool checkout, retry
wrapper, a ``send`` syscall, an event-loop wake-up and the parse. :class:`AutoPipeline`
queues the calls made in the same event-loop tick and, at the end of that tick
(``loop.call_soon``), sends them as ONE non-transactional redis-py pipeline of
``EVALSHA`` commands; every caller gets its own reply (or its own error).

* A tick with a single call sends it the direct way (the redis-py ``Script`` on the
  client, from the caller's own task): a quiet process pays one extra loop iteration,
  no pipeline and no task.
* ``EVALSHA`` goes on the pipeline through ``execute_command``, never as a registered
  ``Script`` (redis-py would then send ``SCRIPT EXISTS`` before every pipeline).
  Replies of ``NOSCRIPT`` (``SCRIPT FLUSH``, a restarted server) make the batch
  ``SCRIPT LOAD`` the scripts concerned and send those commands once more.
* A failed pipeline (connection refused or lost, timeout) hands its exception to every
  waiter of that pipeline; a per-command error (``WRONGTYPE``…) goes to its caller only.
* A cancelled caller only stops waiting: the others get their replies (its command
  may still have run in Redis).
* At most ``max_batch`` commands go in one pipeline: a full queue leaves at once and
  the next calls of the tick start another one.

Command counters that patch ``Redis.execute_command`` do not see pipelined commands:
they should also count ``len(pipeline.command_stack)`` in ``Pipeline.execute``.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Sequence
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import NoScriptError

__all__ = ["AutoPipeline", "PipelinedScript"]

_DIRECT: Any = object()
"""A waiter's "result" when it was alone in its tick: run the script yourself."""


class PipelinedScript:
    """A Lua script whose calls are pipelined by its :class:`AutoPipeline`."""

    __slots__ = ("_batcher", "_direct", "_sha", "source")

    def __init__(self, batcher: AutoPipeline, redis: Redis, source: str) -> None:
        self._batcher = batcher
        self.source = source
        self._direct = redis.register_script(source)
        self._sha = hashlib.sha1(source.encode(), usedforsecurity=False).hexdigest()

    @property
    def sha(self) -> str:
        return str(getattr(self._direct, "sha", None) or self._sha)

    async def __call__(self, keys: Sequence[Any] = (), args: Sequence[Any] = ()) -> Any:
        """The script's reply for ``keys`` and ``args`` (``KEYS`` and ``ARGV``)."""
        return await self._batcher.run(self, keys, args)

    async def direct(self, keys: Sequence[Any], args: Sequence[Any]) -> Any:
        """One ``EVALSHA`` on its own (redis-py loads the script on ``NOSCRIPT``)."""
        return await self._direct(keys=keys, args=args)


class _Call:
    __slots__ = ("args", "future", "keys", "script")

    def __init__(
        self,
        script: PipelinedScript,
        keys: Sequence[Any],
        args: Sequence[Any],
        future: asyncio.Future[Any],
    ) -> None:
        self.script, self.keys, self.args, self.future = script, keys, args, future


class AutoPipeline:
    """Batches the calls of its scripts made in one event-loop tick into one pipeline."""

    def __init__(self, redis: Redis, *, max_batch: int = 256) -> None:
        if max_batch < 1:
            raise ValueError("max_batch must be at least 1")
        self._redis = redis
        self._max_batch = max_batch
        self._queue: list[_Call] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._scheduled = False
        self._tasks: set[asyncio.Task[None]] = set()

    def register_script(self, source: str) -> PipelinedScript:
        return PipelinedScript(self, self._redis, source)

    async def run(self, script: PipelinedScript, keys: Sequence[Any], args: Sequence[Any]) -> Any:
        """``script``'s reply, sent with the other calls of this tick."""
        loop = asyncio.get_running_loop()
        if self._scheduled and self._loop is not loop:
            if self._loop is not None and not self._loop.is_closed():
                return await script.direct(keys, args)  # a batch pending on another loop
            self._queue, self._scheduled = [], False  # that loop died with its batch
        future: asyncio.Future[Any] = loop.create_future()
        self._queue.append(_Call(script, keys, args, future))
        if not self._scheduled:
            self._scheduled, self._loop = True, loop
            loop.call_soon(self._flush)
        if len(self._queue) >= self._max_batch:  # full: it leaves now, the tick goes on
            calls, self._queue = self._queue, []
            self._dispatch(loop, calls)
        result = await future
        if result is _DIRECT:
            return await script.direct(keys, args)
        return result

    def _flush(self) -> None:
        self._scheduled = False
        calls, self._queue = self._queue, []
        loop = self._loop
        assert loop is not None
        self._dispatch(loop, calls)

    def _dispatch(self, loop: asyncio.AbstractEventLoop, calls: list[_Call]) -> None:
        calls = [call for call in calls if not call.future.done()]  # cancelled meanwhile
        if not calls:
            return
        if len(calls) == 1:
            calls[0].future.set_result(_DIRECT)
            return
        task = loop.create_task(self._execute(calls))
        self._tasks.add(task)  # a strong reference until it is done
        task.add_done_callback(self._tasks.discard)

    async def _execute(self, calls: list[_Call]) -> None:
        try:
            replies = await self._replies(calls)
        except asyncio.CancelledError:  # the loop is shutting down
            for call in calls:
                call.future.cancel()
            raise
        except Exception as exc:  # the whole pipeline failed: everyone gets the error
            replies = [exc] * len(calls)
        for call, reply in zip(calls, replies, strict=True):
            if call.future.done():  # its caller was cancelled
                continue
            if isinstance(reply, Exception):
                call.future.set_exception(reply)
            else:
                call.future.set_result(reply)

    async def _replies(self, calls: list[_Call]) -> list[Any]:
        """One reply or exception per call; ``NOSCRIPT`` ones retried once."""
        replies = await self._send(calls)
        missing = [i for i, reply in enumerate(replies) if isinstance(reply, NoScriptError)]
        if not missing:
            return replies
        try:
            scripts = {id(calls[i].script): calls[i].script for i in missing}
            for script in scripts.values():
                await self._redis.script_load(script.source)
            retried = await self._send([calls[i] for i in missing])
        except Exception as exc:  # the others' commands ran: they keep their replies
            retried = [exc] * len(missing)
        for i, reply in zip(missing, retried, strict=True):
            replies[i] = reply
        return replies

    async def _send(self, calls: list[_Call]) -> list[Any]:
        pipe = self._redis.pipeline(transaction=False)
        for call in calls:
            pipe.execute_command("EVALSHA", call.script.sha, len(call.keys), *call.keys, *call.args)
        return list(await pipe.execute(raise_on_error=False))
