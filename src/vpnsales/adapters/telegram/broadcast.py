"""The ``BroadcastSender`` port over Telegram.

A broadcast message is admin-written Telegram HTML (the bot stores ``Message.html_text``
of what the admin typed), optionally a photo (a Telegram ``file_id`` the admin sent to
the bot) and optionally one URL button. Sending goes through a
:class:`~vpnsales.adapters.telegram.sender.RateLimitedSender`: global slots at the
broadcast rate, at most one message per second to a chat, ``TelegramRetryAfter`` waited
out and retried. Outcomes: sent; blocked / deactivated / chat not found → ``BLOCKED``
(counted and never retried); anything else → ``FAILED``.
"""

from __future__ import annotations

import logging
from typing import Any, cast

from aiogram.client.default import Default
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup, Message

from vpnsales.adapters.telegram.notifier import to_delivery
from vpnsales.adapters.telegram.sender import RateLimitedSender
from vpnsales.application.ports.broadcast import BroadcastMessage, BroadcastSender
from vpnsales.application.ports.notifier import DeliveryOutcome, Recipient

logger = logging.getLogger(__name__)

PARSE_MODE = "HTML"
JITTER_HEADROOM = 0.9
"""Broadcasts are paced a little under the configured rate, so network jitter between
our send slots and Telegram's clock never shows Telegram more than the rate in a second."""


class FileIdSender(RateLimitedSender):
    """A :class:`RateLimitedSender` whose ``photo`` may also be a Telegram ``file_id``
    (``str``): the photo the admin uploaded once is re-sent by reference, not re-uploaded."""

    async def _deliver(
        self,
        chat_id: int,
        text: str,
        *,
        reply_markup: Any,
        photo: bytes | str | None,
        photo_filename: str,
        parse_mode: str | Default | None,
        message_thread_id: int | None,
        disable_notification: bool | None,
    ) -> Message:
        if isinstance(photo, str):
            return await self._bot.send_photo(
                chat_id,
                photo,
                caption=text or None,
                parse_mode=parse_mode,
                reply_markup=reply_markup,
                message_thread_id=message_thread_id,
                disable_notification=disable_notification,
            )
        return await super()._deliver(
            chat_id,
            text,
            reply_markup=reply_markup,
            photo=photo,
            photo_filename=photo_filename,
            parse_mode=parse_mode,
            message_thread_id=message_thread_id,
            disable_notification=disable_notification,
        )


def broadcast_markup(message: BroadcastMessage) -> InlineKeyboardMarkup | None:
    if message.button is None:
        return None
    return InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text=message.button.text, url=message.button.url)]]
    )


class TelegramBroadcastSender(BroadcastSender):
    def __init__(self, sender: FileIdSender) -> None:
        self._sender = sender

    async def send(self, recipient: Recipient, message: BroadcastMessage) -> DeliveryOutcome:
        result = await self._sender.send(
            recipient.telegram_id,
            message.text,
            reply_markup=broadcast_markup(message),
            # a file id travels as ``str``; FileIdSender._deliver sends it by reference
            photo=cast(bytes | None, message.photo),
            parse_mode=PARSE_MODE,
        )
        outcome = to_delivery(result)
        if outcome is DeliveryOutcome.FAILED:
            logger.info("broadcast to %s failed: %s", recipient.telegram_id, result.error)
        return outcome


__all__ = ["JITTER_HEADROOM", "FileIdSender", "TelegramBroadcastSender", "broadcast_markup"]
