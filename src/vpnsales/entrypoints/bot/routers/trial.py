"""The free trial: one tap, once per customer (the interactor enforces it)."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.types import CallbackQuery
from dishka.integrations.aiogram import FromDishka

from vpnsales.adapters.telegram.i18n import Translator
from vpnsales.application.interactors.customer.activate_trial import (
    ActivateTrial,
    ActivateTrialCommand,
)
from vpnsales.entrypoints.bot.cache import CustomerDirectory
from vpnsales.entrypoints.bot.callbacks import Nav, Screen
from vpnsales.entrypoints.bot.presenters import trial_started
from vpnsales.entrypoints.bot.routers._common import sender_id, show
from vpnsales.entrypoints.bot.routing import PrefixRouter


async def activate_trial(
    query: CallbackQuery,
    t: Translator,
    directory: CustomerDirectory,
    activate: FromDishka[ActivateTrial],
) -> None:
    telegram_id = sender_id(query)
    started = await activate(ActivateTrialCommand(telegram_id=telegram_id))
    directory.invalidate(telegram_id)
    await show(query, trial_started(t, started.expires_at))


def build() -> Router:
    router = PrefixRouter(name="trial")
    router.callback_query.register(activate_trial, Nav.filter(F.to == Screen.TRIAL))
    return router
