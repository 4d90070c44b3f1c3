"""The owner's panel, screen by screen: statistics with the revenue chart, tariffs,
promo codes, a customer's card and every action on it, maintenance mode and panel
health. Every admin action leaves an audit row (who, what, when, before/after)."""

from __future__ import annotations

import struct
from datetime import timedelta
from decimal import Decimal
from uuid import uuid4

from vpnsales.adapters.persistence import (
    SqlCustomerRepository,
    SqlPaymentRepository,
    SqlSubscriptionRepository,
    SqlTariffRepository,
)
from vpnsales.application.interactors.system.daily_summary import (
    DailySummary,
    DailySummaryCommand,
)
from vpnsales.application.interactors.system.drain_outbox import DrainOutbox, DrainOutboxCommand
from vpnsales.application.ports.admin import Flag, FlagStore
from vpnsales.domain.ids import CustomerId, PaymentId, SubscriptionId, TelegramId
from vpnsales.domain.limits import Period
from vpnsales.domain.money import Currency, Money
from vpnsales.domain.payment import Payment, PaymentProvider, PaymentPurpose
from vpnsales.domain.pricing import make_quote
from vpnsales.domain.subscription import Subscription
from vpnsales.testing.builders import a_tariff, an_option

from .conftest import ADMIN_CHAT, CUSTOMER, OWNER, PANEL, Stack


async def seed_sales(stack: Stack) -> PaymentId:
    """A tariff, CUSTOMER's subscription and paid payments over the last days."""
    now = stack.clock.now()
    tariff = a_tariff(code="basic", name="Basic", panel=PANEL, options=(an_option(30, rub=300),))
    async with stack.sessions() as session:
        await SqlTariffRepository(session).add(tariff)
        customer = await SqlCustomerRepository(session).get_by_telegram_id(TelegramId(CUSTOMER.id))
        assert customer is not None
        subscription = Subscription.start(
            id=SubscriptionId(uuid4()),
            customer_id=CustomerId(customer.id),
            tariff=tariff,
            period=Period(30),
            now=now - timedelta(days=2),
        )
        await SqlSubscriptionRepository(session).add(subscription)
        payments = SqlPaymentRepository(session)
        last = None
        for days_ago, amount, currency, provider in (
            (0, "300", Currency.RUB, PaymentProvider.YOOKASSA),
            (2, "300", Currency.RUB, PaymentProvider.YOOKASSA),
            (5, "170", Currency.XTR, PaymentProvider.STARS),
            (12, "810", Currency.RUB, PaymentProvider.CRYPTOPAY),
        ):
            money = Money.of(Decimal(amount), currency)
            at = now - timedelta(days=days_ago, minutes=5)
            payment = Payment(
                id=PaymentId(uuid4()),
                customer_id=customer.id,
                purpose=PaymentPurpose.NEW,
                provider=provider,
                quote=make_quote(money, tariff_id=tariff.id, days=30),
                created_at=at,
                tariff_id=tariff.id,
                subscription_id=subscription.id,
            )
            payment.mark_succeeded(money, at)
            await payments.add(payment)
            last = last or payment.id
        await session.commit()
    assert last is not None
    return last


async def test_every_owner_action_works_and_is_audited(stack: Stack) -> None:
    payment_id = await seed_sales(stack)
    await stack.command(OWNER, "/admin")
    assert "Admin panel" in stack.screen(OWNER)

    # statistics + chart
    await stack.press(OWNER, "Statistics")
    stats = stack.tg.sent_messages(OWNER.id)[-1]
    assert stats.method == "sendPhoto"
    assert stats.photo is not None
    assert stats.photo.startswith(b"\x89PNG\r\n\x1a\n")
    width, height = struct.unpack(">II", stats.photo[16:24])
    assert (width, height) == (720, 2 * (200 + 28 + 22) + 16)  # RUB and XTR panels
    caption = stats.plain_text or ""
    assert "Customers: 1" in caption
    flat = caption.replace("\xa0", " ")
    assert "today: ₽300 (Bank card ₽300)" in flat
    assert "30 days: ₽1,410, 170 ⭐ (Crypto ₽810; Telegram Stars 170 ⭐; Bank card ₽600)" in flat
    print("\n--- statistics caption ---\n" + caption)

    # tariffs: create, edit, hide, show
    await stack.press(OWNER, "Tariffs")
    await stack.press(OWNER, "New tariff")
    await stack.text(
        OWNER,
        "code: premium\nname en: Premium\nname ru: Премиум\n"
        "options: 30 = 600 RUB, 340 XTR; 365 = 6000 RUB\ntraffic: unlimited\n"
        "devices: 5\npanel: rw\norder: 2",
    )
    assert "Tariff premium created" in stack.screen(OWNER)
    await stack.press(OWNER, "Open card")
    assert "Premium" in stack.screen(OWNER)
    await stack.press(OWNER, "Periods and prices")
    await stack.text(OWNER, "options: 30 = 650 RUB, 350 XTR")
    assert "Tariff saved" in stack.screen(OWNER)
    await stack.press(OWNER, "Open card")
    assert "650" in stack.screen(OWNER)
    await stack.press(OWNER, "Hide from sale")
    assert "hidden from sale" in stack.screen(OWNER)
    await stack.press(OWNER, "Open card")
    await stack.press(OWNER, "Put on sale")
    await stack.text(OWNER, "/admin")

    # promo codes: one of every kind, list, deactivate
    await stack.press(OWNER, "Promo codes")
    for kind_label, spec in (
        ("Percent off", "SPRING 15 uses=100 until=2030-01-01"),
        ("Amount off", "MINUS100 100 RUB first"),
        ("Bonus days", "PLUS7 7"),
        ("Longer trial", "LONGTRIAL 5"),
        ("Balance credit", "GIFT 200 RUB uses=10"),
    ):
        await stack.press(OWNER, kind_label)
        await stack.text(OWNER, spec)
        assert "created" in stack.screen(OWNER), spec
        await stack.press(OWNER, "Back")  # to the list
    listing = stack.screen(OWNER)
    assert "SPRING" in listing
    assert "0/100" in listing
    await stack.press(OWNER, "Deactivate PLUS7")
    assert "deactivated" in stack.screen(OWNER)

    # a customer's card and every action on it
    await stack.command(OWNER, "/admin")
    await stack.press(OWNER, "Find customer")
    await stack.text(OWNER, "@carl")
    card = stack.screen(OWNER)
    assert "Carl" in card
    assert "Basic" in card
    for label, expect, value in (
        ("Ban", "Banned", None),
        ("Unban", "Unbanned", None),
        ("➕ Days", "now ends", "10"),
        ("➖ Days", "now ends", "3"),
        ("Resync access", "queued for sync", None),
        ("Message", "on its way", "Your VPN is ready"),
    ):
        await stack.press(OWNER, "Open card")
        await stack.press(OWNER, label)
        if value is not None:
            await stack.text(OWNER, value)
        assert expect in stack.screen(OWNER), label
    await stack.press(OWNER, "Open card")
    await stack.press(OWNER, "Refund ₽300")
    await stack.press(OWNER, "Confirm")
    assert "Refund: refunded" in stack.screen(OWNER)

    # maintenance on and off; panels health
    await stack.command(OWNER, "/admin")
    await stack.press(OWNER, "Maintenance")
    await stack.press(OWNER, "Turn on")
    assert "on" in stack.screen(OWNER)
    async with stack.container() as request:
        assert await (await request.get(FlagStore)).get(Flag.MAINTENANCE)
    await stack.press(OWNER, "Back")
    await stack.press(OWNER, "Maintenance")
    await stack.press(OWNER, "Turn off")
    assert "off" in stack.screen(OWNER)
    await stack.press(OWNER, "Back")
    await stack.press(OWNER, "Panels")
    assert "🟢 rw: circuit closed" in stack.screen(OWNER)

    rows = await stack.audit()
    actions = [r["action"] for r in rows if r["actor_telegram_id"] == OWNER.id]
    for action in (
        "tariff.create",
        "tariff.update",
        "tariff.hide",
        "tariff.show",
        "promo.create",
        "promo.deactivate",
        "customer.view",
        "customer.ban",
        "customer.unban",
        "subscription.grant_days",
        "subscription.take_days",
        "customer.resync",
        "customer.message",
        "maintenance.on",
        "maintenance.off",
    ):
        assert action in actions, action
    assert actions.count("promo.create") == 5
    assert any("refund" in r["action"] for r in rows), [r["action"] for r in rows]
    update = next(r for r in rows if r["action"] == "tariff.update")
    assert update["before"]["options"] != update["after"]["options"]
    assert update["at"] is not None
    ban = next(r for r in rows if r["action"] == "customer.ban")
    assert (ban["before"], ban["after"]["banned"]) == ({"banned": False}, True)
    assert str(payment_id)


async def test_a_broadcast_is_audited_from_draft_to_stop(stack: Stack) -> None:
    await stack.command(OWNER, "/admin")
    await stack.press(OWNER, "Broadcast")
    await stack.text(OWNER, "Hello <b>everyone</b>")
    await stack.press(OWNER, "No button")
    await stack.press(OWNER, "Active")
    await stack.press(OWNER, "Preview and confirm")
    assert "Recipients now: 0" in stack.screen(OWNER)
    await stack.press(OWNER, "Discard")
    actions = [r["action"] for r in await stack.audit()]
    assert actions[-2:] == ["broadcast.create", "broadcast.cancel"]


async def test_bad_input_is_explained_and_the_form_stays_open(stack: Stack) -> None:
    await stack.command(OWNER, "/admin")
    await stack.press(OWNER, "Promo codes")
    await stack.press(OWNER, "Percent off")
    await stack.text(OWNER, "HALF 150")
    assert "percent" in stack.screen(OWNER)
    await stack.text(OWNER, "HALF 50")
    assert "HALF" in stack.screen(OWNER)
    assert "created" in stack.screen(OWNER)


async def test_maintenance_mode_answers_customers_politely_but_not_admins(stack: Stack) -> None:
    await stack.command(OWNER, "/admin")
    await stack.press(OWNER, "Maintenance")
    await stack.press(OWNER, "Turn on")
    await stack.command(CUSTOMER, "/start")
    assert "down for maintenance" in stack.screen(CUSTOMER)
    await stack.command(OWNER, "/admin")
    assert "Admin panel" in stack.screen(OWNER)
    await stack.press(OWNER, "Maintenance")
    await stack.press(OWNER, "Turn off")
    await stack.command(CUSTOMER, "/start")
    assert "maintenance" not in stack.screen(CUSTOMER)


async def test_seller_alerts_reach_the_admin_chat(stack: Stack) -> None:
    await seed_sales(stack)
    summary = await stack.run(DailySummary, DailySummaryCommand(day=stack.clock.now().date()))
    await stack.run(DrainOutbox, DrainOutboxCommand())
    alert = await stack.tg.wait_for_message(ADMIN_CHAT)
    assert (alert.plain_text or "").startswith("📊 Daily summary")
    assert summary.text in (alert.plain_text or "")


async def test_tariff_edits_never_change_a_paid_period(stack: Stack) -> None:
    await seed_sales(stack)
    async with stack.sessions() as session:
        (before,) = await SqlSubscriptionRepository(session).for_customer(
            (await SqlCustomerRepository(session).get_by_telegram_id(TelegramId(CUSTOMER.id))).id  # type: ignore[union-attr]
        )
    await stack.command(OWNER, "/admin")
    await stack.press(OWNER, "Tariffs")
    await stack.press(OWNER, "Basic")
    await stack.press(OWNER, "Limits")
    await stack.text(OWNER, "traffic: 10 GB DAY\ndevices: 1")
    assert "Tariff saved" in stack.screen(OWNER)
    await stack.press(OWNER, "Open card")
    await stack.press(OWNER, "Panel binding")
    await stack.text(OWNER, "panel: xui\ninbounds: 7")
    await stack.press(OWNER, "Open card")
    card = stack.screen(OWNER)
    assert "10 GB" in card
    assert "xui inbounds 7" in card
    async with stack.sessions() as session:
        after = await SqlSubscriptionRepository(session).get(before.id)
    assert after is not None
    assert (after.traffic, after.devices, after.binding, after.expires_at) == (
        before.traffic,
        before.devices,
        before.binding,
        before.expires_at,
    )


async def test_an_unknown_customer_is_reported_as_not_found(stack: Stack) -> None:
    await stack.command(OWNER, "/find @nobody")
    assert stack.screen(OWNER) == "🔍 Not found: @nobody"
