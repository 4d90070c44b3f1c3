"""The one signature every aiogram middleware of ours is called with."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeAlias

from aiogram.types import TelegramObject

NextHandler: TypeAlias = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]
"""What a middleware calls to pass the event on (the next middleware or the handler)."""
