"""Activation latency: from a confirmed payment to the "access ready" message leaving the
bot, through the real pipeline:

    ConfirmPayment (commit + outbox + kick) → Redis stream → worker process(es) →
    DrainOutbox → SyncAccess (Remnawave emulator, ``--latency`` per request) →
    access_ready staged → DeliverNotification → Telegram emulator.

The end of each measurement is the moment the Telegram emulator received the
``access_ready`` message for that customer (its request log, same monotonic clock as
the start). Payments arrive open-loop at ``--rate`` per second (a steady stream, as
from webhooks) — ``--rate 0`` fires them all at once.

Also recorded: the time to the *first* message. The access card is the only message when
it is ready within ``ShopPolicy.payment_received_delay`` (3 s); otherwise "payment
received" goes first and the card follows (at least ~1 s later: the Telegram sender paces
one chat to one message per second).

Usage: ``uv run python -m bench.activation [--payments 1000] [--workers 2] [--rate 20]
[--latency 0.05] [--concurrency 50]``. PostgreSQL is found like the tests' (scratch
database created and dropped), Redis at ``VPNSALES_TEST_REDIS_URL`` or 127.0.0.1:6379.
Results: ``bench/results/activation.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import signal
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path[:0] = [str(Path(__file__).resolve().parents[2])]

from vpnsales.adapters.tasks import Namespace
from vpnsales.application.interactors.customer.register_customer import (
    RegisterCustomer,
    RegisterCustomerCommand,
)
from vpnsales.application.interactors.payments.confirm_payment import (
    ConfirmPayment,
    ConfirmPaymentCommand,
)
from vpnsales.application.interactors.payments.start_checkout import (
    CheckoutStarted,
    StartCheckout,
    StartCheckoutCommand,
)
from vpnsales.application.ports.repositories import TariffRepository
from vpnsales.application.ports.uow import UnitOfWork
from vpnsales.domain.ids import TelegramId
from vpnsales.domain.payment import PaymentProvider
from vpnsales.entrypoints.config import load_settings
from vpnsales.entrypoints.di import build_container
from vpnsales.entrypoints.worker.broker import build_broker
from vpnsales.entrypoints.worker.provider import TaskQueueProvider
from vpnsales.testing.builders import a_tariff, an_option
from vpnsales.testing.database import create_database, drop_database, start_test_server
from vpnsales.testing.stack import EmulatorStack, find_test_redis

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "bench" / "results" / "activation.json"
FIRST_CHAT = 5_000_000


def _pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1))))
    return ordered[k]


def _chat_of(body: bytes) -> int | None:
    """chat_id of a sendMessage/sendPhoto request (form or JSON body)."""
    text = body.decode("utf-8", "replace")
    for marker in ('name="chat_id"\r\n\r\n', "chat_id="):
        at = text.find(marker)
        if at >= 0:
            digits = ""
            for ch in text[at + len(marker) :]:
                if ch.isdigit() or (ch == "-" and not digits):
                    digits += ch
                else:
                    break
            return int(digits) if digits else None
    with contextlib.suppress(ValueError, AttributeError):
        return int(json.loads(text)["chat_id"])
    return None


async def run(args: argparse.Namespace) -> dict[str, Any]:
    server = await asyncio.to_thread(start_test_server)
    database = await create_database(server, prefix="vpnsales_bench_activation")
    redis_url = await find_test_redis()
    namespace = Namespace(f"vpnsales-bench-{uuid.uuid4().hex[:8]}")
    procs: list[asyncio.subprocess.Process] = []
    tmp = Path(tempfile.mkdtemp(prefix="vpnsales-bench-"))
    try:
        async with EmulatorStack() as stack:
            data = stack.overrides()
            data["log"] = {"json": False, "level": "WARNING"}
            data["database"] = {"pool_size": args.pool}
            settings = load_settings(environ={}, overrides=data)
            spec = tmp / "spec.json"
            spec.write_text(
                json.dumps(
                    {
                        "settings": data,
                        "database_url": database.url,
                        "redis_url": redis_url,
                        "namespace": namespace.prefix,
                        "concurrency": args.concurrency,
                    }
                )
            )
            logs = []
            for i in range(args.workers):
                log = (tmp / f"worker-{i}.log").open("wb")
                logs.append(tmp / f"worker-{i}.log")
                procs.append(
                    await asyncio.create_subprocess_exec(
                        sys.executable,
                        "-m",
                        "bench.activation.worker",
                        str(spec),
                        cwd=ROOT,
                        stdout=log,
                        stderr=asyncio.subprocess.STDOUT,
                        env={**os.environ, "PYTHONPATH": str(ROOT)},
                    )
                )
                log.close()
            deadline = time.monotonic() + 120
            while not all("worker started" in p.read_text(errors="replace") for p in logs):
                if time.monotonic() > deadline or any(p.returncode is not None for p in procs):
                    raise RuntimeError("workers did not start:\n" + logs[0].read_text())
                await asyncio.sleep(0.1)

            broker = build_broker(settings, redis_url=redis_url, namespace=namespace)
            container = build_container(
                settings,
                database_url=database.url,
                redis_url=redis_url,
                extra_providers=[TaskQueueProvider(broker, namespace=namespace)],
            )
            try:
                return await _measure(args, stack, container, database.url)
            finally:
                await container.close()
                await broker.shutdown()
    finally:
        for p in procs:
            with contextlib.suppress(ProcessLookupError):
                p.send_signal(signal.SIGTERM)
        for p in procs:
            try:
                await asyncio.wait_for(p.wait(), timeout=10)
            except TimeoutError:
                p.kill()
                await p.wait()
        await drop_database(database)
        await asyncio.to_thread(server.stop)
        from redis.asyncio import Redis

        client = Redis.from_url(redis_url)
        keys = [k async for k in client.scan_iter(match=f"{namespace.prefix}:*")]
        if keys:
            await client.delete(*keys)
        await client.aclose()


async def _measure(
    args: argparse.Namespace, stack: EmulatorStack, container: Any, database_url: str
) -> dict[str, Any]:
    tariff = a_tariff(code="month", options=(an_option(30, rub=300),), panel="rw")
    async with container() as scope:
        await (await scope.get(TariffRepository)).add(tariff)
        await (await scope.get(UnitOfWork)).commit()

    chats = [FIRST_CHAT + i for i in range(args.payments)]
    checkouts: dict[int, CheckoutStarted] = {}
    sem = asyncio.Semaphore(20)

    async def prepare(chat: int) -> None:
        async with sem:
            async with container() as scope:
                await (await scope.get(RegisterCustomer))(
                    RegisterCustomerCommand(telegram_id=TelegramId(chat), language_code="en")
                )
            async with container() as scope:
                checkouts[chat] = await (await scope.get(StartCheckout))(
                    StartCheckoutCommand(
                        telegram_id=TelegramId(chat),
                        provider=PaymentProvider.YOOKASSA,
                        tariff_code="month",
                        days=30,
                    )
                )

    print(f"preparing {args.payments} checkouts…", flush=True)
    await asyncio.gather(*(prepare(c) for c in chats))

    telegram = stack.telegram
    stack.remnawave.faults.latency = args.latency
    telegram.calls.clear()
    started: dict[int, float] = {}
    confirm_ms: list[float] = []

    async def confirm(chat: int) -> None:
        checkout = checkouts[chat]
        started[chat] = time.monotonic()
        async with container() as scope:
            await (await scope.get(ConfirmPayment))(
                ConfirmPaymentCommand(
                    provider=PaymentProvider.YOOKASSA,
                    amount=checkout.quote.total,
                    payment_id=checkout.payment_id,
                    provider_payment_id=checkout.provider_payment_id,
                )
            )
        confirm_ms.append((time.monotonic() - started[chat]) * 1000)

    print(
        f"confirming at {args.rate or 'max'}/s with {args.latency * 1000:.0f} ms panel latency…",
        flush=True,
    )
    t0 = time.monotonic()
    tasks = []
    for i, chat in enumerate(chats):
        if args.rate:
            delay = t0 + i / args.rate - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(confirm(chat)))
    await asyncio.gather(*tasks)

    # access_ready carries the access card: a photo with the QR code (or, for a link too
    # long for a QR, text with the link); payment_received is plain text.
    pending = set(chats)
    ready_at: dict[int, float] = {}
    first_at: dict[int, float] = {}
    seen = 0
    domain = stack.remnawave.sub_public_domain.encode()
    deadline = time.monotonic() + args.timeout
    while pending and time.monotonic() < deadline:
        calls = list(telegram.calls)
        for call in calls[seen:]:
            if not call.path.endswith(("/sendMessage", "/sendPhoto")):
                continue
            chat = _chat_of(call.body)
            if chat is None or chat not in started:
                continue
            first_at.setdefault(chat, call.at)
            card = call.path.endswith("/sendPhoto") or domain in call.body
            if card and chat in pending:
                ready_at[chat] = call.at
                pending.discard(chat)
        seen = len(calls)
        await asyncio.sleep(0.02)
    end = max(ready_at.values(), default=time.monotonic())

    latencies = [(ready_at[c] - started[c]) * 1000 for c in ready_at]
    firsts = [(first_at[c] - started[c]) * 1000 for c in first_at]
    return {
        "benchmark": "activation",
        "recorded_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count()},
        "load_average": list(os.getloadavg()),
        "parameters": {
            "payments": args.payments,
            "workers": args.workers,
            "worker_concurrency": args.concurrency,
            "arrival_rate_per_second": args.rate or "all at once",
            "panel_latency_ms": args.latency * 1000,
        },
        "completed": len(ready_at),
        "missing": len(pending),
        "access_ready_ms": _summary(latencies),
        "first_message_ms": _summary(firsts),
        "confirm_call_ms": _summary(confirm_ms),
        "throughput_per_second": round(len(ready_at) / (end - t0), 2) if ready_at else 0,
        "wall_seconds": round(end - t0, 2),
        "target": "p99 access_ready < 1000 ms",
    }


def _summary(values: list[float]) -> dict[str, float]:
    if not values:
        return {}
    return {
        "p50": round(_pct(values, 50), 1),
        "p90": round(_pct(values, 90), 1),
        "p99": round(_pct(values, 99), 1),
        "max": round(max(values), 1),
        "mean": round(statistics.fmean(values), 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--payments", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--rate", type=float, default=20.0, help="payments per second; 0 = all")
    parser.add_argument("--latency", type=float, default=0.05, help="panel latency, seconds")
    parser.add_argument("--concurrency", type=int, default=50, help="jobs at once per worker")
    parser.add_argument("--pool", type=int, default=20, help="database pool per process")
    parser.add_argument("--timeout", type=float, default=300.0)
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args()
    result = asyncio.run(run(args))
    print(json.dumps(result, indent=2))
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"saved {args.output}")


if __name__ == "__main__":
    main()
