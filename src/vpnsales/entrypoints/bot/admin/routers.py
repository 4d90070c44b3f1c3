"""The admin panel's handlers: parse the input, call one use case, render the result.

The whole router sits behind :class:`~.access.IsAdmin` (non-admins fall through to the
customer routers as if nothing were here); roles are checked by the use cases. Domain
errors are shown to admins with their detail by :class:`AdminErrors`.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from aiogram import BaseMiddleware, F, Router
from aiogram.filters import Command, CommandObject, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import BufferedInputFile, CallbackQuery, Message, TelegramObject
from dishka.integrations.aiogram import FromDishka

from vpnsales.adapters.telegram.broadcast import broadcast_markup
from vpnsales.adapters.telegram.chart import revenue_chart
from vpnsales.adapters.telegram.i18n import Html, Translator
from vpnsales.adapters.telegram.notifier import CAPTION_LIMIT, visible_length
from vpnsales.adapters.telegram.support import SupportDesk
from vpnsales.application.interactors.admin.ban_customer import BanCustomer, BanCustomerCommand
from vpnsales.application.interactors.admin.cancel_broadcast import (
    CancelBroadcast,
    CancelBroadcastCommand,
)
from vpnsales.application.interactors.admin.create_broadcast import (
    CreateBroadcast,
    CreateBroadcastCommand,
)
from vpnsales.application.interactors.admin.create_promo_code import (
    CreatePromoCode,
    CreatePromoCodeCommand,
)
from vpnsales.application.interactors.admin.create_tariff import (
    CreateTariff,
    CreateTariffCommand,
)
from vpnsales.application.interactors.admin.deactivate_promo_code import (
    DeactivatePromoCode,
    DeactivatePromoCodeCommand,
)
from vpnsales.application.interactors.admin.find_customer import (
    FindCustomer,
    FindCustomerCommand,
)
from vpnsales.application.interactors.admin.get_broadcast_progress import (
    BroadcastProgressView,
    GetBroadcastProgress,
    GetBroadcastProgressCommand,
)
from vpnsales.application.interactors.admin.get_statistics import (
    GetStatistics,
    GetStatisticsCommand,
)
from vpnsales.application.interactors.admin.grant_days import GrantDays, GrantDaysCommand
from vpnsales.application.interactors.admin.list_promo_codes import (
    ListPromoCodes,
    ListPromoCodesCommand,
)
from vpnsales.application.interactors.admin.message_customer import (
    MessageCustomer,
    MessageCustomerCommand,
)
from vpnsales.application.interactors.admin.preview_broadcast import (
    PreviewBroadcast,
    PreviewBroadcastCommand,
)
from vpnsales.application.interactors.admin.refund_payment import (
    RefundPayment,
    RefundPaymentCommand,
)
from vpnsales.application.interactors.admin.resync_customer import (
    ResyncCustomer,
    ResyncCustomerCommand,
)
from vpnsales.application.interactors.admin.set_maintenance_mode import (
    SetMaintenanceMode,
    SetMaintenanceModeCommand,
)
from vpnsales.application.interactors.admin.set_tariff_visibility import (
    SetTariffVisibility,
    SetTariffVisibilityCommand,
)
from vpnsales.application.interactors.admin.start_broadcast import (
    StartBroadcast,
    StartBroadcastCommand,
)
from vpnsales.application.interactors.admin.take_days import TakeDays, TakeDaysCommand
from vpnsales.application.interactors.admin.unban_customer import (
    UnbanCustomer,
    UnbanCustomerCommand,
)
from vpnsales.application.interactors.admin.update_tariff import (
    UpdateTariff,
    UpdateTariffCommand,
)
from vpnsales.application.ports.admin import AdminRole
from vpnsales.application.ports.broadcast import (
    Audience,
    AudienceKind,
    BroadcastButton,
    BroadcastMessage,
    BroadcastProgress,
    BroadcastStatus,
)
from vpnsales.domain.errors import DomainError, InvalidValue, NotFound, PermissionDenied
from vpnsales.domain.ids import BroadcastId, PaymentId, TariffId
from vpnsales.domain.promo import PromoKind
from vpnsales.entrypoints.bot.admin import presenters as p
from vpnsales.entrypoints.bot.admin.access import IsAdmin, refuse_admin
from vpnsales.entrypoints.bot.admin.callbacks import (
    AdmBroadcast,
    AdmCustomer,
    AdmNav,
    AdmPromo,
    AdmTariff,
    BroadcastAction,
    CustomerAction,
    PromoAction,
    Screen,
    TariffAction,
    TariffField,
)
from vpnsales.entrypoints.bot.admin.forms import (
    parse_button,
    parse_days,
    parse_promo,
    parse_tariff_spec,
)
from vpnsales.entrypoints.bot.admin.progress import BroadcastWatcher
from vpnsales.entrypoints.bot.admin.queries import (
    ListAllTariffs,
    ListAllTariffsQuery,
    PanelsHealth,
    PanelsHealthQuery,
)
from vpnsales.entrypoints.bot.admin.states import (
    ACTION_KEY,
    CUSTOMER_KEY,
    DRAFT_KEY,
    FIELD_KEY,
    KIND_KEY,
    TARIFF_KEY,
    BroadcastForm,
    CustomerForm,
    PromoForm,
    TariffForm,
)
from vpnsales.entrypoints.bot.callbacks import parse_short_id, short_id
from vpnsales.entrypoints.bot.filters import Magic
from vpnsales.entrypoints.bot.keyboards import button, markup
from vpnsales.entrypoints.bot.middlewares.errors import plain
from vpnsales.entrypoints.bot.middlewares.gates import MaintenanceGate
from vpnsales.entrypoints.bot.middlewares.types import NextHandler
from vpnsales.entrypoints.bot.presenters import View
from vpnsales.entrypoints.bot.routers._common import show
from vpnsales.entrypoints.bot.routing import PrefixRouter

logger = logging.getLogger("vpnsales.bot.admin")
PARSE_MODE = "HTML"


def _actor(event: Message | CallbackQuery) -> int:
    assert event.from_user is not None  # IsAdmin passed: there is a user
    return event.from_user.id


def _uuid(text: str, what: str) -> Any:
    parsed = parse_short_id(text)
    if parsed is None:
        raise NotFound(f"malformed {what} id")
    return parsed


class AdminErrors(BaseMiddleware):
    """Domain errors in admin handlers: the admin sees the detail (the customer-facing
    wording would be misleading here) and stays in the current form to try again."""

    async def __call__(
        self,
        handler: NextHandler,
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        try:
            return await handler(event, data)
        except DomainError as exc:
            t: Translator = data["t"]
            logger.info("admin action refused: %s", exc)
            if isinstance(exc, PermissionDenied):
                user = data.get("event_from_user")
                refuse_admin(data.get("metrics"), user.id if user else 0, "permission")
                text = t("adm-denied")
            elif isinstance(exc, NotFound):
                text = t("adm-not-found", what=str(exc))
            else:
                text = t("adm-invalid", detail=str(exc))
            if isinstance(event, CallbackQuery):
                await event.answer(plain(text)[:200], show_alert=True)
            elif isinstance(event, Message):
                await event.answer(text, parse_mode=PARSE_MODE)
            return None


# -- menu ------------------------------------------------------------------------------


async def open_admin(
    message: Message, t: Translator, admin_role: AdminRole, state: FSMContext
) -> None:
    await state.set_state(None)
    await show(message, p.admin_menu(t, admin_role))


async def open_menu(
    query: CallbackQuery, t: Translator, admin_role: AdminRole, state: FSMContext
) -> None:
    await state.set_state(None)
    await show(query, p.admin_menu(t, admin_role))


# -- statistics ------------------------------------------------------------------------


async def statistics(query: CallbackQuery, t: Translator, stats: FromDishka[GetStatistics]) -> None:
    result = await stats(GetStatisticsCommand(actor_telegram_id=_actor(query)))
    series, days = p.revenue_series(result)
    png = revenue_chart(series, days=days)
    text = p.statistics_text(t, result)
    await query.answer()
    if not isinstance(query.message, Message):
        return
    keyboard = markup([p.back(t)])
    photo = BufferedInputFile(png, filename="revenue-30d.png")
    if visible_length(text) <= CAPTION_LIMIT:
        await query.message.answer_photo(
            photo, caption=text, parse_mode=PARSE_MODE, reply_markup=keyboard
        )
    else:
        await query.message.answer_photo(photo)
        await query.message.answer(text, parse_mode=PARSE_MODE, reply_markup=keyboard)


# -- tariffs ---------------------------------------------------------------------------


async def tariffs(query: CallbackQuery, t: Translator, catalog: FromDishka[ListAllTariffs]) -> None:
    found = await catalog(ListAllTariffsQuery(actor_telegram_id=_actor(query)))
    await show(query, p.tariff_list(t, found))


async def tariff_card(
    query: CallbackQuery,
    callback_data: AdmTariff,
    t: Translator,
    catalog: FromDishka[ListAllTariffs],
) -> None:
    wanted = _uuid(callback_data.tariff, "tariff")
    found = await catalog(ListAllTariffsQuery(actor_telegram_id=_actor(query)))
    tariff = next((x for x in found if x.id == wanted), None)
    if tariff is None:
        raise NotFound("tariff")
    await show(query, p.tariff_card(t, tariff))


async def tariff_visibility(
    query: CallbackQuery,
    callback_data: AdmTariff,
    t: Translator,
    visibility: FromDishka[SetTariffVisibility],
) -> None:
    visible = callback_data.action is TariffAction.SHOW
    changed = await visibility(
        SetTariffVisibilityCommand(
            actor_telegram_id=_actor(query),
            tariff_id=TariffId(_uuid(callback_data.tariff, "tariff")),
            visible=visible,
        )
    )
    key = "adm-tariff-shown" if visible else "adm-tariff-hid"
    text = t(key) if changed else t("adm-unchanged")
    view = View(
        text,
        markup(
            [
                [
                    button(
                        t.plain("adm-btn-card"),
                        AdmTariff(action=TariffAction.VIEW, tariff=callback_data.tariff),
                    )
                ],
                p.back(t, Screen.TARIFFS),
            ]
        ),
    )
    await show(query, view)


async def tariff_edit_prompt(
    query: CallbackQuery, callback_data: AdmTariff, t: Translator, state: FSMContext
) -> None:
    field = callback_data.field if callback_data.field is not TariffField.NONE else None
    await state.set_state(TariffForm.edit)
    await state.update_data({TARIFF_KEY: callback_data.tariff, FIELD_KEY: callback_data.field})
    await show(query, p.tariff_prompt(t, field or TariffField.NAMES))


async def tariff_edit(
    message: Message, t: Translator, state: FSMContext, update: FromDishka[UpdateTariff]
) -> None:
    data = await state.get_data()
    spec = parse_tariff_spec(message.text or "")
    changed = await update(
        UpdateTariffCommand(
            actor_telegram_id=_actor(message),
            tariff_id=TariffId(_uuid(str(data.get(TARIFF_KEY, "")), "tariff")),
            **spec.update_fields(),
        )
    )
    await state.set_state(None)
    view = View(
        t("adm-tariff-saved") if changed else t("adm-unchanged"),
        markup(
            [
                [
                    button(
                        t.plain("adm-btn-card"),
                        AdmTariff(action=TariffAction.VIEW, tariff=str(data.get(TARIFF_KEY))),
                    )
                ],
                p.back(t, Screen.TARIFFS),
            ]
        ),
    )
    await show(message, view)


async def tariff_new_prompt(query: CallbackQuery, t: Translator, state: FSMContext) -> None:
    await state.set_state(TariffForm.create)
    await show(query, p.tariff_prompt(t, None))


async def tariff_create(
    message: Message, t: Translator, state: FSMContext, create: FromDishka[CreateTariff]
) -> None:
    spec = parse_tariff_spec(message.text or "")
    binding = spec.binding()
    if not spec.code or spec.options is None or binding is None:
        raise InvalidValue("code, options and panel are required")
    fields = spec.update_fields()
    fields.pop("binding", None)
    tariff_id = await create(
        CreateTariffCommand(
            actor_telegram_id=_actor(message), code=spec.code, binding=binding, **fields
        )
    )
    await state.set_state(None)
    view = View(
        t("adm-tariff-created", code=spec.code),
        markup(
            [
                [
                    button(
                        t.plain("adm-btn-card"),
                        AdmTariff(action=TariffAction.VIEW, tariff=short_id(tariff_id)),
                    )
                ],
                p.back(t, Screen.TARIFFS),
            ]
        ),
    )
    await show(message, view)


# -- promo codes -----------------------------------------------------------------------


async def promos(query: CallbackQuery, t: Translator, listing: FromDishka[ListPromoCodes]) -> None:
    found = await listing(ListPromoCodesCommand(actor_telegram_id=_actor(query)))
    await show(query, p.promo_list(t, found))


async def promo_new_prompt(
    query: CallbackQuery, callback_data: AdmPromo, t: Translator, state: FSMContext
) -> None:
    try:
        kind = PromoKind(callback_data.arg)
    except ValueError:
        raise NotFound("promo kind") from None
    await state.set_state(PromoForm.create)
    await state.update_data({KIND_KEY: kind.value})
    await show(query, p.promo_prompt(t, kind))


async def promo_create(
    message: Message, t: Translator, state: FSMContext, create: FromDishka[CreatePromoCode]
) -> None:
    kind = PromoKind(str((await state.get_data()).get(KIND_KEY, PromoKind.PERCENT.value)))
    spec = parse_promo(kind, message.text or "")
    await create(
        CreatePromoCodeCommand(
            actor_telegram_id=_actor(message),
            code=spec.code,
            kind=kind,
            percent=spec.percent,
            amount=spec.amount,
            days=spec.days,
            valid_until=spec.valid_until,
            max_uses=spec.max_uses,
            max_uses_per_customer=spec.max_uses_per_customer,
            first_purchase_only=spec.first_purchase_only,
        )
    )
    await state.set_state(None)
    await show(message, p.done(t, t("adm-promo-created", code=spec.code.upper()), Screen.PROMOS))


async def promo_deactivate(
    query: CallbackQuery,
    callback_data: AdmPromo,
    t: Translator,
    deactivate: FromDishka[DeactivatePromoCode],
) -> None:
    changed = await deactivate(
        DeactivatePromoCodeCommand(actor_telegram_id=_actor(query), code=callback_data.arg)
    )
    text = t("adm-promo-deactivated", code=callback_data.arg) if changed else t("adm-unchanged")
    await show(query, p.done(t, text, Screen.PROMOS))


# -- customers -------------------------------------------------------------------------


async def find_prompt(query: CallbackQuery, t: Translator, state: FSMContext) -> None:
    await state.set_state(CustomerForm.find)
    await show(query, p.find_prompt(t))


async def _card(
    actor: int,
    text: str,
    t: Translator,
    role: AdminRole,
    find: FindCustomer,
    desk: SupportDesk,
) -> View:
    card = await find(FindCustomerCommand(actor_telegram_id=actor, query=text.strip()[:64]))
    topic = await desk.topic_of(int(card.telegram_id)) if desk.enabled else None
    url = desk.link(topic) if topic is not None else None
    return p.customer_card(t, card, role, topic_url=url)


async def find_customer(
    message: Message,
    t: Translator,
    admin_role: AdminRole,
    state: FSMContext,
    find: FromDishka[FindCustomer],
    desk: FromDishka[SupportDesk],
) -> None:
    view = await _card(_actor(message), message.text or "", t, admin_role, find, desk)
    await state.set_state(None)
    await show(message, view)


async def find_command(
    message: Message,
    command: CommandObject,
    t: Translator,
    admin_role: AdminRole,
    state: FSMContext,
    find: FromDishka[FindCustomer],
    desk: FromDishka[SupportDesk],
) -> None:
    if not command.args:
        await state.set_state(CustomerForm.find)
        await show(message, p.find_prompt(t))
        return
    await show(message, await _card(_actor(message), command.args, t, admin_role, find, desk))


async def customer_view(
    query: CallbackQuery,
    callback_data: AdmCustomer,
    t: Translator,
    admin_role: AdminRole,
    state: FSMContext,
    find: FromDishka[FindCustomer],
    desk: FromDishka[SupportDesk],
) -> None:
    await state.set_state(None)
    view = await _card(_actor(query), str(callback_data.customer), t, admin_role, find, desk)
    await show(query, view)


async def customer_ban(
    query: CallbackQuery, callback_data: AdmCustomer, t: Translator, ban: FromDishka[BanCustomer]
) -> None:
    result = await ban(
        BanCustomerCommand(actor_telegram_id=_actor(query), customer=str(callback_data.customer))
    )
    text = (
        t("adm-banned", suspended=result.subscriptions_suspended)
        if result.changed
        else t("adm-unchanged")
    )
    await show(query, p.back_to_card(t, text, callback_data.customer))


async def customer_unban(
    query: CallbackQuery,
    callback_data: AdmCustomer,
    t: Translator,
    unban: FromDishka[UnbanCustomer],
) -> None:
    result = await unban(
        UnbanCustomerCommand(actor_telegram_id=_actor(query), customer=str(callback_data.customer))
    )
    text = (
        t("adm-unbanned", reactivated=result.reactivated) if result.changed else t("adm-unchanged")
    )
    await show(query, p.back_to_card(t, text, callback_data.customer))


async def customer_resync(
    query: CallbackQuery,
    callback_data: AdmCustomer,
    t: Translator,
    resync: FromDishka[ResyncCustomer],
) -> None:
    queued = await resync(
        ResyncCustomerCommand(actor_telegram_id=_actor(query), customer=str(callback_data.customer))
    )
    await show(query, p.back_to_card(t, t("adm-resynced", count=queued), callback_data.customer))


async def customer_ask_value(
    query: CallbackQuery, callback_data: AdmCustomer, t: Translator, state: FSMContext
) -> None:
    await state.set_state(CustomerForm.value)
    await state.update_data(
        {CUSTOMER_KEY: callback_data.customer, ACTION_KEY: callback_data.action.value}
    )
    await show(query, p.customer_prompt(t, callback_data.action))


async def customer_value(
    message: Message,
    t: Translator,
    state: FSMContext,
    grant: FromDishka[GrantDays],
    take: FromDishka[TakeDays],
    send: FromDishka[MessageCustomer],
) -> None:
    data = await state.get_data()
    customer = int(data.get(CUSTOMER_KEY, 0))
    action = CustomerAction(str(data.get(ACTION_KEY, CustomerAction.MESSAGE.value)))
    actor = _actor(message)
    text: Html
    if action is CustomerAction.MESSAGE:
        await send(
            MessageCustomerCommand(
                actor_telegram_id=actor, customer=str(customer), text=message.text or ""
            )
        )
        text = t("adm-message-queued")
    elif action is CustomerAction.GRANT:
        granted = await grant(
            GrantDaysCommand(
                actor_telegram_id=actor, customer=str(customer), days=parse_days(message.text or "")
            )
        )
        text = t("adm-days-changed", until=granted.expires_at.strftime("%d.%m.%Y %H:%M"))
    else:
        taken = await take(
            TakeDaysCommand(
                actor_telegram_id=actor, customer=str(customer), days=parse_days(message.text or "")
            )
        )
        text = t("adm-days-changed", until=taken.expires_at.strftime("%d.%m.%Y %H:%M"))
    await state.set_state(None)
    await show(message, p.back_to_card(t, text, customer))


async def refund_ask(query: CallbackQuery, callback_data: AdmCustomer, t: Translator) -> None:
    _uuid(callback_data.arg, "payment")
    await show(query, p.refund_confirm(t, callback_data.customer, callback_data.arg))


async def refund(
    query: CallbackQuery,
    callback_data: AdmCustomer,
    t: Translator,
    refund_payment: FromDishka[RefundPayment],
) -> None:
    result = await refund_payment(
        RefundPaymentCommand(
            actor_telegram_id=_actor(query),
            payment_id=PaymentId(_uuid(callback_data.arg, "payment")),
        )
    )
    text = t("adm-refunded", outcome=result.outcome.value, days=result.days_removed)
    await show(query, p.back_to_card(t, text, callback_data.customer))


async def topic_state(
    query: CallbackQuery, callback_data: AdmCustomer, t: Translator, desk: FromDishka[SupportDesk]
) -> None:
    thread = await desk.topic_of(callback_data.customer) if desk.enabled else None
    if thread is None:
        raise NotFound("support topic")
    if callback_data.action is CustomerAction.TOPIC_CLOSE:
        changed = await desk.close(thread)
    else:
        changed = await desk.reopen(thread)
    await query.answer(t.plain("adm-done") if changed else t.plain("adm-unchanged"))


# -- broadcasts ------------------------------------------------------------------------


async def broadcast_new(query: CallbackQuery, t: Translator, state: FSMContext) -> None:
    await state.set_state(BroadcastForm.text)
    await state.update_data({DRAFT_KEY: {}})
    await show(query, p.broadcast_text_prompt(t))


async def broadcast_text(message: Message, t: Translator, state: FSMContext) -> None:
    photo = message.photo[-1].file_id if message.photo else None
    text = message.html_text if (message.text or message.caption) else ""
    BroadcastMessage(text=text, photo=photo)  # the admin learns about limits now
    await state.update_data({DRAFT_KEY: {"text": text, "photo": photo}})
    await state.set_state(BroadcastForm.button)
    await show(message, p.broadcast_button_prompt(t))


async def broadcast_button(message: Message, t: Translator, state: FSMContext) -> None:
    parsed = parse_button(message.text or "")
    draft = dict((await state.get_data()).get(DRAFT_KEY) or {})
    draft["button"] = [parsed.text, parsed.url]
    await state.update_data({DRAFT_KEY: draft})
    await state.set_state(BroadcastForm.audience)
    await show(message, p.audience_picker(t))


async def broadcast_skip_button(query: CallbackQuery, t: Translator, state: FSMContext) -> None:
    await state.set_state(BroadcastForm.audience)
    await show(query, p.audience_picker(t))


def _draft_message(draft: dict[str, Any]) -> BroadcastMessage:
    text = draft.get("text")
    if not text:
        raise InvalidValue("the broadcast has no text any more: start again")
    button = draft.get("button")
    return BroadcastMessage(
        text=str(text),
        photo=draft.get("photo"),
        button=BroadcastButton(text=button[0], url=button[1]) if button else None,
    )


async def _create_draft(
    query: CallbackQuery,
    t: Translator,
    state: FSMContext,
    create: CreateBroadcast,
    audience: Audience,
) -> None:
    message = _draft_message(dict((await state.get_data()).get(DRAFT_KEY) or {}))
    broadcast_id = await create(
        CreateBroadcastCommand(
            actor_telegram_id=_actor(query),
            audience=audience,
            text=message.text,
            photo=message.photo,
            button=message.button,
        )
    )
    await state.set_state(None)
    await state.update_data({DRAFT_KEY: None})
    await query.answer()
    if not isinstance(query.message, Message):
        return
    sample = query.message
    keyboard = broadcast_markup(message)
    if message.photo:  # exactly what the recipients will get
        await sample.answer_photo(
            message.photo, caption=message.text, parse_mode=PARSE_MODE, reply_markup=keyboard
        )
    else:
        await sample.answer(message.text, parse_mode=PARSE_MODE, reply_markup=keyboard)
    ref = short_id(broadcast_id)
    await sample.answer(
        t("adm-broadcast-drafted"),
        parse_mode=PARSE_MODE,
        reply_markup=markup(
            [
                [
                    button(
                        t.plain("adm-btn-preview"),
                        AdmBroadcast(action=BroadcastAction.CONFIRM, ref=ref),
                    ),
                    button(
                        t.plain("adm-btn-discard"),
                        AdmBroadcast(action=BroadcastAction.DISCARD, ref=ref),
                    ),
                ]
            ]
        ),
    )


async def broadcast_audience(
    query: CallbackQuery,
    callback_data: AdmBroadcast,
    t: Translator,
    state: FSMContext,
    create: FromDishka[CreateBroadcast],
) -> None:
    try:
        kind = AudienceKind(callback_data.ref)
    except ValueError:
        raise NotFound("audience") from None
    if kind is AudienceKind.TARIFF:
        raise InvalidValue("pick the tariff")  # the TARIFF button has its own handler
    await _create_draft(query, t, state, create, Audience(kind=kind))


async def broadcast_pick_tariff(
    query: CallbackQuery, t: Translator, catalog: FromDishka[ListAllTariffs]
) -> None:
    found = await catalog(ListAllTariffsQuery(actor_telegram_id=_actor(query)))
    await show(query, p.tariff_audience_picker(t, found))


async def broadcast_tariff_audience(
    query: CallbackQuery,
    callback_data: AdmBroadcast,
    t: Translator,
    state: FSMContext,
    create: FromDishka[CreateBroadcast],
) -> None:
    tariff_id = TariffId(_uuid(callback_data.ref, "tariff"))
    audience = Audience(kind=AudienceKind.TARIFF, tariff_id=tariff_id)
    await _create_draft(query, t, state, create, audience)


async def broadcast_preview(
    query: CallbackQuery,
    callback_data: AdmBroadcast,
    t: Translator,
    preview: FromDishka[PreviewBroadcast],
) -> None:
    found = await preview(
        PreviewBroadcastCommand(
            actor_telegram_id=_actor(query),
            broadcast_id=BroadcastId(_uuid(callback_data.ref, "broadcast")),
        )
    )
    await show(query, p.broadcast_preview(t, found))


async def broadcast_start(
    query: CallbackQuery,
    callback_data: AdmBroadcast,
    t: Translator,
    start: FromDishka[StartBroadcast],
    watcher: FromDishka[BroadcastWatcher],
) -> None:
    broadcast_id = BroadcastId(_uuid(callback_data.ref, "broadcast"))
    actor = _actor(query)
    recipients = await start(
        StartBroadcastCommand(actor_telegram_id=actor, broadcast_id=broadcast_id)
    )
    view = p.broadcast_progress(
        t,
        BroadcastProgressView(
            broadcast_id=broadcast_id,
            status=BroadcastStatus.RUNNING,
            progress=BroadcastProgress(total=recipients, sent=0, blocked=0, failed=0),
        ),
        datetime.now(UTC),
    )
    await query.answer()
    if not isinstance(query.message, Message):
        return
    sent = await query.message.answer(view.text, reply_markup=view.keyboard, parse_mode=PARSE_MODE)
    watcher.watch(
        actor=actor,
        chat_id=sent.chat.id,
        message_id=sent.message_id,
        broadcast_id=broadcast_id,
        t=t,
    )


async def broadcast_refresh(
    query: CallbackQuery,
    callback_data: AdmBroadcast,
    t: Translator,
    progress: FromDishka[GetBroadcastProgress],
) -> None:
    found = await progress(
        GetBroadcastProgressCommand(
            actor_telegram_id=_actor(query),
            broadcast_id=BroadcastId(_uuid(callback_data.ref, "broadcast")),
        )
    )
    await show(query, p.broadcast_progress(t, found, datetime.now(UTC)))


async def broadcast_cancel(
    query: CallbackQuery,
    callback_data: AdmBroadcast,
    t: Translator,
    cancel: FromDishka[CancelBroadcast],
) -> None:
    changed = await cancel(
        CancelBroadcastCommand(
            actor_telegram_id=_actor(query),
            broadcast_id=BroadcastId(_uuid(callback_data.ref, "broadcast")),
        )
    )
    await show(query, p.done(t, t("adm-broadcast-stopped") if changed else t("adm-unchanged")))


# -- maintenance and panels ------------------------------------------------------------


async def maintenance(query: CallbackQuery, t: Translator) -> None:
    await show(query, p.maintenance_view(t))


async def maintenance_switch(
    query: CallbackQuery,
    callback_data: AdmNav,
    t: Translator,
    switch: FromDishka[SetMaintenanceMode],
    maintenance_gate: MaintenanceGate | None = None,
) -> None:
    enabled = callback_data.to is Screen.MAINTENANCE_ON
    changed = await switch(
        SetMaintenanceModeCommand(actor_telegram_id=_actor(query), enabled=enabled)
    )
    if maintenance_gate is not None:
        maintenance_gate.reset()
    key = "adm-maintenance-on" if enabled else "adm-maintenance-off"
    await show(query, p.done(t, t(key) if changed else t("adm-unchanged")))


async def panels(query: CallbackQuery, t: Translator, health: FromDishka[PanelsHealth]) -> None:
    await query.answer()
    report = await health(PanelsHealthQuery(actor_telegram_id=_actor(query)))
    await show(query, p.panels_view(t, report))


# -- the router ------------------------------------------------------------------------


def build_admin_router() -> Router:
    router = PrefixRouter(name="admin")
    router.message.filter(IsAdmin())
    router.callback_query.filter(IsAdmin())
    router.message.middleware(AdminErrors())
    router.callback_query.middleware(AdminErrors())

    msg, cb = router.message.register, router.callback_query.register
    msg(open_admin, Command("admin"))
    msg(find_command, Command("find"))
    text = Magic(F.text)
    msg(tariff_create, StateFilter(TariffForm.create), text)
    msg(tariff_edit, StateFilter(TariffForm.edit), text)
    msg(promo_create, StateFilter(PromoForm.create), text)
    msg(find_customer, StateFilter(CustomerForm.find), text)
    msg(customer_value, StateFilter(CustomerForm.value), text)
    msg(broadcast_text, StateFilter(BroadcastForm.text), Magic(F.text | F.photo))
    msg(broadcast_button, StateFilter(BroadcastForm.button), text)

    nav = AdmNav.filter
    cb(open_menu, nav(F.to.in_({Screen.MENU, Screen.CANCEL})))
    cb(statistics, nav(F.to == Screen.STATS))
    cb(tariffs, nav(F.to == Screen.TARIFFS))
    cb(tariff_new_prompt, nav(F.to == Screen.NEW_TARIFF))
    cb(promos, nav(F.to == Screen.PROMOS))
    cb(find_prompt, nav(F.to == Screen.FIND))
    cb(broadcast_new, nav(F.to == Screen.BROADCAST))
    cb(maintenance, nav(F.to == Screen.MAINTENANCE))
    cb(maintenance_switch, nav(F.to.in_({Screen.MAINTENANCE_ON, Screen.MAINTENANCE_OFF})))
    cb(panels, nav(F.to == Screen.PANELS))

    cb(tariff_card, AdmTariff.filter(F.action == TariffAction.VIEW))
    cb(tariff_visibility, AdmTariff.filter(F.action.in_({TariffAction.HIDE, TariffAction.SHOW})))
    cb(tariff_edit_prompt, AdmTariff.filter(F.action == TariffAction.EDIT))

    cb(promo_new_prompt, AdmPromo.filter(F.action == PromoAction.NEW))
    cb(promo_deactivate, AdmPromo.filter(F.action == PromoAction.DEACTIVATE))

    customer = AdmCustomer.filter
    cb(customer_view, customer(F.action == CustomerAction.VIEW))
    cb(customer_ban, customer(F.action == CustomerAction.BAN))
    cb(customer_unban, customer(F.action == CustomerAction.UNBAN))
    cb(customer_resync, customer(F.action == CustomerAction.RESYNC))
    cb(
        customer_ask_value,
        customer(F.action.in_({CustomerAction.GRANT, CustomerAction.TAKE, CustomerAction.MESSAGE})),
    )
    cb(refund_ask, customer(F.action == CustomerAction.REFUND))
    cb(refund, customer(F.action == CustomerAction.REFUND_CONFIRM))
    cb(
        topic_state,
        customer(F.action.in_({CustomerAction.TOPIC_CLOSE, CustomerAction.TOPIC_REOPEN})),
    )

    b = AdmBroadcast.filter
    cb(
        broadcast_skip_button,
        b(F.action == BroadcastAction.SKIP),
        StateFilter(BroadcastForm.button),
    )
    cb(broadcast_pick_tariff, b((F.action == BroadcastAction.AUDIENCE) & (F.ref == "tariff")))
    cb(broadcast_audience, b(F.action == BroadcastAction.AUDIENCE))
    cb(broadcast_tariff_audience, b(F.action == BroadcastAction.TARIFF_AUDIENCE))
    cb(broadcast_preview, b(F.action == BroadcastAction.CONFIRM))
    cb(broadcast_start, b(F.action == BroadcastAction.START))
    cb(broadcast_refresh, b(F.action == BroadcastAction.REFRESH))
    cb(broadcast_cancel, b(F.action.in_({BroadcastAction.CANCEL, BroadcastAction.DISCARD})))
    return router


__all__ = ["build_admin_router"]
