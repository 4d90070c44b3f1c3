"""The live progress message of a running broadcast.

After an admin starts a broadcast, the bot process edits the progress message every
``interval`` seconds (sent / blocked / failed / left) until the broadcast is done or
cancelled. Each refresh is its own dishka request scope (this loop is a scope boundary,
like a task). If the bot restarts meanwhile the message simply stops moving; its
"Refresh" button still works, and delivery itself is the worker's and unaffected.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import UTC, datetime

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError, TelegramBadRequest
from dishka import AsyncContainer

from vpnsales.adapters.telegram.i18n import Translator
from vpnsales.application.interactors.admin.get_broadcast_progress import (
    BroadcastProgressView,
    GetBroadcastProgress,
    GetBroadcastProgressCommand,
)
from vpnsales.application.ports.broadcast import BroadcastStatus
from vpnsales.domain.ids import BroadcastId
from vpnsales.entrypoints.bot.admin.presenters import broadcast_progress

logger = logging.getLogger("vpnsales.bot.admin.progress")

PARSE_MODE = "HTML"


async def edit_progress(
    bot: Bot, chat_id: int, message_id: int, t: Translator, view: BroadcastProgressView
) -> None:
    rendered = broadcast_progress(t, view, datetime.now(UTC))
    try:
        await bot.edit_message_text(
            rendered.text,
            chat_id=chat_id,
            message_id=message_id,
            reply_markup=rendered.keyboard,
            parse_mode=PARSE_MODE,
        )
    except TelegramBadRequest as exc:
        if "not modified" not in exc.message:
            raise


class BroadcastWatcher:
    def __init__(
        self,
        container: AsyncContainer,
        bot: Bot,
        *,
        interval: float = 3.0,
    ) -> None:
        self._container = container
        self._bot = bot
        self.interval = interval
        self._tasks: dict[tuple[int, int], asyncio.Task[None]] = {}

    def watch(
        self,
        *,
        actor: int,
        chat_id: int,
        message_id: int,
        broadcast_id: BroadcastId,
        t: Translator,
    ) -> None:
        key = (chat_id, message_id)
        if key in self._tasks and not self._tasks[key].done():
            return
        task = asyncio.create_task(self._run(actor, chat_id, message_id, broadcast_id, t))
        self._tasks[key] = task
        task.add_done_callback(lambda _: self._tasks.pop(key, None))

    async def _run(
        self, actor: int, chat_id: int, message_id: int, broadcast_id: BroadcastId, t: Translator
    ) -> None:
        command = GetBroadcastProgressCommand(actor_telegram_id=actor, broadcast_id=broadcast_id)
        while True:
            await asyncio.sleep(self.interval)  # the refresh period, not a wait for work
            try:
                async with self._container() as request:
                    view = await (await request.get(GetBroadcastProgress))(command)
                await edit_progress(self._bot, chat_id, message_id, t, view)
            except (TelegramAPIError, OSError) as exc:
                logger.info("broadcast %s progress not updated: %s", broadcast_id, exc)
                continue
            except Exception:
                logger.exception("broadcast %s progress watcher stopped", broadcast_id)
                return
            if view.status is not BroadcastStatus.RUNNING:
                return

    async def close(self) -> None:
        tasks = list(self._tasks.values())
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task


__all__ = ["BroadcastWatcher", "edit_progress"]
