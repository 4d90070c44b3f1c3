"""A real PostgreSQL for tests: find or start a server, create a throwaway database.

Where the server comes from, in order:

1. ``VPNSALES_TEST_DATABASE_URL`` — any PostgreSQL URL whose user may create databases;
2. ``VPNSALES_TEST_DATABASE=embedded`` forces an embedded server (``pgserver``);
3. ``postgres@127.0.0.1:5432`` when something answers there;
4. otherwise an embedded server in a temporary directory.

Each test run creates a uniquely named database, migrates it once (alembic, the real
migrations) and drops it at the end; tests isolate by emptying every table (``clear_tables``).
``DatabaseUnavailable`` is raised when no server can be had: the caller decides whether
that is a skip (a developer's laptop) or a failure (CI).
"""

from __future__ import annotations

import asyncio
import os
import secrets
import shutil
import socket
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import NullPool, delete, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from vpnsales.adapters.persistence.embedded import EmbeddedPostgres, start_embedded
from vpnsales.adapters.persistence.engine import async_url
from vpnsales.adapters.persistence.migrate import migrate
from vpnsales.adapters.persistence.tables import metadata

ENV_URL = "VPNSALES_TEST_DATABASE_URL"
ENV_MODE = "VPNSALES_TEST_DATABASE"
LOCAL_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"


class DatabaseUnavailable(RuntimeError):
    """No PostgreSQL could be found or started for the tests."""


@dataclass(slots=True)
class PostgresServer:
    """A PostgreSQL server the tests may create databases on."""

    url: str
    """asyncpg URL of a maintenance database (usually ``postgres``)."""
    mode: str
    """``url`` (from the environment), ``local`` or ``embedded``."""
    embedded: EmbeddedPostgres | None = field(default=None, repr=False)
    scratch_dir: str | None = field(default=None, repr=False)
    """A temporary directory created for the embedded server, removed on ``stop``."""

    def url_for(self, database: str) -> str:
        return make_url(self.url).set(database=database).render_as_string(hide_password=False)

    def stop(self) -> None:
        if self.embedded is not None:
            self.embedded.stop()
        if self.scratch_dir is not None:
            shutil.rmtree(self.scratch_dir, ignore_errors=True)


def _reachable(host: str, port: int, timeout: float = 1.0) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def start_test_server() -> PostgresServer:
    """Blocking; from async code use ``asyncio.to_thread``."""
    configured = os.environ.get(ENV_URL)
    if configured:
        return PostgresServer(
            url=async_url(configured).render_as_string(hide_password=False), mode="url"
        )
    mode = os.environ.get(ENV_MODE, "").strip().lower()
    if mode not in ("", "auto", "local", "embedded"):
        raise DatabaseUnavailable(f"{ENV_MODE} must be auto, local or embedded, not {mode!r}")
    if mode in ("", "auto", "local") and _reachable("127.0.0.1", 5432):
        return PostgresServer(url=LOCAL_URL, mode="local")
    if mode == "local":
        raise DatabaseUnavailable("nothing answers on 127.0.0.1:5432")
    try:
        data_dir = tempfile.mkdtemp(prefix="vpnsales-pg-")
        server = start_embedded(os.path.join(data_dir, "data"), delete=True)
    except Exception as exc:  # pgserver failures are varied (initdb, permissions, …)
        raise DatabaseUnavailable(f"embedded PostgreSQL did not start: {exc}") from exc
    return PostgresServer(url=server.url, mode="embedded", embedded=server, scratch_dir=data_dir)


async def _admin(server: PostgresServer, *statements: str) -> None:
    engine = create_async_engine(server.url, poolclass=NullPool, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as connection:
            for statement in statements:
                await connection.execute(text(statement))
    except (TimeoutError, OSError) as exc:
        raise DatabaseUnavailable(f"cannot reach {server.mode} PostgreSQL: {exc}") from exc
    finally:
        await engine.dispose()


async def ping(server: PostgresServer) -> None:
    """Raise ``DatabaseUnavailable`` unless the server answers a query."""
    await _admin(server, "SELECT 1")


@dataclass(slots=True)
class ScratchDatabase:
    server: PostgresServer
    name: str
    url: str


async def create_database(
    server: PostgresServer, *, prefix: str = "vpnsales_test", migrated: bool = True
) -> ScratchDatabase:
    """A fresh, uniquely named database (migrated to head unless ``migrated=False``)."""
    name = f"{prefix}_{os.getpid()}_{secrets.token_hex(4)}"
    await _admin(server, f'CREATE DATABASE "{name}"')
    database = ScratchDatabase(server=server, name=name, url=server.url_for(name))
    if migrated:
        try:
            await asyncio.to_thread(migrate, database.url)
        except BaseException:
            await drop_database(database)
            raise
    return database


async def drop_database(database: ScratchDatabase) -> None:
    await _admin(database.server, f'DROP DATABASE IF EXISTS "{database.name}" WITH (FORCE)')


TRUNCATE_ALL = "TRUNCATE TABLE {} RESTART IDENTITY CASCADE".format(
    ", ".join(f'"{t.name}"' for t in metadata.sorted_tables)
)
_DELETE_ALL = tuple(delete(t) for t in reversed(metadata.sorted_tables))


async def clear_tables(engine: AsyncEngine, *, truncate: bool = False) -> None:
    """Empty every application table between tests.

    ``DELETE`` children-first by default: on the small tables of a test it takes ~15 ms
    where ``TRUNCATE`` (new files for every table, an fsync each) takes ~300 ms.
    ``truncate=True`` is the better choice after bulk loads of millions of rows.
    """
    async with engine.begin() as connection:
        if truncate:
            await connection.execute(text(TRUNCATE_ALL))
        else:
            for statement in _DELETE_ALL:
                await connection.execute(statement)


async def copy_records(
    engine: AsyncEngine,
    table: str,
    columns: Sequence[str],
    records: Iterable[Sequence[Any]],
    *,
    skip_triggers: bool = False,
) -> int:
    """Bulk-load rows with ``COPY`` (asyncpg ``copy_records_to_table``). Values must be
    in the driver's types (UUID, datetime, Decimal, lists for arrays).

    ``skip_triggers`` skips the foreign-key checks of the load (superuser only; the
    caller vouches for the references) — several times faster for millions of rows.
    """
    async with engine.begin() as connection:
        if skip_triggers:
            await connection.execute(text("SET LOCAL session_replication_role = replica"))
        raw = await connection.get_raw_connection()
        driver = raw.driver_connection
        assert driver is not None
        result: str = await driver.copy_records_to_table(
            table, records=records, columns=list(columns)
        )
    return int(result.split()[-1]) if result else 0
