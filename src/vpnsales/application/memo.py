"""Results remembered per *object*, for read models built again and again from the same
immutable inputs.

The bot's catalog hands out the same frozen tariff objects for seconds, and every catalog
screen, tariff card and price in that time would be built from them anew. An
:class:`IdentityMemo` keys a result on the identity of the objects it was built from
(plus hashable parameters) and keeps those objects referenced while it remembers the
result, so an id can't be reused by another object meanwhile. Only for inputs nobody
mutates (frozen dataclasses, tuples of them) and results nobody mutates (shared by every
caller). Bounded: when full it starts over.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

V = TypeVar("V")


class IdentityMemo(Generic[V]):
    __slots__ = ("_entries", "_max")

    def __init__(self, max_entries: int = 1024) -> None:
        self._entries: dict[tuple[Hashable, ...], tuple[tuple[object, ...], V]] = {}
        self._max = max_entries

    def get(self, objects: tuple[object, ...], params: Hashable, build: Callable[[], V]) -> V:
        """The result for ``objects`` (by identity) and ``params`` (by equality), built
        with ``build()`` the first time."""
        key = (len(objects), *map(id, objects), params)
        known = self._entries.get(key)
        if known is not None:
            return known[1]
        value = build()
        if len(self._entries) >= self._max:
            self._entries.clear()
        self._entries[key] = (objects, value)
        return value

    def __len__(self) -> int:
        return len(self._entries)

    def clear(self) -> None:
        self._entries.clear()


__all__ = ["IdentityMemo"]
