"""Small helpers about updates shared by the middlewares."""

from __future__ import annotations

from aiogram.types import Update


def is_payment_event(update: Update) -> bool:
    """Money moving: never throttled, gated or dropped (Telegram must get an answer)."""
    if update.pre_checkout_query is not None:
        return True
    message = update.message
    return message is not None and (
        message.successful_payment is not None or message.refunded_payment is not None
    )
