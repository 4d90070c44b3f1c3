"""Database backups: a compressed ``pg_dump`` sent to the admin chat and kept N days.

``run_backup`` writes ``<data_dir>/backups/vpnsales-YYYYmmdd-HHMMSS.sql.gz`` (plain SQL
with ``--clean --if-exists``, so a restore replaces what is there), deletes dumps older
than ``keep_days``, and sends the new one to ``telegram.admin_chat_id`` as a document
(Telegram bots may send files up to 50 MB; a bigger dump stays on disk and the chat gets
a note). The scheduler decides when it runs.

Restore (stop the bot, web and worker first)::

    gunzip -c .vpnsales/backups/vpnsales-20261122-030000.sql.gz \\
        | psql "postgresql://user:password@host:5432/vpnsales" --single-transaction

The ``psql`` URL is the database URL without ``+asyncpg``. The dump contains no Redis
state (FSM, throttling, task queue): nothing there needs restoring.
"""

from __future__ import annotations

import asyncio
import gzip
import logging
import os
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError
from aiogram.types import FSInputFile
from sqlalchemy.engine import make_url

from vpnsales.entrypoints.config import Settings

logger = logging.getLogger("vpnsales.backup")

TELEGRAM_FILE_LIMIT = 50 * 1024 * 1024
PREFIX = "vpnsales-"
SUFFIX = ".sql.gz"
CHUNK = 1 << 16


class BackupError(RuntimeError):
    """``pg_dump`` failed (the message carries its stderr, never the password)."""


@dataclass(frozen=True, slots=True)
class BackupResult:
    path: Path
    size: int
    sent: bool
    removed: tuple[Path, ...]


def libpq_url(database_url: str) -> tuple[str, dict[str, str]]:
    """The URL ``pg_dump`` understands (no driver, no password) and the environment
    carrying the password, so it never shows in the process list."""
    url = make_url(database_url)
    env: dict[str, str] = {}
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    plain = url.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def backup_dir(settings: Settings) -> Path:
    return Path(settings.data_dir) / "backups"


def default_pg_dump() -> str:
    """The newest ``pg_dump`` at hand: the one bundled with ``pgserver`` (PostgreSQL 16,
    which also dumps older servers and the embedded one), else ``pg_dump`` on PATH."""
    try:
        import pgserver  # a dependency; its binaries ship inside the wheel
    except ImportError:  # pragma: no cover - always installed with vpnsales
        return "pg_dump"
    bundled = Path(pgserver.__file__).parent / "pginstall" / "bin" / "pg_dump"
    return str(bundled) if bundled.is_file() else "pg_dump"


async def dump_database(database_url: str, target: Path, *, pg_dump: str | None = None) -> int:
    """Stream ``pg_dump`` into a gzip file; returns its size in bytes."""
    url, extra_env = libpq_url(database_url)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(target.suffix + ".part")
    process = await asyncio.create_subprocess_exec(
        pg_dump or default_pg_dump(),
        "--no-owner",
        "--no-privileges",
        "--clean",
        "--if-exists",
        f"--dbname={url}",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, **extra_env},
    )
    assert process.stdout is not None
    assert process.stderr is not None
    stderr_task = asyncio.ensure_future(process.stderr.read())
    try:
        with gzip.open(partial, "wb", compresslevel=6) as out:
            while chunk := await process.stdout.read(CHUNK):
                out.write(chunk)
        code = await process.wait()
    except BaseException:
        process.kill()
        partial.unlink(missing_ok=True)
        raise
    errors = (await stderr_task).decode(errors="replace").strip()
    if code != 0:
        partial.unlink(missing_ok=True)
        raise BackupError(f"pg_dump exited with {code}: {errors[-500:]}")
    partial.replace(target)
    return target.stat().st_size


def prune(directory: Path, keep_days: int, now: datetime) -> tuple[Path, ...]:
    """Delete our dumps older than ``keep_days`` (by modification time)."""
    cutoff = (now - timedelta(days=keep_days)).timestamp()
    removed: list[Path] = []
    for path in sorted(directory.glob(f"{PREFIX}*{SUFFIX}")):
        if path.stat().st_mtime < cutoff:
            path.unlink(missing_ok=True)
            removed.append(path)
    return tuple(removed)


async def run_backup(
    settings: Settings,
    database_url: str,
    bot: Bot | None,
    *,
    keep_days: int = 7,
    now: datetime | None = None,
    pg_dump: str | None = None,
) -> BackupResult:
    """Dump, prune, send. Raises :class:`BackupError` when the dump fails (the caller —
    the scheduled job — logs it and alerts); a failed upload is logged, not raised."""
    moment = now or datetime.now(UTC)
    directory = backup_dir(settings)
    target = directory / f"{PREFIX}{moment:%Y%m%d-%H%M%S}{SUFFIX}"
    size = await dump_database(database_url, target, pg_dump=pg_dump)
    removed = prune(directory, keep_days, moment)
    sent = False
    chat = settings.telegram.admin_chat_id
    if bot is not None and chat is not None:
        caption = f"Database backup {moment:%Y-%m-%d %H:%M} UTC, {size / 1024:.0f} KB"
        try:
            if size <= TELEGRAM_FILE_LIMIT:
                await bot.send_document(
                    chat, FSInputFile(target, filename=target.name), caption=caption
                )
                sent = True
            else:
                await bot.send_message(
                    chat, f"{caption}: too big for Telegram, kept at {target}", parse_mode=None
                )
        except TelegramAPIError as exc:
            logger.error("backup %s not sent to the admin chat: %s", target.name, exc.message)
    logger.info("backup %s written (%d bytes), %d old removed", target.name, size, len(removed))
    return BackupResult(path=target, size=size, sent=sent, removed=removed)


__all__ = ["BackupError", "BackupResult", "backup_dir", "libpq_url", "prune", "run_backup"]
