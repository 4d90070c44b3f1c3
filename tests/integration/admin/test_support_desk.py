"""The support desk round trip against the Telegram emulator: a customer's message →
their forum topic → a staff reply in the topic → the customer."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from vpnsales.adapters.telegram.i18n import I18n
from vpnsales.testing.database import ScratchDatabase

from .conftest import CUSTOMER, OWNER, SUPPORT, SUPPORT_CHAT, Stack, make_stack

UNKNOWN = "I didn't understand that. Please use the buttons below."


def topic_messages(stack: Stack, thread: int | None = None) -> list[Any]:
    return [
        m
        for m in stack.tg.sent_messages(SUPPORT_CHAT)
        if thread is None or m.message_thread_id == thread
    ]


async def test_customer_message_reaches_a_topic_and_the_reply_comes_back(stack: Stack) -> None:
    await stack.command(CUSTOMER, "/support")
    assert "Write your question" in stack.screen(CUSTOMER)

    await stack.text(CUSTOMER, "My VPN does not connect")
    (created,) = stack.tg.calls_of("createForumTopic")
    assert "Carl @carl · 5001" in str(created.params["name"])
    (first,) = topic_messages(stack)
    assert first.plain_text == "My VPN does not connect"
    thread = first.message_thread_id
    assert thread is not None
    assert "Sent to support" in stack.screen(CUSTOMER)

    await stack.text(CUSTOMER, "I use an iPhone")
    assert len(stack.tg.calls_of("createForumTopic")) == 1  # the topic is reused
    assert [m.plain_text for m in topic_messages(stack, thread)][-1] == "I use an iPhone"

    await stack.send(
        stack.tg.topic_message(SUPPORT_CHAT, SUPPORT, "Please reinstall the app", thread_id=thread)
    )
    reply = stack.tg.last_message(CUSTOMER.id)
    assert (reply.method, reply.plain_text) == ("copyMessage", "Please reinstall the app")

    # an admin closes the topic from inside it; the customer's next message reopens it
    await stack.send(stack.tg.topic_message(SUPPORT_CHAT, OWNER, "/close", thread_id=thread))
    assert stack.tg.topic(SUPPORT_CHAT, thread) == {
        "name": created.params["name"],
        "icon_color": 0x6FB9F0,
        "closed": True,
    }
    assert stack.tg.last_message(CUSTOMER.id).plain_text == "Please reinstall the app"
    await stack.text(CUSTOMER, "Still broken")
    assert (stack.tg.topic(SUPPORT_CHAT, thread) or {})["closed"] is False
    assert topic_messages(stack, thread)[-1].plain_text == "Still broken"

    # the customer card links to the topic and closes it
    await stack.command(OWNER, "/find 5001")
    urls = [b.get("url") for b in stack.buttons(OWNER) if "Support topic" in b["text"]]
    assert urls == [f"https://t.me/c/1000000002/{thread}"]
    query = await stack.press(OWNER, "Close topic")
    assert stack.answer(query) == "✅ Done."
    assert (stack.tg.topic(SUPPORT_CHAT, thread) or {})["closed"] is True

    # "Done" ends the conversation: later messages are not relayed
    await stack.press(CUSTOMER, "Done")
    relayed = len(topic_messages(stack))
    await stack.text(CUSTOMER, "thanks")
    assert len(topic_messages(stack)) == relayed
    assert stack.tg.last_message(CUSTOMER.id).plain_text == UNKNOWN


async def test_a_non_admin_in_the_topic_cannot_close_it(stack: Stack) -> None:
    await stack.command(CUSTOMER, "/support")
    await stack.text(CUSTOMER, "Hello")
    thread = topic_messages(stack)[0].message_thread_id
    assert thread is not None
    await stack.send(stack.tg.topic_message(SUPPORT_CHAT, SUPPORT, "/close", thread_id=thread))
    assert (stack.tg.topic(SUPPORT_CHAT, thread) or {})["closed"] is False


async def test_without_a_support_chat_the_customer_gets_the_contact(
    clean_db: async_sessionmaker[AsyncSession],
    pg_database: ScratchDatabase,
    i18n: I18n,
    tmp_path: Any,
) -> None:
    async with make_stack(pg_database, i18n, tmp_path, support_chat=None) as stack:
        await stack.command(CUSTOMER, "/support")
        assert "Please write to @help_desk" in stack.screen(CUSTOMER)
        urls = [b.get("url") for b in stack.buttons(CUSTOMER)]
        assert urls == ["https://t.me/help_desk"]
        await stack.text(CUSTOMER, "hello?")
        assert not stack.tg.calls_of("createForumTopic")
