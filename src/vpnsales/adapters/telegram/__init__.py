"""Telegram adapters: rate-limited sending through aiogram."""

from vpnsales.adapters.telegram.sender import (
    RateLimitedSender,
    SendOutcome,
    SendResult,
    classify_error,
)

__all__ = ["RateLimitedSender", "SendOutcome", "SendResult", "classify_error"]
