"""The support desk in the bot.

Customers: ``/support`` (or a button with :class:`SupportDeskCallback` ``sd:w``) starts a
conversation; every message they send until they press "Done" is copied into their
forum topic in the support supergroup (``telegram.support_chat_id``). Without a support
chat they get the configured contact instead.

Staff: whatever they write in a customer's topic is copied to that customer. Admins
close and reopen a topic with ``/close`` and ``/reopen`` written in it (or from the
customer card in the admin panel). Bot commands and service messages are never relayed.
"""

from __future__ import annotations

from aiogram import F, Router
from aiogram.dispatcher.event.bases import SkipHandler
from aiogram.filters import Command, StateFilter
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from dishka.integrations.aiogram import FromDishka

from vpnsales.adapters.telegram.i18n import Translator
from vpnsales.adapters.telegram.support import SupportDesk
from vpnsales.entrypoints.bot.admin.access import AdminRoster
from vpnsales.entrypoints.bot.config import BotConfig
from vpnsales.entrypoints.bot.filters import Magic, PrivateChat
from vpnsales.entrypoints.bot.keyboards import button, markup, url_button
from vpnsales.entrypoints.bot.presenters import View
from vpnsales.entrypoints.bot.routers._common import show
from vpnsales.entrypoints.bot.routing import FastFilter, PrefixRouter

ACK_KEY = "sd_ack"
"""FSM data: the customer was told their message reached support (once per session)."""


class SupportChat(StatesGroup):
    writing = State()


class SupportDeskCallback(FastFilter, CallbackData, prefix="sd"):
    action: str
    """``w``: start writing; ``d``: done."""


def _contact_view(t: Translator, config: BotConfig) -> View:
    contact = config.support_contact or "@" + config.bot_username
    rows = []
    if contact.startswith("@"):
        rows.append([url_button(t.plain("sd-btn-contact"), f"https://t.me/{contact[1:]}")])
    elif contact.startswith("https://"):
        rows.append([url_button(t.plain("sd-btn-contact"), contact)])
    return View(t("sd-contact", contact=contact), markup(rows) if rows else None)


def _prompt_view(t: Translator) -> View:
    done = button(t.plain("sd-btn-done"), SupportDeskCallback(action="d"))
    return View(t("sd-prompt"), markup([[done]]))


async def _begin(
    event: Message | CallbackQuery,
    t: Translator,
    state: FSMContext,
    config: BotConfig,
    desk: SupportDesk,
) -> None:
    if not desk.enabled:
        await show(event, _contact_view(t, config))
        return
    await state.set_state(SupportChat.writing)
    await state.update_data({ACK_KEY: False})
    await show(event, _prompt_view(t))


async def support_command(
    message: Message,
    t: Translator,
    state: FSMContext,
    config: BotConfig,
    desk: FromDishka[SupportDesk],
) -> None:
    await _begin(message, t, state, config, desk)


async def support_button(
    query: CallbackQuery,
    t: Translator,
    state: FSMContext,
    config: BotConfig,
    desk: FromDishka[SupportDesk],
) -> None:
    await _begin(query, t, state, config, desk)


async def support_done(query: CallbackQuery, t: Translator, state: FSMContext) -> None:
    await state.set_state(None)
    await query.answer(t.plain("sd-closed"))


async def customer_message(
    message: Message, t: Translator, state: FSMContext, desk: FromDishka[SupportDesk]
) -> None:
    user = message.from_user
    if user is None or not desk.enabled:
        return
    await desk.forward(
        customer_id=user.id,
        name=user.full_name,
        username=user.username,
        from_chat_id=message.chat.id,
        message_id=message.message_id,
    )
    if not (await state.get_data()).get(ACK_KEY):
        await state.update_data({ACK_KEY: True})
        await show(message, View(t("sd-sent"), _prompt_view(t).keyboard))


async def staff_reply(message: Message, desk: FromDishka[SupportDesk]) -> None:
    if message.message_thread_id is None or message.chat.id != desk.chat_id:
        raise SkipHandler  # another group the bot is in: not ours
    await desk.reply(thread_id=message.message_thread_id, message_id=message.message_id)


async def topic_command(
    message: Message, desk: FromDishka[SupportDesk], roster: FromDishka[AdminRoster]
) -> None:
    user = message.from_user
    if message.message_thread_id is None or message.chat.id != desk.chat_id:
        raise SkipHandler
    if user is None or await roster.role(user.id) is None:
        return  # only admins close and reopen topics
    if (message.text or "").startswith("/close"):
        await desk.close(message.message_thread_id)
    else:
        await desk.reopen(message.message_thread_id)


def build_support_router() -> Router:
    router = PrefixRouter(name="support-desk")
    private = PrivateChat()
    router.message.register(support_command, Command("support"), private)
    router.callback_query.register(support_button, SupportDeskCallback.filter(F.action == "w"))
    router.callback_query.register(support_done, SupportDeskCallback.filter(F.action == "d"))
    relayable = Magic(~F.text.startswith("/") & ~F.forum_topic_created & ~F.forum_topic_closed)
    writing = StateFilter(SupportChat.writing)
    router.message.register(customer_message, writing, private, relayable)
    forum = Magic((F.chat.type == "supergroup") & F.is_topic_message & ~F.from_user.is_bot)
    router.message.register(topic_command, forum, Command("close", "reopen"))
    router.message.register(staff_reply, forum, relayable)
    return router


__all__ = ["SupportChat", "SupportDeskCallback", "build_support_router"]
