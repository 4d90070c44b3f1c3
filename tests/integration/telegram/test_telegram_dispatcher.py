"""A real aiogram Dispatcher fed with the emulator's updates, directly and by webhook."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiogram import Bot, Dispatcher, F, Router
from aiogram.filters import CommandStart
from aiogram.methods import SendMessage
from aiogram.types import (
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    PreCheckoutQuery,
)
from aiogram.webhook.aiohttp_server import SimpleRequestHandler
from aiohttp import web

from vpnsales.testing.emulators.telegram import TelegramEmulator

WEBHOOK_SECRET = "webhook_Secret-123"


def build_router(handled: list[int]) -> Router:
    router = Router()

    @router.message(CommandStart())
    async def start(message: Message) -> None:
        handled.append(message.message_id)
        assert message.from_user is not None
        await message.answer(
            f"Hi, {message.from_user.first_name} ({message.from_user.language_code})",
            reply_markup=InlineKeyboardMarkup(
                inline_keyboard=[[InlineKeyboardButton(text="Buy", callback_data="buy:30")]]
            ),
        )

    @router.callback_query(F.data.startswith("buy:"))
    async def buy(query: CallbackQuery) -> None:
        await query.answer("Choose a payment method")
        assert isinstance(query.message, Message)
        await query.message.edit_text("Pay with Stars?")

    @router.pre_checkout_query()
    async def pre_checkout(query: PreCheckoutQuery) -> None:
        if query.invoice_payload == "expired":
            await query.answer(ok=False, error_message="This invoice has expired")
        else:
            await query.answer(ok=True)

    @router.message(F.successful_payment)
    async def paid(message: Message) -> None:
        payment = message.successful_payment
        assert payment is not None
        await message.answer(
            f"Paid {payment.total_amount} {payment.currency}: {payment.telegram_payment_charge_id}"
        )

    @router.message(F.refunded_payment)
    async def refunded(message: Message) -> None:
        await message.answer("Refund received")

    @router.message(F.is_topic_message)
    async def in_topic(message: Message) -> None:
        await message.answer(f"Reply in topic {message.message_thread_id}")

    return router


@pytest.fixture
def handled() -> list[int]:
    return []


@pytest.fixture
def dp(handled: list[int]) -> Dispatcher:
    dispatcher = Dispatcher()
    dispatcher.include_router(build_router(handled))
    return dispatcher


async def test_start_command_gets_a_reply(tg: TelegramEmulator, bot: Bot, dp: Dispatcher) -> None:
    alice = tg.add_user(501, "Alice", username="alice", language_code="en")
    await dp.feed_update(bot, tg.command(alice, "start"))
    reply = tg.last_message(alice.id)
    assert reply.text == "Hi, Alice (en)"
    assert reply.buttons == [{"text": "Buy", "callback_data": "buy:30"}]


async def test_callback_query_is_answered_and_message_edited(
    tg: TelegramEmulator, bot: Bot, dp: Dispatcher
) -> None:
    bob = tg.add_user(502, "Bob")
    await dp.feed_update(bot, tg.command(bob, "start"))
    menu = tg.last_message(bob.id)
    update = tg.callback_query(bob, "buy:30", message=menu)
    await dp.feed_update(bot, update)
    assert update.callback_query is not None
    answer = tg.answered_callback(update.callback_query.id)
    assert answer is not None
    assert answer.text == "Choose a payment method"
    stored = tg.message(bob.id, menu.message_id)
    assert stored is not None
    assert stored["text"] == "Pay with Stars?"
    assert "reply_markup" not in stored


async def test_pre_checkout_is_answered(tg: TelegramEmulator, bot: Bot, dp: Dispatcher) -> None:
    carol = tg.add_user(503)
    rejected = tg.pre_checkout_query(carol, total_amount=100, invoice_payload="expired")
    accepted = tg.pre_checkout_query(carol, total_amount=100, invoice_payload="p-1")
    await dp.feed_update(bot, rejected)
    await dp.feed_update(bot, accepted)
    assert rejected.pre_checkout_query is not None
    assert accepted.pre_checkout_query is not None
    answer = tg.answered_pre_checkout(rejected.pre_checkout_query.id)
    assert answer is not None
    ok, error_message, _at = answer  # unpacks like a tuple
    assert (ok, error_message) == (False, "This invoice has expired")
    no = tg.answered_pre_checkout(rejected.pre_checkout_query.id)
    yes = tg.answered_pre_checkout(accepted.pre_checkout_query.id)
    assert no is not None
    assert (no.ok, no.error_message) == (False, "This invoice has expired")
    assert yes is not None
    assert yes.ok
    assert yes.error_message is None
    assert rejected.update_id < accepted.update_id


async def test_successful_and_refunded_payment_messages(
    tg: TelegramEmulator, bot: Bot, dp: Dispatcher
) -> None:
    dave = tg.add_user(504)
    paid = tg.successful_payment(
        dave, total_amount=250, invoice_payload="p-2", telegram_payment_charge_id="charge-1"
    )
    await dp.feed_update(bot, paid)
    assert tg.last_message(dave.id).text == "Paid 250 XTR: charge-1"
    await dp.feed_update(bot, tg.refunded_payment(dave, "charge-1"))
    assert tg.last_message(dave.id).text == "Refund received"


async def test_forum_topic_message_reply_stays_in_topic(
    tg: TelegramEmulator, bot: Bot, dp: Dispatcher
) -> None:
    group = tg.add_group(-100777, "Support", is_forum=True)
    topic = await bot.create_forum_topic(group, "Customer 505")
    await dp.feed_update(
        bot, tg.topic_message(group, 505, "my VPN is slow", thread_id=topic.message_thread_id)
    )
    reply = tg.last_message(group)
    assert reply.message_thread_id == topic.message_thread_id
    assert reply.text == f"Reply in topic {topic.message_thread_id}"


# -- webhook ---------------------------------------------------------------------------


async def _serve(app: web.Application) -> AsyncIterator[str]:
    runner = web.AppRunner(app, access_log=None, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield f"http://127.0.0.1:{port}/telegram/webhook"
    finally:
        await runner.cleanup()


@pytest.fixture
async def webhook_url(bot: Bot, dp: Dispatcher) -> AsyncIterator[str]:
    app = web.Application()
    SimpleRequestHandler(dispatcher=dp, bot=bot, secret_token=WEBHOOK_SECRET).register(
        app, path="/telegram/webhook"
    )
    async for url in _serve(app):
        yield url


async def test_webhook_delivery_checks_the_secret(
    tg: TelegramEmulator, bot: Bot, dp: Dispatcher, webhook_url: str, handled: list[int]
) -> None:
    await bot.set_webhook(
        webhook_url,
        secret_token=WEBHOOK_SECRET,
        allowed_updates=dp.resolve_used_update_types(),
    )
    assert tg.webhook is not None
    assert tg.webhook.url == webhook_url
    assert tg.webhook.allowed_updates is not None
    assert "pre_checkout_query" in tg.webhook.allowed_updates

    eve = tg.add_user(506, "Eve")
    forged = tg.command(eve, "start")
    assert await tg.deliver(forged, secret_token="wrong") == 401
    assert await tg.deliver(tg.command(eve, "start", "again"), webhook_url, None) == 401
    genuine = tg.command(eve, "start")
    assert await tg.deliver(genuine) == 200  # url and secret from setWebhook

    reply = await tg.wait_for_message(eve.id)
    assert reply.text == "Hi, Eve (ru)"
    assert genuine.message is not None
    assert handled == [genuine.message.message_id]
    assert [d.status for d in tg.deliveries] == [401, 401, 200]


async def test_webhook_reply_in_response_body_is_executed(tg: TelegramEmulator, bot: Bot) -> None:
    dp = Dispatcher()

    @dp.message()
    async def echo(message: Message) -> SendMessage:
        return message.answer(f"echo: {message.text}")

    app = web.Application()
    SimpleRequestHandler(
        dispatcher=dp, bot=bot, secret_token=WEBHOOK_SECRET, handle_in_background=False
    ).register(app, path="/telegram/webhook")
    async for url in _serve(app):
        frank = tg.add_user(507)
        status = await tg.deliver(tg.text_message(frank, "hello"), url, WEBHOOK_SECRET)
        assert status == 200
        assert tg.last_message(frank.id).text == "echo: hello"
