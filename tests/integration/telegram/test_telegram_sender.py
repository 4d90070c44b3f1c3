"""RateLimitedSender against the emulator: limits, flood control, unreachable users."""

from __future__ import annotations

import asyncio
from typing import Any

from aiogram import Bot

from vpnsales.adapters.telegram import RateLimitedSender, SendOutcome
from vpnsales.testing.emulators.telegram import TelegramEmulator


async def test_retries_after_429_and_succeeds(
    tg: TelegramEmulator, bot: Bot, virtual_time: Any
) -> None:
    user = tg.add_user(3001)
    sender = RateLimitedSender(bot, clock=virtual_time, sleep=virtual_time.sleep)
    tg.faults.throttle_next(2, retry_after=1)

    result = await sender.send(user.id, "Your access is ready")

    assert result.outcome is SendOutcome.SENT
    assert result.ok
    assert result.attempts == 3
    assert sender.retries == 2
    assert result.message_id == tg.last_message(user.id).message_id
    assert [c.status for c in tg.calls_to("sendMessage")] == [429, 429, 200]
    assert sum(virtual_time.sleeps) >= 2.0  # waited retry_after twice
    assert len(tg.sent_messages(user.id)) == 1


async def test_retry_after_in_real_time(tg: TelegramEmulator, bot: Bot) -> None:
    user = tg.add_user(3002)
    sender = RateLimitedSender(bot)
    tg.faults.throttle_next(1, retry_after=1)
    result = await sender.send(user.id, "hello")
    calls = tg.calls_to("sendMessage")
    assert result.ok
    assert [c.status for c in calls] == [429, 200]
    assert calls[1].at - calls[0].at >= 1.0


async def test_gives_up_when_flood_control_persists(
    tg: TelegramEmulator, bot: Bot, virtual_time: Any
) -> None:
    user = tg.add_user(3003)
    sender = RateLimitedSender(bot, max_attempts=3, clock=virtual_time, sleep=virtual_time.sleep)
    tg.faults.throttle_next(10, retry_after=2)
    result = await sender.send(user.id, "hello")
    assert result.outcome is SendOutcome.FAILED
    assert result.retryable
    assert result.attempts == 3
    assert "retry after 2" in (result.error or "")

    tg.faults.clear()
    tg.faults.throttle_next(1, retry_after=3600)
    too_long = await sender.send(user.id, "hello")
    assert too_long.outcome is SendOutcome.FAILED
    assert too_long.retry_after == 3600


async def test_unreachable_users_are_classified(tg: TelegramEmulator, bot: Bot) -> None:
    blocked, gone, fine, other = (tg.add_user(i) for i in (3004, 3005, 3006, 3009))
    tg.block_chat(blocked.id)
    tg.deactivate_chat(gone.id)
    sender = RateLimitedSender(bot)

    results = await asyncio.gather(
        sender.send(blocked.id, "hi"),
        sender.send(gone.id, "hi"),
        sender.send(404_404, "hi"),
        sender.send(fine.id, "hi"),
        sender.send(other.id, "x" * 5000),
    )

    outcomes = [r.outcome for r in results]
    assert outcomes == [
        SendOutcome.BLOCKED,
        SendOutcome.DEACTIVATED,
        SendOutcome.NOT_FOUND,
        SendOutcome.SENT,
        SendOutcome.FAILED,
    ]
    assert [r.unreachable for r in results] == [True, True, True, False, False]
    assert results[4].error is not None
    assert "too long" in results[4].error
    assert not results[4].retryable
    assert all(tg.token not in (r.error or "") for r in results)


async def test_sends_a_photo_with_caption(tg: TelegramEmulator, bot: Bot, qr_png: bytes) -> None:
    user = tg.add_user(3007)
    sender = RateLimitedSender(bot)
    result = await sender.send(user.id, "Scan me", photo=qr_png, photo_filename="qr.png")
    assert result.ok
    record = tg.last_message(user.id)
    assert record.method == "sendPhoto"
    assert record.photo == qr_png
    assert record.text == "Scan me"


async def test_network_failure_is_a_retryable_result(tg: TelegramEmulator, bot: Bot) -> None:
    user = tg.add_user(3008)
    sender = RateLimitedSender(bot)
    tg.faults.drop_next(1)
    result = await sender.send(user.id, "hi")
    assert result.outcome is SendOutcome.FAILED
    assert result.retryable
    assert tg.token not in (result.error or "")


async def test_bulk_send_respects_enforced_limits(tg: TelegramEmulator, bot: Bot) -> None:
    """60 messages to 30 chats, two in a row per chat, at 25/s: no 429 at all."""
    tg.enforce_limits = True
    chats = [tg.add_user(4000 + i).id for i in range(30)]
    sender = RateLimitedSender(bot, rate=25)

    order = [chat for chat in chats for _ in range(2)]
    results = await asyncio.gather(*(sender.send(c, f"news for {c}") for c in order))

    assert all(r.outcome is SendOutcome.SENT for r in results), [r.error for r in results]
    assert all(r.attempts == 1 for r in results)
    assert tg.throttled == 0
    assert not [c for c in tg.api_calls if c.status == 429]

    peak, intervals = tg.send_rates(window=1.0)
    assert len(tg.sent_messages()) == 60
    assert peak <= 26  # 25/s schedule; Telegram allows ~30
    assert min(intervals.values()) >= 1.0 - tg.limit_tolerance
    sent = sorted(m.at for m in tg.sent_messages())
    assert 2.0 <= sent[-1] - sent[0] < 6.0


async def test_naive_bulk_send_gets_throttled_by_the_emulator(
    tg: TelegramEmulator, bot: Bot
) -> None:
    """The control experiment: without the sender, enforce_limits answers 429."""
    tg.enforce_limits = True
    chats = [tg.add_user(5000 + i).id for i in range(40)]
    results = await asyncio.gather(
        *(bot.send_message(c, "spam") for c in chats), return_exceptions=True
    )
    assert any(isinstance(r, Exception) for r in results)
    assert tg.throttled > 0


async def test_schedule_spacing_on_virtual_time(virtual_time: Any) -> None:
    """The slot arithmetic alone: global spacing 1/rate, per-chat spacing, gap filling."""

    class RecordingBot:
        token = "1:" + "x" * 35

        def __init__(self) -> None:
            self.sent: list[tuple[float, int]] = []

        async def send_message(self, chat_id: int, text: str, **_: Any) -> Any:
            self.sent.append((virtual_time(), chat_id))

            class _M:
                message_id = len(self.sent)

            return _M()

    fake = RecordingBot()
    sender = RateLimitedSender(
        fake,  # type: ignore[arg-type]
        rate=10,
        clock=virtual_time,
        sleep=virtual_time.sleep,
    )
    await asyncio.gather(*(sender.send(c, "x") for c in [1, 1, 2, 3, -5, -5]))
    times = {(round(t - 1000.0, 3), c) for t, c in fake.sent}
    assert times == {(0.0, 1), (0.1, 2), (0.2, 3), (0.3, -5), (1.0, 1), (3.3, -5)}
