"""``vpnsales web`` — the web process.

The process composition (embedded or configured PostgreSQL/Redis, the container with
the taskiq kicker, the bot's Dispatcher for webhook mode, ``setWebhook``, graceful
stop on SIGTERM/SIGINT) is shared with ``vpnsales run`` and lives in
:mod:`vpnsales.entrypoints.allinone`; this is the synchronous entry the CLI can call.
"""

from __future__ import annotations

import asyncio

from vpnsales.entrypoints.config import Settings
from vpnsales.entrypoints.logs import setup_logging

__all__ = ["run_web"]


def run_web(
    settings: Settings, *, database_url: str | None = None, redis_url: str | None = None
) -> None:
    """Serve the web app on ``web.host:web.port`` until SIGTERM/SIGINT."""
    from vpnsales.entrypoints import allinone  # the front composition imports this package

    setup_logging(settings.log.level, json_lines=settings.log.json)
    asyncio.run(allinone.run_web(settings, database_url=database_url, redis_url=redis_url))
