"""Trial once, promo codes, referral reward, my subscriptions, balance, support, language."""

from __future__ import annotations

from vpnsales.application.ports.outbox import OutboxKind
from vpnsales.domain.payment import PaymentProvider
from vpnsales.domain.promo import PromoKind
from vpnsales.testing.builders import a_promo

from .conftest import Harness
from .helpers import pay_at_provider, subscriptions
from .seed import seed_catalog


async def test_trial_is_given_once(h: Harness) -> None:
    await seed_catalog(h.app)
    user = h.tg.add_user(7001, "Tom", language_code="en")
    await h.start(user)
    await h.press(user, "Free trial")
    assert "free trial has started" in h.screen(user)
    before = h.count(user)
    await h.access_card(user, after=before)
    (sub,) = await subscriptions(h, user)
    assert sub.is_trial

    await h.start(user)
    assert "Free trial" not in " ".join(h.labels(user))
    await h.press_data(user, "n:t")  # an old "Free trial" button pressed again
    answer = list(h.tg.callback_answers.values())[-1]
    assert answer.show_alert
    assert "already used" in (answer.text or "")
    assert len(await subscriptions(h, user)) == 1


async def test_promo_code_entered_in_menu_applies_at_checkout(h: Harness) -> None:
    await seed_catalog(h.app)
    await h.app.add_promo(a_promo("SAVE10", percent=10))
    await h.app.add_promo(a_promo("OLD", percent=10, valid_until=h.app.clock.now()))
    user = h.tg.add_user(7002, "Lena", language_code="ru")
    await h.start(user)
    await h.press(user, "Промокод")
    for text in ("что это", "NOPE", "old", "🙂" * 40):
        await h.text(user, text)
        assert "промокод" in h.screen(user).lower()  # friendly error, asked again
    await h.text(user, "save10")
    assert "SAVE10" in h.screen(user)
    assert "10%" in h.screen(user)
    await h.press(user, "Купить VPN")
    await h.press(user, "Базовый")
    await h.press(user, "1 месяц")
    summary = h.screen(user)
    assert "Промокод SAVE10: −30\xa0₽" in summary
    assert "К оплате: 270\xa0₽" in summary
    await h.press(user, "Банковская карта")
    assert h.app.gateways[PaymentProvider.YOOKASSA].created[-1].amount.amount == 270


async def test_promo_code_entered_at_checkout_updates_the_price(h: Harness) -> None:
    await seed_catalog(h.app)
    await h.app.add_promo(a_promo("MINUS50", kind=PromoKind.FIXED, amount=50))
    user = h.tg.add_user(7003, "Max", language_code="ru")
    await h.start(user)
    await h.press(user, "Купить VPN")
    await h.press(user, "Базовый")
    await h.press(user, "1 месяц")
    await h.press(user, "Ввести промокод")
    await h.text(user, "unknown-code")
    assert "промокод" in h.screen(user).lower()
    await h.text(user, "minus50")
    assert "К оплате: 250\xa0₽" in h.screen(user)
    await h.press(user, "Убрать промокод")
    assert "К оплате: 300\xa0₽" in h.screen(user)


async def test_referral_invited_pays_and_referrer_is_rewarded_and_notified(h: Harness) -> None:
    await seed_catalog(h.app)
    referrer = h.tg.add_user(7004, "Ref", language_code="ru")
    await h.start(referrer)
    await h.press(referrer, "Пригласить друзей")
    page = h.screen(referrer)
    link = next(w for w in page.split() if w.startswith("https://t.me/"))
    payload = link.split("start=", 1)[1]
    assert payload.startswith("ref_")
    assert "Приглашено друзей: 0" in page

    friend = h.tg.add_user(7005, "Friend", language_code="ru")
    await h.start(friend, payload)
    assert (await h.app.customer(friend.id)).referrer_id == (await h.app.customer(referrer.id)).id
    await h.press(friend, "Купить VPN")
    await h.press(friend, "Базовый")
    await h.press(friend, "1 месяц")
    await h.press(friend, "Банковская карта")
    before = h.count(referrer)
    await pay_at_provider(h, PaymentProvider.YOOKASSA)
    await h.deliver_outbox()
    reward = await h.tg.wait_for_message(referrer.id, after=before)
    assert "30" in (reward.plain_text or "")  # 10% of 300 RUB
    await h.press(referrer, "Пригласить друзей")
    page = h.screen(referrer)
    assert "Приглашено друзей: 1" in page
    assert "30\xa0₽" in page


async def test_my_subscriptions_link_qr_guides_and_reset(h: Harness) -> None:
    await seed_catalog(h.app)
    user = h.tg.add_user(7006, "Ira", language_code="ru")
    await h.start(user)
    await h.app.buy(user.id, "basic", 30)
    await h.app.buy(user.id, "premium", 30)
    await h.deliver_outbox()
    subs = await subscriptions(h, user)
    assert len(subs) == 2
    await h.start(user)
    await h.press(user, "Мои подписки")
    screen = h.screen(user)
    assert "Базовый" in screen
    assert "Премиум" in screen
    assert "осталось" in screen
    await h.press(user, "Базовый")
    detail = h.screen(user)
    assert "0 из 3" in detail or "3 устройства" in detail
    await h.press(user, "Показать ссылку")
    basic = next(s for s in subs if s.tariff_code == "basic")
    assert basic.subscription_url in h.screen(user)
    await h.press(user, "Android")
    assert "Android" in h.screen(user)
    await h.press(user, "Назад")
    await h.press(user, "QR-код")
    photo = h.tg.sent_messages(user.id)[-1]
    assert photo.method == "sendPhoto"
    assert photo.photo is not None
    assert photo.photo.startswith(b"\x89PNG")
    await h.press(user, "Назад")
    await h.press(user, "Сбросить ссылку")
    assert "Сбросить ссылку?" in h.screen(user)
    assert OutboxKind.REVOKE_ACCESS.value not in await h.outbox_kinds()
    await h.press(user, "Да, сбросить")
    assert (await h.outbox_kinds()).count(OutboxKind.REVOKE_ACCESS.value) == 1


async def test_support_faq_and_language_switch(h: Harness) -> None:
    user = h.tg.add_user(7007, "Kim", language_code="de")
    await h.start(user)
    assert "Main menu" in h.screen(user)  # fallback English
    await h.press(user, "Support")
    assert "@vpn_support" in h.screen(user)
    await h.press(user, "FAQ")
    faq = h.screen(user)
    assert "How do I connect?" in faq
    assert "Custom answer <b>not</b> markup" in faq  # configured entries, escaped
    await h.press(user, "Main menu")
    await h.press(user, "Language")
    await h.press(user, "Русский")
    assert "Главное меню" in h.screen(user)
    await h.start(user)
    assert "Главное меню" in h.screen(user)


async def test_balance_top_up(h: Harness) -> None:
    user = h.tg.add_user(7008, "Bob", language_code="ru")
    await h.start(user)
    await h.press(user, "Баланс")
    assert "0\xa0₽" in h.screen(user)
    assert "Операций пока не было" in h.screen(user)
    await h.press(user, "Пополнить")
    await h.press(user, "300")
    await h.press(user, "Банковская карта")
    assert h.url_button(user, "Оплатить")
    await pay_at_provider(h, PaymentProvider.YOOKASSA)
    await h.press(user, "Назад")
    assert "300\xa0₽" in h.screen(user)
    assert "+300\xa0₽" in h.screen(user)  # the history line
    assert "пополнение" in h.screen(user)
