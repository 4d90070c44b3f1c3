"""The scheduled backup: a gzip'd ``pg_dump`` sent to the admin chat, old ones pruned."""

from __future__ import annotations

import gzip
import os
import shutil
from datetime import timedelta

import pytest

from vpnsales.entrypoints.backup import BackupError, backup_dir, run_backup
from vpnsales.testing.database import ScratchDatabase

from .conftest import ADMIN_CHAT, Stack

pytestmark = pytest.mark.skipif(shutil.which("pg_dump") is None, reason="pg_dump not installed")


async def test_backup_is_written_sent_and_old_ones_pruned(
    stack: Stack, pg_database: ScratchDatabase
) -> None:
    directory = backup_dir(stack.settings)
    directory.mkdir(parents=True)
    old = directory / "vpnsales-20200101-000000.sql.gz"
    old.write_bytes(b"")
    stale = (stack.clock.now() - timedelta(days=30)).timestamp()
    os.utime(old, (stale, stale))

    result = await run_backup(stack.settings, pg_database.url, stack.bot, keep_days=7)

    assert result.sent
    assert result.removed == (old,)
    assert not old.exists()
    dump = gzip.decompress(result.path.read_bytes()).decode()
    assert "CREATE TABLE public.customers" in dump
    assert "Carl" in dump  # the data is there
    (sent,) = stack.tg.sent_messages(ADMIN_CHAT)
    assert sent.method == "sendDocument"
    assert sent.document == result.path.read_bytes()
    assert (sent.plain_text or "").startswith("Database backup")
    assert "password" not in (sent.plain_text or "").lower()


async def test_a_failing_dump_raises_and_leaves_nothing_behind(stack: Stack) -> None:
    with pytest.raises(BackupError) as failed:
        await run_backup(
            stack.settings, "postgresql+asyncpg://nobody:secret@127.0.0.1:1/none", stack.bot
        )
    assert "secret" not in str(failed.value)
    assert not list(backup_dir(stack.settings).glob("*"))
    assert not stack.tg.sent_messages(ADMIN_CHAT)
