"""The referral page: personal link, invited count, rewards earned."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.types import CallbackQuery
from dishka.integrations.aiogram import FromDishka

from vpnsales.adapters.telegram.i18n import Translator
from vpnsales.adapters.telegram.notifier import NoticeAction, NoticeCallback
from vpnsales.application.interactors.customer.referral_info import (
    GetReferralInfo,
    ReferralInfoQuery,
)
from vpnsales.entrypoints.bot.callbacks import Nav, Screen
from vpnsales.entrypoints.bot.config import BotConfig
from vpnsales.entrypoints.bot.presenters import referral_page
from vpnsales.entrypoints.bot.routers._common import sender_id, show
from vpnsales.entrypoints.bot.routing import PrefixRouter


async def referral(
    query: CallbackQuery,
    callback_data: Nav | NoticeCallback,
    t: Translator,
    config: BotConfig,
    info: FromDishka[GetReferralInfo],
) -> None:
    result = await info(ReferralInfoQuery(telegram_id=sender_id(query)))
    await show(query, referral_page(t, result, config), edit=isinstance(callback_data, Nav))


def build() -> Router:
    router = PrefixRouter(name="referral")
    router.callback_query.register(referral, Nav.filter(F.to == Screen.REFERRAL))
    router.callback_query.register(
        referral, NoticeCallback.filter(F.action == NoticeAction.REFERRAL)
    )
    return router
