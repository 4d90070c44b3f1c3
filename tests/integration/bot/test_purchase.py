"""First purchase with each provider, from /start to link + QR + instructions; Stars
pre-checkout / successful_payment / refund; failed payments; renewal; plan change."""

from __future__ import annotations

import uuid

import pytest

from vpnsales.domain.ids import PaymentId, TelegramId
from vpnsales.domain.payment import PaymentProvider, PaymentStatus
from vpnsales.domain.subscription import SubscriptionStatus

from .conftest import Harness
from .helpers import assert_access_card, expire, pay_at_provider, subscriptions
from .seed import seed_catalog


@pytest.mark.parametrize(
    ("provider", "label"),
    [(PaymentProvider.YOOKASSA, "Банковская карта"), (PaymentProvider.CRYPTOPAY, "Криптовалюта")],
)
async def test_first_purchase_from_start_to_access_card(
    h: Harness, provider: PaymentProvider, label: str
) -> None:
    await seed_catalog(h.app)
    user = h.tg.add_user(6001, "Анна", language_code="ru")
    await h.start(user)
    await h.press(user, "Купить VPN")
    catalog = h.screen(user)
    assert "Базовый" in " ".join(h.labels(user))
    assert "Выберите тариф" in catalog
    await h.press(user, "Базовый")
    card = h.screen(user)
    assert "100 ГБ" in card  # traffic
    assert "3 устройства" in card  # devices, Russian plural
    assert "NL, DE" in card  # locations
    assert "270\xa0₽/мес." in card  # price per month of the 3-month option
    await h.press(user, "1 месяц")
    assert "К оплате: 300\xa0₽" in h.screen(user)
    await h.press(user, label)
    pay_url = h.url_button(user, "Оплатить")
    assert pay_url.startswith("https://pay.example")
    assert "Другой способ" in " ".join(h.labels(user))

    before = h.count(user)
    await pay_at_provider(h, provider)
    card_msg = await h.access_card(user, after=before)
    (sub,) = await subscriptions(h, user)
    assert sub.status is SubscriptionStatus.ACTIVE
    assert sub.subscription_url
    assert_access_card(h, card_msg, sub.subscription_url)


async def test_first_purchase_with_stars_invoice(h: Harness) -> None:
    await seed_catalog(h.app)
    user = h.tg.add_user(6002, "Boris", language_code="en")
    await h.start(user)
    await h.press(user, "Buy VPN")
    await h.press(user, "Базовый")
    await h.press(user, "1 month")
    await h.press(user, "Telegram Stars")
    (invoice,) = h.tg.calls_of("sendInvoice")
    assert invoice.params["currency"] == "XTR"
    payload = invoice.params["payload"]
    amount = invoice.params["prices"][0]["amount"]
    assert amount == 167  # 300 RUB at 1.8 RUB per star, rounded up

    query = h.tg.pre_checkout_query(user, total_amount=amount, invoice_payload=payload)
    await h.send(query)
    answer = h.tg.answered_pre_checkout(query.pre_checkout_query.id)  # type: ignore[union-attr]
    assert answer is not None
    assert answer.ok

    wrong = h.tg.pre_checkout_query(user, total_amount=amount - 1, invoice_payload=payload)
    await h.send(wrong)
    refused = h.tg.answered_pre_checkout(wrong.pre_checkout_query.id)  # type: ignore[union-attr]
    assert refused is not None
    assert not refused.ok
    assert "price has changed" in (refused.error_message or "")

    before = h.count(user)
    paid = h.tg.successful_payment(
        user, total_amount=amount, invoice_payload=payload, telegram_payment_charge_id="stxC1"
    )
    await h.send(paid)
    await h.send(paid)  # Telegram may deliver twice: one extension only
    card = await h.access_card(user, after=before)
    (sub,) = await subscriptions(h, user)
    assert sub.subscription_url
    assert_access_card(h, card, sub.subscription_url)
    payment = await h.payment(PaymentId(uuid.UUID(payload)))
    assert payment.status is PaymentStatus.SUCCEEDED
    assert payment.telegram_charge_id == "stxC1"
    assert payment.provider_payment_id == f"{user.id}:stxC1"  # the refund reference
    assert (sub.expires_at - h.app.clock.now()).days == 30

    await h.send(h.tg.refunded_payment(user, "stxC1"))
    payment = await h.payment(PaymentId(uuid.UUID(payload)))
    assert payment.status is PaymentStatus.REFUNDED


async def test_unknown_invoice_is_refused_at_pre_checkout(h: Harness) -> None:
    user = h.tg.add_user(6003, "Eve", language_code="ru")
    await h.start(user)
    query = h.tg.pre_checkout_query(user, total_amount=10, invoice_payload="garbage")
    await h.send(query)
    answer = h.tg.answered_pre_checkout(query.pre_checkout_query.id)  # type: ignore[union-attr]
    assert answer is not None
    assert not answer.ok
    assert "найти этот заказ" in (answer.error_message or "")


async def test_declined_payment_tells_why_and_offers_to_retry(h: Harness) -> None:
    await seed_catalog(h.app)
    user = h.tg.add_user(6004, "Dina", language_code="ru")
    await h.start(user)
    await h.press(user, "Купить VPN")
    await h.press(user, "Базовый")
    await h.press(user, "1 месяц")
    await h.press(user, "Банковская карта")
    gateway = h.app.gateways[PaymentProvider.YOOKASSA]
    declined = gateway.decline(gateway.created[-1].payment_id)
    before = h.count(user)
    await h.app.confirm_provider_payment(declined)
    await h.deliver_outbox()
    notice = await h.tg.wait_for_message(user.id, after=before)
    assert "Оплата не прошла" in (notice.plain_text or "")
    assert "отклонил" in (notice.plain_text or "").lower() or "банк" in (notice.plain_text or "")
    labels = [b["text"] for b in notice.buttons]
    assert any("Попробовать" in x for x in labels)
    assert any("Другой способ" in x for x in labels)
    await h.press(user, "Другой способ")
    await h.press(user, "Базовый")
    await h.press(user, "1 месяц")
    await h.press(user, "Криптовалюта")
    assert h.url_button(user, "Оплатить")


async def test_returning_customer_reaches_payment_link_in_three_taps(h: Harness) -> None:
    await seed_catalog(h.app)
    user = h.tg.add_user(6005, "Oleg", language_code="ru")
    await h.start(user)
    await h.app.buy(user.id, "basic", 30)
    await h.deliver_outbox()
    h.dp["directory"].clear()

    await h.start(user)
    assert "действует до" in h.screen(user)
    assert h.labels(user)[0] == "🔑 Мои подписки"
    await h.press(user, "Продлить")  # 1
    await h.press(user, "1 месяц")  # 2
    await h.press(user, "Банковская карта")  # 3
    assert h.url_button(user, "Оплатить").startswith("https://")
    (before,) = await subscriptions(h, user)
    await pay_at_provider(h, PaymentProvider.YOOKASSA)
    (after,) = await subscriptions(h, user)
    assert (after.expires_at - before.expires_at).days == 30


async def test_expired_customer_sees_renew_first_and_renews(h: Harness) -> None:
    await seed_catalog(h.app)
    user = h.tg.add_user(6006, "Petr", language_code="ru")
    await h.start(user)
    await h.app.buy(user.id, "basic", 30)
    await h.deliver_outbox()
    (sub,) = await subscriptions(h, user)
    await expire(h, sub)

    await h.start(user)
    assert "закончился" in h.screen(user) or "истек" in h.screen(user).lower()
    assert h.labels(user)[0] == "🔄 Продлить"
    await h.press(user, "Продлить")
    await h.press(user, "1 месяц")
    await h.press(user, "Банковская карта")
    before = h.count(user)
    await pay_at_provider(h, PaymentProvider.YOOKASSA)
    await h.deliver_outbox()
    (renewed,) = await subscriptions(h, user)
    assert renewed.status is SubscriptionStatus.ACTIVE
    assert (renewed.expires_at - h.app.clock.now()).days in (29, 30)
    await h.tg.wait_for_message(user.id, after=before)


async def test_plan_change_shows_pro_rata_preview_and_switches(h: Harness) -> None:
    await seed_catalog(h.app)
    user = h.tg.add_user(6007, "Vera", language_code="ru")
    await h.start(user)
    await h.app.buy(user.id, "basic", 30)
    await h.deliver_outbox()
    h.dp["directory"].clear()

    await h.start(user)
    await h.press(user, "Мои подписки")
    screen = h.screen(user)
    assert "Базовый" in screen
    assert "100 ГБ" in screen
    await h.press(user, "Базовый")  # the subscription's button
    await h.press(user, "Сменить тариф")
    assert "Премиум" in " ".join(h.labels(user))
    assert not any("Базовый" in x for x in h.labels(user))
    await h.press(user, "Премиум")
    await h.press(user, "1 месяц")
    preview = h.screen(user)
    # 30 days left on 300 RUB/30 days → 15 days on 600 RUB/30 days, plus the 30 bought
    assert "Базовый" in preview
    assert "Премиум" in preview
    assert "15 дней" in preview
    await h.press(user, "Банковская карта")
    await pay_at_provider(h, PaymentProvider.YOOKASSA)
    (sub,) = await subscriptions(h, user)
    assert sub.tariff_code == "premium"
    assert (sub.expires_at - h.app.clock.now()).days == 45


async def test_pay_from_balance(h: Harness) -> None:
    await seed_catalog(h.app)
    user = h.tg.add_user(6008, "Gleb", language_code="ru")
    await h.start(user)
    from vpnsales.domain.customer import BalanceReason
    from vpnsales.testing.builders import rub

    async with h.app.scope() as p:
        customer = await p.customers.get_by_telegram_id(TelegramId(user.id), for_update=True)
        assert customer is not None
        import uuid

        customer.credit(
            rub(500), BalanceReason.ADMIN_GRANT, h.app.clock.now(), entry_id=uuid.uuid4()
        )
        await p.customers.save(customer)
        await p.uow.commit()
    h.dp["directory"].clear()
    await h.press(user, "Баланс")
    assert "500" in h.screen(user)
    await h.press(user, "Купить VPN")
    await h.press(user, "Базовый")
    await h.press(user, "1 месяц")
    await h.press(user, "С баланса")
    assert "Оплачено с баланса" in h.screen(user)
    before = h.count(user)
    card = await h.access_card(user, after=before)
    (sub,) = await subscriptions(h, user)
    assert sub.subscription_url
    assert_access_card(h, card, sub.subscription_url)
    assert (await h.app.customer(user.id)).balance == rub(200)
