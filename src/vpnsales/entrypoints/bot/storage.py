"""FSM storage that degrades instead of failing while Redis is unreachable.

aiogram reads the FSM state of every update before any of our middlewares run, so a
plain ``RedisStorage`` turns a Redis outage into "the bot says nothing at all".
:class:`FailSoftStorage` wraps the real storage:

* reads answer "no state, no data": /start, the menu and every button keep working;
  a customer who was typing into a step (a promo code, a support message) gets the
  bot's usual "use the buttons" hint instead;
* writes that *clear* something (``set_state(None)``, data set to nothing) are dropped
  and remembered, and replayed on the key's next successful read, so an old step does
  not come back once Redis does;
* writes that store what the next step needs (entering a state, remembering a promo
  code) raise :class:`StateUnavailable`: the error middleware answers a short
  "temporarily unavailable, try again in a minute" instead of a prompt whose answer
  the bot could not follow.

Each call has a time limit (a Redis that drops packets must not hang the update). Errors
are logged once, then at most every ``warn_every`` seconds with a count, and once more
when the storage answers again.

A state the inner storage holds in memory (the :class:`StateMirror` of ``fsm_storage``)
is served without the time limit's timer; a key with a clearing still to replay always
goes to the inner storage first.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar, cast

from aiogram.fsm.storage.base import BaseStorage, StateType, StorageKey
from redis.exceptions import RedisError

from vpnsales.entrypoints.bot.state_mirror import MISSING, StateMirror

logger = logging.getLogger("vpnsales.bot.storage")

T = TypeVar("T")

STORAGE_ERRORS: tuple[type[BaseException], ...] = (RedisError, OSError, TimeoutError)
MAX_PENDING_CLEARS = 10_000
"""Keys whose clearing waits for Redis; beyond this the oldest are forgotten."""


class StateUnavailable(Exception):
    """The FSM storage cannot keep what the next step of a conversation needs."""


@dataclass(slots=True)
class _PendingClear:
    state: bool = False
    data: bool = False
    """All data cleared (``set_data({})``)."""
    keys: set[str] = field(default_factory=set)
    """Data keys set to ``None``."""


def _clears(data: Mapping[str, Any]) -> bool:
    return all(value is None for value in data.values())


class FailSoftStorage(BaseStorage):
    def __init__(
        self,
        inner: BaseStorage,
        *,
        timeout: float = 2.0,
        warn_every: float = 60.0,
        errors: tuple[type[BaseException], ...] = STORAGE_ERRORS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.inner = inner
        self._timeout = timeout
        self._warn_every = warn_every
        self._errors = errors
        self._clock = clock
        self._pending: dict[StorageKey, _PendingClear] = {}
        self._failing = False
        self._failures = 0
        self._warned_at: float | None = None
        self._peek: Callable[[StorageKey], Any] | None = (
            inner.peek_state if isinstance(inner, StateMirror) else None
        )
        """A state the mirror holds in memory: no I/O, no timer."""

    # -- reads: "nothing stored" when the storage is down --------------------------------
    async def get_state(self, key: StorageKey) -> str | None:
        if self._peek is not None and key not in self._pending:
            held = self._peek(key)
            if held is not MISSING:
                return cast(str | None, held)
        error, state = await self._attempt(key, "read a state", self.inner.get_state(key))
        return None if error is not None else state

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        error, data = await self._attempt(key, "read data", self.inner.get_data(key))
        return data if error is None and data is not None else {}

    # -- writes: clearing is deferred, storing refuses -----------------------------------
    async def set_state(self, key: StorageKey, state: StateType = None) -> None:
        error, _ = await self._attempt(key, "write a state", self.inner.set_state(key, state))
        if error is None:
            return
        if state is not None:
            raise StateUnavailable(f"cannot store state {state}") from error
        self._remember(key).state = True

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        error, _ = await self._attempt(key, "write data", self.inner.set_data(key, data))
        if error is None:
            return
        if not _clears(data):
            raise StateUnavailable("cannot store data") from error
        pending = self._remember(key)
        if data:
            pending.keys.update(data)
        else:
            pending.data, pending.keys = True, set()

    async def update_data(self, key: StorageKey, data: Mapping[str, Any]) -> dict[str, Any]:
        error, merged = await self._attempt(key, "update data", self.inner.update_data(key, data))
        if error is None and merged is not None:
            return merged
        if not _clears(data):
            raise StateUnavailable("cannot store data") from error
        pending = self._remember(key)
        if not pending.data:
            pending.keys.update(data)
        return dict(data)

    async def _attempt(
        self, key: StorageKey, what: str, call: Coroutine[Any, Any, T]
    ) -> tuple[BaseException | None, T | None]:
        """Run ``call`` on the inner storage (after the clearing ``key`` missed), within
        the time limit: ``(None, result)``, or ``(error, None)`` once it is logged."""
        try:
            async with asyncio.timeout(self._timeout):
                await self._replay(key)
                result = await call
        except self._errors as exc:
            call.close()  # not awaited when the replay failed first
            self._failed(what, exc)
            return exc, None
        self._ok()
        return None, result

    async def close(self) -> None:
        await self.inner.close()

    @property
    def mirror(self) -> StateMirror:
        """The inner storage, when it is the state mirror (``fsm_storage``)."""
        if not isinstance(self.inner, StateMirror):
            raise TypeError(f"not a mirrored storage: {type(self.inner).__name__}")
        return self.inner

    # -- bookkeeping ---------------------------------------------------------------------
    def _remember(self, key: StorageKey) -> _PendingClear:
        pending = self._pending.get(key)
        if pending is None:
            if len(self._pending) >= MAX_PENDING_CLEARS:
                self._pending.pop(next(iter(self._pending)))
            pending = self._pending[key] = _PendingClear()
        return pending

    async def _replay(self, key: StorageKey) -> None:
        """Apply the clearing this key missed while the storage was down."""
        pending = self._pending.get(key)
        if pending is None:
            return
        if pending.state:
            await self.inner.set_state(key, None)
            pending.state = False
        if pending.data:
            await self.inner.set_data(key, {})
        elif pending.keys:
            await self.inner.update_data(key, dict.fromkeys(pending.keys))
        self._pending.pop(key, None)

    def _failed(self, what: str, exc: BaseException) -> None:
        self._failures += 1
        now = self._clock()
        if self._warned_at is not None and now - self._warned_at < self._warn_every:
            return
        described = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        if self._failing:
            logger.warning(
                "FSM storage still unavailable: %d failed calls in the last %.0f s (%s)",
                self._failures,
                now - (self._warned_at or now),
                described,
            )
        else:
            logger.warning(
                "FSM storage unavailable (could not %s): %s; serving without FSM state",
                what,
                described,
            )
        self._failing = True
        self._failures = 0
        self._warned_at = now

    def _ok(self) -> None:
        if self._failing:
            self._failing = False
            self._warned_at = None
            logger.warning(
                "FSM storage is available again (%d calls failed since the last warning)",
                self._failures,
            )
            self._failures = 0


__all__ = ["FailSoftStorage", "StateUnavailable"]
