"""Payment webhooks through the web entrypoint, to "access ready".

The same pipeline as ``bench.activation`` (its worker processes, Redis stream, Remnawave
and Telegram emulators, scratch PostgreSQL) but each payment starts as a YooKassa
notification POSTed to the real web app (``build_web_app`` over the production
container, served on 127.0.0.1): source-address check behind the trusted proxy,
re-fetch of the payment from the YooKassa emulator, ``ApplyProviderPayment`` (commit +
outbox + kick), 200. Notifications arrive open-loop at ``--rate`` per second.

Reported: notifications/s answered, the webhook's own latency, and payment-notified →
``access_ready`` delivered (p50/p90/p99), both from the same monotonic clock.

Usage: ``uv run python -m bench.webhooks [--payments 300] [--rate 20] [--workers 1]``.
Reuses ``bench.activation``'s process management (its ``run`` with this ``_measure``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiohttp import web

import bench.activation.run as activation
from vpnsales.application.interactors.customer.register_customer import (
    RegisterCustomer,
    RegisterCustomerCommand,
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
from vpnsales.entrypoints.config import Settings
from vpnsales.entrypoints.web import build_web_app
from vpnsales.testing.builders import a_tariff, an_option
from vpnsales.testing.stack import EmulatorStack

RESULTS = Path(__file__).resolve().parents[1] / "results"
FIRST_CHAT = 6_000_000
MAX_SECONDS = 900.0


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

    await asyncio.gather(*(prepare(c) for c in chats))

    settings = await container.get(Settings)
    app = build_web_app(container, settings)
    runner = web.AppRunner(app, access_log=None, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    url = f"http://127.0.0.1:{runner.addresses[0][1]}/webhooks/yookassa"

    telegram = stack.telegram
    stack.remnawave.faults.latency = args.latency
    telegram.calls.clear()
    started: dict[int, float] = {}
    webhook_ms: list[float] = []
    statuses: dict[int, int] = {}

    async def notify(chat: int) -> None:
        pid = checkouts[chat].provider_payment_id
        assert pid is not None
        stack.yookassa.succeed(pid)
        started[chat] = time.monotonic()
        delivered = await stack.yookassa.deliver_webhook(url, "payment.succeeded", pid)
        webhook_ms.append((time.monotonic() - started[chat]) * 1000)
        statuses[delivered.status] = statuses.get(delivered.status, 0) + 1

    try:
        t0 = time.monotonic()
        tasks = []
        for i, chat in enumerate(chats):
            if args.rate:
                delay = t0 + i / args.rate - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)  # open-loop arrivals
            tasks.append(asyncio.create_task(notify(chat)))
        await asyncio.gather(*tasks)
        answered_s = time.monotonic() - t0

        pending = set(chats)
        ready_at: dict[int, float] = {}
        seen = 0
        domain = stack.remnawave.sub_public_domain.encode()
        deadline = time.monotonic() + args.timeout
        while pending and time.monotonic() < deadline:
            calls = list(telegram.calls)
            for call in calls[seen:]:
                if not call.path.endswith(("/sendMessage", "/sendPhoto")):
                    continue
                target = activation._chat_of(call.body)
                if target is None or target not in pending:
                    continue
                if call.path.endswith("/sendPhoto") or domain in call.body:
                    ready_at[target] = call.at
                    pending.discard(target)
            seen = len(calls)
            await asyncio.sleep(0.02)  # polling the emulator's request log
    finally:
        await runner.cleanup()
    latencies = [(ready_at[c] - started[c]) * 1000 for c in ready_at]
    end = max(ready_at.values(), default=time.monotonic())
    return {
        "benchmark": "webhooks",
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "load_average": list(os.getloadavg()),
        "payments": args.payments,
        "arrival_rate_per_second": args.rate or "all at once",
        "workers": args.workers,
        "panel_latency_ms": args.latency * 1000,
        "webhook_statuses": statuses,
        "notifications_per_second": round(len(webhook_ms) / answered_s, 2),
        "webhook_ms": activation._summary(webhook_ms),
        "access_ready_ms": activation._summary(latencies),
        "completed": len(ready_at),
        "missing": len(pending),
        "access_ready_per_second": round(len(ready_at) / (end - t0), 2) if ready_at else 0,
    }


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--payments", type=int, default=300)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--rate", type=float, default=20.0, help="notifications/s; 0 = all")
    parser.add_argument("--latency", type=float, default=0.05, help="panel latency, seconds")
    parser.add_argument("--concurrency", type=int, default=50, help="jobs at once per worker")
    parser.add_argument("--pool", type=int, default=20, help="database pool per process")
    parser.add_argument("--timeout", type=float, default=300.0)
    parser.add_argument("--output", type=Path, default=RESULTS / "webhooks.json")
    args = parser.parse_args(argv)
    activation._measure = _measure  # same pipeline, started by the HTTP webhook
    result = asyncio.run(asyncio.wait_for(activation.run(args), MAX_SECONDS))
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    main()
