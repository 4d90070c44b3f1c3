"""The ``Notifier`` and ``AdminAlerter`` ports over Telegram.

Intents are data; here they become Telegram HTML in the recipient's language. An
access card (``access_ready`` / ``reactivated``) goes out as ONE message: the QR code
as a photo whose caption holds the subscription link and three short steps, with
platform buttons under it. When that caption would pass Telegram's 1024-character
limit (or the link can't be a QR code) the same content goes as a text message.

Buttons use two callback families the bot's routers handle:
:class:`~vpnsales.adapters.telegram.instructions.GuideCallback` (``guide:<platform>:<sub>``)
and :class:`NoticeCallback` (``notice:<action>:<ref>``, see :class:`NoticeAction`).
"""

from __future__ import annotations

import html
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Protocol
from uuid import UUID

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from vpnsales.adapters.telegram.formatting import (
    BALANCE_REASON_KEYS,
    failure_reason,
    format_date,
    format_money,
    format_time_until,
    parse_iso,
)
from vpnsales.adapters.telegram.i18n import Html, I18n, Translator
from vpnsales.adapters.telegram.instructions import Instructions, short_steps
from vpnsales.adapters.telegram.qr import qr_png
from vpnsales.adapters.telegram.sender import SendOutcome, SendResult
from vpnsales.application.ports.notifier import (
    AccessCard,
    Alert,
    AlertKind,
    DeliveryOutcome,
    Recipient,
)
from vpnsales.domain.customer import BalanceReason
from vpnsales.domain.notifications import Intent, IntentKind

logger = logging.getLogger(__name__)

CAPTION_LIMIT = 1024
TEXT_LIMIT = 4096
PARSE_MODE = "HTML"
_TAG = re.compile(r"<[^>]*>")


class MessageSender(Protocol):
    """What the notifier needs from :class:`~.sender.RateLimitedSender`."""

    async def send(
        self,
        chat_id: int,
        text: str,
        *,
        reply_markup: Any = None,
        photo: bytes | None = None,
        photo_filename: str = ...,
        parse_mode: str | None = ...,
    ) -> SendResult: ...


if TYPE_CHECKING:
    from vpnsales.adapters.telegram.sender import RateLimitedSender

    def _fits(sender: RateLimitedSender) -> MessageSender:  # mypy: the real sender fits
        return sender


class NoticeAction(StrEnum):
    RENEW = "renew"
    """Renew the subscription ``ref`` (hex id)."""
    RETRY_PAYMENT = "retry"
    """Pay again for the payment ``ref`` with the same method."""
    OTHER_METHOD = "methods"
    """Pay for the payment ``ref``'s quote with another method."""
    CHANGE_PLAN = "plan"
    """Change the plan of subscription ``ref`` (e.g. to one with more traffic)."""
    SUBSCRIPTIONS = "subs"
    """Open "My subscriptions" (``ref`` = the subscription to show, may be empty)."""
    BALANCE = "balance"
    REFERRAL = "referral"


class NoticeCallback(CallbackData, prefix="notice"):
    """Buttons under notifications. ``ref`` is a uuid in hex (or empty)."""

    action: NoticeAction
    ref: str = ""


def visible_length(text: str) -> int:
    """Length Telegram counts for HTML text: tags removed, entities decoded, UTF-16 units."""
    plain = html.unescape(_TAG.sub("", text))
    return len(plain.encode("utf-16-le")) // 2


def to_delivery(result: SendResult) -> DeliveryOutcome:
    if result.outcome is SendOutcome.SENT:
        return DeliveryOutcome.SENT
    if result.outcome in (SendOutcome.BLOCKED, SendOutcome.DEACTIVATED, SendOutcome.NOT_FOUND):
        return DeliveryOutcome.BLOCKED
    return DeliveryOutcome.FAILED


@dataclass(frozen=True, slots=True)
class RenderedNotice:
    """A rendered intent: text (HTML), optional QR photo, optional keyboard."""

    text: Html
    keyboard: InlineKeyboardMarkup | None = None
    photo: bytes | None = None


def _hex(value: UUID | None) -> str:
    return value.hex if value is not None else ""


def _button(t: Translator, key: str, action: NoticeAction, ref: str = "") -> InlineKeyboardButton:
    return InlineKeyboardButton(
        text=t.plain(key), callback_data=NoticeCallback(action=action, ref=ref).pack()
    )


def _markup(rows: Iterable[list[InlineKeyboardButton]]) -> InlineKeyboardMarkup | None:
    rows = [row for row in rows if row]
    return InlineKeyboardMarkup(inline_keyboard=rows) if rows else None


class NoticeRenderer:
    """Intent → text and buttons, in one language. Pure: no I/O (the QR aside)."""

    def __init__(self, instructions: Instructions | None = None) -> None:
        self.instructions = instructions or Instructions()

    def render(
        self, t: Translator, intent: Intent, card: AccessCard | None = None
    ) -> RenderedNotice:
        kind = intent.kind
        if kind in (IntentKind.ACCESS_READY, IntentKind.REACTIVATED) and card is not None:
            return self._access_card(t, intent, card)
        return RenderedNotice(text=self._text(t, intent), keyboard=self._keyboard(t, intent))

    # -- plain notices -----------------------------------------------------------------
    def _date(self, t: Translator, value: datetime | None, *, with_time: bool = False) -> str:
        return format_date(value, t.language, with_time=with_time) if value else ""

    def _text(self, t: Translator, intent: Intent) -> Html:
        lang = t.language
        match intent.kind:
            case IntentKind.EXPIRING_SOON:
                when = format_time_until(t, intent.hours if intent.hours is not None else 24)
                if intent.expires_at is None:
                    return t("notify-expiring-soon-nodate", when=when)
                date = self._date(t, intent.expires_at, with_time=True)
                return t("notify-expiring-soon", when=when, date=date)
            case IntentKind.EXPIRED:
                if intent.expires_at is None:
                    return t("notify-expired-nodate")
                return t("notify-expired", date=self._date(t, intent.expires_at, with_time=True))
            case IntentKind.ACCESS_READY:
                return t("notify-access-ready-nocard")
            case IntentKind.REACTIVATED:
                if intent.expires_at is None:
                    return t("notify-reactivated-nodate")
                return t("notify-reactivated-nocard", date=self._date(t, intent.expires_at))
            case IntentKind.PAYMENT_RECEIVED:
                if intent.amount is None:
                    return t("notify-payment-received-noamount")
                return t("notify-payment-received", amount=format_money(intent.amount, lang))
            case IntentKind.PAYMENT_FAILED:
                return t("notify-payment-failed", reason=failure_reason(t, intent.reason))
            case IntentKind.REFUNDED:
                if intent.amount is None:
                    return t("notify-refunded-noamount")
                return t("notify-refunded", amount=format_money(intent.amount, lang))
            case IntentKind.REFERRAL_REWARD:
                if intent.amount is not None:
                    money = format_money(intent.amount, lang)
                    return t("notify-referral-reward-money", amount=money)
                if intent.days is not None:
                    return t("notify-referral-reward-days", days=intent.days)
                return t("notify-referral-reward")
            case IntentKind.TRAFFIC_THRESHOLD:
                percent = intent.percent if intent.percent is not None else 100
                if percent >= 100:
                    return t("notify-traffic-exhausted")
                return t("notify-traffic-threshold", percent=percent)
            case IntentKind.AUTO_RENEWAL_FAILED:
                reason = failure_reason(t, intent.reason)
                if intent.expires_at is None:
                    return t("notify-auto-renewal-failed-nodate", reason=reason)
                date = self._date(t, intent.expires_at, with_time=True)
                return t("notify-auto-renewal-failed", reason=reason, date=date)
            case IntentKind.DAYS_GRANTED:
                date = self._date(t, intent.expires_at)
                if intent.days is None:
                    if intent.expires_at is None:
                        return t("notify-days-granted-bare")
                    return t("notify-days-granted-nodays", date=date)
                if intent.expires_at is None:
                    return t("notify-days-granted-nodate", days=intent.days)
                return t("notify-days-granted", days=intent.days, date=date)
            case IntentKind.BALANCE_CREDITED:
                if intent.amount is None:
                    return t("notify-balance-credited-noamount")
                amount = format_money(intent.amount, lang)
                reason_key = _balance_reason_key(intent.reason)
                if reason_key is None:
                    return t("notify-balance-credited", amount=amount)
                return t(
                    "notify-balance-credited-reason", amount=amount, reason=t.plain(reason_key)
                )
        raise ValueError(f"unknown intent kind {intent.kind!r}")  # pragma: no cover

    def _keyboard(self, t: Translator, intent: Intent) -> InlineKeyboardMarkup | None:
        sub = _hex(intent.subscription_id)
        pay = _hex(intent.payment_id)
        match intent.kind:
            case IntentKind.EXPIRING_SOON | IntentKind.EXPIRED | IntentKind.AUTO_RENEWAL_FAILED:
                return _markup([[_button(t, "btn-renew", NoticeAction.RENEW, sub)]])
            case IntentKind.PAYMENT_FAILED:
                return _markup(
                    [
                        [_button(t, "btn-retry-payment", NoticeAction.RETRY_PAYMENT, pay)],
                        [_button(t, "btn-other-method", NoticeAction.OTHER_METHOD, pay)],
                    ]
                )
            case IntentKind.REFERRAL_REWARD:
                return _markup([[_button(t, "btn-referral", NoticeAction.REFERRAL)]])
            case IntentKind.BALANCE_CREDITED | IntentKind.REFUNDED:
                return _markup([[_button(t, "btn-balance", NoticeAction.BALANCE)]])
            case IntentKind.TRAFFIC_THRESHOLD:
                return _markup(
                    [
                        [_button(t, "btn-my-subscriptions", NoticeAction.SUBSCRIPTIONS, sub)],
                        [_button(t, "btn-change-plan", NoticeAction.CHANGE_PLAN, sub)],
                    ]
                )
            case (
                IntentKind.ACCESS_READY
                | IntentKind.REACTIVATED
                | IntentKind.DAYS_GRANTED
                | IntentKind.PAYMENT_RECEIVED
            ):
                return _markup(
                    [[_button(t, "btn-my-subscriptions", NoticeAction.SUBSCRIPTIONS, sub)]]
                )
        return None  # pragma: no cover

    # -- access card -------------------------------------------------------------------
    def _access_card(self, t: Translator, intent: Intent, card: AccessCard) -> RenderedNotice:
        expires = intent.expires_at
        if card.expires_at_iso:
            try:
                expires = parse_iso(card.expires_at_iso)
            except ValueError:
                logger.warning("access card with a bad expiry %r", card.expires_at_iso)
        date = self._date(t, expires)
        steps = short_steps(t)
        if intent.kind is IntentKind.ACCESS_READY:
            text = t(
                "notify-access-ready",
                tariff=card.tariff_name,
                date=date,
                url=card.subscription_url,
                steps=steps,
            )
        else:
            text = t(
                "notify-reactivated",
                tariff=card.tariff_name,
                date=date,
                url=card.subscription_url,
                steps=steps,
            )
        rows = self.instructions.platform_buttons(t, subscription=_hex(intent.subscription_id))
        if card.subscription_url.startswith("https://"):
            rows.append(
                [InlineKeyboardButton(text=t.plain("btn-open-sub-page"), url=card.subscription_url)]
            )
        keyboard = _markup(rows)
        photo: bytes | None = None
        if visible_length(text) <= CAPTION_LIMIT:
            try:
                photo = qr_png(card.subscription_url)
            except Exception:  # segno: data too long for any QR version
                logger.warning(
                    "no QR code for a subscription URL of %d chars", len(card.subscription_url)
                )
        return RenderedNotice(text=text, keyboard=keyboard, photo=photo)


def _balance_reason_key(reason: str | None) -> str | None:
    if reason is None:
        return None
    try:
        return BALANCE_REASON_KEYS[BalanceReason(reason)]
    except ValueError:
        return None


class TelegramNotifier:
    """``Notifier`` port: renders intents in the recipient's language and sends them.

    ``broadcast_parse_mode`` applies to :meth:`send_text` (admin-written messages,
    sent as is): ``None`` sends them as plain text so a stray ``<`` can't fail them.
    """

    def __init__(
        self,
        sender: MessageSender,
        i18n: I18n,
        *,
        instructions: Instructions | None = None,
        broadcast_parse_mode: str | None = None,
    ) -> None:
        self._sender = sender
        self._i18n = i18n
        self._renderer = NoticeRenderer(instructions)
        self._broadcast_parse_mode = broadcast_parse_mode

    def render(
        self, recipient: Recipient, intent: Intent, card: AccessCard | None = None
    ) -> RenderedNotice:
        return self._renderer.render(self._i18n.for_language(recipient.language), intent, card)

    async def notify(
        self, recipient: Recipient, intent: Intent, *, card: AccessCard | None = None
    ) -> DeliveryOutcome:
        notice = self.render(recipient, intent, card)
        result = await self._sender.send(
            recipient.telegram_id,
            notice.text,
            reply_markup=notice.keyboard,
            photo=notice.photo,
            photo_filename="vpn-qr.png",
            parse_mode=PARSE_MODE,
        )
        outcome = to_delivery(result)
        if outcome is not DeliveryOutcome.SENT:
            logger.info(
                "notification %s to %s: %s (%s)",
                intent.kind.value,
                recipient.telegram_id,
                result.outcome.value,
                result.error,
            )
        return outcome

    async def send_text(self, recipient: Recipient, text: str) -> DeliveryOutcome:
        result = await self._sender.send(
            recipient.telegram_id, text, parse_mode=self._broadcast_parse_mode
        )
        return to_delivery(result)


_ALERT_ICONS = {
    AlertKind.AMOUNT_MISMATCH: "🚨",
    AlertKind.LATE_PAYMENT: "⏰",
    AlertKind.PANEL_UNREACHABLE: "🔌",
    AlertKind.DEAD_LETTER: "☠️",
    AlertKind.LARGE_PAYMENT: "💰",
    AlertKind.DAILY_SUMMARY: "📊",
    AlertKind.REFUND: "↩️",
}


def format_alert(alert: Alert) -> str:
    """Plain English alert text for the seller's chat, within Telegram's limit."""
    title = alert.kind.value.replace("_", " ").capitalize()
    text = f"{_ALERT_ICONS.get(alert.kind, '⚠️')} {title}\n\n{alert.text}"
    return text if len(text) <= TEXT_LIMIT else text[: TEXT_LIMIT - 1] + "…"


class TelegramAdminAlerter:
    """``AdminAlerter`` port: alerts as plain text to the configured admin chat(s)."""

    def __init__(self, sender: MessageSender, chat_ids: int | Iterable[int]) -> None:
        self._sender = sender
        self._chat_ids = (chat_ids,) if isinstance(chat_ids, int) else tuple(chat_ids)

    async def alert(self, alert: Alert) -> None:
        text = format_alert(alert)
        for chat_id in self._chat_ids:
            result = await self._sender.send(chat_id, text, parse_mode=None)
            if not result.ok:
                logger.error(
                    "admin alert %s to chat %s not delivered: %s (%s)",
                    alert.kind.value,
                    chat_id,
                    result.outcome.value,
                    result.error,
                )


__all__ = [
    "CAPTION_LIMIT",
    "MessageSender",
    "NoticeAction",
    "NoticeCallback",
    "NoticeRenderer",
    "RenderedNotice",
    "TelegramAdminAlerter",
    "TelegramNotifier",
    "format_alert",
    "to_delivery",
    "visible_length",
]
