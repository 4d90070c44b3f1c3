"""The FSM state of an update read in the throttle's Redis round trip.

aiogram's own FSM middleware reads the state (a Redis ``GET``) before any of ours run,
and the throttle then sends its ``EVALSHA``: two round trips, each ~70 µs of redis-py
in this process. ``build_dispatcher`` builds the dispatcher with ``disable_fsm=True``
and installs :class:`PrefetchedFSMMiddleware` right after the throttle instead; the
throttle's script also ``GET``s the state key that :class:`StatePrefetch` names and
leaves what it read in the handler data, where the FSM middleware serves it. Handlers
see the same ``state`` (``FSMContext``) and ``raw_state`` as before.

The prefetch is skipped — the FSM middleware then reads through the storage as aiogram
would — when:

* the storage is not the fail-soft Redis storage on the throttle's client;
* the fail-soft storage still has a clearing to replay for the key (Redis was down);
* events are isolated (aiogram reads the state only once the update holds the lock);
* the update was not throttled-checked (payments, updates without a user) or the
  throttle's script failed (Redis down: the storage's read then fails soft as before).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, cast

from aiogram import Bot
from aiogram.fsm.context import FSMContext
from aiogram.fsm.middleware import FSMContextMiddleware
from aiogram.fsm.storage.memory import DisabledEventIsolation
from aiogram.fsm.storage.redis import RedisStorage
from aiogram.types import TelegramObject
from redis.asyncio import Redis

from vpnsales.entrypoints.bot.storage import FailSoftStorage

PREFETCHED_STATE = "_vpnsales_prefetched_state"
"""Handler-data key: ``(FSMContext, raw state)`` read by the throttle's script."""


class StatePrefetch:
    """Names the Redis key of an update's FSM state and hands what was read to
    :class:`PrefetchedFSMMiddleware`."""

    def __init__(self, fsm: FSMContextMiddleware, storage: FailSoftStorage) -> None:
        self._fsm = fsm
        self._storage = storage

    @classmethod
    def for_dispatcher(cls, fsm: FSMContextMiddleware, redis: Redis) -> StatePrefetch | None:
        """A prefetch when ``fsm``'s storage is the fail-soft Redis storage on ``redis``
        without event isolation; otherwise ``None`` (the state is read as usual)."""
        storage = fsm.storage
        if not isinstance(storage, FailSoftStorage):
            return None
        inner = storage.inner
        if not isinstance(inner, RedisStorage) or inner.redis is not redis:
            return None
        if not isinstance(fsm.events_isolation, DisabledEventIsolation):
            return None
        return cls(fsm, storage)

    def resolve(self, data: dict[str, Any]) -> tuple[FSMContext, str] | None:
        """The update's FSM context and the Redis key of its state, or ``None`` when the
        state must be read through the storage."""
        context = self._fsm.resolve_event_context(cast(Bot, data["bot"]), data)
        if context is None:
            return None
        key = self._storage.direct_state_key(context.key)
        if key is None:
            return None
        return context, key

    def keep(self, data: dict[str, Any], context: FSMContext, raw: Any) -> None:
        """Remember the state the script read for the FSM middleware."""
        data[PREFETCHED_STATE] = (context, self._storage.read_directly(raw))


class PrefetchedFSMMiddleware(FSMContextMiddleware):
    """aiogram's FSM middleware, serving the state the throttle read when there is one."""

    def __init__(self, fsm: FSMContextMiddleware) -> None:
        super().__init__(
            storage=fsm.storage, events_isolation=fsm.events_isolation, strategy=fsm.strategy
        )

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        prefetched: tuple[FSMContext, str | None] | None = data.pop(PREFETCHED_STATE, None)
        if prefetched is None:
            return await super().__call__(handler, event, data)
        data["fsm_storage"] = self.storage
        data["state"], data["raw_state"] = prefetched
        return await handler(event, data)

    async def close(self) -> None:
        """The dispatcher's own FSM middleware closes the storage."""
