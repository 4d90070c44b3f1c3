"""Admin read models → Telegram HTML and keyboards. Pure functions of their inputs and a
translator: no I/O, no business rules (sums per window are presentation of the rows the
statistics use case returned)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal

from aiogram.types import InlineKeyboardButton

from vpnsales.adapters.telegram.formatting import (
    format_date,
    format_devices,
    format_money,
    format_traffic_limit,
    provider_name,
    subscription_status,
)
from vpnsales.adapters.telegram.i18n import Html, Translator, escape, msgid
from vpnsales.application.interactors.admin.find_customer import CustomerCard
from vpnsales.application.interactors.admin.get_broadcast_progress import BroadcastProgressView
from vpnsales.application.interactors.admin.get_statistics import Statistics
from vpnsales.application.interactors.admin.list_promo_codes import PromoCodeView
from vpnsales.application.interactors.admin.preview_broadcast import BroadcastPreview
from vpnsales.application.ports.admin import AdminRole, RevenueRow
from vpnsales.application.ports.broadcast import AudienceKind, BroadcastStatus
from vpnsales.application.ports.panels import PanelHealth
from vpnsales.domain.customer import Language
from vpnsales.domain.money import Money
from vpnsales.domain.payment import PaymentStatus
from vpnsales.domain.promo import PromoKind
from vpnsales.domain.tariff import Tariff
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
from vpnsales.entrypoints.bot.callbacks import short_id
from vpnsales.entrypoints.bot.keyboards import Row, button, markup, pairs, url_button
from vpnsales.entrypoints.bot.presenters import View

MAX_LISTED = 30

AUDIENCE_KEYS = {
    AudienceKind.ALL: msgid("adm-audience-all"),
    AudienceKind.ACTIVE: msgid("adm-audience-active"),
    AudienceKind.EXPIRED: msgid("adm-audience-expired"),
    AudienceKind.TRIAL: msgid("adm-audience-trial"),
    AudienceKind.NEVER_PAID: msgid("adm-audience-never-paid"),
    AudienceKind.TARIFF: msgid("adm-audience-tariff"),
}
PROMO_KIND_KEYS = {
    PromoKind.PERCENT: msgid("adm-promo-kind-percent"),
    PromoKind.FIXED: msgid("adm-promo-kind-fixed"),
    PromoKind.BONUS_DAYS: msgid("adm-promo-kind-bonus-days"),
    PromoKind.TRIAL_EXTENSION: msgid("adm-promo-kind-trial-extension"),
    PromoKind.BALANCE_CREDIT: msgid("adm-promo-kind-balance-credit"),
}
FIELD_KEYS = {
    TariffField.NAMES: msgid("adm-field-names"),
    TariffField.DESCRIPTIONS: msgid("adm-field-descriptions"),
    TariffField.OPTIONS: msgid("adm-field-options"),
    TariffField.LIMITS: msgid("adm-field-limits"),
    TariffField.BINDING: msgid("adm-field-binding"),
    TariffField.AVAILABILITY: msgid("adm-field-availability"),
    TariffField.ORDER: msgid("adm-field-order"),
}
FIELD_EXAMPLES = {
    TariffField.NAMES: "name ru: Базовый\nname en: Basic",
    TariffField.DESCRIPTIONS: "description ru: Быстрые серверы\ndescription en: Fast servers",
    TariffField.OPTIONS: "options: 30 = 300 RUB, 170 XTR; 90 = 810 RUB, 450 XTR",
    TariffField.LIMITS: "traffic: 100 GB MONTH\ndevices: 3",
    TariffField.BINDING: "panel: rw\nsquads: \ninbounds: 1",
    TariffField.AVAILABILITY: "availability: everyone",
    TariffField.ORDER: "order: 1",
}
NEW_TARIFF_EXAMPLE = (
    "code: basic\nname ru: Базовый\nname en: Basic\n"
    "options: 30 = 300 RUB, 170 XTR; 90 = 810 RUB\n"
    "traffic: 100 GB MONTH\ndevices: 3\npanel: rw\nlocations: NL, DE\norder: 1"
)
PROMO_EXAMPLES = {
    PromoKind.PERCENT: "SPRING 15 uses=100 until=2026-12-31",
    PromoKind.FIXED: "MINUS100 100 RUB uses=50 first",
    PromoKind.BONUS_DAYS: "PLUS7 7 uses=100",
    PromoKind.TRIAL_EXTENSION: "LONGTRIAL 7",
    PromoKind.BALANCE_CREDIT: "GIFT 200 RUB uses=10",
}


def nav(t: Translator, key: str, to: Screen) -> Row:
    return [button(t.plain(key), AdmNav(to=to))]


def back(t: Translator, to: Screen = Screen.MENU) -> Row:
    return [button(t.plain("adm-btn-back"), AdmNav(to=to))]


def cancel(t: Translator) -> Row:
    return [button(t.plain("adm-btn-cancel"), AdmNav(to=Screen.CANCEL))]


def _tiny(text: str) -> str:
    return text if len(text) <= 40 else text[:39] + "…"


# -- menu ------------------------------------------------------------------------------


def admin_menu(t: Translator, role: AdminRole) -> View:
    rows: list[Row] = []
    if role is AdminRole.OWNER:
        rows += pairs(
            [
                button(t.plain("adm-btn-stats"), AdmNav(to=Screen.STATS)),
                button(t.plain("adm-btn-tariffs"), AdmNav(to=Screen.TARIFFS)),
                button(t.plain("adm-btn-promos"), AdmNav(to=Screen.PROMOS)),
                button(t.plain("adm-btn-find"), AdmNav(to=Screen.FIND)),
                button(t.plain("adm-btn-broadcast"), AdmNav(to=Screen.BROADCAST)),
                button(t.plain("adm-btn-maintenance"), AdmNav(to=Screen.MAINTENANCE)),
                button(t.plain("adm-btn-panels"), AdmNav(to=Screen.PANELS)),
            ]
        )
    else:
        rows += [nav(t, "adm-btn-find", Screen.FIND), nav(t, "adm-btn-panels", Screen.PANELS)]
    role_text = t.plain("adm-role-owner" if role is AdminRole.OWNER else "adm-role-support")
    return View(t("adm-menu", role=role_text), markup(rows))


def done(t: Translator, text: Html, to: Screen = Screen.MENU) -> View:
    return View(text, markup([back(t, to)]))


def invalid(t: Translator, detail: str) -> View:
    return View(t("adm-invalid", detail=detail), markup([cancel(t)]))


# -- statistics ------------------------------------------------------------------------


def _sum_by(
    rows: Iterable[RevenueRow], since: date
) -> tuple[dict[str, Money], dict[tuple[str, str], Money]]:
    totals: dict[str, Money] = {}
    per: dict[tuple[str, str], Money] = {}
    for row in rows:
        if row.day < since:
            continue
        currency = row.amount.currency.value
        totals[currency] = totals[currency] + row.amount if currency in totals else row.amount
        key = (row.provider.value, currency)
        per[key] = per[key] + row.amount if key in per else row.amount
    return totals, per


def _revenue_line(t: Translator, rows: Sequence[RevenueRow], since: date) -> str:
    totals, per = _sum_by(rows, since)
    language = t.language
    if not totals:
        return "0"
    total = ", ".join(format_money(m, language) for m in totals.values())
    parts = []
    for row in rows:
        key = (row.provider.value, row.amount.currency.value)
        if key in per:
            parts.append(f"{provider_name(t, row.provider)} {format_money(per.pop(key), language)}")
    return f"{total} ({'; '.join(parts)})"


def revenue_series(stats: Statistics) -> tuple[dict[str, list[tuple[date, Decimal]]], list[date]]:
    """Per currency, the day totals (all providers) for the chart, and every day."""
    first = stats.since.date()
    last = stats.generated_at.date()
    days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    sums: dict[str, dict[date, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for row in stats.revenue:
        sums[row.amount.currency.value][row.day] += row.amount.amount
    return {c: sorted(v.items()) for c, v in sums.items()}, days


def statistics_text(t: Translator, stats: Statistics) -> Html:
    today = stats.generated_at.date()
    window = (today - stats.since.date()).days + 1
    c, s = stats.customers, stats.subscriptions
    return t(
        "adm-stats",
        at=stats.generated_at.strftime("%d.%m.%Y %H:%M"),
        total=c.total,
        today=c.new_today,
        week=c.new_7d,
        month=c.new_30d,
        active=s.active,
        trial=s.trial,
        expired=s.expired,
        suspended=s.suspended,
        rev_today=_revenue_line(t, stats.revenue, today),
        rev_week=_revenue_line(t, stats.revenue, today - timedelta(days=6)),
        rev_month=_revenue_line(t, stats.revenue, today - timedelta(days=29)),
        window=window,
        started=stats.conversion.started,
        paid=stats.conversion.paid,
        conversion=f"{stats.conversion.rate:.0%}",
        base=stats.churn.base,
        churned=stats.churn.churned,
        churn=f"{stats.churn.rate:.1%}",
    )


# -- tariffs ---------------------------------------------------------------------------


def tariff_list(t: Translator, tariffs: Sequence[Tariff]) -> View:
    rows: list[Row] = []
    for tariff in tariffs[:MAX_LISTED]:
        mark = "" if tariff.active else "🙈 "
        trial = " (trial)" if tariff.is_trial else ""
        rows.append(
            [
                button(
                    f"{mark}{_tiny(tariff.name(t.language))}{trial}",
                    AdmTariff(action=TariffAction.VIEW, tariff=short_id(tariff.id)),
                )
            ]
        )
    rows.append([button(t.plain("adm-btn-new-tariff"), AdmNav(to=Screen.NEW_TARIFF))])
    rows.append(back(t))
    return View(t("adm-tariffs", count=len(tariffs)), markup(rows))


def _prices(option_prices: Iterable[Money], language: Language) -> str:
    return ", ".join(format_money(p, language) for p in option_prices)


def tariff_card(t: Translator, tariff: Tariff) -> View:
    language = t.language
    names = "; ".join(f"{k.value}: {v}" for k, v in tariff.names.items())
    descriptions = "; ".join(f"{k.value}: {v}" for k, v in tariff.descriptions.items()) or "—"
    options = "\n".join(
        f"• {o.days} d — {_prices(o.prices.values(), language)}" for o in tariff.options
    )
    binding = tariff.binding
    where = str(binding.panel)
    if binding.squads:
        where += f" squads {', '.join(binding.squads)}"
    if binding.inbounds:
        where += f" inbounds {', '.join(map(str, binding.inbounds))}"
    text = t(
        "adm-tariff-card",
        name=tariff.name(language),
        code=tariff.code,
        names=names,
        descriptions=descriptions,
        options=options,
        traffic=format_traffic_limit(t, tariff.traffic),
        devices=format_devices(t, tariff.devices),
        panel=where,
        availability=tariff.availability.value,
        order=tariff.order,
        state=t.plain("adm-tariff-visible" if tariff.active else "adm-tariff-hidden"),
    )
    ref = short_id(tariff.id)
    toggle = (
        button(t.plain("adm-btn-hide"), AdmTariff(action=TariffAction.HIDE, tariff=ref))
        if tariff.active
        else button(t.plain("adm-btn-show"), AdmTariff(action=TariffAction.SHOW, tariff=ref))
    )
    edits = [
        button(t.plain(key), AdmTariff(action=TariffAction.EDIT, tariff=ref, field=field))
        for field, key in FIELD_KEYS.items()
    ]
    return View(text, markup([[toggle], *pairs(edits), back(t, Screen.TARIFFS)]))


def tariff_prompt(t: Translator, field: TariffField | None) -> View:
    if field is None:
        return View(t("adm-tariff-new", example=NEW_TARIFF_EXAMPLE), markup([cancel(t)]))
    return View(
        t("adm-tariff-edit", field=t.plain(FIELD_KEYS[field]), example=FIELD_EXAMPLES[field]),
        markup([cancel(t)]),
    )


# -- promo codes -----------------------------------------------------------------------


def _promo_value(t: Translator, promo: PromoCodeView) -> str:
    if promo.percent is not None:
        return f"{promo.percent.normalize():f}%"
    if promo.amount is not None:
        return format_money(promo.amount, t.language)
    return f"{promo.days} d"


def promo_list(t: Translator, promos: Sequence[PromoCodeView]) -> View:
    lines = []
    rows: list[Row] = []
    for promo in promos[:MAX_LISTED]:
        limit = "∞" if promo.max_uses is None else str(promo.max_uses)
        state = "✅" if promo.usable_now else ("⛔" if not promo.active else "⏸")
        lines.append(
            f"{state} <code>{escape(promo.code)}</code> · {t.plain(PROMO_KIND_KEYS[promo.kind])}"
            f" {escape(_promo_value(t, promo))} · {promo.uses}/{limit}"
        )
        if promo.active:
            rows.append(
                [
                    button(
                        t.plain("adm-btn-deactivate", code=promo.code),
                        AdmPromo(action=PromoAction.DEACTIVATE, arg=promo.code),
                    )
                ]
            )
    kinds = [
        button(
            t.plain("adm-btn-new-promo", kind=t.plain(key)),
            AdmPromo(action=PromoAction.NEW, arg=kind.value),
        )
        for kind, key in PROMO_KIND_KEYS.items()
    ]
    body = Html("\n".join(lines)) if lines else t("adm-promos-empty")
    return View(t("adm-promos", list=body), markup([*pairs(kinds), *rows, back(t)]))


def promo_prompt(t: Translator, kind: PromoKind) -> View:
    return View(
        t("adm-promo-new", kind=t.plain(PROMO_KIND_KEYS[kind]), example=PROMO_EXAMPLES[kind]),
        markup([cancel(t)]),
    )


# -- customers -------------------------------------------------------------------------


def find_prompt(t: Translator) -> View:
    return View(t("adm-find-prompt"), markup([cancel(t)]))


def customer_card(
    t: Translator,
    card: CustomerCard,
    role: AdminRole,
    *,
    topic_url: str | None = None,
) -> View:
    language = t.language
    subs = (
        "\n".join(
            f"• {escape(s.tariff_name)} — {subscription_status(t, s.status)}, "
            f"{format_date(s.expires_at, language)}"
            + (f" · {s.access.panel_id}: {s.access.sync.value}" if s.access is not None else "")
            for s in card.subscriptions
        )
        or "—"
    )
    payments = (
        "\n".join(
            f"• {format_date(p.created_at, language)} {provider_name(t, p.provider)} "
            f"{format_money(p.amount, language)} — {p.status.value}"
            for p in card.payments[:10]
        )
        or "—"
    )
    name = card.first_name + (f" @{card.username}" if card.username else "")
    text = t(
        "adm-customer-card",
        name=name,
        id=card.telegram_id,
        since=format_date(card.created_at, language),
        language=card.language.value,
        banned=t.plain("adm-yes" if card.banned else "adm-no"),
        balance=format_money(card.balance, language),
        subscriptions=Html(subs),
        payments=Html(payments),
        invited=card.referrals.invited,
        invited_paid=card.referrals.invited_paid,
        earned=format_money(card.referrals.earned, language),
    )
    ref = int(card.telegram_id)

    def act(key: str, action: CustomerAction, arg: str = "") -> InlineKeyboardButton:
        return button(t.plain(key), AdmCustomer(action=action, customer=ref, arg=arg))

    rows: list[Row] = []
    if role is AdminRole.OWNER:
        rows.append(
            [
                act("adm-btn-unban", CustomerAction.UNBAN)
                if card.banned
                else act("adm-btn-ban", CustomerAction.BAN),
                act("adm-btn-grant", CustomerAction.GRANT),
                act("adm-btn-take", CustomerAction.TAKE),
            ]
        )
        for p in card.payments[:5]:
            if p.status is PaymentStatus.SUCCEEDED:
                label = t.plain(
                    "adm-btn-refund",
                    amount=format_money(p.amount, language),
                    date=format_date(p.created_at, language),
                )
                rows.append(
                    [
                        button(
                            label,
                            AdmCustomer(
                                action=CustomerAction.REFUND,
                                customer=ref,
                                arg=short_id(p.payment_id),
                            ),
                        )
                    ]
                )
    rows.append(
        [
            act("adm-btn-resync", CustomerAction.RESYNC),
            act("adm-btn-message", CustomerAction.MESSAGE),
        ]
    )
    if topic_url is not None:
        rows.append(
            [
                url_button(t.plain("adm-btn-topic"), topic_url),
                act("adm-btn-topic-close", CustomerAction.TOPIC_CLOSE),
                act("adm-btn-topic-reopen", CustomerAction.TOPIC_REOPEN),
            ]
        )
    rows.append(back(t))
    return View(text, markup(rows))


def refund_confirm(t: Translator, customer: int, payment: str) -> View:
    return View(
        t("adm-refund-confirm"),
        markup(
            [
                [
                    button(
                        t.plain("adm-btn-confirm"),
                        AdmCustomer(
                            action=CustomerAction.REFUND_CONFIRM, customer=customer, arg=payment
                        ),
                    ),
                    button(
                        t.plain("adm-btn-cancel"),
                        AdmCustomer(action=CustomerAction.VIEW, customer=customer),
                    ),
                ]
            ]
        ),
    )


def customer_prompt(t: Translator, action: CustomerAction) -> View:
    key = {
        CustomerAction.GRANT: msgid("adm-grant-prompt"),
        CustomerAction.TAKE: msgid("adm-take-prompt"),
        CustomerAction.MESSAGE: msgid("adm-message-prompt"),
    }[action]
    return View(t(key), markup([cancel(t)]))


def back_to_card(t: Translator, text: Html, customer: int) -> View:
    return View(
        text,
        markup(
            [
                [
                    button(
                        t.plain("adm-btn-card"),
                        AdmCustomer(action=CustomerAction.VIEW, customer=customer),
                    )
                ]
            ]
        ),
    )


# -- broadcasts ------------------------------------------------------------------------


def broadcast_text_prompt(t: Translator) -> View:
    return View(t("adm-broadcast-text"), markup([cancel(t)]))


def broadcast_button_prompt(t: Translator) -> View:
    return View(
        t("adm-broadcast-button"),
        markup(
            [
                [button(t.plain("adm-btn-skip"), AdmBroadcast(action=BroadcastAction.SKIP))],
                cancel(t),
            ]
        ),
    )


def audience_picker(t: Translator) -> View:
    kinds = [
        button(t.plain(key), AdmBroadcast(action=BroadcastAction.AUDIENCE, ref=kind.value))
        for kind, key in AUDIENCE_KEYS.items()
    ]
    return View(t("adm-broadcast-audience"), markup([*pairs(kinds), cancel(t)]))


def tariff_audience_picker(t: Translator, tariffs: Sequence[Tariff]) -> View:
    rows = [
        [
            button(
                _tiny(tariff.name(t.language)),
                AdmBroadcast(action=BroadcastAction.TARIFF_AUDIENCE, ref=short_id(tariff.id)),
            )
        ]
        for tariff in tariffs[:MAX_LISTED]
    ]
    return View(t("adm-broadcast-audience"), markup([*rows, cancel(t)]))


def broadcast_preview(t: Translator, preview: BroadcastPreview) -> View:
    ref = short_id(preview.broadcast_id)
    return View(
        t(
            "adm-broadcast-preview",
            audience=t.plain(AUDIENCE_KEYS[preview.audience.kind]),
            recipients=preview.recipients,
        ),
        markup(
            [
                [
                    button(
                        t.plain("adm-btn-start-broadcast"),
                        AdmBroadcast(action=BroadcastAction.START, ref=ref),
                    ),
                    button(
                        t.plain("adm-btn-discard"),
                        AdmBroadcast(action=BroadcastAction.DISCARD, ref=ref),
                    ),
                ]
            ]
        ),
    )


STATUS_KEYS = {
    BroadcastStatus.DRAFT: msgid("adm-broadcast-draft"),
    BroadcastStatus.RUNNING: msgid("adm-broadcast-running"),
    BroadcastStatus.CANCELLED: msgid("adm-broadcast-cancelled"),
    BroadcastStatus.DONE: msgid("adm-broadcast-done"),
}


def broadcast_progress(t: Translator, view: BroadcastProgressView, now: datetime) -> View:
    p = view.progress
    text = t(
        "adm-broadcast-progress",
        status=t.plain(STATUS_KEYS[view.status]),
        total=p.total,
        sent=p.sent,
        blocked=p.blocked,
        failed=p.failed,
        left=p.pending,
        at=now.strftime("%H:%M:%S"),
    )
    if view.status is not BroadcastStatus.RUNNING:
        return View(text, markup([back(t)]))
    ref = short_id(view.broadcast_id)
    return View(
        text,
        markup(
            [
                [
                    button(
                        t.plain("adm-btn-refresh"),
                        AdmBroadcast(action=BroadcastAction.REFRESH, ref=ref),
                    ),
                    button(
                        t.plain("adm-btn-stop"),
                        AdmBroadcast(action=BroadcastAction.CANCEL, ref=ref),
                    ),
                ]
            ]
        ),
    )


# -- system ----------------------------------------------------------------------------


def maintenance_view(t: Translator) -> View:
    return View(
        t("adm-maintenance"),
        markup(
            [
                [
                    button(t.plain("adm-btn-on"), AdmNav(to=Screen.MAINTENANCE_ON)),
                    button(t.plain("adm-btn-off"), AdmNav(to=Screen.MAINTENANCE_OFF)),
                ],
                back(t),
            ]
        ),
    )


def panels_view(t: Translator, health: Sequence[PanelHealth]) -> View:
    lines = []
    for h in health:
        latency = f"{h.latency_ms:.0f} ms" if h.latency_ms is not None else "—"
        nodes = (
            t.plain("adm-panel-nodes", online=h.nodes_online, offline=h.nodes_offline or 0)
            if h.nodes_online is not None
            else ""
        )
        lines.append(
            t.plain(
                "adm-panel-line",
                icon="🟢" if h.reachable else "🔴",
                panel=str(h.panel_id),
                circuit=h.circuit.value,
                latency=latency,
                accounts="—" if h.accounts is None else str(h.accounts),
                nodes=nodes,
                error=h.error or "",
            )
        )
    body = "\n".join(escape(line) for line in lines) or t.plain("adm-panels-none")
    return View(t("adm-panels", list=Html(body)), markup([back(t)]))
