"""Broadcasts end to end: composed in the bot by the owner, delivered by the worker's
use case through ``TelegramBroadcastSender`` to the Telegram emulator, measured there."""

from __future__ import annotations

import asyncio
import itertools
import math
from collections import Counter
from typing import Any

from aiogram.types import BufferedInputFile, Update

from vpnsales.adapters.telegram.chart import revenue_chart
from vpnsales.application.interactors.system.process_broadcast import (
    ProcessBroadcast,
    ProcessBroadcastCommand,
    ProcessBroadcastResult,
)
from vpnsales.application.ports.broadcast import (
    BroadcastMessage,
    BroadcastProgress,
    BroadcastRepository,
    BroadcastSender,
    BroadcastStatus,
)
from vpnsales.application.ports.clock import Clock
from vpnsales.application.ports.notifier import DeliveryOutcome, Recipient
from vpnsales.application.ports.uow import UnitOfWork
from vpnsales.domain.customer import Language
from vpnsales.domain.ids import BroadcastId
from vpnsales.entrypoints.bot.callbacks import parse_short_id
from vpnsales.testing.builders import a_customer

from .conftest import CUSTOMER, OWNER, Stack

FIRST_ID = 10_000


class WorkerKilled(BaseException):
    """The worker process dies (not an error the use case may catch)."""


class DiesAfter:
    """The real sender, until the worker is killed before its ``n+1``-th send."""

    def __init__(self, inner: BroadcastSender, n: int) -> None:
        self._inner = inner
        self._left = n

    async def send(self, recipient: Recipient, message: BroadcastMessage) -> DeliveryOutcome:
        if self._left == 0:
            raise WorkerKilled
        self._left -= 1
        return await self._inner.send(recipient, message)


async def seed_audience(stack: Stack, count: int) -> list[int]:
    ids = list(range(FIRST_ID, FIRST_ID + count))
    now = stack.clock.now()
    await stack.add_customers(
        a_customer(telegram_id=i, first_name=f"C{i}", language=Language.EN, created_at=now)
        for i in ids
    )
    return ids


async def compose(stack: Stack, *, photo: str | None = None) -> BroadcastId:
    """/admin → Broadcast → text (or photo) → button → Everyone → preview → Send now."""
    await stack.command(OWNER, "/admin")
    await stack.press(OWNER, "Broadcast")
    if photo is None:
        await stack.text(OWNER, "Big sale today")
    else:
        await stack.send(photo_update(stack, photo, "Photo news"))
    await stack.text(OWNER, "Open the shop | https://example.com/shop")
    await stack.press(OWNER, "Everyone")
    await stack.press(OWNER, "Preview and confirm")
    assert "Recipients now" in stack.screen(OWNER)
    data = next(b["callback_data"] for b in stack.buttons(OWNER) if "Send now" in b["text"])
    await stack.press(OWNER, "Send now")
    parsed = parse_short_id(data.rsplit(":", 1)[-1])
    assert parsed is not None
    return BroadcastId(parsed)


def photo_update(stack: Stack, file_id: str, caption: str) -> Update:
    return Update.model_validate(
        {
            "update_id": 9_000_001,
            "message": {
                "message_id": 9001,
                "date": int(stack.clock.now().timestamp()),
                "chat": {"id": OWNER.id, "type": "private", "first_name": OWNER.first_name},
                "from": OWNER.to_json(),
                "photo": [{"file_id": file_id, "file_unique_id": "u1", "width": 64, "height": 64}],
                "caption": caption,
            },
        }
    )


async def progress(stack: Stack, broadcast_id: BroadcastId) -> tuple[Any, BroadcastProgress]:
    async with stack.container() as request:
        repo = await request.get(BroadcastRepository)
        broadcast = await repo.get(broadcast_id)
        assert broadcast is not None
        return broadcast.status, await repo.progress(broadcast_id)


async def run_worker(stack: Stack, command: ProcessBroadcastCommand) -> ProcessBroadcastResult:
    async with stack.container() as request:
        process = await request.get(ProcessBroadcast)
        result: ProcessBroadcastResult = await process(command)
        return result


async def run_dying_worker(stack: Stack, sends: int) -> None:
    sender = await stack.container.get(BroadcastSender)
    async with stack.container() as request:
        process = ProcessBroadcast(
            uow=await request.get(UnitOfWork),
            broadcasts=await request.get(BroadcastRepository),
            sender=DiesAfter(sender, sends),
            clock=await request.get(Clock),
        )
        try:
            await process(ProcessBroadcastCommand(batch=50))
        except WorkerKilled:
            return
    raise AssertionError("the worker was meant to die")


def _peak(times: list[float], *, window: float) -> int:
    """Most messages in any ``window`` seconds."""
    peak, start = 0, 0
    for end, at in enumerate(times):
        while at - times[start] >= window:
            start += 1
        peak = max(peak, end - start + 1)
    return peak


def progress_text(stack: Stack) -> str:
    last = [m for m in stack.tg.sent_messages(OWNER.id) if "Broadcast" in (m.plain_text or "")]
    msg = stack.tg.message(OWNER.id, last[-1].message_id) or {}
    return str(msg.get("text", ""))


async def test_a_thousand_customers_within_limits_blocked_counted_resumed_without_duplicates(
    stack: Stack,
) -> None:
    ids = await seed_audience(stack, 1000)
    blocked = ids[100:140]
    deactivated = ids[500:510]
    for chat in blocked:
        stack.tg.block_chat(chat)
    for chat in deactivated:
        stack.tg.deactivate_chat(chat)
    broadcast_id = await compose(stack)
    status, p = await progress(stack, broadcast_id)
    assert status is BroadcastStatus.RUNNING
    assert p.total == 1001  # the thousand and CUSTOMER
    started = len(stack.tg.sent)

    await run_dying_worker(stack, sends=300)  # killed mid-batch: 300 sent, 50 leased
    _, p = await progress(stack, broadcast_id)
    assert p.sent + p.blocked == 300

    stack.tg.faults.path_filter = "sendMessage"
    stack.tg.faults.throttle_next(1, retry_after=1)  # one TelegramRetryAfter on the way
    stack.clock.advance(minutes=6)  # the dead worker's lease runs out
    result = await run_worker(stack, ProcessBroadcastCommand())
    stack.tg.faults.clear()

    assert result.finished == 1
    status, p = await progress(stack, broadcast_id)
    assert status is BroadcastStatus.DONE
    assert (p.sent, p.blocked, p.failed, p.pending) == (951, 50, 0, 0)
    delivered = [m for m in stack.tg.sent[started:] if m.chat_id != OWNER.id]
    per_chat = Counter(m.chat_id for m in delivered)
    assert set(per_chat) == {*ids, CUSTOMER.id} - set(blocked) - set(deactivated)
    assert set(per_chat.values()) == {1}  # nobody twice, even across the restart
    assert all(m.plain_text == "Big sale today" for m in delivered)
    assert delivered[0].reply_markup == {
        "inline_keyboard": [[{"text": "Open the shop", "url": "https://example.com/shop"}]]
    }
    assert stack.tg.throttled == 1

    times = sorted(m.at for m in delivered)
    peak = _peak(times, window=1.0)  # the broadcast's own messages (the admin's are extra)
    print(f"\nbroadcast: peak {peak} msg/s; {len(delivered)} delivered")
    assert peak <= 25
    span = times[-1] - times[0]
    assert span >= (len(times) - 1) / 25 - 1e-6  # ≤ 25 messages/s on average as well
    per_chat_times: dict[int, list[float]] = {}
    for m in stack.tg.sent[started:]:
        per_chat_times.setdefault(m.chat_id, []).append(m.at)
    for chat, ts in per_chat_times.items():
        gaps = [b - a for a, b in itertools.pairwise(ts)]
        assert min(gaps, default=math.inf) >= 0.95, chat  # ≤ 1 message/s per chat

    await stack.tg.wait_until(lambda: "finished" in progress_text(stack), timeout=5)
    assert "sent 951 · blocked 50 · failed 0 · left 0 of 1,001" in progress_text(stack)


async def test_stop_cancels_a_running_photo_broadcast(stack: Stack) -> None:
    await seed_audience(stack, 300)
    uploaded = await stack.bot.send_photo(
        OWNER.id, BufferedInputFile(revenue_chart({}), filename="promo.png")
    )
    assert uploaded.photo
    broadcast_id = await compose(stack, photo=uploaded.photo[-1].file_id)
    before = len(stack.tg.sent)

    worker = asyncio.create_task(run_worker(stack, ProcessBroadcastCommand(batch=20)))
    await stack.tg.wait_until(lambda: len(stack.tg.sent) - before >= 30, timeout=10)
    await stack.press(OWNER, "Stop")
    assert "stopped" in stack.screen(OWNER)
    result = await asyncio.wait_for(worker, timeout=10)

    assert result.cancelled == 1
    status, p = await progress(stack, broadcast_id)
    assert status is BroadcastStatus.CANCELLED
    assert 30 <= p.sent <= 30 + 20  # the batch in flight finishes, no more
    assert p.pending == 301 - p.sent
    photos = [
        m for m in stack.tg.sent[before:] if m.method == "sendPhoto" and m.chat_id != OWNER.id
    ]
    assert len(photos) == p.sent
    assert photos[0].plain_text == "Photo news"

    again = await run_worker(stack, ProcessBroadcastCommand())
    assert again.claimed == 0  # a cancelled broadcast stays stopped
