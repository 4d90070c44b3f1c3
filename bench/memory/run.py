"""Memory: RSS of the real processes (``vpnsales web``, ``vpnsales worker``, ``vpnsales
run``) idle, and of the all-in-one process under a bot load.

Everything on 127.0.0.1: a scratch PostgreSQL database (migrated, dropped afterwards), a
throwaway ``redis-server`` on a free port (started and killed here), the Telegram
emulator in this process as the processes' Bot API (``telegram.api_base``). The
all-in-one process runs in webhook mode; the load is ``--updates`` ``/start`` updates
from distinct customers POSTed to its ``/webhooks/telegram`` (``--concurrency`` at once),
which also gives an end-to-end updates/s over HTTP (first as new customers, then
again as returning ones).

Each child is stopped with SIGTERM (then SIGKILL after 15 s) by its own process id.

Usage: ``uv run python -m bench.memory [--updates 2000] [--concurrency 16]``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp

from vpnsales.testing.database import create_database, drop_database, start_test_server
from vpnsales.testing.emulators.telegram import TelegramEmulator

RESULTS = Path(__file__).resolve().parents[1] / "results"
SECRET = "bench-memory-secret-0123456789"
MAX_SECONDS = 600.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def rss_mb(pid: int) -> float | None:
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        return None
    return None


@contextlib.contextmanager
def throwaway_redis() -> Any:
    binary = shutil.which("redis-server")
    if binary is None:
        raise RuntimeError("redis-server is not installed")
    port = free_port()
    workdir = tempfile.mkdtemp(prefix="vpnsales-bench-redis-")
    process = subprocess.Popen(
        [
            binary,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            workdir,
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
                break
            time.sleep(0.02)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.kill()
        process.wait(timeout=10)
        shutil.rmtree(workdir, ignore_errors=True)


@contextlib.asynccontextmanager
async def child(command: list[str], env: dict[str, str]) -> AsyncIterator[subprocess.Popen[bytes]]:
    log = tempfile.TemporaryFile()  # noqa: SIM115 - closed below
    process = subprocess.Popen(command, env=env, stdout=log, stderr=log)  # noqa: ASYNC220
    try:
        yield process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                await asyncio.to_thread(process.wait, 15)
            except subprocess.TimeoutExpired:
                process.kill()
                await asyncio.to_thread(process.wait, 5)
        if process.returncode not in (0, -signal.SIGTERM, None):
            log.seek(0)
            print(f"{command[-1]} exited {process.returncode}: {log.read()[-1500:]!r}")
        log.close()


async def wait_http(url: str, process: subprocess.Popen[bytes], limit: float = 90.0) -> float:
    """Seconds until ``url`` answers 200 (the process is up)."""
    started = time.monotonic()
    async with aiohttp.ClientSession() as session:
        while time.monotonic() - started < limit:
            if process.poll() is not None:
                raise RuntimeError(f"process exited with {process.returncode}")
            with contextlib.suppress(aiohttp.ClientError, OSError):
                async with session.get(url, timeout=aiohttp.ClientTimeout(total=2)) as r:
                    if r.status == 200:
                        return round(time.monotonic() - started, 2)
            await asyncio.sleep(0.1)  # polling a child process's readiness
    raise TimeoutError(url)


async def settle(pid: int, seconds: float = 3.0) -> float | None:
    """RSS after ``seconds`` of idling (start-up allocations done)."""
    await asyncio.sleep(seconds)
    return rss_mb(pid)


def start_update(update_id: int, uid: int) -> dict[str, Any]:
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": int(time.time()),
            "chat": {"id": uid, "type": "private", "first_name": f"C{uid}"},
            "from": {"id": uid, "is_bot": False, "first_name": f"C{uid}", "language_code": "en"},
            "text": "/start",
            "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
        },
    }


async def load(url: str, updates: list[dict[str, Any]], concurrency: int) -> dict[str, Any]:
    statuses: dict[int, int] = {}
    latencies: list[float] = []
    queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    for u in updates:
        queue.put_nowait(u)
    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
    async with aiohttp.ClientSession() as session:

        async def worker() -> None:
            while not queue.empty():
                update = queue.get_nowait()
                t0 = time.perf_counter()
                async with session.post(url, json=update, headers=headers) as r:
                    await r.read()
                    statuses[r.status] = statuses.get(r.status, 0) + 1
                latencies.append(time.perf_counter() - t0)

        t0 = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - t0
    latencies.sort()

    def at(q: float) -> float:
        return round(latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1000, 1)

    return {
        "updates": len(updates),
        "updates_per_second": round(len(updates) / elapsed, 1),
        "http_statuses": statuses,
        "latency_ms": {"p50": at(0.5), "p95": at(0.95), "p99": at(0.99)},
    }


async def run(args: argparse.Namespace) -> dict[str, Any]:
    cli = str(Path(sys.executable).with_name("vpnsales"))
    server = await asyncio.to_thread(start_test_server)
    database = await create_database(server, prefix="vpnsales_bench_mem")
    result: dict[str, Any] = {
        "benchmark": "memory",
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "machine": platform.machine(),
    }
    data_dir = tempfile.mkdtemp(prefix="vpnsales-bench-mem-")
    try:
        with throwaway_redis() as redis_url:
            async with TelegramEmulator() as tg:
                customers = range(30_000_001, 30_000_001 + args.updates)
                for uid in customers:
                    tg.add_user(uid, f"C{uid}", language_code="en")
                port = free_port()
                env = {
                    **os.environ,
                    "VPNSALES_DATABASE__URL": database.url,
                    "VPNSALES_REDIS__URL": redis_url,
                    "VPNSALES_TELEGRAM__TOKEN": tg.token,
                    "VPNSALES_TELEGRAM__API_BASE": tg.base_url,
                    "VPNSALES_TELEGRAM__MODE": "webhook",
                    "VPNSALES_TELEGRAM__WEBHOOK_SECRET": SECRET,
                    "VPNSALES_TELEGRAM__THROTTLE_RATE": "1000",
                    "VPNSALES_WEB__HOST": "127.0.0.1",
                    "VPNSALES_WEB__PORT": str(port),
                    "VPNSALES_LOG__LEVEL": "WARNING",
                    "VPNSALES_DATA_DIR": data_dir,
                }
                base = f"http://127.0.0.1:{port}"
                async with child([cli, "web"], env) as web:
                    result["web_startup_s"] = await wait_http(f"{base}/healthz", web)
                    result["web_rss_mb_idle"] = await settle(web.pid)
                metrics_port = free_port()
                async with child(
                    [cli, "worker", "--metrics-port", str(metrics_port)], env
                ) as worker:
                    result["worker_startup_s"] = await wait_http(
                        f"http://127.0.0.1:{metrics_port}/metrics", worker
                    )
                    result["worker_rss_mb_idle"] = await settle(worker.pid)
                async with child([cli, "run"], env) as allinone:
                    result["allinone_startup_s"] = await wait_http(f"{base}/healthz", allinone)
                    result["allinone_rss_mb_idle"] = await settle(allinone.pid)
                    url = f"{base}/webhooks/telegram"
                    first = [start_update(i + 1, uid) for i, uid in enumerate(customers)]
                    result["allinone_bot_load_new_customers"] = await load(
                        url, first, args.concurrency
                    )
                    again = [start_update(10**7 + i, uid) for i, uid in enumerate(customers)]
                    result["allinone_bot_load_returning"] = await load(url, again, args.concurrency)
                    result["allinone_rss_mb_under_load"] = rss_mb(allinone.pid)
                    result["allinone_rss_mb_after_load"] = await settle(allinone.pid)
    finally:
        await drop_database(database)
        await asyncio.to_thread(server.stop)
        shutil.rmtree(data_dir, ignore_errors=True)
    return result


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--updates", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--output", type=Path, default=RESULTS / "memory.json")
    args = parser.parse_args(argv)
    result = asyncio.run(asyncio.wait_for(run(args), MAX_SECONDS))
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    main()
