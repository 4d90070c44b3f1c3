"""The `vpnsales` command line against a real PostgreSQL (subprocesses, as a seller runs it)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from vpnsales.testing.database import ScratchDatabase

ROOT = Path(__file__).resolve().parents[3]


def run_cli(*args: str, database: ScratchDatabase, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("VPNSALES_") or k.startswith("VPNSALES_TEST")
    }
    environ.update(
        VPNSALES_DATABASE__URL=database.url,
        VPNSALES_REDIS__URL=os.environ.get("VPNSALES_TEST_REDIS_URL", "redis://127.0.0.1:6379/0"),
        VPNSALES_LOG__JSON="false",
        **env,
    )
    return subprocess.run(
        [sys.executable, "-m", "vpnsales.entrypoints.cli", *args],
        capture_output=True,
        text=True,
        env=environ,
        cwd=ROOT,
        timeout=120,
        check=False,
    )


def test_help_lists_every_command() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "vpnsales.entrypoints.cli", "--help"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout
    for command in ("migrate", "seed", "admin", "check-config"):
        assert command in out


async def test_seed_is_idempotent_and_admin_add_upserts(
    pg_database: ScratchDatabase, pg_engine: AsyncEngine, clean_db: object
) -> None:
    first = run_cli("seed", "examples/seed.toml", database=pg_database)
    assert first.returncode == 0, first.stderr
    assert "tariffs: 3 added, 0 updated; promo codes: 3 added, 0 updated" in first.stdout
    again = run_cli("seed", "examples/seed.toml", database=pg_database)
    assert "tariffs: 0 added, 3 updated; promo codes: 0 added, 3 updated" in again.stdout

    assert run_cli("admin", "add", "42", database=pg_database).returncode == 0
    changed = run_cli("admin", "add", "42", "--role", "support", database=pg_database)
    assert "admin 42 updated with role support" in changed.stdout
    async with pg_engine.connect() as conn:
        tariffs = (await conn.execute(text("select count(*) from tariffs"))).scalar_one()
        roles = (await conn.execute(text("select role from admins"))).scalars().all()
    assert tariffs == 3
    assert roles == ["support"]


def test_seed_reports_a_broken_file_clearly(pg_database: ScratchDatabase, tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('[[tariffs]]\ncode = "x"\npanel = "rw"\n[[tariffs.options]]\ndays = 0\n')
    result = run_cli("seed", str(bad), database=pg_database)
    assert result.returncode == 2
    assert "tariff x" in result.stderr


def test_invalid_settings_exit_with_the_setting_named(pg_database: ScratchDatabase) -> None:
    result = run_cli("check-config", database=pg_database, VPNSALES_WEB__PORT="not-a-port")
    assert result.returncode == 2
    assert "web.port" in result.stderr


def test_check_config_reports_unreachable_panel(pg_database: ScratchDatabase) -> None:
    panels = '[{"id": "rw", "kind": "remnawave", "base_url": "http://127.0.0.1:9", "token": "t"}]'
    result = run_cli("check-config", database=pg_database, VPNSALES_PANELS=panels)
    assert result.returncode == 1
    assert "[OK  ] database" in result.stdout
    assert "[FAIL] panel rw" in result.stdout
    assert 't"' not in result.stdout


@pytest.mark.parametrize(
    "command", [["migrate", "--help"], ["seed", "--help"], ["admin", "add", "--help"]]
)
def test_subcommand_help(command: list[str]) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "vpnsales.entrypoints.cli", *command],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout
    assert "Usage: vpnsales" in out
