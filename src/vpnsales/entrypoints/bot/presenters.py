"""Read models → text (Telegram HTML) and keyboards, in the customer's language.

Pure functions of their inputs and a :class:`Translator` (texts are compiled once per
process by ``I18n``): no I/O, no settings reads, no business rules.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from urllib.parse import quote

from aiogram.types import InlineKeyboardMarkup

from vpnsales.adapters.telegram.formatting import (
    BALANCE_REASON_KEYS,
    days_left,
    format_date,
    format_devices,
    format_money,
    format_period,
    format_traffic_limit,
    format_traffic_usage,
    language_name,
    subscription_status,
)
from vpnsales.adapters.telegram.i18n import Html, Translator, escape, msgid
from vpnsales.adapters.telegram.instructions import Instructions, Platform
from vpnsales.application.interactors.customer.my_subscriptions import MySubscriptions
from vpnsales.application.interactors.customer.redeem_promo_code import (
    PromoRedeemed,
    RedeemOutcome,
)
from vpnsales.application.interactors.customer.referral_info import ReferralInfo
from vpnsales.application.interactors.payments.quote_price import QuoteResult
from vpnsales.application.interactors.payments.start_checkout import CheckoutStarted
from vpnsales.application.memo import IdentityMemo
from vpnsales.application.ports.readers import (
    CustomerView,
    SubscriptionView,
    TariffOptionView,
    TariffView,
)
from vpnsales.domain.customer import BalanceEntry, Language
from vpnsales.domain.limits import DeviceLimit, TrafficLimit, TrafficResetStrategy
from vpnsales.domain.money import Currency, Money
from vpnsales.domain.payment import PaymentProvider
from vpnsales.domain.promo import PromoKind
from vpnsales.domain.referral import ReferrerRewardKind
from vpnsales.domain.subscription import SubscriptionStatus
from vpnsales.entrypoints.bot.callbacks import (
    Lang,
    Method,
    Order,
    Purpose,
    Screen,
    Step,
    Sub,
    SubAction,
    TopUp,
    short_id,
)
from vpnsales.entrypoints.bot.config import BotConfig
from vpnsales.entrypoints.bot.keyboards import (
    Row,
    back_to_menu,
    button,
    cancel_row,
    markup,
    nav,
    pairs,
    url_button,
)


@dataclass(frozen=True, slots=True)
class View:
    text: Html
    keyboard: InlineKeyboardMarkup | None = None


WRITE_TO_SUPPORT = "sd:w"
"""The support desk's "start writing" button (``entrypoints.bot.support``): relays to the
support chat when one is configured, shows the contact otherwise."""

_BLANK_LINES = re.compile(r"\n{3,}")
_CATALOGS: IdentityMemo[View] = IdentityMemo()
_CARDS: IdentityMemo[View] = IdentityMemo()

METHOD_KEYS = {
    PaymentProvider.YOOKASSA: msgid("btn-method-card"),
    PaymentProvider.STARS: msgid("btn-method-stars"),
    PaymentProvider.CRYPTOPAY: msgid("btn-method-crypto"),
}
METHOD_HINT_KEYS = {
    PaymentProvider.YOOKASSA: msgid("method-card-hint"),
    PaymentProvider.STARS: msgid("method-stars-hint"),
    PaymentProvider.CRYPTOPAY: msgid("method-crypto-hint"),
    PaymentProvider.BALANCE: msgid("method-balance-hint"),
}
FAQ_KEYS = (
    (msgid("faq-connect-q"), msgid("faq-connect-a")),
    (msgid("faq-not-working-q"), msgid("faq-not-working-a")),
    (msgid("faq-devices-q"), msgid("faq-devices-a")),
    (msgid("faq-renew-q"), msgid("faq-renew-a")),
    (msgid("faq-traffic-q"), msgid("faq-traffic-a")),
    (msgid("faq-link-q"), msgid("faq-link-a")),
    (msgid("faq-payment-q"), msgid("faq-payment-a")),
    (msgid("faq-refund-q"), msgid("faq-refund-a")),
)


def money(t: Translator, value: Money) -> str:
    return format_money(value, t.language)


def date(t: Translator, value: datetime) -> str:
    return format_date(value, t.language)


def pct(value: Decimal | int) -> Decimal | int:
    """A percentage for Fluent (the texts add the ``%`` sign)."""
    number = Decimal(value)
    return int(number) if number == number.to_integral_value() else number


def whole_days(delta: timedelta) -> int:
    return max(0, int(delta.total_seconds() // 86400))


# -- start and main menu --------------------------------------------------------------
def welcome(t: Translator, name: str, *, referred: bool) -> Html:
    return t("start-welcome-referred" if referred else "start-welcome", name=name or "🙂")


@dataclass(frozen=True, slots=True)
class MenuState:
    """What the main menu adapts to."""

    live: tuple[SubscriptionView, ...]
    ended: tuple[SubscriptionView, ...]
    suspended: bool

    @classmethod
    def of(cls, subscriptions: Sequence[SubscriptionView]) -> MenuState:
        live = tuple(s for s in subscriptions if s.status is SubscriptionStatus.ACTIVE)
        ended = tuple(s for s in subscriptions if s.status is SubscriptionStatus.EXPIRED)
        suspended = any(s.status is SubscriptionStatus.SUSPENDED for s in subscriptions)
        return cls(live=live, ended=ended, suspended=suspended)


def renew_data(view: SubscriptionView) -> Order:
    return Order(
        step=Step.TARIFF,
        code=view.tariff_code,
        purpose=Purpose.RENEWAL,
        sub=short_id(view.subscription_id),
    )


def main_menu(
    t: Translator,
    customer: CustomerView | None,
    subscriptions: Sequence[SubscriptionView],
    config: BotConfig,
    now: datetime,
    *,
    trial_days: int | None = None,
) -> View:
    state = MenuState.of(subscriptions)
    rows: list[Row] = []
    if state.live:
        first = min(state.live, key=lambda s: s.expires_at)
        if len(state.live) == 1:
            text = t(
                "menu-active",
                tariff=first.tariff_name,
                date=date(t, first.expires_at),
                left=t.plain("days-count", days=days_left(first.expires_at, now)),
            )
        else:
            text = t("menu-active-many", count=len(state.live), date=date(t, first.expires_at))
        rows.append([nav(t, "btn-my-subscriptions", Screen.SUBSCRIPTIONS)])
        if not first.is_trial:
            rows.append([button(t.plain("btn-renew"), renew_data(first))])
        rows.append([nav(t, "btn-buy", Screen.CATALOG)])
    elif state.ended:
        last = max(state.ended, key=lambda s: s.expires_at)
        text = t("menu-expired", tariff=last.tariff_name, date=date(t, last.expires_at))
        if not last.is_trial:
            rows.append([button(t.plain("btn-renew"), renew_data(last))])
        rows.append([nav(t, "btn-buy", Screen.CATALOG)])
        rows.append([nav(t, "btn-my-subscriptions", Screen.SUBSCRIPTIONS)])
    elif state.suspended:
        text = t("menu-suspended")
        rows.append([nav(t, "btn-support", Screen.SUPPORT)])
        rows.append([nav(t, "btn-my-subscriptions", Screen.SUBSCRIPTIONS)])
    else:
        can_try = config.trial_enabled and (customer is None or not customer.trial_used)
        if can_try and trial_days:
            text = t("menu-no-subscription-trial", days=trial_days)
        else:
            text = t("menu-no-subscription")
        if can_try:
            rows.append([nav(t, "btn-trial", Screen.TRIAL)])
        rows.append([nav(t, "btn-buy", Screen.CATALOG)])
    rows.append([nav(t, "btn-promo", Screen.PROMO), nav(t, "btn-referral", Screen.REFERRAL)])
    rows.append([nav(t, "btn-balance", Screen.BALANCE), nav(t, "btn-support", Screen.SUPPORT)])
    rows.append([nav(t, "btn-language", Screen.LANGUAGE)])
    return View(text, markup(rows))


# -- catalog and checkout -------------------------------------------------------------
def option_price(option: TariffOptionView, currency: Currency) -> Money | None:
    price = option.prices.get(currency)
    if price is None:
        price = next(iter(option.prices.values()), None)
    return price


def lowest_per_month(tariff: TariffView) -> Money | None:
    prices = [o.per_month for o in tariff.options if o.per_month is not None]
    return min(prices, key=lambda m: m.amount) if prices else None


def catalog(
    t: Translator,
    tariffs: Sequence[TariffView],
    *,
    purpose: Purpose = Purpose.NEW,
    sub: str = "",
    exclude: str | None = None,
) -> View:
    """The catalog screen, remembered per translator and tariff view objects (the
    catalog queries hand out the same views while the catalog is unchanged)."""
    return _CATALOGS.get(
        (t, *tariffs),
        (purpose, sub, exclude),
        lambda: _catalog(t, tariffs, purpose=purpose, sub=sub, exclude=exclude),
    )


def _catalog(
    t: Translator,
    tariffs: Sequence[TariffView],
    *,
    purpose: Purpose,
    sub: str,
    exclude: str | None,
) -> View:
    shown = [x for x in tariffs if not x.is_trial and x.code != exclude]
    if not shown:
        return View(t("catalog-empty"), markup([back_to_menu(t)]))
    rows: list[Row] = []
    for tariff in shown:
        cheapest = lowest_per_month(tariff)
        label = (
            t.plain("btn-tariff", name=tariff.name, price=money(t, cheapest))
            if cheapest
            else tariff.name
        )
        rows.append(
            [button(label, Order(step=Step.TARIFF, code=tariff.code, purpose=purpose, sub=sub))]
        )
    rows.append(back_to_menu(t))
    title = t("plan-change-choose") if purpose is Purpose.PLAN_CHANGE else t("catalog-title")
    return View(title, markup(rows))


def traffic_limit(view: TariffView | SubscriptionView) -> TrafficLimit:
    if isinstance(view, TariffView):
        try:
            reset = TrafficResetStrategy(view.traffic_reset)
        except ValueError:
            reset = TrafficResetStrategy.NO_RESET
        return TrafficLimit(view.traffic_limit_bytes, reset)
    return TrafficLimit(view.traffic_limit_bytes)


def tariff_details(t: Translator, tariff: TariffView) -> Html:
    lines = [
        t("tariff-line-traffic", traffic=format_traffic_limit(t, traffic_limit(tariff))),
        t("tariff-line-devices", devices=format_devices(t, DeviceLimit(tariff.devices_limit))),
    ]
    if tariff.locations:
        lines.append(t("tariff-line-locations", locations=", ".join(tariff.locations)))
    cheapest = lowest_per_month(tariff)
    if cheapest is not None:
        lines.append(t("tariff-line-price-from", price=money(t, cheapest)))
    return Html("\n".join(lines))


def saving_percent(option: TariffOptionView, reference: Money | None) -> Decimal | None:
    if option.per_month is None or reference is None or reference.amount <= 0:
        return None
    if option.per_month.currency is not reference.currency:
        return None
    saved = (reference.amount - option.per_month.amount) * 100 / reference.amount
    return saved.quantize(Decimal(1)) if saved >= 1 else None


def tariff_card(
    t: Translator,
    tariff: TariffView,
    currency: Currency,
    *,
    purpose: Purpose = Purpose.NEW,
    sub: str = "",
) -> View:
    """A tariff's card, remembered like :func:`catalog`."""
    return _CARDS.get(
        (t, tariff),
        (currency, purpose, sub),
        lambda: _tariff_card(t, tariff, currency, purpose=purpose, sub=sub),
    )


def _tariff_card(
    t: Translator, tariff: TariffView, currency: Currency, *, purpose: Purpose, sub: str
) -> View:
    options = sorted(tariff.options, key=lambda o: o.days)
    reference = options[0].per_month if options else None
    lines: list[str] = []
    rows: list[Row] = []
    for option in options:
        price = option_price(option, currency)
        if price is None:
            continue
        period = format_period(t, option.days)
        monthly = money(t, option.per_month) if option.per_month else money(t, price)
        saving = saving_percent(option, reference)
        if saving is not None:
            percent = pct(saving)
            lines.append(
                t(
                    "duration-line-saving",
                    period=period,
                    price=money(t, price),
                    monthly=monthly,
                    percent=percent,
                )
            )
            label = t.plain(
                "btn-duration-saving", period=period, price=money(t, price), percent=percent
            )
        else:
            lines.append(t("duration-line", period=period, price=money(t, price), monthly=monthly))
            label = t.plain("btn-duration", period=period, price=money(t, price))
        rows.append(
            [
                button(
                    label,
                    Order(
                        step=Step.METHODS,
                        code=tariff.code,
                        days=option.days,
                        purpose=purpose,
                        sub=sub,
                    ),
                )
            ]
        )
    card = _BLANK_LINES.sub(
        "\n\n",
        t(
            "tariff-card",
            name=tariff.name,
            description=tariff.description,
            details=tariff_details(t, tariff),
        ),
    )
    text = Html(f"{card}\n\n{t('duration-choose', tariff=tariff.name)}\n" + "\n".join(lines))
    back = Screen.SUBSCRIPTIONS if purpose is not Purpose.NEW else Screen.CATALOG
    rows.append([nav(t, "btn-back", back), *back_to_menu(t)])
    return View(text, markup(rows))


def order_summary(
    t: Translator, tariff_name: str, result: QuoteResult, *, purpose: Purpose
) -> Html:
    quote = result.quote
    lines: list[str] = [
        t("checkout-title"),
        t("checkout-item", tariff=tariff_name, period=format_period(t, quote.days)),
        t("checkout-base", amount=money(t, quote.base)),
    ]
    if quote.promo_discount.is_positive and quote.promo_code:
        lines.append(
            t(
                "checkout-promo-discount",
                code=quote.promo_code,
                amount=money(t, quote.promo_discount),
            )
        )
    if quote.referral_discount.is_positive:
        lines.append(t("checkout-referral-discount", amount=money(t, quote.referral_discount)))
    if quote.balance_applied.is_positive:
        lines.append(t("checkout-balance-used", amount=money(t, quote.balance_applied)))
    bonus = quote.bonus_days + result.referral_bonus_days
    if bonus:
        lines.append(t("checkout-bonus-days", days=t.plain("days-count", days=bonus)))
    if quote.total.is_zero:
        lines.append(t("checkout-total-free"))
    else:
        lines.append(t("checkout-total", amount=money(t, quote.total)))
    preview = result.plan_change
    if purpose is Purpose.PLAN_CHANGE and preview is not None:
        lines.append("")
        lines.append(
            t(
                "plan-change-preview",
                to=tariff_name,
                remaining=t.plain("days-count", days=whole_days(preview.remaining)),
                converted=t.plain("days-count", days=whole_days(preview.converted)),
                date=date(t, preview.expires_at),
                **{"from": preview.from_tariff_name},
            )
        )
    elif purpose is Purpose.RENEWAL:
        lines.append("")
        lines.append(t("checkout-renewal-note"))
    return Html("\n".join(lines))


def payment_methods(
    t: Translator,
    order: Order,
    tariff_name: str,
    result: QuoteResult,
    config: BotConfig,
    customer: CustomerView | None,
    *,
    promo: str | None,
) -> View:
    summary = order_summary(t, tariff_name, result, purpose=order.purpose)
    hints = [t(METHOD_HINT_KEYS[p]) for p in config.providers]
    rows: list[Row] = []
    for provider in config.providers:
        data = order.model_copy(update={"step": Step.PAY, "method": Method.of(provider)})
        rows.append([button(t.plain(METHOD_KEYS[provider]), data)])
    if customer is not None and customer.balance.is_positive:
        data = order.model_copy(update={"step": Step.PAY, "method": Method.BALANCE})
        label = t.plain("btn-method-balance", balance=money(t, customer.balance))
        rows.append([button(label, data)])
        hints.append(t("method-balance-hint"))
    if promo:
        rows.append(
            [
                button(
                    t.plain("btn-remove-promo"), order.model_copy(update={"step": Step.DROP_PROMO})
                )
            ]
        )
    else:
        rows.append(
            [button(t.plain("btn-apply-promo"), order.model_copy(update={"step": Step.PROMO}))]
        )
    back = order.model_copy(update={"step": Step.TARIFF, "days": 0})
    rows.append([button(t.plain("btn-back"), back), *back_to_menu(t)])
    text = t("payment-method-choose", summary=summary)
    return View(Html(text + "\n\n" + "\n".join(hints)), markup(rows))


def pay_link(t: Translator, started: CheckoutStarted, order: Order, config: BotConfig) -> View:
    assert started.pay_url is not None
    key = (
        "checkout-pay-crypto"
        if started.provider is PaymentProvider.CRYPTOPAY
        else "checkout-pay-link"
    )
    text = Html(
        t("checkout-total", amount=money(t, started.quote.total))
        + "\n\n"
        + t(key, minutes=config.payment_ttl_minutes)
    )
    other = order.model_copy(update={"step": Step.METHODS, "method": Method.NONE})
    rows: list[Row] = [
        [
            url_button(
                t.plain("btn-pay-amount", price=money(t, started.quote.total)), started.pay_url
            )
        ],
        [button(t.plain("btn-other-method"), other)],
        back_to_menu(t),
    ]
    return View(text, markup(rows))


def top_up_pay_link(t: Translator, started: CheckoutStarted, config: BotConfig) -> View:
    assert started.pay_url is not None
    text = t("checkout-pay-link", minutes=config.payment_ttl_minutes)
    rows: list[Row] = [
        [
            url_button(
                t.plain("btn-pay-amount", price=money(t, started.quote.total)), started.pay_url
            )
        ],
        [nav(t, "btn-back", Screen.BALANCE), *back_to_menu(t)],
    ]
    return View(text, markup(rows))


# -- subscriptions --------------------------------------------------------------------
def expiry_line(t: Translator, view: SubscriptionView, now: datetime) -> str:
    if view.status is SubscriptionStatus.ACTIVE:
        left = t.plain("days-count", days=days_left(view.expires_at, now))
        return t.plain("sub-expires", date=date(t, view.expires_at), left=left)
    if view.status is SubscriptionStatus.SUSPENDED:
        return t.plain("sub-suspended-note")
    if view.status is SubscriptionStatus.CANCELLED:
        return t.plain("sub-cancelled-note")
    return t.plain("sub-expired-on", date=date(t, view.expires_at))


def subscription_card(t: Translator, view: SubscriptionView, now: datetime) -> Html:
    limit = traffic_limit(view)
    used = view.traffic_used_bytes
    traffic = (
        format_traffic_usage(t, used, limit) if used is not None else format_traffic_limit(t, limit)
    )
    devices_limit = format_devices(t, DeviceLimit(view.devices_limit))
    if view.devices_connected is not None and view.devices_limit is not None:
        devices = t.plain("sub-devices-used", used=view.devices_connected, limit=view.devices_limit)
    else:
        devices = devices_limit
    return t(
        "sub-card",
        tariff=view.tariff_name,
        status=subscription_status(t, view.status),
        expiry=expiry_line(t, view, now),
        traffic=traffic,
        devices=devices,
    )


def subscriptions_list(t: Translator, result: MySubscriptions, now: datetime) -> View:
    subs = result.subscriptions
    if not subs:
        rows: list[Row] = [[nav(t, "btn-buy", Screen.CATALOG)], back_to_menu(t)]
        return View(t("subs-empty"), markup(rows))
    parts = [t("subs-title")]
    parts.extend(subscription_card(t, s, now) for s in subs)
    if result.degraded:
        parts.append(t("sub-live-unavailable"))
    rows = [
        [
            button(
                t.plain(
                    "btn-subscription",
                    tariff=s.tariff_name,
                    status=subscription_status(t, s.status),
                ),
                Sub(action=SubAction.VIEW, sub=short_id(s.subscription_id)),
            )
        ]
        for s in subs
    ]
    rows.append([nav(t, "btn-buy", Screen.CATALOG)])
    rows.append(back_to_menu(t))
    return View(Html("\n\n".join(parts)), markup(rows))


def subscription_detail(t: Translator, view: SubscriptionView, now: datetime, live: bool) -> View:
    sid = short_id(view.subscription_id)
    text = subscription_card(t, view, now)
    if not live:
        text = Html(f"{text}\n\n{t('sub-live-unavailable')}")
    rows: list[Row] = []
    if view.subscription_url:
        rows.append(
            [
                button(t.plain("btn-show-link"), Sub(action=SubAction.LINK, sub=sid)),
                button(t.plain("btn-qr"), Sub(action=SubAction.QR, sub=sid)),
            ]
        )
        rows.append([button(t.plain("btn-platforms"), Sub(action=SubAction.GUIDES, sub=sid))])
    if view.status is not SubscriptionStatus.CANCELLED and not view.is_trial:
        rows.append([button(t.plain("btn-renew"), Sub(action=SubAction.RENEW, sub=sid))])
    if view.status is SubscriptionStatus.ACTIVE:
        rows.append(
            [button(t.plain("btn-change-plan"), Sub(action=SubAction.CHANGE_PLAN, sub=sid))]
        )
    if view.subscription_url:
        rows.append([button(t.plain("btn-reset-link"), Sub(action=SubAction.RESET, sub=sid))])
    rows.append([nav(t, "btn-back", Screen.SUBSCRIPTIONS), *back_to_menu(t)])
    return View(text, markup(rows))


def subscription_link(t: Translator, view: SubscriptionView, instructions: Instructions) -> View:
    assert view.subscription_url is not None
    sid = short_id(view.subscription_id)
    rows = instructions.platform_buttons(t, subscription=view.subscription_id.hex)
    rows.append([button(t.plain("btn-qr"), Sub(action=SubAction.QR, sub=sid))])
    rows.append([button(t.plain("btn-back"), Sub(action=SubAction.VIEW, sub=sid))])
    return View(t("sub-link", url=view.subscription_url), markup(rows))


def reset_confirm(t: Translator, sid: str) -> View:
    rows: list[Row] = [
        [button(t.plain("btn-reset-link-confirm"), Sub(action=SubAction.RESET_CONFIRM, sub=sid))],
        [button(t.plain("btn-cancel"), Sub(action=SubAction.VIEW, sub=sid))],
    ]
    return View(t("reset-link-confirm"), markup(rows))


def reset_queued(t: Translator, sid: str) -> View:
    rows: list[Row] = [
        [button(t.plain("btn-show-link"), Sub(action=SubAction.LINK, sub=sid))],
        back_to_menu(t),
    ]
    return View(t("bot-reset-link-queued"), markup(rows))


def guide(
    t: Translator, instructions: Instructions, platform: Platform, url: str, sid: str
) -> View:
    extra: list[Row] = [[button(t.plain("btn-back"), Sub(action=SubAction.VIEW, sub=sid))]]
    keyboard = instructions.keyboard(t, platform, url, extra=extra)
    return View(instructions.render(t, platform, url), keyboard)


# -- trial, promo, referral, balance, support, language --------------------------------
def trial_started(t: Translator, expires_at: datetime) -> View:
    rows: list[Row] = [[nav(t, "btn-my-subscriptions", Screen.SUBSCRIPTIONS)], back_to_menu(t)]
    return View(t("trial-activated", date=date(t, expires_at)), markup(rows))


def promo_prompt(t: Translator) -> View:
    return View(t("promo-enter"), markup([cancel_row(t)]))


def promo_redeemed(t: Translator, result: PromoRedeemed) -> View:
    code = result.code
    rows: list[Row] = []
    if result.outcome is RedeemOutcome.BALANCE_CREDITED and result.amount is not None:
        text = t("promo-applied-balance", code=code, amount=money(t, result.amount))
        rows.append([nav(t, "btn-balance", Screen.BALANCE)])
    elif result.outcome is RedeemOutcome.DAYS_ADDED:
        text = t("promo-applied-days", code=code, days=t.plain("days-count", days=result.days or 0))
        rows.append([nav(t, "btn-my-subscriptions", Screen.SUBSCRIPTIONS)])
    elif result.outcome is RedeemOutcome.TRIAL_EXTENDED:
        text = t(
            "promo-applied-trial-extension",
            code=code,
            days=t.plain("days-count", days=result.days or 0),
        )
        rows.append([nav(t, "btn-my-subscriptions", Screen.SUBSCRIPTIONS)])
    elif result.kind is PromoKind.PERCENT and result.percent is not None:
        text = t("promo-applied-percent", code=code, percent=pct(result.percent))
        rows.append([nav(t, "btn-buy", Screen.CATALOG)])
    elif result.kind is PromoKind.FIXED and result.amount is not None:
        text = t("promo-applied-fixed", code=code, amount=money(t, result.amount))
        rows.append([nav(t, "btn-buy", Screen.CATALOG)])
    else:
        text = t("promo-applied-days", code=code, days=t.plain("days-count", days=result.days or 0))
        rows.append([nav(t, "btn-buy", Screen.CATALOG)])
    rows.append(back_to_menu(t))
    return View(text, markup(rows))


def promo_retry(t: Translator, error: Html) -> View:
    return View(Html(f"{error}\n\n{t('promo-enter')}"), markup([cancel_row(t)]))


def referral_page(t: Translator, info: ReferralInfo, config: BotConfig) -> View:
    policy = info.policy
    terms: list[str] = []
    if policy.referrer_reward is ReferrerRewardKind.BALANCE_PERCENT and policy.referrer_percent:
        percent = pct(policy.referrer_percent)
        terms.append(t("referral-terms-percent", percent=percent))
    elif policy.referrer_reward is ReferrerRewardKind.DAYS and policy.referrer_days:
        days = t.plain("days-count", days=policy.referrer_days)
        terms.append(t("referral-terms-days", days=days))
    if policy.invitee_discount_percent:
        terms.append(
            t(
                "referral-terms-friend-discount",
                percent=pct(policy.invitee_discount_percent),
            )
        )
    link = config.referral_link(info.start_payload)
    earned = money(t, info.earned) if info.earned.is_positive else t.plain("referral-earned-none")
    text = t(
        "referral-page",
        terms=Html("\n".join(terms)),
        link=link,
        invited=info.invited,
        earned=earned,
    )
    share = (
        "https://t.me/share/url?url="
        + quote(link, safe="")
        + "&text="
        + quote(t.plain("referral-share-text", link=link), safe="")
    )
    rows: list[Row] = [[url_button(t.plain("btn-share-link"), share)], back_to_menu(t)]
    return View(text, markup(rows))


def balance_page(
    t: Translator,
    customer: CustomerView,
    config: BotConfig,
    history: Sequence[BalanceEntry] = (),
) -> View:
    rows: list[Row] = []
    if any(p is not PaymentProvider.STARS for p in config.providers):
        rows.append([nav(t, "btn-top-up", Screen.TOP_UP)])
    rows.append([nav(t, "btn-buy", Screen.CATALOG)])
    rows.append(back_to_menu(t))
    parts = [t("balance-page", balance=money(t, customer.balance)), t("balance-history-title")]
    if not history:
        parts.append(t("balance-history-empty"))
    for entry in history:
        sign = "+" if entry.amount.is_positive else ""
        parts.append(
            t(
                "balance-history-line",
                date=format_date(entry.created_at, t.language),
                amount=sign + money(t, entry.amount),
                reason=t.plain(BALANCE_REASON_KEYS[entry.reason]),
            )
        )
    return View(Html("\n".join(parts)), markup(rows))


def top_up_amounts(t: Translator, config: BotConfig) -> View:
    buttons = [
        button(
            t.plain("btn-top-up-amount", amount=money(t, Money.of(amount, config.base_currency))),
            TopUp(amount=amount),
        )
        for amount in config.top_up_amounts
    ]
    rows = pairs(buttons)
    rows.append([nav(t, "btn-back", Screen.BALANCE), *back_to_menu(t)])
    return View(t("balance-topup-choose"), markup(rows))


def top_up_methods(t: Translator, amount: int, config: BotConfig) -> View:
    rows: list[Row] = [
        [button(t.plain(METHOD_KEYS[p]), TopUp(amount=amount, method=Method.of(p)))]
        for p in config.providers
        if p is not PaymentProvider.STARS
    ]
    rows.append([nav(t, "btn-back", Screen.TOP_UP), *back_to_menu(t)])
    text = t("invoice-top-up-description", amount=money(t, Money.of(amount, config.base_currency)))
    return View(text, markup(rows))


def support_page(t: Translator, config: BotConfig) -> View:
    contact = config.support_contact or "@" + config.bot_username
    rows: list[Row] = [
        [button(t.plain("btn-contact-support"), WRITE_TO_SUPPORT)],
        [nav(t, "btn-faq", Screen.FAQ)],
        back_to_menu(t),
    ]
    return View(t("support-page", contact=contact), markup(rows))


def faq_page(t: Translator, config: BotConfig) -> View:
    parts: list[str] = [t("faq-title")]
    parts.extend(f"<b>{t(q)}</b>\n{t(a)}" for q, a in FAQ_KEYS)
    parts.extend(escape(entry) for entry in config.faq)
    rows: list[Row] = [[nav(t, "btn-back", Screen.SUPPORT), *back_to_menu(t)]]
    return View(Html("\n\n".join(parts)), markup(rows))


def language_picker(t: Translator) -> View:
    rows: list[Row] = [
        [button(language_name(t, language), Lang(code=language.value))] for language in Language
    ]
    rows.append(back_to_menu(t))
    return View(t("language-choose"), markup(rows))


def unknown_input(t: Translator) -> View:
    return View(t("unknown-input"), markup([back_to_menu(t)]))
