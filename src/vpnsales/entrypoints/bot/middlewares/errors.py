"""Error translation: a domain error becomes the customer's wording of it; anything else
becomes "Something went wrong (ID: …)" with a short id that is also in the log line.
Customers never see a traceback, and the update never fails."""

from __future__ import annotations

import contextlib
import html
import logging
import re
import secrets
from collections.abc import Awaitable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.exceptions import TelegramAPIError, TelegramBadRequest
from aiogram.types import TelegramObject, Update, User

from vpnsales.adapters.telegram.i18n import I18n, Translator
from vpnsales.domain.customer import Language
from vpnsales.domain.errors import DomainError
from vpnsales.entrypoints.bot.middlewares.types import NextHandler
from vpnsales.entrypoints.bot.storage import StateUnavailable
from vpnsales.entrypoints.logs import log_context

logger = logging.getLogger("vpnsales.bot.errors")
_TAG = re.compile(r"<[^>]*>")
ALERT_LIMIT = 200


def plain(text: str) -> str:
    """Telegram HTML → plain text (callback alerts and pre-checkout errors)."""
    return html.unescape(_TAG.sub("", text))


async def tell(update: Update, text: str) -> None:
    """Answer the update with ``text`` (HTML) in the most fitting way; never raises."""
    try:
        if update.callback_query is not None:
            query = update.callback_query
            short = plain(text)
            if len(short) <= ALERT_LIMIT:
                await query.answer(short, show_alert=True)
                return
            await query.answer()
            if query.message is not None:
                await query.bot.send_message(query.message.chat.id, text)  # type: ignore[union-attr]
        elif update.pre_checkout_query is not None:
            await update.pre_checkout_query.answer(ok=False, error_message=plain(text)[:255])
        elif update.message is not None:
            await update.message.answer(text)
    except TelegramAPIError as exc:  # the chat may be gone: nothing more to do
        logger.warning("could not tell the customer: %s", exc)


def translator_for(i18n: I18n, data: dict[str, Any]) -> Translator:
    t = data.get("t")
    if isinstance(t, Translator):
        return t
    user: User | None = data.get("event_from_user")
    return i18n.for_language(Language.from_telegram(user.language_code if user else None))


class ErrorTranslationMiddleware(BaseMiddleware):
    def __init__(self, i18n: I18n) -> None:
        self._i18n = i18n

    async def __call__(
        self,
        handler: NextHandler,
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        assert isinstance(event, Update)
        try:
            return await handler(event, data)
        except TelegramBadRequest as exc:
            if "message is not modified" in exc.message:
                if event.callback_query is not None:
                    await _quietly(event.callback_query.answer())
                return None
            return await self._unexpected(event, data, exc)
        except DomainError as exc:
            logger.info("domain error %s: %s", exc.code, exc)
            await tell(event, translator_for(self._i18n, data).error(exc))
            return None
        except StateUnavailable as exc:  # Redis is down: the step can't be remembered
            logger.info("state unavailable in update %s: %s", event.update_id, exc)
            t = translator_for(self._i18n, data)
            await tell(event, t("temporarily-unavailable"))
            return None
        except Exception as exc:
            return await self._unexpected(event, data, exc)

    async def _unexpected(self, event: Update, data: dict[str, Any], exc: Exception) -> None:
        error_id = secrets.token_hex(3)
        with log_context(error_id=error_id):
            logger.error("unhandled error %s in update %s", error_id, event.update_id, exc_info=exc)
        t = translator_for(self._i18n, data)
        await tell(event, t("error-generic", id=error_id))


async def _quietly(call: Awaitable[Any]) -> None:
    with contextlib.suppress(TelegramAPIError):
        await call
