"""The embedded PostgreSQL (pgserver): starts in a data directory, migrates, stops."""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from vpnsales.adapters.persistence.embedded import start_embedded
from vpnsales.adapters.persistence.engine import create_engine
from vpnsales.adapters.persistence.migrate import migrate


@pytest.fixture
def data_root() -> Iterator[Path]:
    # Not pytest's tmp_path: as root, pgserver runs PostgreSQL as the ``pgserver`` user
    # and opens the path's parents to it, while a concurrent pytest run re-closes
    # /tmp/pytest-of-root (0700), which made initdb fail with "Permission denied".
    root = Path(tempfile.mkdtemp(prefix="vpnsales-embedded-test-"))
    yield root
    shutil.rmtree(root, ignore_errors=True)


async def test_embedded_server_starts_migrates_and_stops(data_root: Path) -> None:
    server = await asyncio.to_thread(start_embedded, data_root / "pgdata")
    try:
        await asyncio.to_thread(migrate, server.url)
        engine = create_engine(server.url, pool_size=1, max_overflow=0)
        try:
            async with engine.connect() as connection:
                version = await connection.execute(text("SELECT version_num FROM alembic_version"))
                assert version.scalar_one()
        finally:
            await engine.dispose()
    finally:
        await asyncio.to_thread(server.stop)
    assert not (data_root / "pgdata" / "postmaster.pid").exists()
    assert (data_root / "pgdata" / "PG_VERSION").exists()  # the data stays
