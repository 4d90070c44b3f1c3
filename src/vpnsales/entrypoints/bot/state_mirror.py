"""FSM states kept in this process too, current through a Redis channel: a returning
customer's update reads its conversation state without a round trip.

aiogram reads the FSM state of every update, and that read was the only network call
left on the bot's hot path (a Redis round trip, and the update suspended on it: ~100 µs
of CPU per update). States change only when a conversation enters or leaves a step; they
are read on every update. :class:`StateMirror` wraps the ``RedisStorage``:

* **writes** go to Redis as before, and in the same ``MULTI``/``EXEC`` a ``PUBLISH`` on
  the mirror's channel names the key written. Every process mirroring the same states
  (bot and web replicas, ``vpnsales run``) listens there (:class:`StateChangeFeed`) and
  forgets what it held for that key.
* **reads** are answered from what this process holds while the feed is watching; a key
  not held is read from Redis and kept. Unwatched (no feed, or its connection is down),
  every read goes to Redis, exactly as a plain ``RedisStorage``.

Correctness rests on three rules, each tested:

* Redis is the truth: nothing is held that was not read from or written to it, and a
  failed write forgets the key (it may or may not have happened).
* Changing mode (watching or not, either way) drops everything: changes may have gone
  unheard.
* A read or write overtaken by a change of its key (a write of this process, a change
  heard from the feed, or a drop) is returned but not kept: it could outlive the change.

FSM *data* (what a step remembers) is not mirrored: it is read only by the steps that
use it. A process's own writes come back on the channel and are ignored (each message
names its origin). Writers other than the bot's storage (a script ``SET``-ting a state
key) are not heard: the states belong to the bot.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Final, cast

from aiogram.fsm.state import State
from aiogram.fsm.storage.base import BaseStorage, StateType, StorageKey
from aiogram.fsm.storage.redis import RedisStorage
from redis.asyncio import Redis
from redis.asyncio.client import PubSub

log = logging.getLogger("vpnsales.bot.state_mirror")

MISSING: Final[Any] = object()
""":meth:`StateMirror.peek_state`'s answer for a key it does not hold."""

_SEPARATOR = " "
"""Between the origin and the key in a channel message (neither contains a space)."""


class StateMirror(BaseStorage):
    """A ``RedisStorage`` whose states this process also holds (LRU-bounded) while a
    :class:`StateChangeFeed` is watching (see the module)."""

    def __init__(
        self,
        inner: RedisStorage,
        *,
        channel: str,
        max_entries: int = 100_000,
    ) -> None:
        self.inner = inner
        self.channel = channel
        self.origin = secrets.token_hex(8)
        """Names this process's messages on the channel (its own come back)."""
        self._max = max_entries
        self._states: OrderedDict[str, str | None] = OrderedDict()
        self._watched = False
        # Overtaken reads and writes: every change bumps ``_generation`` and records it
        # for its key in ``_changed`` (kept only while operations are in flight); an
        # operation started at generation g keeps its value only if its key did not
        # change after g and nothing was dropped after g.
        self._generation = 0
        self._dropped = 0
        self._in_flight = 0
        self._changed: dict[str, int] = {}

    def __repr__(self) -> str:
        mode = "watching" if self._watched else "not watching"
        return f"<StateMirror {self.channel} {mode}, {len(self._states)} held>"

    @property
    def watched(self) -> bool:
        return self._watched

    def __len__(self) -> int:
        return len(self._states)

    # -- what the feed tells -------------------------------------------------------------
    def watching(self, watched: bool) -> None:
        """The feed connected (``True``: every change from now on will be heard) or
        lost its connection. Either way, what is held no longer counts."""
        self._watched = watched
        self.drop()

    def changed(self, redis_key: str) -> None:
        """Another process wrote ``redis_key``'s state."""
        self._states.pop(redis_key, None)
        self._touch(redis_key)

    def drop(self) -> None:
        self._states.clear()
        self._generation += 1
        self._dropped = self._generation

    def message(self, redis_key: str) -> str:
        """The channel message announcing a write of ``redis_key`` by this process."""
        return f"{self.origin}{_SEPARATOR}{redis_key}"

    def heard(self, payload: str) -> None:
        """A message from the channel (see :meth:`message`)."""
        origin, _, redis_key = payload.partition(_SEPARATOR)
        if not redis_key:
            log.warning("state mirror: unexpected message %r", payload[:80])
            self.drop()
            return
        if origin != self.origin:
            self.changed(redis_key)

    # -- states ----------------------------------------------------------------------
    def state_key(self, key: StorageKey) -> str:
        return self.inner.key_builder.build(key, "state")

    def peek_state(self, key: StorageKey) -> Any:
        """The state held for ``key`` (``str | None``; no I/O), or :data:`MISSING`."""
        if not self._watched:
            return MISSING
        return self._states.get(self.state_key(key), MISSING)

    async def get_state(self, key: StorageKey) -> str | None:
        redis_key = self.state_key(key)
        if self._watched:
            held = self._states.get(redis_key, MISSING)
            if held is not MISSING:
                return cast(str | None, held)
        started = self._begin()
        try:
            state = await self.inner.get_state(key)
            if self._unchanged(redis_key, started):
                self._keep(redis_key, state)
            return state
        finally:
            self._end()

    async def set_state(self, key: StorageKey, state: StateType = None) -> None:
        redis_key = self.state_key(key)
        value = state.state if isinstance(state, State) else state
        self._states.pop(redis_key, None)
        self._touch(redis_key)
        started = self._begin()
        written = False
        try:
            async with self.inner.redis.pipeline(transaction=True) as pipe:
                if value is None:
                    pipe.delete(redis_key)
                else:
                    pipe.set(redis_key, value, ex=self.inner.state_ttl)
                pipe.publish(self.channel, self.message(redis_key))
                await pipe.execute()
            written = True
        finally:
            keep = written and self._unchanged(redis_key, started)
            # the write is a change for whatever overlapped it: a read that may have seen
            # Redis before it, another write of the key that Redis may have applied first
            self._touch(redis_key)
            if keep:
                self._keep(redis_key, value)
            else:  # a read that finished meanwhile may have kept what Redis had before
                self._states.pop(redis_key, None)
            self._end()

    # -- data: not mirrored ------------------------------------------------------------
    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        return await self.inner.get_data(key)

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        await self.inner.set_data(key, data)

    async def update_data(self, key: StorageKey, data: Mapping[str, Any]) -> dict[str, Any]:
        return await self.inner.update_data(key, data)

    async def close(self) -> None:
        """Nothing to close: the Redis client belongs to whoever made it (the container
        closes it last; aiogram closes the storage when polling stops, while the state
        feed and the rest of the process still use the client)."""

    # -- bookkeeping -----------------------------------------------------------------------
    def _begin(self) -> int:
        self._in_flight += 1
        self._generation += 1
        return self._generation

    def _end(self) -> None:
        self._in_flight -= 1
        if not self._in_flight:
            self._changed.clear()

    def _touch(self, redis_key: str) -> None:
        self._generation += 1
        if self._in_flight:
            self._changed[redis_key] = self._generation

    def _unchanged(self, redis_key: str, started: int) -> bool:
        return (
            self._watched and self._dropped < started and self._changed.get(redis_key, 0) < started
        )

    def _keep(self, redis_key: str, state: str | None) -> None:
        states = self._states
        states[redis_key] = state
        if len(states) > self._max:
            states.popitem(last=False)


class StateChangeFeed:
    """Subscribes to ``mirror``'s channel on a connection of its own and tells the
    mirror what other processes wrote; ``run`` until cancelled.

    The mirror is told ``watching(True)`` once Redis confirmed the subscription (a write
    after that is heard) and ``watching(False)`` as soon as the connection fails, is
    re-established (redis-py may reconnect on its own: watching again once the new
    subscription is confirmed) or stays silent past ``keepalive`` (a ``PING`` goes out
    after ``keepalive`` seconds without a message, and must be answered within as long
    again). Reconnection backs off
    exponentially between ``min_backoff`` and ``max_backoff``."""

    def __init__(
        self,
        redis: Redis,
        mirror: StateMirror,
        *,
        min_backoff: float = 0.5,
        max_backoff: float = 30.0,
        keepalive: float = 15.0,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._redis = redis
        self._mirror = mirror
        self._min_backoff = min_backoff
        self._max_backoff = max_backoff
        self._keepalive = keepalive
        self._sleep = sleep
        self._clock = clock
        self.connections = 0
        """Subscriptions made so far (each one followed by ``watching(True)``)."""

    @property
    def watched(self) -> bool:
        return self._mirror.watched

    async def run(self) -> None:
        delay = self._min_backoff
        while True:
            pubsub = self._redis.pubsub()
            started = self._clock()
            try:
                await self._follow(pubsub)
            except Exception as exc:  # refused, lost, silent: retried
                log.warning(
                    "FSM state feed: %s (%s); retrying in %.1f s",
                    "connection lost" if self._mirror.watched else "cannot subscribe",
                    f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__,
                    delay,
                )
            finally:
                if self._mirror.watched:
                    self._mirror.watching(False)
                await self._close(pubsub)
            task = asyncio.current_task()
            if task is not None and task.cancelling():  # a cancellation swallowed below us
                raise asyncio.CancelledError
            if self._clock() - started >= self._max_backoff:
                delay = self._min_backoff  # it worked for a while: not a flapping server
            await self._sleep(delay)
            delay = min(delay * 2, self._max_backoff)

    async def _follow(self, pubsub: PubSub) -> None:
        await pubsub.subscribe(self._mirror.channel)
        connection = pubsub.connection
        if connection is not None:  # redis-py may reconnect (and resubscribe) by itself
            connection.register_connect_callback(self._reconnected)
        heard = self._clock()
        pinged = False
        while True:
            message = await pubsub.get_message(timeout=self._keepalive)
            now = self._clock()
            if message is not None:
                heard, pinged = now, False
                kind = message["type"]
                if kind == "message":
                    data = message["data"]
                    self._mirror.heard(data.decode() if isinstance(data, bytes) else str(data))
                elif kind == "subscribe" and not self._mirror.watched:
                    # Redis confirmed: from now on every write is heard
                    self.connections += 1
                    self._mirror.watching(True)
                    log.info("FSM state feed: watching %s", self._mirror.channel)
                continue
            if now - heard < self._keepalive:
                continue
            if pinged:  # a silent network can keep a dead connection "open"
                raise TimeoutError(f"no answer to a ping in {self._keepalive:.0f} s")
            await pubsub.ping()
            pinged = True

    async def _close(self, pubsub: PubSub) -> None:
        connection = pubsub.connection
        if connection is not None:  # the connection goes back to the pool
            connection.deregister_connect_callback(self._reconnected)
        try:  # no network wait: the connection is dropped, not shut down politely
            await pubsub.aclose()  # type: ignore[no-untyped-call]
        except Exception:  # the connection is gone anyway
            log.debug("FSM state feed: closing the subscription failed", exc_info=True)

    def _reconnected(self, _connection: object) -> None:
        """Messages sent while the connection was down went unheard: not watching until
        the new subscription is confirmed."""
        if self._mirror.watched:
            log.warning("FSM state feed: reconnected; states dropped")
            self._mirror.watching(False)


__all__ = ["MISSING", "StateChangeFeed", "StateMirror"]
