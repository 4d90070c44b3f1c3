"""Memory readers build read models from committed rows only."""

from __future__ import annotations

from vpnsales.domain.ids import TelegramId
from vpnsales.domain.payment import PaymentProvider, PaymentStatus
from vpnsales.testing.app import build_in_memory_app
from vpnsales.testing.builders import a_customer, a_tariff


async def test_customer_reader_sees_only_committed_customers() -> None:
    app = build_in_memory_app()
    customer = a_customer(telegram_id=5)
    async with app.scope() as p:
        await p.customers.add(customer)
        assert await p.customer_reader.by_telegram_id(TelegramId(5)) is None
        await p.uow.commit()
        view = await p.customer_reader.by_telegram_id(TelegramId(5))

    assert view is not None
    assert view.customer_id == customer.id
    assert view.balance == customer.balance


async def test_payment_reader_lists_a_customers_payments_newest_first() -> None:
    app = build_in_memory_app()
    await app.add_tariff(a_tariff(code="basic"))
    registered = await app.register(telegram_id=TelegramId(7))
    first = await app.start_checkout(
        telegram_id=TelegramId(7), tariff_code="basic", days=30, provider=PaymentProvider.YOOKASSA
    )
    app.clock.advance(minutes=1)
    second = await app.start_checkout(
        telegram_id=TelegramId(7), tariff_code="basic", days=30, provider=PaymentProvider.YOOKASSA
    )

    async with app.scope() as p:
        views = await p.payment_reader.for_customer(registered.customer_id)
        one = await p.payment_reader.get(first.payment_id)

    assert [v.payment_id for v in views] == [second.payment_id, first.payment_id]
    assert one is not None
    assert one.status is PaymentStatus.PENDING
    assert one.pay_url == first.pay_url
    assert one.days == 30
