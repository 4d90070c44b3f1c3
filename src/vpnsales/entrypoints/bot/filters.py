"""Filters checked on the event loop.

aiogram runs every *synchronous* filter — a bare magic filter (``F.text``), a bare
``State`` object — through ``asyncio.to_thread``: a thread-pool hop (a queue put and a
loop wake-up) for each check, on every update that reaches it. The routers use these
async filters, ``StateFilter`` and ``Command`` instead; ``sync_filters`` lists what
would still hop (a test keeps that list empty).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from aiogram import Router
from aiogram.enums import ChatType
from aiogram.filters import Filter
from aiogram.types import TelegramObject
from aiogram.utils.magic_filter import MagicFilter


class Magic(Filter):
    """A magic filter resolved inline: ``Magic(F.text)`` instead of ``F.text``."""

    __slots__ = ("_rule",)

    def __init__(self, rule: MagicFilter) -> None:
        self._rule = rule

    async def __call__(self, event: TelegramObject) -> bool | dict[str, Any]:
        result = self._rule.resolve(event)
        return result if isinstance(result, dict) else bool(result)

    def __str__(self) -> str:
        return f"Magic({self._rule!r})"


class PrivateChat(Filter):
    """A message in a private chat with the bot."""

    __slots__ = ()

    async def __call__(self, event: TelegramObject) -> bool:
        chat = getattr(event, "chat", None)
        return chat is not None and chat.type == ChatType.PRIVATE


def sync_filters(router: Router) -> Iterator[str]:
    """Every filter in ``router`` (and its sub-routers) that aiogram would run in a
    thread, as ``router/event/handler: filter``."""
    for sub in router.chain_tail:
        for event, observer in sub.observers.items():
            own = observer._handler.filters or []  # the router-level filters
            for f in own:
                if not f.awaitable:
                    yield f"{sub.name}/{event}/*: {f.magic or f.callback!r}"
            for handler in observer.handlers:
                for f in handler.filters or []:
                    if not f.awaitable:
                        name = getattr(handler.callback, "__name__", repr(handler.callback))
                        yield f"{sub.name}/{event}/{name}: {f.magic or f.callback!r}"


__all__ = ["Magic", "PrivateChat", "sync_filters"]
