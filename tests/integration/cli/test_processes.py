"""The long-running commands as a seller starts them: real OS processes, stopped with
SIGTERM. Telegram is the in-process emulator (the commands reach it through
``telegram.api_base``); PostgreSQL and Redis are the test servers."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from redis.asyncio import Redis

from vpnsales.testing.database import ScratchDatabase
from vpnsales.testing.emulators.telegram import TelegramEmulator
from vpnsales.testing.stack import RedisUnavailable, find_test_redis, free_port

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[3]
SECRET = "process-test-webhook-secret"
REDIS_DB = 13  # the default namespace ("vpnsales:*") kept apart from other tests


@pytest.fixture
async def redis_url() -> AsyncIterator[str]:
    try:
        base = await find_test_redis()
    except RedisUnavailable as exc:
        pytest.skip(str(exc))
    url = base.rsplit("/", 1)[0] + f"/{REDIS_DB}"
    yield url
    client = Redis.from_url(url)
    keys = [k async for k in client.scan_iter(match="vpnsales:*")]
    if keys:
        await client.delete(*keys)
    await client.aclose()


@pytest.fixture
async def tg() -> AsyncIterator[TelegramEmulator]:
    async with TelegramEmulator(auto_register_chats=True) as emulator:
        yield emulator


class Process:
    def __init__(self, process: asyncio.subprocess.Process, log: Path) -> None:
        self.process = process
        self.log = log

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    async def wait_for(self, text: str, timeout: float = 60) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while text not in self.output():
            assert self.process.returncode is None, f"exited early:\n{self.output()}"
            assert loop.time() < deadline, f"no {text!r} in:\n{self.output()}"
            await asyncio.sleep(0.1)

    async def terminate(self, timeout: float = 30) -> int:
        self.process.send_signal(signal.SIGTERM)
        try:
            return await asyncio.wait_for(self.process.wait(), timeout)
        except TimeoutError:
            self.process.kill()
            await self.process.wait()
            raise AssertionError(f"no graceful stop within {timeout}s:\n{self.output()}") from None


@contextlib.asynccontextmanager
async def start(
    tmp_path: Path, *args: str, database: ScratchDatabase, redis_url: str, **env: str
) -> AsyncIterator[Process]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("VPNSALES_")}
    environ.update(
        VPNSALES_DATABASE__URL=database.url,
        VPNSALES_REDIS__URL=redis_url,
        VPNSALES_DATA_DIR=str(tmp_path / "data"),
        VPNSALES_LOG__JSON="false",
        PYTHONUNBUFFERED="1",
        **env,
    )
    log = tmp_path / f"{args[0]}.log"
    with log.open("wb") as handle:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "vpnsales.entrypoints.cli",
            *args,
            stdout=handle,
            stderr=asyncio.subprocess.STDOUT,
            env=environ,
            cwd=ROOT,
        )
    proc = Process(process, log)
    try:
        yield proc
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


def telegram_env(tg: TelegramEmulator, mode: str, **extra: str) -> dict[str, str]:
    return {
        "VPNSALES_TELEGRAM__TOKEN": tg.token,
        "VPNSALES_TELEGRAM__API_BASE": tg.base_url,
        "VPNSALES_TELEGRAM__MODE": mode,
        "VPNSALES_TELEGRAM__WEBHOOK_SECRET": SECRET,
        **extra,
    }


async def get(url: str) -> int:
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        return response.status


async def test_run_polls_serves_and_stops_gracefully(
    tmp_path: Path, pg_database: ScratchDatabase, redis_url: str, tg: TelegramEmulator
) -> None:
    port = free_port()
    env = telegram_env(tg, "polling", VPNSALES_WEB__PORT=str(port), VPNSALES_WEB__HOST="127.0.0.1")
    async with start(tmp_path, "run", database=pg_database, redis_url=redis_url, **env) as proc:
        await proc.wait_for("vpnsales is running")
        await proc.wait_for("worker started")
        await proc.wait_for("scheduler started")
        await proc.wait_for("customer change feed: listening")
        assert await get(f"http://127.0.0.1:{port}/healthz") == 200
        assert await get(f"http://127.0.0.1:{port}/readyz") == 200

        user = tg.add_user(7301, "Polly", language_code="en")
        tg.enqueue(tg.command(user, "start"))
        reply = await tg.wait_for_message(user.id, timeout=30)
        assert "Hi, Polly" in (reply.plain_text or "")

        assert await proc.terminate() == 0
    output = proc.output()
    for line in ("worker stopped", "scheduler stopped", "vpnsales stopped"):
        assert line in output


async def test_web_registers_its_webhook_and_serves_the_bot(
    tmp_path: Path, pg_database: ScratchDatabase, redis_url: str, tg: TelegramEmulator
) -> None:
    port = free_port()
    hook = f"http://127.0.0.1:{port}/webhooks/telegram"
    env = telegram_env(
        tg,
        "webhook",
        VPNSALES_TELEGRAM__WEBHOOK_URL=hook,
        VPNSALES_WEB__PORT=str(port),
        VPNSALES_WEB__HOST="127.0.0.1",
    )
    async with start(tmp_path, "web", database=pg_database, redis_url=redis_url, **env) as proc:
        await proc.wait_for("telegram webhook registered")
        await proc.wait_for("customer change feed: listening")
        assert tg.webhook is not None
        assert tg.webhook.url == hook

        user = tg.add_user(7302, "Wendy", language_code="en")
        assert await tg.deliver(tg.command(user, "start")) == 200
        assert any("Hi, Wendy" in (m.plain_text or "") for m in tg.sent_messages(user.id))

        assert await proc.terminate() == 0


async def test_bot_polls_watches_changes_and_stops_gracefully(
    tmp_path: Path, pg_database: ScratchDatabase, redis_url: str, tg: TelegramEmulator
) -> None:
    env = telegram_env(tg, "polling")
    async with start(tmp_path, "bot", database=pg_database, redis_url=redis_url, **env) as proc:
        await proc.wait_for("bot polling started")
        await proc.wait_for("customer change feed: listening")

        user = tg.add_user(7303, "Bob", language_code="en")
        tg.enqueue(tg.command(user, "start"))
        reply = await tg.wait_for_message(user.id, timeout=30)
        assert "Hi, Bob" in (reply.plain_text or "")

        assert await proc.terminate() == 0
    assert "Traceback" not in proc.output()


@pytest.mark.parametrize(("command", "started"), [("worker", "worker"), ("scheduler", "scheduler")])
async def test_worker_and_scheduler_start_and_stop_gracefully(
    tmp_path: Path, pg_database: ScratchDatabase, redis_url: str, command: str, started: str
) -> None:
    async with start(tmp_path, command, database=pg_database, redis_url=redis_url) as proc:
        await proc.wait_for(f"{started} started")
        assert await proc.terminate() == 0
        await proc.wait_for(f"{started} stopped", timeout=5)


@pytest.mark.parametrize("command", ["run", "bot", "web", "worker", "scheduler", "demo"])
def test_process_commands_explain_themselves(
    command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    from vpnsales.entrypoints import cli

    with contextlib.suppress(SystemExit):
        cli.app.meta([command, "--help"])

    text = capsys.readouterr().out
    assert f"Usage: vpnsales {command}" in text
    assert "SIGTERM" in text or command == "demo"


async def test_bot_stopped_while_answering_finishes_the_answer(
    tmp_path: Path, pg_database: ScratchDatabase, redis_url: str, tg: TelegramEmulator
) -> None:
    """SIGTERM arrives while the bot is still sending its answer to an update (every
    Bot API call takes a second here): the process waits for the update to be handled
    before closing its HTTP session, so the customer gets the whole answer."""
    env = telegram_env(tg, "polling")
    async with start(tmp_path, "bot", database=pg_database, redis_url=redis_url, **env) as proc:
        await proc.wait_for("bot polling started")
        await proc.wait_for("customer change feed: listening")
        user = tg.add_user(7304, "Stella", language_code="en")
        tg.faults.latency = 1.0
        tg.faults.path_filter = "/sendMessage"
        tg.enqueue(tg.command(user, "start"))
        welcome = await tg.wait_for_message(user.id, timeout=30)  # then the menu, in flight
        assert "Hi, Stella" in (welcome.plain_text or "")

        assert await proc.terminate() == 0
    texts = [m.plain_text or "" for m in tg.sent_messages(user.id)]
    assert len(texts) == 2, texts  # the welcome and the menu
    assert "Traceback" not in proc.output()
    assert "waiting for 1 update(s) still being handled" in proc.output()
