"""The customer's catalog is cached per process; an edit in the admin panel of the same
process shows in it at once (the real container, PostgreSQL and the bot)."""

from __future__ import annotations

import pytest

from vpnsales.adapters.persistence import SqlTariffRepository
from vpnsales.testing.builders import a_tariff, an_option
from vpnsales.testing.emulators.telegram import TgUser

from .conftest import CUSTOMER, OWNER, PANEL, Stack

pytestmark = pytest.mark.integration


async def open_catalog(stack: Stack, user: TgUser) -> list[str]:
    """/start, "Buy VPN": the labels of the catalog's buttons."""
    await stack.command(user, "/start")
    await stack.press(user, "Buy VPN")
    last = stack.tg.sent_messages(user.id)[-1]
    message = stack.tg.message(user.id, last.message_id) or {}
    rows = (message.get("reply_markup") or {}).get("inline_keyboard", [])
    return [b["text"] for row in rows for b in row]


async def test_a_price_edit_and_hiding_show_in_the_catalog_right_after(stack: Stack) -> None:
    basic = a_tariff(code="basic", name="Basic", panel=PANEL, options=(an_option(30, rub=300),))
    async with stack.sessions() as session:
        await SqlTariffRepository(session).add(basic)
        await session.commit()
    assert "Basic · from ₽300" in await open_catalog(stack, CUSTOMER)

    await stack.command(OWNER, "/admin")
    await stack.press(OWNER, "Tariffs")
    await stack.press(OWNER, "Basic")
    await stack.press(OWNER, "Periods and prices")
    await stack.text(OWNER, "options: 30 = 350 RUB")
    assert "Tariff saved" in stack.screen(OWNER)

    assert "Basic · from ₽350" in await open_catalog(stack, CUSTOMER)
    await stack.press(CUSTOMER, "Basic")
    assert "₽350" in stack.screen(CUSTOMER)

    await stack.press(OWNER, "Open card")
    await stack.press(OWNER, "Hide from sale")
    assert "hidden from sale" in stack.screen(OWNER)

    assert not [label for label in await open_catalog(stack, CUSTOMER) if "Basic" in label]
    assert "no plans available" in stack.screen(CUSTOMER)
