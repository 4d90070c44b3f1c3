"""Which handler an update meets: money events come before any conversation step."""

from __future__ import annotations

import uuid

import pytest
from aiogram.fsm.context import FSMContext
from aiogram.fsm.storage.base import StorageKey

from vpnsales.domain.ids import PaymentId
from vpnsales.domain.payment import PaymentStatus
from vpnsales.entrypoints.bot.support import SupportChat

from .conftest import Harness
from .seed import seed_catalog

pytestmark = pytest.mark.integration


async def test_a_stars_payment_is_recorded_while_the_customer_writes_to_support(
    h: Harness,
) -> None:
    await seed_catalog(h.app)
    user = h.tg.add_user(6101, "Wanda", language_code="en")
    await h.start(user)
    await h.press(user, "Buy VPN")
    await h.press(user, "Базовый")
    await h.press(user, "1 month")
    await h.press(user, "Telegram Stars")
    (invoice,) = h.tg.calls_of("sendInvoice")
    payload, amount = invoice.params["payload"], invoice.params["prices"][0]["amount"]
    await h.send(h.tg.pre_checkout_query(user, total_amount=amount, invoice_payload=payload))
    key = StorageKey(bot_id=h.bot.id, chat_id=user.id, user_id=user.id)
    await FSMContext(h.dp.storage, key).set_state(SupportChat.writing)  # wrote to support

    paid = h.tg.successful_payment(
        user, total_amount=amount, invoice_payload=payload, telegram_payment_charge_id="stxR1"
    )
    await h.send(paid)

    payment = await h.payment(PaymentId(uuid.UUID(payload)))
    assert payment.status is PaymentStatus.SUCCEEDED
