"""Routers that turn away button presses they have no handler for, before aiogram's
per-router work.

aiogram offers a callback query to every router in order until one handles it. Each
router visited costs a copy of the handler data, a middleware chain built for the event
and a pass over the router's handlers, each of which unpacks the callback data to compare
its prefix (~10 µs per router on the bot's hot path; a catalog button went through three
routers before reaching its own). The customer screens' handlers filter on typed
``CallbackData`` classes, whose prefixes are disjoint, so a router knows which callback
data it can take: :class:`PrefixRouter` lets in only a query whose data starts with one of
its handlers' prefixes. A router with a callback handler that does not filter on a
``CallbackData`` prefix, or with sub-routers, takes every query, as a plain ``Router``
does. Other events (messages, payments) are routed exactly as by aiogram.

Inside a router, aiogram's ``CallbackData.filter()`` unpacks the data again for every
handler it tries (a pydantic model each time) and turns a foreign prefix into a raised
and caught ``ValueError``. Callback classes that mix in :class:`FastFilter` get a
:class:`PressFilter` instead: the prefix is compared first, and a button's data is
unpacked (and checked against each handler's rule) once, then remembered.
"""

from __future__ import annotations

from typing import Any, Literal

from aiogram import Router
from aiogram.dispatcher.event.bases import UNHANDLED
from aiogram.filters.callback_data import CallbackData, CallbackQueryFilter
from aiogram.types import CallbackQuery, TelegramObject
from magic_filter import MagicFilter
from pydantic import ConfigDict

_CALLBACK = "callback_query"


class PrefixRouter(Router):
    """A ``Router`` that skips callback queries none of its handlers could take."""

    def __init__(self, *, name: str | None = None) -> None:
        super().__init__(name=name)
        self._prefixes: tuple[str, ...] | None = None
        self._prefixes_for: tuple[int, int] = (-1, -1)

    def callback_prefixes(self) -> tuple[str, ...] | None:
        """The ``prefix + separator`` strings this router's callback handlers accept;
        ``None`` when it takes any callback data (remembered until a handler or a
        sub-router is added)."""
        shape = (len(self.callback_query.handlers), len(self.sub_routers))
        if shape != self._prefixes_for:
            self._prefixes = _prefixes(self)
            self._prefixes_for = shape
        return self._prefixes

    async def propagate_event(self, update_type: str, event: TelegramObject, **kwargs: Any) -> Any:
        if update_type == _CALLBACK:
            prefixes = self.callback_prefixes()
            if prefixes is not None:
                data = event.data if isinstance(event, CallbackQuery) else None
                if data is None or not data.startswith(prefixes):
                    return UNHANDLED
        return await super().propagate_event(update_type, event, **kwargs)


def _prefixes(router: Router) -> tuple[str, ...] | None:
    if router.sub_routers:
        return None
    found: set[str] = set()
    for handler in router.callback_query.handlers:
        typed = [
            f.callback.callback_data
            for f in handler.filters or ()
            if isinstance(f.callback, CallbackQueryFilter)
        ]
        if not typed:
            return None  # this handler may take any data
        # filters are AND-ed: any one typed filter bounds what the handler takes
        found.add(typed[0].__prefix__ + typed[0].__separator__)
    return tuple(sorted(found))


class PressFilter(CallbackQueryFilter):
    """``CallbackData.filter()``, with the prefix compared before unpacking, and what a
    button's data unpacks to — and whether it passes the rule — remembered per distinct
    data: the bot's buttons repeat (every menu press carries the same data), so a press
    usually costs a string comparison and a dict lookup."""

    __slots__ = ("_decided", "_head")

    def __init__(self, *, callback_data: type[CallbackData], rule: MagicFilter | None = None):
        super().__init__(callback_data=callback_data, rule=rule)
        self._head = callback_data.__prefix__ + callback_data.__separator__
        self._decided: dict[str, CallbackData | Literal[False]] = {}

    async def __call__(self, query: CallbackQuery) -> Literal[False] | dict[str, Any]:
        if not isinstance(query, CallbackQuery):
            return False
        data = query.data
        if not data or not data.startswith(self._head):
            return False
        decided = self._decided.get(data)
        if decided is None:
            unpacked = unpack(self.callback_data, data)
            decided = (
                unpacked
                if unpacked is not None and (self.rule is None or self.rule.resolve(unpacked))
                else False
            )
            _remember(self._decided, data, decided)
        if decided is False:
            return False
        return {"callback_data": decided}


MEMORY = 4096
"""Distinct button data remembered per callback class and per filter (beyond that, the
memory starts over: forged data cannot grow it)."""

_unpacked: dict[tuple[type[CallbackData], str], CallbackData | None] = {}


def unpack(kind: type[CallbackData], data: str) -> CallbackData | None:
    """``kind.unpack(data)``, or ``None`` for data it cannot take; remembered (the
    classes are frozen: one unpacked value serves every press of the same button)."""
    key = (kind, data)
    try:
        return _unpacked[key]
    except KeyError:
        pass
    try:
        unpacked: CallbackData | None = kind.unpack(data)
    except (TypeError, ValueError):
        unpacked = None
    _remember(_unpacked, key, unpacked)
    return unpacked


def _remember(memory: dict[Any, Any], key: Any, value: Any) -> None:
    if len(memory) >= MEMORY:
        memory.clear()
    memory[key] = value


class FastFilter:
    """Mix into a ``CallbackData`` class (before it) to filter with :class:`PressFilter`.
    The class becomes frozen: its unpacked values are shared between presses."""

    model_config = ConfigDict(frozen=True)

    @classmethod
    def filter(cls, rule: MagicFilter | None = None) -> PressFilter:
        assert issubclass(cls, CallbackData)
        return PressFilter(callback_data=cls, rule=rule)


__all__ = ["FastFilter", "PrefixRouter", "PressFilter", "unpack"]
