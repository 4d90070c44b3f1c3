"""My subscriptions: list, one subscription, link / QR again, setup guides, reset link
(with confirmation), renew and change plan."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.types import BufferedInputFile, CallbackQuery
from dishka.integrations.aiogram import FromDishka

from vpnsales.adapters.telegram.i18n import Translator
from vpnsales.adapters.telegram.instructions import GuideCallback, Instructions
from vpnsales.adapters.telegram.notifier import NoticeAction, NoticeCallback
from vpnsales.adapters.telegram.qr import qr_png
from vpnsales.application.interactors.customer.get_tariff import GetTariff, GetTariffQuery
from vpnsales.application.interactors.customer.list_tariffs import ListTariffs, ListTariffsQuery
from vpnsales.application.interactors.customer.my_subscriptions import (
    ListMySubscriptions,
    MySubscriptions,
    MySubscriptionsQuery,
)
from vpnsales.application.interactors.customer.reset_access_link import (
    ResetAccessLink,
    ResetAccessLinkCommand,
)
from vpnsales.application.ports.clock import Clock
from vpnsales.application.ports.readers import CustomerView, SubscriptionView
from vpnsales.domain.errors import AccessNotFound, SubscriptionNotFound
from vpnsales.domain.ids import SubscriptionId, TelegramId
from vpnsales.entrypoints.bot.cache import CustomerDirectory
from vpnsales.entrypoints.bot.callbacks import (
    Nav,
    Purpose,
    Screen,
    Sub,
    SubAction,
    parse_hex_id,
    short_id,
)
from vpnsales.entrypoints.bot.config import BotConfig
from vpnsales.entrypoints.bot.keyboards import button, markup
from vpnsales.entrypoints.bot.presenters import (
    View,
    catalog,
    guide,
    reset_confirm,
    reset_queued,
    subscription_detail,
    subscription_link,
    subscriptions_list,
    tariff_card,
)
from vpnsales.entrypoints.bot.routers._common import sender_id, show, subscription_id
from vpnsales.entrypoints.bot.routing import PrefixRouter


def pick(result: MySubscriptions, wanted: SubscriptionId) -> SubscriptionView:
    """The customer's own subscription ``wanted`` (another's id reads as not found)."""
    for view in result.subscriptions:
        if view.subscription_id == wanted:
            return view
    raise SubscriptionNotFound()


def ref(data: Sub | NoticeCallback) -> str:
    return data.sub if isinstance(data, Sub) else data.ref


def with_link(view: SubscriptionView) -> str:
    if not view.subscription_url:
        raise AccessNotFound("the access is not ready yet")
    return view.subscription_url


def any_id(text: str) -> SubscriptionId:
    """A subscription id from our buttons (short) or the notifier's (hex)."""
    parsed = parse_hex_id(text)
    return SubscriptionId(parsed) if parsed is not None else subscription_id(text)


async def own(
    subscriptions: ListMySubscriptions, telegram_id: TelegramId, sid: str, *, live: bool = False
) -> tuple[SubscriptionView, MySubscriptions]:
    wanted = any_id(sid)
    result = await subscriptions(MySubscriptionsQuery(telegram_id=telegram_id, live=live))
    return pick(result, wanted), result


async def list_subscriptions(
    query: CallbackQuery,
    callback_data: Nav | NoticeCallback,
    t: Translator,
    directory: CustomerDirectory,
    subscriptions: FromDishka[ListMySubscriptions],
    clock: FromDishka[Clock],
) -> None:
    telegram_id = sender_id(query)
    result = await subscriptions(MySubscriptionsQuery(telegram_id=telegram_id))
    directory.remember_subscriptions(telegram_id, result.subscriptions)
    view = subscriptions_list(t, result, clock.now())
    await show(query, view, edit=isinstance(callback_data, Nav))


async def view_subscription(
    query: CallbackQuery,
    callback_data: Sub,
    t: Translator,
    subscriptions: FromDishka[ListMySubscriptions],
    clock: FromDishka[Clock],
) -> None:
    view, result = await own(subscriptions, sender_id(query), callback_data.sub, live=True)
    await show(query, subscription_detail(t, view, clock.now(), live=not result.degraded))


async def show_link(
    query: CallbackQuery,
    callback_data: Sub,
    t: Translator,
    instructions: Instructions,
    subscriptions: FromDishka[ListMySubscriptions],
) -> None:
    view, _ = await own(subscriptions, sender_id(query), callback_data.sub)
    with_link(view)
    await show(query, subscription_link(t, view, instructions))


async def show_qr(
    query: CallbackQuery,
    callback_data: Sub,
    t: Translator,
    subscriptions: FromDishka[ListMySubscriptions],
) -> None:
    view, _ = await own(subscriptions, sender_id(query), callback_data.sub)
    url = with_link(view)
    await query.answer()
    back = markup(
        [[button(t.plain("btn-back"), Sub(action=SubAction.VIEW, sub=callback_data.sub))]]
    )
    await query.bot.send_photo(  # type: ignore[union-attr]
        query.from_user.id,
        BufferedInputFile(qr_png(url), filename="vpn-qr.png"),
        caption=t("sub-qr-caption"),
        reply_markup=back,
        parse_mode="HTML",
    )


async def choose_platform(
    query: CallbackQuery,
    callback_data: Sub,
    t: Translator,
    instructions: Instructions,
    subscriptions: FromDishka[ListMySubscriptions],
) -> None:
    view, _ = await own(subscriptions, sender_id(query), callback_data.sub)
    with_link(view)
    rows = instructions.platform_buttons(t, subscription=view.subscription_id.hex)
    rows.append([button(t.plain("btn-back"), Sub(action=SubAction.VIEW, sub=callback_data.sub))])
    await show(query, View(t("guide-choose-platform"), markup(rows)))


async def platform_guide(
    query: CallbackQuery,
    callback_data: GuideCallback,
    t: Translator,
    instructions: Instructions,
    subscriptions: FromDishka[ListMySubscriptions],
) -> None:
    result = await subscriptions(MySubscriptionsQuery(telegram_id=sender_id(query), live=False))
    wanted = parse_hex_id(callback_data.sub) if callback_data.sub else None
    if wanted is not None:
        view = pick(result, SubscriptionId(wanted))
    else:
        ready = [s for s in result.subscriptions if s.subscription_url]
        if not ready:
            raise AccessNotFound("no subscription link yet")
        view = ready[0]
    url = with_link(view)
    sid = short_id(view.subscription_id)
    await show(query, guide(t, instructions, callback_data.platform, url, sid), edit=False)


async def reset_link(
    query: CallbackQuery,
    callback_data: Sub,
    t: Translator,
    directory: CustomerDirectory,
    reset: FromDishka[ResetAccessLink],
) -> None:
    confirmed = callback_data.action is SubAction.RESET_CONFIRM
    telegram_id = sender_id(query)
    await reset(
        ResetAccessLinkCommand(
            telegram_id=telegram_id,
            subscription_id=subscription_id(callback_data.sub),
            confirmed=confirmed,
        )
    )
    if not confirmed:
        await show(query, reset_confirm(t, callback_data.sub))
        return
    directory.invalidate(telegram_id)
    await show(query, reset_queued(t, callback_data.sub))


async def renew(
    query: CallbackQuery,
    callback_data: Sub | NoticeCallback,
    t: Translator,
    config: BotConfig,
    customer: CustomerView | None,
    subscriptions: FromDishka[ListMySubscriptions],
    tariffs: FromDishka[GetTariff],
) -> None:
    telegram_id = sender_id(query)
    view, _ = await own(subscriptions, telegram_id, ref(callback_data))
    tariff = await tariffs(
        GetTariffQuery(
            code=view.tariff_code, telegram_id=telegram_id, language=t.language, customer=customer
        )
    )
    sid = short_id(view.subscription_id)
    card = tariff_card(t, tariff, config.base_currency, purpose=Purpose.RENEWAL, sub=sid)
    await show(query, card, edit=isinstance(callback_data, Sub))


async def change_plan(
    query: CallbackQuery,
    callback_data: Sub | NoticeCallback,
    t: Translator,
    customer: CustomerView | None,
    subscriptions: FromDishka[ListMySubscriptions],
    tariffs: FromDishka[ListTariffs],
) -> None:
    telegram_id = sender_id(query)
    view, _ = await own(subscriptions, telegram_id, ref(callback_data))
    views = await tariffs(
        ListTariffsQuery(telegram_id=telegram_id, language=t.language, customer=customer)
    )
    listing = catalog(
        t,
        views,
        purpose=Purpose.PLAN_CHANGE,
        sub=short_id(view.subscription_id),
        exclude=view.tariff_code,
    )
    await show(query, listing, edit=isinstance(callback_data, Sub))


def build() -> Router:
    router = PrefixRouter(name="subscriptions")
    router.callback_query.register(list_subscriptions, Nav.filter(F.to == Screen.SUBSCRIPTIONS))
    router.callback_query.register(
        list_subscriptions, NoticeCallback.filter(F.action == NoticeAction.SUBSCRIPTIONS)
    )
    router.callback_query.register(view_subscription, Sub.filter(F.action == SubAction.VIEW))
    router.callback_query.register(show_link, Sub.filter(F.action == SubAction.LINK))
    router.callback_query.register(show_qr, Sub.filter(F.action == SubAction.QR))
    router.callback_query.register(choose_platform, Sub.filter(F.action == SubAction.GUIDES))
    router.callback_query.register(platform_guide, GuideCallback.filter())
    router.callback_query.register(
        reset_link, Sub.filter(F.action.in_({SubAction.RESET, SubAction.RESET_CONFIRM}))
    )
    router.callback_query.register(renew, Sub.filter(F.action == SubAction.RENEW))
    router.callback_query.register(renew, NoticeCallback.filter(F.action == NoticeAction.RENEW))
    router.callback_query.register(change_plan, Sub.filter(F.action == SubAction.CHANGE_PLAN))
    router.callback_query.register(
        change_plan, NoticeCallback.filter(F.action == NoticeAction.CHANGE_PLAN)
    )
    return router
