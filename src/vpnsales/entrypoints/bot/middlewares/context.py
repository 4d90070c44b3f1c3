"""Who is writing: the customer's cached view and a translator in their language.

Puts ``customer`` (``CustomerView | None`` for someone who never pressed /start) and
``t`` (a :class:`Translator`) into the handler data. Costs no database round trip while
the directory's entry is fresh."""

from __future__ import annotations

from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject, User

from vpnsales.adapters.telegram.i18n import I18n
from vpnsales.domain.customer import Language
from vpnsales.entrypoints.bot.cache import CustomerDirectory
from vpnsales.entrypoints.bot.middlewares.types import NextHandler


class CustomerContextMiddleware(BaseMiddleware):
    def __init__(self, directory: CustomerDirectory, i18n: I18n) -> None:
        self._directory = directory
        self._i18n = i18n

    async def __call__(
        self,
        handler: NextHandler,
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        user: User | None = data.get("event_from_user")
        customer = None
        if user is not None and not user.is_bot:
            customer = await self._directory.get(user.id)
        if customer is not None:
            language = customer.language
        else:
            language = Language.from_telegram(user.language_code if user else None)
        data["customer"] = customer
        data["t"] = self._i18n.for_language(language)
        return await handler(event, data)
