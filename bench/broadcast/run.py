"""Broadcast pacing: achieved messages/s against the ``worker.broadcast_rate`` setting
(25 msg/s by default), and how many 429s Telegram answered.

The sender is the production one (``TelegramBroadcastSender`` over ``FileIdSender``
built as ``entrypoints/di_admin.py`` builds it: ``rate × JITTER_HEADROOM``, one message
per second per chat); Telegram is the in-process emulator **enforcing** its limits
(30 msg/s overall, 1 msg/s per chat → 429 with ``retry_after``) over HTTP on 127.0.0.1.
``--recipients`` distinct chats get one message each, all handed to the sender at once
(as ``ProcessBroadcast`` does with a batch), plus ``--repeat`` extra messages spread
over ``--repeat-chats`` chats (the per-chat limit; 0 by default, as in a real broadcast).

Usage: ``uv run python -m bench.broadcast [--recipients 500] [--rate 25]``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer

from vpnsales.adapters.telegram.broadcast import (
    JITTER_HEADROOM,
    FileIdSender,
    TelegramBroadcastSender,
)
from vpnsales.application.ports.broadcast import BroadcastMessage
from vpnsales.application.ports.notifier import Recipient
from vpnsales.domain.customer import Language
from vpnsales.testing.emulators.telegram import TelegramEmulator

RESULTS = Path(__file__).resolve().parents[1] / "results"
MAX_SECONDS = 300.0


async def run(args: argparse.Namespace) -> dict[str, Any]:
    async with TelegramEmulator(enforce_limits=True, auto_register_chats=True) as tg:
        session = AiohttpSession(api=TelegramAPIServer.from_base(tg.base_url))
        bot = Bot(tg.token, session=session)
        try:
            sender = TelegramBroadcastSender(
                FileIdSender(bot, rate=args.rate * JITTER_HEADROOM, per_chat_interval=1.0)
            )
            message = BroadcastMessage(text="<b>News</b>: a new location is open.")
            chats = [40_000_001 + i for i in range(args.recipients)]
            repeated = [50_000_001 + i % max(args.repeat_chats, 1) for i in range(args.repeat)]
            recipients = [Recipient(telegram_id=c, language=Language.EN) for c in chats + repeated]
            started = time.perf_counter()
            outcomes = await asyncio.gather(*(sender.send(r, message) for r in recipients))
            elapsed = time.perf_counter() - started
        finally:
            await session.close()
        counted = Counter(o.value for o in outcomes)
        sent = counted.get("sent", 0)
        return {
            "benchmark": "broadcast",
            "at": datetime.now(UTC).isoformat(timespec="seconds"),
            "python": platform.python_version(),
            "rate_setting": args.rate,
            "messages": len(recipients),
            "distinct_chats": len(set(chats + repeated)),
            "seconds": round(elapsed, 2),
            "achieved_per_second": round(sent / elapsed, 2) if elapsed else None,
            "share_of_setting": round(sent / elapsed / args.rate, 3) if elapsed else None,
            "outcomes": dict(counted),
            "telegram_429s": tg.throttled,
        }


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipients", type=int, default=500)
    parser.add_argument(
        "--repeat", type=int, default=0, help="extra messages to a few chats (per-chat limit)"
    )
    parser.add_argument("--repeat-chats", type=int, default=4)
    parser.add_argument("--rate", type=float, default=25.0)
    parser.add_argument("--output", type=Path, default=RESULTS / "broadcast.json")
    args = parser.parse_args(argv)
    result = asyncio.run(asyncio.wait_for(run(args), MAX_SECONDS))
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    main()
