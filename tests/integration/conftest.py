"""Integration fixtures: a real PostgreSQL database for the whole run.

The server comes from ``vpnsales.testing.database`` (``VPNSALES_TEST_DATABASE_URL``,
then ``127.0.0.1:5432``, then an embedded ``pgserver``). One uniquely named database
is created and migrated per run and dropped at the end. Without a server the database
tests are skipped — except with ``CI=true``, where that is a failure.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from typing import NoReturn

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from vpnsales.adapters.persistence.engine import create_engine, create_session_factory
from vpnsales.testing.database import (
    DatabaseUnavailable,
    PostgresServer,
    ScratchDatabase,
    clear_tables,
    create_database,
    drop_database,
    ping,
    start_test_server,
)


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")


def _unavailable(reason: str) -> NoReturn:
    if _in_ci():
        pytest.fail(f"PostgreSQL is required in CI: {reason}", pytrace=False)
    pytest.skip(f"PostgreSQL unavailable: {reason}")


_USED: list[str] = []


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    for line in _USED:
        terminalreporter.write_line(line)


@pytest.fixture(scope="session")
async def pg_server() -> AsyncIterator[PostgresServer]:
    try:
        server = await asyncio.to_thread(start_test_server)
    except DatabaseUnavailable as exc:
        _unavailable(str(exc))
    try:
        await ping(server)
    except DatabaseUnavailable as exc:
        await asyncio.to_thread(server.stop)
        _unavailable(str(exc))
    _USED.append(f"PostgreSQL for integration tests: {server.mode}")
    yield server
    await asyncio.to_thread(server.stop)


@pytest.fixture(scope="session")
async def pg_database(pg_server: PostgresServer) -> AsyncIterator[ScratchDatabase]:
    try:
        database = await create_database(pg_server)
    except DatabaseUnavailable as exc:
        _unavailable(str(exc))
    yield database
    await drop_database(database)


@pytest.fixture(scope="session")
async def pg_engine(pg_database: ScratchDatabase) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(pg_database.url, pool_size=8, max_overflow=4, pool_timeout=60)
    yield engine
    await engine.dispose()


@pytest.fixture(scope="session")
def pg_sessions(pg_engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return create_session_factory(pg_engine)


@pytest.fixture
async def clean_db(
    pg_engine: AsyncEngine, pg_sessions: async_sessionmaker[AsyncSession]
) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """Session factory over an empty database (every table emptied first)."""
    await clear_tables(pg_engine)
    return pg_sessions
