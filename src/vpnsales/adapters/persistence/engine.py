"""Engine and session factory from a database URL."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

DRIVER = "postgresql+asyncpg"


def async_url(url: str | URL) -> URL:
    """Any PostgreSQL URL (``postgres://``, ``postgresql://``, ``postgresql+psycopg://``)
    → the asyncpg flavour. A ``?host=/socket/dir`` query (pgserver) is kept."""
    parsed = make_url(url) if isinstance(url, str) else url
    if parsed.get_backend_name() not in ("postgresql", "postgres"):
        raise ValueError(f"not a PostgreSQL URL: {parsed.render_as_string(hide_password=True)}")
    return parsed.set(drivername=DRIVER)


def _json_default(value: object) -> object:
    if isinstance(value, Decimal | UUID):
        return str(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def json_dumps(value: Any) -> str:
    return json.dumps(value, default=_json_default, ensure_ascii=False, separators=(",", ":"))


def create_engine(
    url: str | URL,
    *,
    pool_size: int = 10,
    max_overflow: int = 5,
    pool_timeout: float = 30.0,
    echo: bool = False,
    application_name: str = "vpnsales",
    statement_timeout_ms: int | None = None,
) -> AsyncEngine:
    """An asyncpg engine. Sessions check a connection out on first use and give it back
    on commit/rollback, so a request scope that never touches the database costs nothing."""
    server_settings = {"application_name": application_name, "timezone": "UTC"}
    if statement_timeout_ms is not None:
        server_settings["statement_timeout"] = str(statement_timeout_ms)
    return create_async_engine(
        async_url(url),
        pool_size=pool_size,
        max_overflow=max_overflow,
        pool_timeout=pool_timeout,
        pool_pre_ping=False,
        echo=echo,
        json_serializer=json_dumps,
        connect_args={"server_settings": server_settings},
    )


def create_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions for Core statements: no autoflush, nothing expires on commit."""
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)
