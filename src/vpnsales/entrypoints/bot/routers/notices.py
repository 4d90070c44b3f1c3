"""Buttons under a failed-payment notification: start the order again (the catalog leads
to every configured method). The other notification buttons are handled by the feature
routers (``NoticeCallback`` filters next to their ``Nav`` ones)."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.types import CallbackQuery
from dishka.integrations.aiogram import FromDishka

from vpnsales.adapters.telegram.i18n import Translator
from vpnsales.adapters.telegram.notifier import NoticeAction, NoticeCallback
from vpnsales.application.interactors.customer.list_tariffs import ListTariffs, ListTariffsQuery
from vpnsales.application.ports.readers import CustomerView
from vpnsales.entrypoints.bot.presenters import catalog
from vpnsales.entrypoints.bot.routers._common import sender_id, show
from vpnsales.entrypoints.bot.routing import PrefixRouter


async def order_again(
    query: CallbackQuery,
    t: Translator,
    customer: CustomerView | None,
    tariffs: FromDishka[ListTariffs],
) -> None:
    views = await tariffs(
        ListTariffsQuery(telegram_id=sender_id(query), language=t.language, customer=customer)
    )
    await show(query, catalog(t, views), edit=False)


def build() -> Router:
    router = PrefixRouter(name="notices")
    router.callback_query.register(
        order_again,
        NoticeCallback.filter(
            F.action.in_({NoticeAction.RETRY_PAYMENT, NoticeAction.OTHER_METHOD})
        ),
    )
    return router
