"""The Telegram bot: routers per feature, typed callbacks, Fluent texts, middlewares."""

from vpnsales.entrypoints.bot.config import BotConfig
from vpnsales.entrypoints.bot.factory import attach_container, build_dispatcher, fsm_storage
from vpnsales.entrypoints.bot.retry import RetryAfterMiddleware, install_retry

__all__ = [
    "BotConfig",
    "RetryAfterMiddleware",
    "attach_container",
    "build_dispatcher",
    "fsm_storage",
    "install_retry",
]
