"""Garbage and foreign callback data, random texts in every FSM state, middlewares,
flood control and Fluent key coverage."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from aiogram.fsm.state import State

import vpnsales.entrypoints.bot as bot_package
from vpnsales.adapters.telegram.i18n import I18n
from vpnsales.domain.customer import Language
from vpnsales.domain.ids import TelegramId
from vpnsales.domain.payment import PaymentProvider
from vpnsales.entrypoints.bot.callbacks import (
    Method,
    Order,
    Purpose,
    Step,
    Sub,
    SubAction,
    short_id,
)
from vpnsales.entrypoints.bot.states import ORDER_KEY, PromoEntry
from vpnsales.testing.emulators.telegram import TgUser
from vpnsales.testing.logs import json_lines

from .conftest import ErrorLog, Harness, no_new_rows
from .helpers import subscriptions
from .seed import seed_catalog

GENERIC_ERROR = "Что-то пошло не так"


async def two_customers(h: Harness) -> tuple[TgUser, TgUser, str, str]:
    await seed_catalog(h.app)
    alice = h.tg.add_user(8001, "Alice", language_code="ru")
    mallory = h.tg.add_user(8002, "Mallory", language_code="ru")
    for user in (alice, mallory):
        await h.start(user)
        await h.app.buy(user.id, "basic", 30)
    await h.deliver_outbox()
    (sub,) = await subscriptions(h, alice)
    return alice, mallory, short_id(sub.subscription_id), sub.subscription_id.hex


def hostile_callbacks(alice_short: str, alice_hex: str) -> list[str]:
    garbage = ["", "x", ":", "n", "n:", "n:zz", "o", "o:k", "s:v:", "l:", "u:abc", "x" * 64]
    prefixes = ["n", "o", "s", "l", "u", "guide", "notice"]
    fuzzed = [f"{p}:{tail}" for p in prefixes for tail in ("", "💥", "a:b:c:d:e:f:g", "-1")]
    foreign = [
        Sub(action=action, sub=alice_short).pack()
        for action in SubAction  # another customer's subscription, every action
    ]
    orders = [
        Order(step=Step.TARIFF, code="nope").pack(),
        Order(step=Step.TARIFF, code="basic", purpose=Purpose.RENEWAL, sub="bad").pack(),
        Order(step=Step.METHODS, code="basic", days=7).pack(),
        Order(step=Step.METHODS, code="basic", days=0).pack(),
        Order(step=Step.PAY, code="basic", days=30, method=Method.NONE).pack(),
        Order(step=Step.PAY, code="basic", days=30, method=Method.BALANCE).pack(),
        Order(step=Step.PAY, code="basic", days=-30, method=Method.CARD).pack(),
        Order(step=Step.PAY, code="trial", days=3, method=Method.CARD).pack(),
        Order(
            step=Step.PAY,
            code="basic",
            days=30,
            purpose=Purpose.RENEWAL,
            sub=alice_short,
            method=Method.CARD,
        ).pack(),
        Order(
            step=Step.PAY,
            code="premium",
            days=30,
            purpose=Purpose.PLAN_CHANGE,
            sub=alice_short,
            method=Method.STARS,
        ).pack(),
        "o:k:basic:30:n::z",
        "o:pd:basic:30:n::",
    ]
    others = [
        f"guide:ios:{alice_hex}",
        "guide:symbian:",
        f"notice:renew:{alice_hex}",
        f"notice:plan:{alice_hex}",
        "notice:renew:zz",
        "notice:nonsense:",
        "l:xx",
        "u:999:y",
        "u:100:s",
        "u:100:b",
    ]
    return garbage + fuzzed + foreign + orders + others


async def test_hostile_callback_data_changes_nothing(h: Harness, errors: ErrorLog) -> None:
    _, mallory, alice_short, alice_hex = await two_customers(h)
    datas = hostile_callbacks(alice_short, alice_hex)
    async with no_new_rows(h.app):
        for data in datas:
            await h.press_data(mallory, data)
    assert not errors.records, [r.getMessage() for r in errors.records]
    for sent in h.tg.sent_messages(mallory.id):
        assert GENERIC_ERROR not in (sent.plain_text or "")
    answers = list(h.tg.callback_answers.values())
    assert len(answers) >= len(datas) - 5  # every press got an answer (or a message)


async def test_random_texts_in_every_state_are_graceful(h: Harness, errors: ErrorLog) -> None:
    _, mallory, alice_short, _ = await two_customers(h)
    texts = ["", " ", "/unknown", "💥" * 100, "<b>x</b>", "a" * 4000, "ref_x", "NULL", "0"]
    context = h.dp.fsm.get_context(h.bot, chat_id=mallory.id, user_id=mallory.id)
    order = Order(step=Step.METHODS, code="basic", days=30).pack()
    states: list[tuple[State | None, dict[str, object]]] = [
        (None, {}),
        (PromoEntry.redeem, {}),
        (PromoEntry.checkout, {ORDER_KEY: order}),
        (PromoEntry.checkout, {ORDER_KEY: "garbage"}),
        (PromoEntry.checkout, {ORDER_KEY: f"o:d:basic:30:r:{alice_short}:"}),
    ]
    async with no_new_rows(h.app):
        for state, data in states:
            for text in texts:
                await context.set_state(state)
                await context.set_data(data)
                await h.text(mallory, text)
    assert not errors.records, [r.getMessage() for r in errors.records]
    for sent in h.tg.sent_messages(mallory.id):
        assert GENERIC_ERROR not in (sent.plain_text or "")


async def test_unexpected_error_gets_a_short_id_never_a_traceback(
    h: Harness, errors: ErrorLog
) -> None:
    await seed_catalog(h.app)
    user = h.tg.add_user(8003, "Ann", language_code="ru")
    await h.start(user)

    async def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("secret internals")

    h.app.gateways[PaymentProvider.YOOKASSA].create = broken  # type: ignore[method-assign]
    errors.expected = True
    await h.press(user, "Купить VPN")
    await h.press(user, "Базовый")
    await h.press(user, "1 месяц")
    await h.press(user, "Банковская карта")
    answer = list(h.tg.callback_answers.values())[-1]
    match = re.search(r"ID: ([0-9a-f]{6})", answer.text or "")
    assert match, answer.text
    assert "secret" not in (answer.text or "")
    assert "Traceback" not in (answer.text or "")
    assert len(errors.records) == 1
    assert match.group(1) in errors.records[0].getMessage()


async def test_provider_down_is_told_in_plain_words(h: Harness) -> None:
    await seed_catalog(h.app)
    user = h.tg.add_user(8004, "Ann", language_code="en")
    await h.start(user)
    h.app.gateways[PaymentProvider.CRYPTOPAY].fail_next()
    await h.press(user, "Buy VPN")
    await h.press(user, "Базовый")
    await h.press(user, "1 month")
    await h.press(user, "Crypto")
    answer = list(h.tg.callback_answers.values())[-1]
    assert answer.show_alert
    assert (answer.text or "").strip()
    assert "ID:" not in (answer.text or "")


async def test_throttling_answers_once_then_drops(make_bot: object) -> None:
    h: Harness = await make_bot(throttle_rate=1)  # type: ignore[operator]
    user = h.tg.add_user(8005, "Fast", language_code="en")
    await h.start(user)
    sent = h.count(user)
    await h.start(user)
    await h.start(user)
    texts = [m.plain_text for m in h.tg.sent_messages(user.id)[sent:]]
    assert len(texts) == 1
    assert "too fast" in (texts[0] or "")


async def test_banned_customer_is_stopped_but_payments_still_answered(h: Harness) -> None:
    user = h.tg.add_user(8006, "Banned", language_code="en")
    await h.start(user)
    async with h.app.scope() as p:
        customer = await p.customers.get_by_telegram_id(TelegramId(user.id), for_update=True)
        assert customer is not None
        customer.ban()
        await p.customers.save(customer)
        await p.uow.commit()
    h.dp["directory"].clear()
    await h.start(user)
    assert "restricted" in h.screen(user)
    query = h.tg.pre_checkout_query(user, total_amount=5, invoice_payload="x")
    await h.send(query)
    answer = h.tg.answered_pre_checkout(query.pre_checkout_query.id)  # type: ignore[union-attr]
    assert answer is not None
    assert not answer.ok


async def test_maintenance_gate_lets_admins_through(make_bot: object) -> None:
    h: Harness = await make_bot(admin_ids=frozenset({8008}))  # type: ignore[operator]
    h.maintenance[0] = True
    user = h.tg.add_user(8007, "Cust", language_code="en")
    admin = h.tg.add_user(8008, "Admin", language_code="en")
    await h.start(user)
    assert "maintenance" in h.screen(user)
    await h.start(admin)
    assert "Main menu" in h.screen(admin)


async def test_fsm_state_lives_in_redis(h: Harness) -> None:
    user = h.tg.add_user(8009, "State", language_code="en")
    await h.start(user)
    await h.press(user, "Promo code")
    keys = [k.decode() async for k in h.redis.scan_iter(match=f"{h.prefix}:fsm*")]
    assert keys
    values = [await h.redis.get(k) for k in keys if k.endswith(":state")]
    assert any(v and b"PromoEntry:redeem" in v for v in values)


async def test_update_log_lines_carry_the_update_id(make_bot: object) -> None:
    h: Harness = await make_bot(log_every_update=True)  # type: ignore[operator]
    user = h.tg.add_user(8010, "Log", language_code="en")
    update = h.tg.command(user, "start")
    with json_lines("vpnsales.bot.updates") as lines:
        await h.send(update)
    (line,) = lines
    assert line["update_id"] == str(update.update_id)
    assert line["user_id"] == str(user.id)


async def test_flood_control_is_retried_after_retry_after(h: Harness) -> None:
    user = h.tg.add_user(8011, "Flood", language_code="en")
    h.tg.faults.throttle_next(1, retry_after=1)
    await h.start(user)
    assert h.tg.throttled == 1
    assert h.retry.retries == 1
    assert "Main menu" in h.screen(user)


# -- Fluent keys ------------------------------------------------------------------------
KEY = re.compile(r"^[a-z]+(-[a-z0-9]+)+$")
BOT_SRC = Path(bot_package.__file__).parent


TRANSLATING = {"t", "tr", "translator", "plain", "get", "msgid", "nav"}


def literal_keys(i18n: I18n) -> dict[str, list[str]]:
    """Every message id the bot package passes as a literal to a translator call
    (``t(...)``, ``t.plain(...)``, ``t.get(...)``), to ``msgid(...)`` or to the keyboard
    helper ``nav(t, key, ...)``; conditional literals (``a if x else b``) included."""
    found: dict[str, list[str]] = {}

    def literals(node: ast.expr) -> list[str]:
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return [node.value]
        if isinstance(node, ast.IfExp):
            return literals(node.body) + literals(node.orelse)
        return []

    for path in sorted(BOT_SRC.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name not in TRANSLATING:
                continue
            for arg in node.args[:2]:
                for text in literals(arg):
                    if KEY.match(text):
                        found.setdefault(text, []).append(f"{path.name}:{node.lineno}")
    return found


def test_every_fluent_key_used_by_the_bot_exists_in_both_languages(i18n: I18n) -> None:
    keys = literal_keys(i18n)
    assert len(keys) > 100
    missing = {
        lang.value: sorted(k for k in keys if k not in i18n.all_keys(lang)) for lang in Language
    }
    assert missing == {"ru": [], "en": []}
