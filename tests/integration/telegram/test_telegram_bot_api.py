"""aiogram's own Bot client against the Bot API emulator: requests, answers, errors."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from aiogram import Bot
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramConflictError,
    TelegramForbiddenError,
    TelegramNotFound,
    TelegramRetryAfter,
    TelegramUnauthorizedError,
)
from aiogram.methods import TelegramMethod
from aiogram.types import (
    BotCommand,
    BufferedInputFile,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    LabeledPrice,
    Message,
)

from vpnsales.testing.emulators.telegram import TelegramEmulator, parse_html


def keyboard(*data: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text=d.title(), callback_data=d)] for d in data]
    )


async def test_get_me_describes_the_bot(tg: TelegramEmulator, bot: Bot) -> None:
    me = await bot.get_me()
    assert me.id == tg.bot_id == bot.id
    assert me.is_bot
    assert me.username == tg.bot_username


async def test_unknown_token_is_unauthorized(
    tg: TelegramEmulator, make_bot: Callable[..., Bot]
) -> None:
    stranger = make_bot("42:" + "x" * 35)
    with pytest.raises(TelegramUnauthorizedError, match="Unauthorized"):
        await stranger.get_me()


async def test_unknown_method_is_not_found(tg: TelegramEmulator, bot: Bot) -> None:
    class Frobnicate(TelegramMethod[bool]):
        __returning__ = bool
        __api_method__ = "frobnicate"

    with pytest.raises(TelegramNotFound, match="method not found"):
        await bot(Frobnicate())


async def test_send_message_answers_a_realistic_message(tg: TelegramEmulator, bot: Bot) -> None:
    alice = tg.add_user(1001, "Alice", username="alice", language_code="en")
    first = await bot.send_message(
        alice.id, "Hello <b>Alice</b> &amp; co", parse_mode="HTML", reply_markup=keyboard("buy")
    )
    second = await bot.send_message(alice.id, "again")

    assert isinstance(first, Message)
    assert first.chat.id == alice.id
    assert first.chat.type == "private"
    assert first.from_user is not None
    assert first.from_user.id == tg.bot_id
    assert first.text == "Hello Alice & co"
    assert first.entities is not None
    assert first.entities[0].type == "bold"
    assert (first.entities[0].offset, first.entities[0].length) == (6, 5)
    assert first.reply_markup is not None
    assert first.reply_markup.inline_keyboard[0][0].callback_data == "buy"
    assert second.message_id == first.message_id + 1

    record = tg.last_message(alice.id)
    assert record.text == "again"
    sent = tg.sent_messages(alice.id)
    assert [m.message_id for m in sent] == [first.message_id, second.message_id]
    assert sent[0].text == "Hello <b>Alice</b> &amp; co"
    assert sent[0].plain_text == "Hello Alice & co"
    assert sent[0].reply_markup == {"inline_keyboard": [[{"text": "Buy", "callback_data": "buy"}]]}
    assert sent[0].buttons[0]["callback_data"] == "buy"
    assert sent[0].at <= sent[1].at


async def test_message_validation_errors(tg: TelegramEmulator, bot: Bot) -> None:
    user = tg.add_user(1002)
    with pytest.raises(TelegramBadRequest, match="chat not found"):
        await bot.send_message(999_999, "hi")
    with pytest.raises(TelegramBadRequest, match="message is too long"):
        await bot.send_message(user.id, "x" * 4097)
    await bot.send_message(user.id, "x" * 4096)
    with pytest.raises(TelegramBadRequest, match="BUTTON_DATA_INVALID"):
        await bot.send_message(user.id, "hi", reply_markup=keyboard("d" * 65))
    with pytest.raises(TelegramBadRequest, match="can't parse entities"):
        await bot.send_message(user.id, "<b>unclosed", parse_mode="HTML")
    with pytest.raises(TelegramBadRequest, match="Unsupported start tag"):
        await bot.send_message(user.id, "1 <x> 2", parse_mode="HTML")
    assert len(tg.sent_messages(user.id)) == 1
    failed = [c for c in tg.calls_of("sendMessage") if c.status == 400]
    assert len(failed) == 5


async def test_blocked_and_deactivated_users_are_forbidden(tg: TelegramEmulator, bot: Bot) -> None:
    blocked = tg.add_user(2001)
    gone = tg.add_user(2002)
    tg.block_chat(blocked.id)
    tg.deactivate_chat(gone.id)
    with pytest.raises(TelegramForbiddenError, match="bot was blocked by the user"):
        await bot.send_message(blocked.id, "hi")
    with pytest.raises(TelegramForbiddenError, match="user is deactivated"):
        await bot.send_message(gone.id, "hi")
    tg.unblock_chat(blocked.id)
    await bot.send_message(blocked.id, "welcome back")


async def test_send_photo_keeps_the_uploaded_png(
    tg: TelegramEmulator, bot: Bot, qr_png: bytes
) -> None:
    user = tg.add_user(1003)
    message = await bot.send_photo(
        user.id,
        BufferedInputFile(qr_png, filename="qr.png"),
        caption="Your <i>key</i>",
        parse_mode="HTML",
        reply_markup=keyboard("howto"),
    )
    assert message.photo is not None
    assert len(message.photo) == 2
    assert message.caption == "Your key"
    record = tg.last_message(user.id)
    assert record.method == "sendPhoto"
    assert record.photo == qr_png
    assert record.photo.startswith(b"\x89PNG")
    assert message.photo[-1].width == int.from_bytes(qr_png[16:20], "big")

    # re-sending by file_id works, garbage is refused
    again = await bot.send_photo(user.id, message.photo[-1].file_id)
    assert tg.last_message(user.id).photo == qr_png
    assert again.message_id > message.message_id
    with pytest.raises(TelegramBadRequest, match="IMAGE_PROCESS_FAILED"):
        await bot.send_photo(user.id, BufferedInputFile(b"not an image", filename="x.png"))


async def test_send_document(tg: TelegramEmulator, bot: Bot) -> None:
    user = tg.add_user(1004)
    message = await bot.send_document(
        user.id, BufferedInputFile(b"[Interface]\n", filename="wg.conf"), caption="config"
    )
    assert message.document is not None
    assert message.document.file_name == "wg.conf"
    assert tg.last_message(user.id).document == b"[Interface]\n"


async def test_edit_and_delete(tg: TelegramEmulator, bot: Bot, qr_png: bytes) -> None:
    user = tg.add_user(1005)
    message = await bot.send_message(user.id, "Choose", reply_markup=keyboard("a", "b"))

    edited = await bot.edit_message_text(
        text="Chosen", chat_id=user.id, message_id=message.message_id
    )
    assert isinstance(edited, Message)
    assert edited.text == "Chosen"
    assert edited.edit_date is not None
    assert edited.reply_markup is None
    with pytest.raises(TelegramBadRequest, match="message is not modified"):
        await bot.edit_message_text(text="Chosen", chat_id=user.id, message_id=message.message_id)

    marked = await bot.edit_message_reply_markup(
        chat_id=user.id, message_id=message.message_id, reply_markup=keyboard("c")
    )
    assert isinstance(marked, Message)
    assert marked.reply_markup is not None
    stored = tg.message(user.id, message.message_id)
    assert stored is not None
    assert stored["reply_markup"]["inline_keyboard"][0][0]["text"] == "C"

    photo = await bot.send_photo(user.id, BufferedInputFile(qr_png, "qr.png"), caption="old")
    recaptioned = await bot.edit_message_caption(
        chat_id=user.id, message_id=photo.message_id, caption="new"
    )
    assert isinstance(recaptioned, Message)
    assert recaptioned.caption == "new"
    with pytest.raises(TelegramBadRequest, match="no text in the message"):
        await bot.edit_message_text(text="x", chat_id=user.id, message_id=photo.message_id)

    assert await bot.delete_message(user.id, message.message_id) is True
    with pytest.raises(TelegramBadRequest, match="message to delete not found"):
        await bot.delete_message(user.id, message.message_id)
    with pytest.raises(TelegramBadRequest, match="message to edit not found"):
        await bot.edit_message_text(text="x", chat_id=user.id, message_id=message.message_id)


async def test_copy_and_forward(tg: TelegramEmulator, bot: Bot) -> None:
    user = tg.add_user(1006, "Bob")
    admins = tg.add_group(-100500, "Admins")
    incoming = tg.text_message(user, "I need help").message
    assert incoming is not None
    copied = await bot.copy_message(admins, user.id, incoming.message_id)
    forwarded = await bot.forward_message(admins, user.id, incoming.message_id)
    assert copied.message_id < forwarded.message_id
    assert forwarded.forward_origin is not None
    assert [m.method for m in tg.sent_messages(admins)] == ["copyMessage", "forwardMessage"]
    assert tg.last_message(admins).text == "I need help"
    with pytest.raises(TelegramBadRequest, match="message to copy not found"):
        await bot.copy_message(admins, user.id, 9999)


async def test_callback_query_answer_is_recorded(tg: TelegramEmulator, bot: Bot) -> None:
    user = tg.add_user(1007)
    await bot.send_message(user.id, "Pick", reply_markup=keyboard("one"))
    update = tg.callback_query(user, "one")
    query = update.callback_query
    assert query is not None
    assert query.message is not None
    assert query.data == "one"
    assert await bot.answer_callback_query(query.id, text="Done", show_alert=True)
    answer = tg.answered_callback(query.id)
    assert answer is not None
    assert answer.text == "Done"
    assert answer.show_alert
    with pytest.raises(TelegramBadRequest, match="query is too old"):
        await bot.answer_callback_query(query.id)


async def test_invoices_and_stars(tg: TelegramEmulator, bot: Bot) -> None:
    user = tg.add_user(1008)
    prices = [LabeledPrice(label="30 days", amount=150)]
    invoice = await bot.send_invoice(
        user.id,
        title="VPN 30 days",
        description="Fast VPN",
        payload="pay-1",
        currency="XTR",
        prices=prices,
    )
    assert invoice.invoice is not None
    assert (invoice.invoice.currency, invoice.invoice.total_amount) == ("XTR", 150)
    assert tg.last_message(user.id).params["payload"] == "pay-1"

    link = await bot.create_invoice_link(
        title="VPN monthly",
        description="Renews monthly",
        payload="pay-2",
        currency="XTR",
        prices=prices,
        subscription_period=2_592_000,
    )
    assert link.startswith("https://t.me/$")
    assert tg.invoice_links[link].subscription_period == 2_592_000
    with pytest.raises(TelegramBadRequest, match="STARS_INVOICE_INVALID"):
        await bot.create_invoice_link(
            title="t",
            description="d",
            payload="p",
            currency="XTR",
            prices=[LabeledPrice(label="a", amount=1), LabeledPrice(label="b", amount=2)],
        )
    with pytest.raises(TelegramBadRequest, match="provider token"):
        await bot.send_invoice(
            user.id,
            title="t",
            description="d",
            payload="p",
            currency="XTR",
            prices=prices,
            provider_token="123:TEST",
        )

    query = tg.pre_checkout_query(user, total_amount=150, invoice_payload="pay-1")
    assert query.pre_checkout_query is not None
    query_id = query.pre_checkout_query.id
    assert await bot.answer_pre_checkout_query(query_id, ok=False, error_message="Expired")
    answer = tg.answered_pre_checkout(query_id)
    assert answer is not None
    assert answer.ok is False
    assert answer.error_message == "Expired"

    paid = tg.successful_payment(user, total_amount=150, invoice_payload="pay-1")
    assert paid.message is not None
    assert paid.message.successful_payment is not None
    charge_id = paid.message.successful_payment.telegram_payment_charge_id
    assert await bot.refund_star_payment(user.id, charge_id)
    with pytest.raises(TelegramBadRequest, match="CHARGE_ALREADY_REFUNDED"):
        await bot.refund_star_payment(user.id, charge_id)
    with pytest.raises(TelegramBadRequest, match="CHARGE_ID_INVALID"):
        await bot.refund_star_payment(user.id, "nope")

    history = await bot.get_star_transactions()
    assert [t.amount for t in history.transactions] == [150, 150]
    assert history.transactions[0].source is not None
    assert history.transactions[1].receiver is not None
    refunded = tg.refunded_payment(user, charge_id).message
    assert refunded is not None
    assert refunded.refunded_payment is not None
    assert refunded.refunded_payment.invoice_payload == "pay-1"


async def test_forum_topics(tg: TelegramEmulator, bot: Bot) -> None:
    support = tg.add_group(-1001234, "Support", is_forum=True)
    topic = await bot.create_forum_topic(support, "Ticket #1")
    assert topic.message_thread_id > 0
    assert topic.name == "Ticket #1"
    sent = await bot.send_message(support, "hello", message_thread_id=topic.message_thread_id)
    assert sent.message_thread_id == topic.message_thread_id
    assert sent.is_topic_message
    assert await bot.edit_forum_topic(support, topic.message_thread_id, name="Ticket #1 (paid)")
    assert await bot.close_forum_topic(support, topic.message_thread_id)
    with pytest.raises(TelegramBadRequest, match="TOPIC_CLOSED"):
        await bot.send_message(support, "late", message_thread_id=topic.message_thread_id)
    assert await bot.reopen_forum_topic(support, topic.message_thread_id)
    assert tg.topic(support, topic.message_thread_id) == {
        "name": "Ticket #1 (paid)",
        "icon_color": topic.icon_color,
        "closed": False,
    }
    with pytest.raises(TelegramBadRequest, match="message thread not found"):
        await bot.send_message(support, "x", message_thread_id=999)
    plain = tg.add_group(-1009, "Plain")
    with pytest.raises(TelegramBadRequest, match="not a forum"):
        await bot.create_forum_topic(plain, "x")


async def test_get_chat_and_commands(tg: TelegramEmulator, bot: Bot) -> None:
    user = tg.add_user(1010, "Carol", username="carol")
    chat = await bot.get_chat(user.id)
    assert chat.id == user.id
    assert chat.username == "carol"
    commands = [
        BotCommand(command="start", description="Start"),
        BotCommand(command="help", description="Help"),
    ]
    assert await bot.set_my_commands(commands, language_code="en")
    assert [c.command for c in await bot.get_my_commands(language_code="en")] == ["start", "help"]
    with pytest.raises(TelegramBadRequest, match="BOT_COMMAND_INVALID"):
        await bot.set_my_commands([BotCommand(command="Bad-Name", description="x")])


async def test_webhook_settings_and_polling(tg: TelegramEmulator, bot: Bot) -> None:
    user = tg.add_user(1011)
    tg.enqueue(tg.text_message(user, "/start"))
    tg.enqueue(tg.text_message(user, "second"))
    updates = await bot.get_updates()
    assert [u.message.text for u in updates if u.message] == ["/start", "second"]
    rest = await bot.get_updates(offset=updates[-1].update_id)
    assert len(rest) == 1
    assert await bot.get_updates(offset=updates[-1].update_id + 1, timeout=0) == []

    assert await bot.set_webhook(
        "https://bot.example/tg", secret_token="s3cret_Token", allowed_updates=["message"]
    )
    info = await bot.get_webhook_info()
    assert info.url == "https://bot.example/tg"
    assert info.allowed_updates == ["message"]
    assert tg.webhook is not None
    assert tg.webhook.secret_token == "s3cret_Token"
    assert "s3cret" not in repr(tg.webhook)
    assert tg.token not in repr(tg)
    with pytest.raises(TelegramConflictError):
        await bot.get_updates()
    assert await bot.delete_webhook(drop_pending_updates=True)
    assert (await bot.get_webhook_info()).url == ""


async def test_long_polling_wakes_up_on_a_new_update(tg: TelegramEmulator, bot: Bot) -> None:
    import asyncio

    user = tg.add_user(1012)
    waiting = asyncio.create_task(bot.get_updates(timeout=5))
    await tg.wait_until(lambda: bool(tg.calls_to("getUpdates")))
    tg.enqueue(tg.text_message(user, "ping"))
    updates = await asyncio.wait_for(waiting, 3)
    assert updates[0].message is not None
    assert updates[0].message.text == "ping"


async def test_injected_429_has_telegram_shape(tg: TelegramEmulator, bot: Bot) -> None:
    user = tg.add_user(1013)
    tg.faults.throttle_next(1, retry_after=7)
    with pytest.raises(TelegramRetryAfter) as caught:
        await bot.send_message(user.id, "hi")
    assert caught.value.retry_after == 7
    assert "retry after 7" in caught.value.message
    await bot.send_message(user.id, "hi")
    assert tg.throttled == 1


async def test_enforced_limits_reject_a_burst_to_one_chat(tg: TelegramEmulator, bot: Bot) -> None:
    tg.enforce_limits = True
    user = tg.add_user(1014)
    await bot.send_message(user.id, "1")
    with pytest.raises(TelegramRetryAfter) as caught:
        await bot.send_message(user.id, "2")
    assert caught.value.retry_after >= 1
    assert len(tg.sent_messages(user.id)) == 1


def test_parse_html_entities_use_utf16_offsets() -> None:
    text, entities = parse_html('🔑 <b>key</b> <a href="https://x.example">link</a>')
    assert text == "🔑 key link"
    assert entities[0] == {"type": "bold", "offset": 3, "length": 3}
    assert entities[1]["type"] == "text_link"
    assert entities[1]["url"] == "https://x.example"


async def test_raw_json_and_urlencoded_requests(tg: TelegramEmulator) -> None:
    import aiohttp

    user = tg.add_user(1015)
    url = f"{tg.base_url}/bot{tg.token}/sendMessage"
    markup = {"inline_keyboard": [[{"text": "Go", "callback_data": "go"}]]}
    async with aiohttp.ClientSession() as http:
        async with http.post(
            url, json={"chat_id": user.id, "text": "json", "reply_markup": markup}
        ) as response:
            body = await response.json()
        assert body["ok"] is True
        assert body["result"]["reply_markup"] == markup
        async with http.post(url, data={"chat_id": str(user.id), "text": "form"}) as response:
            assert (await response.json())["result"]["text"] == "form"
        async with http.get(f"{tg.base_url}/botnot-a-token/getMe") as response:
            assert response.status == 401
            assert await response.json() == {
                "ok": False,
                "error_code": 401,
                "description": "Unauthorized",
            }
        async with http.post(f"{tg.base_url}/bot{tg.token}/noSuchMethod") as response:
            assert response.status == 404
            assert (await response.json())["description"] == "Not Found: method not found"
    assert [m.text for m in tg.sent_messages(user.id)] == ["json", "form"]
    assert tg.last_message(user.id).reply_markup is None
    assert tg.sent_messages(user.id)[0].reply_markup == markup


async def test_auto_registered_chats() -> None:
    async with TelegramEmulator(auto_register_chats=True) as lenient:
        from aiogram.client.session.aiohttp import AiohttpSession
        from aiogram.client.telegram import TelegramAPIServer

        session = AiohttpSession(api=TelegramAPIServer.from_base(lenient.base_url))
        other = Bot(lenient.token, session=session)
        try:
            await other.send_message(777, "to a user nobody registered")
            await other.send_message(-100777, "to a group nobody registered")
        finally:
            await session.close()
        assert {m.chat_id for m in lenient.sent_messages()} == {777, -100777}
