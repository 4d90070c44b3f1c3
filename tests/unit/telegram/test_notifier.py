"""TelegramNotifier and TelegramAdminAlerter against a recording fake sender."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

import pytest
from aiogram.types import InlineKeyboardMarkup

from vpnsales.adapters.telegram.i18n import I18n
from vpnsales.adapters.telegram.instructions import GuideCallback
from vpnsales.adapters.telegram.notifier import (
    CAPTION_LIMIT,
    NoticeAction,
    NoticeCallback,
    TelegramAdminAlerter,
    TelegramNotifier,
    visible_length,
)
from vpnsales.adapters.telegram.qr import PNG_SIGNATURE
from vpnsales.adapters.telegram.sender import SendOutcome, SendResult
from vpnsales.application.ports.notifier import (
    AccessCard,
    Alert,
    AlertKind,
    DeliveryOutcome,
    Recipient,
)
from vpnsales.application.ports.payments import FailureReason
from vpnsales.domain.customer import BalanceReason, Language
from vpnsales.domain.ids import CustomerId, PaymentId, SubscriptionId
from vpnsales.domain.money import Money
from vpnsales.domain.notifications import Intent, IntentKind

NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
SUB_ID = SubscriptionId(UUID("7f3a9c1e-2b4d-4f6a-8c0e-1a2b3c4d5e6f"))
CARD = AccessCard(
    subscription_url="https://sub.example.com/api/sub/Zx81kQ",
    tariff_name="Pro <Fast> & Co",
    expires_at_iso="2026-12-22T09:00:00+00:00",
)


@dataclass
class Sent:
    chat_id: int
    text: str
    reply_markup: Any
    photo: bytes | None
    parse_mode: Any


@dataclass
class FakeSender:
    outcome: SendOutcome = SendOutcome.SENT
    calls: list[Sent] = field(default_factory=list)

    async def send(
        self,
        chat_id: int,
        text: str,
        *,
        reply_markup: Any = None,
        photo: bytes | None = None,
        photo_filename: str = "image.png",
        parse_mode: Any = "default",
    ) -> SendResult:
        self.calls.append(Sent(chat_id, text, reply_markup, photo, parse_mode))
        return SendResult(self.outcome, chat_id, message_id=len(self.calls))


def full_intent(kind: IntentKind) -> Intent:
    return Intent(
        kind=kind,
        customer_id=CustomerId(uuid4()),
        subscription_id=SUB_ID,
        payment_id=PaymentId(uuid4()),
        hours=72,
        percent=80,
        days=7,
        amount=Money.of("1990.50", "RUB"),
        reason=FailureReason.INSUFFICIENT_FUNDS.value
        if kind in (IntentKind.PAYMENT_FAILED, IntentKind.AUTO_RENEWAL_FAILED)
        else BalanceReason.REFERRAL_REWARD.value,
        expires_at=NOW,
    )


def bare_intent(kind: IntentKind) -> Intent:
    return Intent(kind=kind, customer_id=CustomerId(uuid4()))


@pytest.fixture
def sender() -> FakeSender:
    return FakeSender()


@pytest.fixture
def notifier(sender: FakeSender, i18n: I18n) -> TelegramNotifier:
    return TelegramNotifier(sender, i18n)


def recipient(language: Language) -> Recipient:
    return Recipient(telegram_id=42, language=language)


def buttons(markup: InlineKeyboardMarkup | None) -> list[Any]:
    return [b for row in (markup.inline_keyboard if markup else []) for b in row]


@pytest.mark.parametrize("language", list(Language), ids=lambda lang: lang.value)
@pytest.mark.parametrize("kind", list(IntentKind), ids=lambda k: k.value)
@pytest.mark.parametrize("build", [full_intent, bare_intent], ids=["full", "bare"])
async def test_every_intent_renders_in_every_language(
    notifier: TelegramNotifier, sender: FakeSender, language: Language, kind: IntentKind, build: Any
) -> None:
    outcome = await notifier.notify(recipient(language), build(kind))  # strict i18n: raises
    assert outcome is DeliveryOutcome.SENT
    [sent] = sender.calls
    assert sent.chat_id == 42
    assert sent.parse_mode == "HTML"
    assert sent.text.strip()
    assert "{" not in sent.text
    assert "???" not in sent.text
    assert visible_length(sent.text) <= 4096
    for button in buttons(sent.reply_markup):
        assert button.url or button.callback_data
        if button.callback_data:
            assert len(button.callback_data.encode()) <= 64


@pytest.mark.parametrize("language", list(Language), ids=lambda lang: lang.value)
@pytest.mark.parametrize("kind", [IntentKind.ACCESS_READY, IntentKind.REACTIVATED])
async def test_access_card_is_one_photo_with_link_steps_and_platform_buttons(
    notifier: TelegramNotifier, sender: FakeSender, language: Language, kind: IntentKind
) -> None:
    intent = full_intent(kind)
    assert await notifier.notify(recipient(language), intent, card=CARD) is DeliveryOutcome.SENT
    [sent] = sender.calls
    assert sent.photo is not None
    assert sent.photo.startswith(PNG_SIGNATURE)
    assert f"<code>{CARD.subscription_url}</code>" in sent.text
    assert "Pro &lt;Fast&gt; &amp; Co" in sent.text
    assert "22" in sent.text
    assert "2026" in sent.text
    assert visible_length(sent.text) <= CAPTION_LIMIT
    guides = [
        GuideCallback.unpack(b.callback_data) for b in buttons(sent.reply_markup) if b.callback_data
    ]
    assert len(guides) == 5
    assert {g.sub for g in guides} == {SUB_ID.hex}
    assert any(b.url == CARD.subscription_url for b in buttons(sent.reply_markup))


async def test_a_caption_over_the_limit_falls_back_to_one_text_message(
    notifier: TelegramNotifier, sender: FakeSender
) -> None:
    long_card = AccessCard(
        subscription_url="https://sub.example.com/" + "a" * 1100,
        tariff_name="Pro",
        expires_at_iso="2026-12-22T09:00:00+00:00",
    )
    intent = full_intent(IntentKind.ACCESS_READY)
    await notifier.notify(recipient(Language.EN), intent, card=long_card)
    [sent] = sender.calls
    assert sent.photo is None
    assert long_card.subscription_url in sent.text
    assert sent.reply_markup is not None


def test_visible_length_ignores_markup_and_counts_utf16() -> None:
    assert visible_length("<b>a&amp;b</b>") == 3
    assert visible_length("🎉") == 2


async def test_payment_failed_explains_the_reason_and_offers_retry(
    notifier: TelegramNotifier, sender: FakeSender
) -> None:
    intent = full_intent(IntentKind.PAYMENT_FAILED)
    await notifier.notify(recipient(Language.RU), intent)
    [sent] = sender.calls
    assert "недостаточно средств" in sent.text
    actions = [NoticeCallback.unpack(b.callback_data).action for b in buttons(sent.reply_markup)]
    assert actions == [NoticeAction.RETRY_PAYMENT, NoticeAction.OTHER_METHOD]


@pytest.mark.parametrize("reason", list(FailureReason), ids=lambda r: r.value)
async def test_every_failure_reason_has_its_own_wording(
    notifier: TelegramNotifier, reason: FailureReason
) -> None:
    texts = set()
    for language in Language:
        intent = Intent(
            kind=IntentKind.PAYMENT_FAILED, customer_id=CustomerId(uuid4()), reason=reason.value
        )
        texts.add(notifier.render(recipient(language), intent).text)
    assert len(texts) == 2


async def test_expiring_soon_reads_naturally(notifier: TelegramNotifier) -> None:
    intent = full_intent(IntentKind.EXPIRING_SOON)
    text = notifier.render(recipient(Language.RU), intent).text
    assert "через 3 дня" in text
    assert "UTC" in text
    intent = Intent(
        kind=IntentKind.EXPIRING_SOON, customer_id=CustomerId(uuid4()), hours=24, expires_at=NOW
    )
    assert "tomorrow" in notifier.render(recipient(Language.EN), intent).text


async def test_traffic_threshold_at_100_percent_says_it_ran_out(
    notifier: TelegramNotifier,
) -> None:
    intent = Intent(kind=IntentKind.TRAFFIC_THRESHOLD, customer_id=CustomerId(uuid4()), percent=80)
    assert "80%" in notifier.render(recipient(Language.EN), intent).text
    intent = Intent(kind=IntentKind.TRAFFIC_THRESHOLD, customer_id=CustomerId(uuid4()), percent=100)
    assert "all the traffic" in notifier.render(recipient(Language.EN), intent).text


@pytest.mark.parametrize(
    ("outcome", "expected"),
    [
        (SendOutcome.SENT, DeliveryOutcome.SENT),
        (SendOutcome.BLOCKED, DeliveryOutcome.BLOCKED),
        (SendOutcome.DEACTIVATED, DeliveryOutcome.BLOCKED),
        (SendOutcome.NOT_FOUND, DeliveryOutcome.BLOCKED),
        (SendOutcome.FAILED, DeliveryOutcome.FAILED),
    ],
)
async def test_send_outcomes_map_to_delivery_outcomes(
    i18n: I18n, outcome: SendOutcome, expected: DeliveryOutcome
) -> None:
    notifier = TelegramNotifier(FakeSender(outcome=outcome), i18n)
    intent = full_intent(IntentKind.EXPIRED)
    assert await notifier.notify(recipient(Language.EN), intent) is expected
    assert await notifier.send_text(recipient(Language.EN), "hi") is expected


async def test_admin_texts_are_sent_as_is(notifier: TelegramNotifier, sender: FakeSender) -> None:
    await notifier.send_text(recipient(Language.RU), "Скидка <50%> сегодня")
    [sent] = sender.calls
    assert sent.text == "Скидка <50%> сегодня"
    assert sent.parse_mode is None


async def test_admin_alerter_sends_plain_english_to_every_admin_chat() -> None:
    sender = FakeSender()
    alerter = TelegramAdminAlerter(sender, [1, 2])
    await alerter.alert(Alert(kind=AlertKind.AMOUNT_MISMATCH, text="payment 123: 100 != 99"))
    assert [c.chat_id for c in sender.calls] == [1, 2]
    assert all("Amount mismatch" in c.text and "payment 123" in c.text for c in sender.calls)
    assert all(c.parse_mode is None for c in sender.calls)


async def test_admin_alerter_survives_an_undeliverable_chat() -> None:
    sender = FakeSender(outcome=SendOutcome.BLOCKED)
    await TelegramAdminAlerter(sender, 7).alert(Alert(kind=AlertKind.DEAD_LETTER, text="x" * 5000))
    [sent] = sender.calls
    assert len(sent.text) <= 4096
