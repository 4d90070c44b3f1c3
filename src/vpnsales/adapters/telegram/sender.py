"""Send messages through an aiogram ``Bot`` within Telegram's limits.

Telegram allows about 30 messages/s overall and about 1 message/s to one chat, answers
429 (``TelegramRetryAfter``) beyond that, and aiogram does not retry by itself. The
:class:`RateLimitedSender` spaces sends on a schedule of global slots (``1/rate`` apart,
gaps are filled by messages to other chats) and per-chat slots (``per_chat_interval``
apart; ``per_group_interval`` = 3 s for groups, Telegram's 20/min), waits ``retry_after``
on a 429 — pausing every send of this sender meanwhile — and retries the same message a
bounded number of times (``max_attempts``; a ``retry_after`` above ``max_retry_after`` gives
up at once with a retryable ``FAILED``), and turns the "this user is gone" errors into
result values instead of raising::

    sender = RateLimitedSender(bot)
    result = await sender.send(chat_id, "Hello")
    if result.outcome is SendOutcome.BLOCKED:
        ...  # stop notifying this customer

Callers may run many ``send`` coroutines concurrently (``asyncio.gather``); slots are
reserved synchronously, so messages to one chat keep the order of the calls.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from aiogram import Bot
from aiogram.client.default import Default
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramMigrateToChat,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.types import BufferedInputFile, Message

logger = logging.getLogger(__name__)

_BOT_DEFAULT_PARSE_MODE = Default("parse_mode")
_NOT_FOUND_MARKERS = ("chat not found", "user not found", "peer_id_invalid", "chat_id_invalid")


MAX_LATE_RESLOTS = 5
"""How many times one message may give up a slot it woke up too late for."""


class SendOutcome(StrEnum):
    SENT = "sent"
    BLOCKED = "blocked"
    """The user blocked the bot (or never started it, or the bot was kicked)."""
    DEACTIVATED = "deactivated"
    """The account was deleted."""
    NOT_FOUND = "not_found"
    """The chat does not exist (wrong id, deleted group)."""
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class SendResult:
    outcome: SendOutcome
    chat_id: int
    """The chat the message went to (the new id after a group → supergroup migration)."""
    message_id: int | None = None
    attempts: int = 1
    error: str | None = None
    """Telegram's description of the last error (never contains the token)."""
    retryable: bool = False
    """For ``FAILED``: worth trying again later (network, 5xx, 429 beyond our patience)."""
    retry_after: float | None = None
    """For a ``FAILED`` caused by flood control: what Telegram asked us to wait."""

    @property
    def ok(self) -> bool:
        return self.outcome is SendOutcome.SENT

    @property
    def unreachable(self) -> bool:
        """The customer cannot be reached any more: stop sending to them."""
        return self.outcome in (
            SendOutcome.BLOCKED,
            SendOutcome.DEACTIVATED,
            SendOutcome.NOT_FOUND,
        )


def classify_error(error: TelegramAPIError) -> SendOutcome:
    """Map an aiogram API error to an outcome (``FAILED`` for anything unexpected)."""
    text = str(error.message).lower()
    if isinstance(error, TelegramForbiddenError):
        return SendOutcome.DEACTIVATED if "deactivated" in text else SendOutcome.BLOCKED
    if isinstance(error, TelegramBadRequest) and any(m in text for m in _NOT_FOUND_MARKERS):
        return SendOutcome.NOT_FOUND
    return SendOutcome.FAILED


class RateLimitedSender:
    """Telegram-friendly sending: global rate, per-chat rate, 429 handling, outcomes.

    ``clock`` (monotonic seconds) and ``sleep`` are injectable so tests can run on
    virtual time.
    """

    def __init__(
        self,
        bot: Bot,
        *,
        rate: float = 25.0,
        per_chat_interval: float = 1.0,
        per_group_interval: float = 3.0,
        max_attempts: int = 5,
        max_retry_after: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
    ) -> None:
        if rate <= 0 or per_chat_interval < 0 or max_attempts < 1:
            raise ValueError("rate must be positive, max_attempts at least 1")
        self._bot = bot
        self._interval = 1.0 / rate
        self._per_chat = per_chat_interval
        self._per_group = max(per_group_interval, per_chat_interval)
        self._max_attempts = max_attempts
        self._max_retry_after = max_retry_after
        self._clock = clock
        self._sleep = sleep
        self._origin = clock()
        self._taken: set[int] = set()
        self._low = 0
        self._chat_next: dict[int, float] = {}
        self._paused_until = 0.0
        self.retries = 0
        """How many 429s were waited out (for metrics and tests)."""

    def __repr__(self) -> str:
        return f"RateLimitedSender(rate={1 / self._interval:g}/s, per_chat={self._per_chat:g}s)"

    # -- scheduling ------------------------------------------------------------------
    def _reserve(self, chat_id: int, not_before: float = 0.0) -> float:
        """Reserve the earliest global slot at which ``chat_id`` may receive a message."""
        now = self._clock()
        ready = max(now, not_before, self._paused_until, self._chat_next.get(chat_id, 0.0))
        index = max(math.ceil((ready - self._origin) / self._interval - 1e-9), self._low)
        while index in self._taken:
            index += 1
        self._taken.add(index)
        at = self._origin + index * self._interval
        self._chat_next[chat_id] = at + (self._per_group if chat_id < 0 else self._per_chat)
        self._prune(now)
        return at

    def _prune(self, now: float) -> None:
        current = math.floor((now - self._origin) / self._interval)
        if current > self._low and len(self._taken) > 256:
            self._low = current
            self._taken = {i for i in self._taken if i >= current}
        if len(self._chat_next) > 4096:
            self._chat_next = {c: t for c, t in self._chat_next.items() if t > now}

    async def _wait_for(self, at: float) -> None:
        delay = at - self._clock()
        if delay > 0:
            await self._sleep(delay)

    # -- sending ---------------------------------------------------------------------
    async def send(
        self,
        chat_id: int,
        text: str,
        *,
        reply_markup: Any = None,
        photo: bytes | None = None,
        photo_filename: str = "image.png",
        parse_mode: str | Default | None = _BOT_DEFAULT_PARSE_MODE,
        message_thread_id: int | None = None,
        disable_notification: bool | None = None,
    ) -> SendResult:
        """Send ``text`` (or ``photo`` with ``text`` as its caption) to ``chat_id``.

        Never raises for Telegram or network errors: the outcome says what happened.
        """
        attempts = 0
        late = 0
        not_before = 0.0
        target = chat_id
        last_error: str | None = None
        while attempts < self._max_attempts:
            slot = self._reserve(target, not_before)
            await self._wait_for(slot)
            if self._clock() - slot > self._interval and late < MAX_LATE_RESLOTS:
                # woke up late (a busy event loop): sending now would bunch up with the
                # senders of the following slots, so take a fresh slot instead (bounded,
                # so a starved loop still makes progress)
                late += 1
                not_before = self._clock()
                continue
            if self._paused_until > self._clock():
                # another send hit flood control while we slept: take a new slot
                not_before = self._paused_until
                continue
            attempts += 1
            try:
                message = await self._deliver(
                    target,
                    text,
                    reply_markup=reply_markup,
                    photo=photo,
                    photo_filename=photo_filename,
                    parse_mode=parse_mode,
                    message_thread_id=message_thread_id,
                    disable_notification=disable_notification,
                )
            except TelegramRetryAfter as exc:
                last_error = self._describe(exc)
                wait = float(exc.retry_after)
                if wait > self._max_retry_after:
                    return SendResult(
                        SendOutcome.FAILED,
                        target,
                        attempts=attempts,
                        error=last_error,
                        retryable=True,
                        retry_after=wait,
                    )
                self.retries += 1
                not_before = self._clock() + wait
                self._paused_until = max(self._paused_until, not_before)
                logger.info("flood control on chat %s: waiting %.0f s", target, wait)
                continue
            except TelegramMigrateToChat as exc:
                last_error = self._describe(exc)
                target = exc.migrate_to_chat_id
                continue
            except (TelegramNetworkError, TelegramServerError) as exc:
                return SendResult(
                    SendOutcome.FAILED,
                    target,
                    attempts=attempts,
                    error=self._describe(exc),
                    retryable=True,
                )
            except TelegramAPIError as exc:
                outcome = classify_error(exc)
                if outcome is SendOutcome.FAILED:
                    logger.warning("sending to chat %s failed: %s", target, self._describe(exc))
                return SendResult(outcome, target, attempts=attempts, error=self._describe(exc))
            return SendResult(
                SendOutcome.SENT, target, message_id=message.message_id, attempts=attempts
            )
        return SendResult(
            SendOutcome.FAILED,
            target,
            attempts=attempts,
            error=last_error or "too many attempts",
            retryable=True,
        )

    async def _deliver(
        self,
        chat_id: int,
        text: str,
        *,
        reply_markup: Any,
        photo: bytes | None,
        photo_filename: str,
        parse_mode: str | Default | None,
        message_thread_id: int | None,
        disable_notification: bool | None,
    ) -> Message:
        if photo is not None:
            return await self._bot.send_photo(
                chat_id,
                BufferedInputFile(photo, filename=photo_filename),
                caption=text or None,
                parse_mode=parse_mode,
                reply_markup=reply_markup,
                message_thread_id=message_thread_id,
                disable_notification=disable_notification,
            )
        return await self._bot.send_message(
            chat_id,
            text,
            parse_mode=parse_mode,
            reply_markup=reply_markup,
            message_thread_id=message_thread_id,
            disable_notification=disable_notification,
        )

    def _describe(self, exc: TelegramAPIError) -> str:
        """The error text without anything that could carry the token."""
        if isinstance(exc, TelegramNetworkError):
            text = f"network error: {exc.message.split(':', 1)[0]}"
        else:
            text = str(exc.message)
        token = self._bot.token
        return text.replace(token, "<token>") if token else text


__all__ = ["RateLimitedSender", "SendOutcome", "SendResult", "classify_error"]
