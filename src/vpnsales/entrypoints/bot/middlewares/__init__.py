"""Update-level middlewares, in the order ``build_dispatcher`` installs them:
logging → error translation → metrics → throttling → FSM (aiogram's, placed here by
``build_dispatcher``) → customer context → gates."""

from vpnsales.entrypoints.bot.middlewares.context import CustomerContextMiddleware
from vpnsales.entrypoints.bot.middlewares.errors import ErrorTranslationMiddleware, tell
from vpnsales.entrypoints.bot.middlewares.gates import BannedGate, FlagSource, MaintenanceGate
from vpnsales.entrypoints.bot.middlewares.logging import UpdateLoggingMiddleware
from vpnsales.entrypoints.bot.middlewares.metrics import UpdateMetricsMiddleware
from vpnsales.entrypoints.bot.middlewares.throttling import ThrottlingMiddleware

__all__ = [
    "BannedGate",
    "CustomerContextMiddleware",
    "ErrorTranslationMiddleware",
    "FlagSource",
    "MaintenanceGate",
    "ThrottlingMiddleware",
    "UpdateLoggingMiddleware",
    "UpdateMetricsMiddleware",
    "tell",
]
