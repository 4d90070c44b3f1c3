"""The whole first purchase against the real composition: ``entrypoints.di`` container,
real PostgreSQL, real Redis, the provider / panel / Telegram emulators over HTTP.

/start → catalog → tariff → period → method, in the bot; then the customer pays at the
provider (emulator), the provider's state is fetched and applied (what the webhook does),
and the worker's outbox use cases provision the Remnawave account and send the access
card: one message with the link, a PNG QR code and per-platform setup buttons."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from aiogram import Bot, Dispatcher
from dishka import AsyncContainer, Provider, Scope, provide
from redis.asyncio import Redis
from redis.asyncio.client import Pipeline
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from vpnsales.adapters.memory import RecordingTaskKicker
from vpnsales.adapters.persistence import (
    SqlCustomerReader,
    SqlPaymentRepository,
    SqlTariffRepository,
)
from vpnsales.adapters.persistence.per_call import PerCallCustomerReader, PerCallCustomerSummaries
from vpnsales.adapters.telegram.i18n import I18n
from vpnsales.application.interactors.payments.apply_provider_payment import (
    ApplyProviderPayment,
    ApplyProviderPaymentCommand,
)
from vpnsales.application.interactors.system.drain_outbox import DrainOutbox, DrainOutboxCommand
from vpnsales.application.ports.clock import Clock
from vpnsales.application.ports.outbox import TaskKicker
from vpnsales.domain.ids import PaymentId, TelegramId
from vpnsales.domain.limits import TrafficLimit
from vpnsales.domain.payment import PaymentProvider, PaymentStatus
from vpnsales.entrypoints.bot import BotConfig, attach_container, build_dispatcher, fsm_storage
from vpnsales.entrypoints.bot.cache import CustomerDirectory
from vpnsales.entrypoints.bot.factory import RequestScope
from vpnsales.entrypoints.bot.state_mirror import StateChangeFeed
from vpnsales.entrypoints.config import load_settings
from vpnsales.entrypoints.di import Gateways, build_container
from vpnsales.testing.builders import a_tariff, an_option
from vpnsales.testing.clock import SteerableClock
from vpnsales.testing.database import ScratchDatabase
from vpnsales.testing.emulators.cryptopay import CryptoPayEmulator
from vpnsales.testing.emulators.remnawave import RemnawaveEmulator
from vpnsales.testing.emulators.telegram import SentMessage, TelegramEmulator, TgUser
from vpnsales.testing.emulators.yookassa import YooKassaEmulator
from vpnsales.testing.waiting import wait_until

from .conftest import REDIS_URL

pytestmark = pytest.mark.integration
PANEL = "rw"


class Overrides(Provider):
    scope = Scope.APP

    def __init__(self, clock: SteerableClock) -> None:
        super().__init__()
        self._clock = clock

    @provide
    def clock(self) -> Clock:
        return self._clock

    @provide
    def kicker(self) -> TaskKicker:
        return RecordingTaskKicker()


@dataclass
class Stack:
    container: AsyncContainer
    sessions: async_sessionmaker[AsyncSession]
    dp: Dispatcher
    bot: Bot
    tg: TelegramEmulator
    yookassa: YooKassaEmulator
    cryptopay: CryptoPayEmulator
    panel: RemnawaveEmulator
    states: StateChangeFeed

    async def send(self, update: Any) -> None:
        await self.dp.feed_update(self.bot, update)

    async def press(self, user: TgUser, label: str) -> None:
        for sent in reversed(self.tg.sent_messages(user.id)):
            msg = self.tg.message(user.id, sent.message_id) or {}
            rows = (msg.get("reply_markup") or {}).get("inline_keyboard", [])
            for button in (b for row in rows for b in row):
                if label in button["text"] and "callback_data" in button:
                    await self.send(
                        self.tg.callback_query(
                            user, button["callback_data"], message=sent.message_id
                        )
                    )
                    return
        texts = [
            (m.method, (self.tg.message(user.id, m.message_id) or {}).get("text"))
            for m in self.tg.sent_messages(user.id)
        ]
        raise AssertionError(f"no button {label!r}: {texts}; {self.tg.callback_answers}")

    async def run(self, kind: type[Any], command: Any) -> Any:
        async with self.container() as request:
            return await (await request.get(kind))(command)

    async def drain(self) -> None:
        for _ in range(5):
            result = await self.run(DrainOutbox, DrainOutboxCommand())
            if not result.claimed:
                return

    async def pay_at_provider(self, provider: PaymentProvider, provider_id: str) -> None:
        if provider is PaymentProvider.YOOKASSA:
            self.yookassa.succeed(provider_id)
        else:
            self.cryptopay.pay(provider_id)
        gateways = await self.container.get(Gateways)
        fetched = await gateways[provider].fetch(provider_id)
        await self.run(ApplyProviderPayment, ApplyProviderPaymentCommand(fetched=fetched))

    async def latest_payment(self) -> Any:
        async with self.sessions() as session:
            repo = SqlPaymentRepository(session)
            customer = await SqlCustomerReader(session).by_telegram_id(TelegramId(USER.id))
            assert customer is not None
            (payment,) = await repo.for_customer(customer.customer_id, limit=1)
            return payment


USER = TgUser(9101, "Наташа", language_code="ru")


@pytest.fixture
async def stack(
    clean_db: async_sessionmaker[AsyncSession], pg_database: ScratchDatabase, i18n: I18n
) -> AsyncIterator[Stack]:
    redis = Redis.from_url(REDIS_URL)
    clock = SteerableClock(datetime.now(UTC))
    async with contextlib.AsyncExitStack() as es:
        es.push_async_callback(redis.aclose)
        yookassa = await es.enter_async_context(YooKassaEmulator(clock=clock.now))
        cryptopay = await es.enter_async_context(CryptoPayEmulator(clock=clock.now))
        tg = await es.enter_async_context(TelegramEmulator())
        panel = await es.enter_async_context(RemnawaveEmulator(clock=clock.now))
        settings = load_settings(
            environ={},
            overrides={
                "telegram": {
                    "token": tg.token,
                    "api_base": tg.base_url,
                    "bot_username": tg.bot_username,
                    "support_contact": "@help",
                    "throttle_rate": 1000,
                },
                "shop": {"trial_tariff": ""},
                "yookassa": {
                    "shop_id": yookassa.shop_id,
                    "secret_key": yookassa.secret_key,
                    "api_base": f"{yookassa.base_url}/v3",
                    "return_url": "https://t.me/vpnsales_test_bot",
                },
                "cryptopay": {"token": cryptopay.token, "api_base": f"{cryptopay.base_url}/api"},
                "stars": {"enabled": True},
                "panels": [
                    {
                        "id": PANEL,
                        "kind": "remnawave",
                        "base_url": panel.base_url,
                        "dialect": panel.dialect,
                        "token": panel.api_token,
                        "timeout_seconds": 5,
                    }
                ],
            },
        )
        container = build_container(
            settings,
            database_url=pg_database.url,
            redis_url=REDIS_URL,
            extra_providers=[Overrides(clock)],
        )
        es.push_async_callback(container.close)
        sessions = await container.get(async_sessionmaker[AsyncSession])
        prefix = f"vpnsales-bot-pg-{id(clock):x}"
        customers = PerCallCustomerReader(sessions)
        storage = fsm_storage(redis, prefix)  # as in production, states mirrored
        states = StateChangeFeed(redis, storage.mirror)
        feed = asyncio.create_task(states.run())

        async def stop_feed() -> None:
            feed.cancel()
            await asyncio.wait([feed])

        es.push_async_callback(stop_feed)
        dp = build_dispatcher(
            i18n=i18n,
            redis=redis,
            storage=storage,
            customers=customers,
            config=BotConfig.from_settings(settings, (await container.get(Gateways)).keys()),
            key_prefix=prefix,
            directory=CustomerDirectory(
                customers,
                # as in production (allinone.front): a bare autocommit connection per read
                summaries=PerCallCustomerSummaries(
                    (await container.get(AsyncEngine)).execution_options(
                        isolation_level="AUTOCOMMIT"
                    ),
                    clock,
                ),
            ),
        )
        attach_container(dp, container)
        bot = await container.get(Bot)
        async with sessions() as session:
            await SqlTariffRepository(session).add(
                a_tariff(
                    code="basic",
                    name="Базовый",
                    panel=PANEL,
                    options=(an_option(30, rub=300),),
                    traffic=TrafficLimit.gib(100),
                )
            )
            await session.commit()
        tg.add_user(USER.id, USER.first_name, language_code="ru")
        yield Stack(container, sessions, dp, bot, tg, yookassa, cryptopay, panel, states)
        keys = [k async for k in redis.scan_iter(match=f"{prefix}*")]
        if keys:
            await redis.delete(*keys)


def assert_access_card(card: SentMessage, url: str) -> None:
    assert card.photo is not None
    assert card.photo.startswith(b"\x89PNG")
    assert url in (card.plain_text or "")
    labels = " ".join(b["text"] for b in card.buttons)
    for platform in ("iPhone", "Android", "Windows", "macOS", "Linux"):
        assert platform in labels


@pytest.mark.parametrize(
    ("provider", "label"),
    [(PaymentProvider.YOOKASSA, "Банковская карта"), (PaymentProvider.CRYPTOPAY, "Криптовалюта")],
)
async def test_first_purchase_on_postgres_with_real_gateways_and_panel(
    stack: Stack, provider: PaymentProvider, label: str
) -> None:
    await stack.send(stack.tg.command(USER, "start"))
    await stack.press(USER, "Купить VPN")
    await stack.press(USER, "Базовый")
    await stack.press(USER, "1 месяц")
    await stack.press(USER, label)
    menu = stack.tg.sent_messages(USER.id)[-1]
    pay = stack.tg.message(USER.id, menu.message_id) or {}
    urls = [b["url"] for row in pay["reply_markup"]["inline_keyboard"] for b in row if "url" in b]
    assert urls
    assert urls[0].startswith(("https://", "http://"))

    payment = await stack.latest_payment()
    assert payment.status is PaymentStatus.PENDING
    before = len(stack.tg.sent_messages(USER.id))
    await stack.pay_at_provider(provider, payment.provider_payment_id)
    await stack.drain()
    card = await stack.tg.wait_for_message(
        USER.id, lambda m: m.method == "sendPhoto", after=before, timeout=10
    )
    (account,) = stack.panel.users.values()
    assert_access_card(card, f"https://{stack.panel.sub_public_domain}/{account.short_uuid}")
    paid = await stack.latest_payment()
    assert paid.status is PaymentStatus.SUCCEEDED


async def test_stars_purchase_on_postgres(stack: Stack) -> None:
    await stack.send(stack.tg.command(USER, "start"))
    await stack.press(USER, "Купить VPN")
    await stack.press(USER, "Базовый")
    await stack.press(USER, "1 месяц")
    await stack.press(USER, "Telegram Stars")
    (invoice,) = stack.tg.calls_of("sendInvoice")
    payload = invoice.params["payload"]
    amount = invoice.params["prices"][0]["amount"]
    query = stack.tg.pre_checkout_query(USER, total_amount=amount, invoice_payload=payload)
    await stack.send(query)
    answer = stack.tg.answered_pre_checkout(query.pre_checkout_query.id)  # type: ignore[union-attr]
    assert answer is not None
    assert answer.ok
    before = len(stack.tg.sent_messages(USER.id))
    await stack.send(
        stack.tg.successful_payment(
            USER, total_amount=amount, invoice_payload=payload, telegram_payment_charge_id="pgC1"
        )
    )
    await stack.drain()
    card = await stack.tg.wait_for_message(
        USER.id, lambda m: m.method == "sendPhoto", after=before, timeout=10
    )
    (account,) = stack.panel.users.values()
    assert_access_card(card, f"https://{stack.panel.sub_public_domain}/{account.short_uuid}")
    async with stack.sessions() as session:
        payment = await SqlPaymentRepository(session).get(PaymentId(uuid.UUID(payload)))
    assert payment is not None
    assert payment.provider_payment_id == f"{USER.id}:pgC1"


@contextlib.contextmanager
def counting_redis_commands() -> Iterator[list[str]]:
    """Every Redis command this process sends (pipelines counted per command), by name.
    Counted in the client: other processes on the shared server don't disturb it."""
    sent: list[str] = []
    original = Redis.execute_command
    original_pipeline = Pipeline.execute

    async def execute_command(self: Redis, *args: Any, **options: Any) -> Any:
        sent.append(str(args[0]).upper())
        return await original(self, *args, **options)

    async def execute(self: Pipeline, raise_on_error: bool = True) -> Any:
        sent.extend(str(command[0][0]).upper() for command in self.command_stack)
        return await original_pipeline(self, raise_on_error)

    Redis.execute_command = execute_command  # type: ignore[method-assign]
    Pipeline.execute = execute  # type: ignore[method-assign]
    try:
        yield sent
    finally:
        Redis.execute_command = original  # type: ignore[method-assign]
        Pipeline.execute = original_pipeline  # type: ignore[method-assign]


async def test_hot_path_budget_for_a_returning_customer(stack: Stack) -> None:
    """/start and menu buttons: at most one database round trip, no Redis command (the
    FSM state comes from the mirror, the throttle counts in the process) and no request
    scope (the screens' queries are process-wide)."""
    await wait_until(lambda: stack.states.watched, what="the FSM state feed")
    engine = await stack.container.get(AsyncEngine)
    statements: list[str] = []
    scopes = [m for o in stack.dp.observers.values() for m in o.outer_middleware]
    (scope_middleware,) = {id(m): m for m in scopes if isinstance(m, RequestScope)}.values()
    container = scope_middleware.container
    opened: list[object] = []

    class Counting:
        get = container.get

        def __call__(self, *args: Any, **kwargs: Any) -> Any:
            opened.append(args)
            return container(*args, **kwargs)

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", record)
    try:
        await stack.send(stack.tg.command(USER, "start"))  # first contact: registers
        await stack.send(stack.tg.callback_query(USER, "n:b"))  # the process reads the catalog
        scope_middleware.container = Counting()  # type: ignore[assignment]
        for update in (
            stack.tg.command(USER, "start"),
            stack.tg.callback_query(USER, "n:m"),
            stack.tg.callback_query(USER, "n:b"),
        ):
            statements.clear()
            with counting_redis_commands() as sent:
                await stack.send(update)
            assert opened == [], "no request scope"
            queries = [
                s
                for s in statements
                if not s.lstrip().upper().startswith(("BEGIN", "ROLLBACK", "COMMIT"))
            ]
            assert len(queries) <= 1, queries
            assert sent == [], sent
    finally:
        scope_middleware.container = container
        event.remove(engine.sync_engine, "before_cursor_execute", record)


async def test_a_returning_customer_not_in_the_cache_costs_one_statement(stack: Stack) -> None:
    """The directory reads the customer and their subscriptions in one statement, and the
    menu is built from it."""
    engine = await stack.container.get(AsyncEngine)
    statements: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    await stack.send(stack.tg.command(USER, "start"))  # first contact: registers
    event.listen(engine.sync_engine, "before_cursor_execute", record)
    try:
        for update in (stack.tg.command(USER, "start"), stack.tg.callback_query(USER, "n:m")):
            stack.dp["directory"].clear()
            statements.clear()
            await stack.send(update)
            queries = [
                s
                for s in statements
                if not s.lstrip().upper().startswith(("BEGIN", "ROLLBACK", "COMMIT"))
            ]
            assert len(queries) == 1, queries
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", record)
