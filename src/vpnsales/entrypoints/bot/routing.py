"""Routers that turn away button presses they have no handler for, before aiogram's
per-router work.

aiogram offers a callback query to every router in order until one handles it. Each
router visited costs a copy of the handler data, a middleware chain built for the event
and a pass over the router's handlers, each of which unpacks the callback data to compare
its prefix (~10 µs per router on the bot's hot path; a catalog button went through three
routers before reaching its own). The customer screens' handlers filter on typed
``CallbackData`` classes, so a router knows which callback data it can take:
:class:`PrefixRouter` lets in only a query that one of its handlers' typed filters takes
(most screens share the ``Nav`` class: its value decides), and :class:`BotDispatcher`
does not even offer the query to the others. A router with a callback handler that does
not filter on a ``CallbackData`` class, or with sub-routers, takes every query, as a
plain ``Router`` does. Other events (messages, payments) are routed exactly as by
aiogram.

Inside a router, aiogram's ``CallbackData.filter()`` unpacks the data again for every
handler it tries (a pydantic model each time) and turns a foreign prefix into a raised
and caught ``ValueError``. Callback classes that mix in :class:`FastFilter` get a
:class:`PressFilter` instead: the prefix is compared first, and a button's data is
unpacked (and checked against each handler's rule) once, then remembered.
"""

from __future__ import annotations

from typing import Any, Literal

from aiogram import Dispatcher, Router
from aiogram.dispatcher.event.bases import REJECTED, UNHANDLED
from aiogram.dispatcher.event.telegram import TelegramEventObserver
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
        self._typed: tuple[CallbackQueryFilter, ...] | None = None
        self._prefixes_for: tuple[int, int] = (-1, -1)
        self._takes: dict[str, bool] = {}

    def _refresh(self) -> None:
        shape = (len(self.callback_query.handlers), len(self.sub_routers))
        if shape != self._prefixes_for:
            self._typed = _typed_filters(self)
            self._prefixes = (
                None
                if self._typed is None
                else tuple(
                    sorted(
                        {
                            f.callback_data.__prefix__ + f.callback_data.__separator__
                            for f in self._typed
                        }
                    )
                )
            )
            self._takes = {}
            self._prefixes_for = shape

    def callback_prefixes(self) -> tuple[str, ...] | None:
        """The ``prefix + separator`` strings this router's callback handlers accept;
        ``None`` when it takes any callback data (remembered until a handler or a
        sub-router is added)."""
        self._refresh()
        return self._prefixes

    def may_take(self, data: str | None) -> bool:
        """Whether a press carrying ``data`` may meet one of this router's handlers: no
        handler's typed filter taking the data means none can (filters are AND-ed).
        Decided with the handlers' :class:`PressFilter` memory, and remembered."""
        self._refresh()
        typed = self._typed
        if typed is None:
            return True
        if data is None:
            return False
        takes = self._takes.get(data)
        if takes is None:
            takes = any(_may_accept(f, data) for f in typed)
            _remember(self._takes, data, takes)
        return takes

    async def propagate_event(self, update_type: str, event: TelegramObject, **kwargs: Any) -> Any:
        if update_type == _CALLBACK and not self.may_take(
            event.data if isinstance(event, CallbackQuery) else None
        ):
            return UNHANDLED
        return await super().propagate_event(update_type, event, **kwargs)


class BotDispatcher(Dispatcher):
    """aiogram's ``Dispatcher``, offering a button press only to the routers that may
    take it (:meth:`PrefixRouter.may_take`): aiogram calls every router in turn with a
    copy of the handler data, and a screen's press used to visit every router with
    buttons of the same class before its own (a language button, nine)."""

    async def _propagate_event(
        self,
        observer: TelegramEventObserver | None,
        update_type: str,
        event: TelegramObject,
        **kwargs: Any,
    ) -> Any:
        if update_type != _CALLBACK or not isinstance(event, CallbackQuery):
            return await super()._propagate_event(observer, update_type, event, **kwargs)
        # aiogram's Router._propagate_event, with the sub-routers filtered
        response = UNHANDLED
        if observer:
            passed, extra = await observer.check_root_filters(event, **kwargs)
            if not passed:
                return UNHANDLED
            kwargs.update(extra)
            response = await observer.trigger(event, **kwargs)
            if response is REJECTED:  # pragma: no cover - a handler returning REJECTED
                return UNHANDLED
            if response is not UNHANDLED:
                return response
        data = event.data
        for router in self.sub_routers:
            if isinstance(router, PrefixRouter) and not router.may_take(data):
                continue
            response = await router.propagate_event(update_type=update_type, event=event, **kwargs)
            if response is not UNHANDLED:
                break
        return response


def _may_accept(typed: CallbackQueryFilter, data: str) -> bool:
    if isinstance(typed, PressFilter):
        return typed.decide(data) is not False
    kind = typed.callback_data  # aiogram's own filter: its prefix, conservatively
    return data.startswith(kind.__prefix__ + kind.__separator__)


def _typed_filters(router: Router) -> tuple[CallbackQueryFilter, ...] | None:
    """Each callback handler's first typed filter; ``None`` when a handler (or a
    sub-router) may take any data."""
    if router.sub_routers:
        return None
    found: list[CallbackQueryFilter] = []
    for handler in router.callback_query.handlers:
        typed = [
            f.callback for f in handler.filters or () if isinstance(f.callback, CallbackQueryFilter)
        ]
        if not typed:
            return None  # this handler may take any data
        # filters are AND-ed: any one typed filter bounds what the handler takes
        found.append(typed[0])
    return tuple(found)


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
        decided = self.decide(query.data)
        if decided is False:
            return False
        return {"callback_data": decided}

    def decide(self, data: str | None) -> CallbackData | Literal[False]:
        """What a press carrying ``data`` unpacks to, if this filter takes it."""
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
        return decided


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


__all__ = ["BotDispatcher", "FastFilter", "PrefixRouter", "PressFilter", "unpack"]
