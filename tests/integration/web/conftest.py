"""The web app over real HTTP, wired by the real container (``entrypoints.di``) against
the real PostgreSQL and Redis, with the provider, Telegram and Remnawave emulators.

``stack`` starts the emulators, builds ``Settings`` pointing at them, the container
(with a steerable clock and a kicker that records), the Telegram Dispatcher and the web
app on an ephemeral port. Helpers seed customers/tariffs, start checkouts through the
real ``StartCheckout`` use case, read back what was committed, and drain the outbox
with the worker's real use cases (panel calls to the Remnawave emulator, messages to the
Telegram emulator).
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import aiohttp
import pytest
from aiogram import Bot, Dispatcher
from aiohttp import web
from dishka import AsyncContainer, Provider, Scope, provide
from redis.asyncio import Redis
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from vpnsales.adapters.memory import RecordingTaskKicker
from vpnsales.adapters.persistence import (
    SqlCustomerRepository,
    SqlPaymentRepository,
    SqlSubscriptionRepository,
    SqlTariffRepository,
    tables,
)
from vpnsales.adapters.persistence.per_call import PerCallCustomerReader
from vpnsales.adapters.telegram.i18n import I18n
from vpnsales.adapters.telegram.sender import RateLimitedSender
from vpnsales.application.interactors.payments.start_checkout import (
    CheckoutStarted,
    StartCheckout,
    StartCheckoutCommand,
)
from vpnsales.application.interactors.system.drain_outbox import (
    DrainOutbox,
    DrainOutboxCommand,
)
from vpnsales.application.ports.clock import Clock
from vpnsales.application.ports.outbox import TaskKicker
from vpnsales.domain.customer import Customer
from vpnsales.domain.ids import PaymentId, SubscriptionId
from vpnsales.domain.payment import Payment, PaymentProvider
from vpnsales.domain.subscription import Subscription
from vpnsales.domain.tariff import Tariff
from vpnsales.entrypoints.bot import BotConfig, attach_container, build_dispatcher
from vpnsales.entrypoints.config import Settings, load_settings
from vpnsales.entrypoints.di import build_container
from vpnsales.entrypoints.metrics import Metrics
from vpnsales.entrypoints.web import WebConfig, build_web_app
from vpnsales.testing.builders import a_customer, a_tariff
from vpnsales.testing.clock import SteerableClock
from vpnsales.testing.database import ScratchDatabase
from vpnsales.testing.emulators.cryptopay import CryptoPayEmulator
from vpnsales.testing.emulators.remnawave import RemnawaveEmulator
from vpnsales.testing.emulators.telegram import TelegramEmulator
from vpnsales.testing.emulators.yookassa import YooKassaEmulator

pytestmark = pytest.mark.integration

REDIS_URL = "redis://127.0.0.1:6379/0"
PANEL_ID = "panel-1"
WEBHOOK_SECRET = "remnawave-webhook-secret-0123456789abcdef"
TELEGRAM_SECRET = "telegram-webhook-secret-42"

# Snapshot of everything money or access touches: "nothing changed" compares these.
WATCHED = ("payments", "subscriptions", "accesses", "outbox", "balance_entries", "customers")


class Overrides(Provider):
    """Test bindings over the real providers (later providers win)."""

    scope = Scope.APP

    def __init__(self, clock: SteerableClock, kicker: RecordingTaskKicker) -> None:
        super().__init__()
        self._clock = clock
        self._kicker = kicker

    @provide
    def clock(self) -> Clock:
        return self._clock

    @provide
    def kicker(self) -> TaskKicker:
        return self._kicker

    @provide
    def sender(self, bot: Bot) -> RateLimitedSender:
        # Telegram's per-chat pacing is the sender's own business (tested there); here
        # it would only make every second message to the same customer wait a second.
        return RateLimitedSender(bot, rate=1000, per_chat_interval=0, per_group_interval=0)


@dataclass
class WebStack:
    settings: Settings
    container: AsyncContainer
    sessions: async_sessionmaker[AsyncSession]
    clock: SteerableClock
    kicker: RecordingTaskKicker
    metrics: Metrics
    yookassa: YooKassaEmulator
    cryptopay: CryptoPayEmulator
    tg: TelegramEmulator
    panel: RemnawaveEmulator
    bot: Bot
    dispatcher: Dispatcher
    base_url: str = ""
    _runners: list[web.AppRunner] = field(default_factory=list)

    # -- the app -------------------------------------------------------------------
    def url(self, path: str) -> str:
        return f"{self.base_url}{path}"

    async def serve(self, **config_overrides: Any) -> str:
        """Another app over the same container (e.g. other trusted proxies); its URL."""
        config = WebConfig.from_settings(self.settings, **config_overrides)
        app = build_web_app(
            self.container,
            self.settings,
            self.dispatcher,
            bot=self.bot,
            metrics_registry=self.metrics,
            config=config,
        )
        runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        self._runners.append(runner)
        port = runner.addresses[0][1]
        return f"http://127.0.0.1:{port}"

    async def post(
        self, path: str, body: bytes, headers: Mapping[str, str] | None = None
    ) -> tuple[int, str]:
        async with (
            aiohttp.ClientSession() as session,
            session.post(self.url(path), data=body, headers=dict(headers or {})) as response,
        ):
            return response.status, await response.text()

    async def get(self, path: str) -> tuple[int, str]:
        async with aiohttp.ClientSession() as session, session.get(self.url(path)) as response:
            return response.status, await response.text()

    # -- use cases -----------------------------------------------------------------
    async def run(self, kind: type[Any], command: Any) -> Any:
        """One use case in its own request scope, like a handler would run it."""
        async with self.container() as request:
            interactor = await request.get(kind)
            return await interactor(command)

    async def checkout(
        self, customer: Customer, tariff: Tariff, provider: PaymentProvider, **kw: Any
    ) -> CheckoutStarted:
        return await self.run(  # type: ignore[no-any-return]
            StartCheckout,
            StartCheckoutCommand(
                telegram_id=customer.telegram_id,
                provider=provider,
                tariff_code=tariff.code,
                days=tariff.options[0].period.days,
                **kw,
            ),
        )

    async def drain(self) -> int:
        """What the worker does after a kick: the real outbox use cases."""
        result = await self.run(DrainOutbox, DrainOutboxCommand())
        return int(result.claimed)

    # -- seeding -------------------------------------------------------------------
    async def add_tariff(self, **kw: Any) -> Tariff:
        tariff = a_tariff(panel=PANEL_ID, **kw)
        async with self.sessions() as session:
            await SqlTariffRepository(session).add(tariff)
            await session.commit()
        return tariff

    async def add_customer(self, **kw: Any) -> Customer:
        customer = a_customer(created_at=self.clock.now(), **kw)
        async with self.sessions() as session:
            await SqlCustomerRepository(session).add(customer)
            await session.commit()
        self.tg.add_user(int(customer.telegram_id))
        return customer

    # -- reading back --------------------------------------------------------------
    async def payment(self, payment_id: PaymentId | UUID) -> Payment:
        async with self.sessions() as session:
            found = await SqlPaymentRepository(session).get(PaymentId(UUID(str(payment_id))))
        assert found is not None
        return found

    async def subscription(self, subscription_id: SubscriptionId | UUID | None) -> Subscription:
        assert subscription_id is not None
        async with self.sessions() as session:
            found = await SqlSubscriptionRepository(session).get(
                SubscriptionId(UUID(str(subscription_id)))
            )
        assert found is not None
        return found

    async def rows(self, table: str) -> list[dict[str, Any]]:
        t = tables.metadata.tables[table]
        async with self.sessions() as session:
            result = await session.execute(select(t))
            return [dict(row._mapping) for row in result]

    async def outbox(self, kind: str | None = None) -> list[dict[str, Any]]:
        rows = await self.rows("outbox")
        return [r for r in rows if kind is None or r["kind"] == kind]

    async def snapshot(self) -> dict[str, list[dict[str, Any]]]:
        return {
            name: sorted(await self.rows(name), key=lambda r: str(r.get("id", r)))
            for name in WATCHED
        }

    @contextlib.asynccontextmanager
    async def unchanged(self) -> AsyncIterator[None]:
        """Assert the block commits nothing to the watched tables."""
        before = await self.snapshot()
        yield
        after = await self.snapshot()
        for name in WATCHED:
            assert after[name] == before[name], f"{name} changed"

    def refusals(self, source: str, reason: str) -> float:
        value = self.metrics.registry.get_sample_value(
            "vpnsales_webhook_refusals_total", {"source": source, "reason": reason}
        )
        return value or 0.0

    async def close(self) -> None:
        for runner in self._runners:
            await runner.cleanup()


def web_settings(
    *,
    database: ScratchDatabase,
    yookassa: YooKassaEmulator,
    cryptopay: CryptoPayEmulator,
    tg: TelegramEmulator,
    panel: RemnawaveEmulator,
    refund_mode: str = "remove_period",
) -> Settings:
    return load_settings(
        environ={},
        overrides={
            "database": {"url": database.url, "pool_size": 20},
            "redis": {"url": REDIS_URL},
            "telegram": {
                "token": tg.token,
                "mode": "webhook",
                "api_base": tg.base_url,
                "webhook_secret": TELEGRAM_SECRET,
                "bot_username": tg.bot_username,
                "admin_ids": [777],
            },
            "web": {"trusted_proxies": ["127.0.0.1/32", "::1/128"]},
            "shop": {"refund_mode": refund_mode, "trial_tariff": ""},
            "yookassa": {
                "shop_id": yookassa.shop_id,
                "secret_key": yookassa.secret_key,
                "api_base": f"{yookassa.base_url}/v3",
                "return_url": "https://t.me/vpnsales_test_bot",
            },
            "cryptopay": {
                "token": cryptopay.token,
                "api_base": f"{cryptopay.base_url}/api",
            },
            "stars": {"enabled": True},
            "panels": [
                {
                    "id": PANEL_ID,
                    "kind": "remnawave",
                    "base_url": panel.base_url,
                    "dialect": panel.dialect,
                    "token": panel.api_token,
                    "webhook_secret": WEBHOOK_SECRET,
                    "timeout_seconds": 5,
                }
            ],
        },
    )


@pytest.fixture
async def redis() -> AsyncIterator[Redis]:
    client = Redis.from_url(REDIS_URL)
    try:
        await client.ping()
    except Exception as exc:  # pragma: no cover - environment
        await client.aclose()
        pytest.skip(f"Redis unavailable: {exc}")
    yield client
    await client.aclose()


@pytest.fixture(scope="session")
def i18n() -> I18n:
    return I18n(strict=False)


@pytest.fixture
def refund_mode() -> str:
    return "remove_period"


@pytest.fixture
async def stack(
    clean_db: async_sessionmaker[AsyncSession],
    pg_database: ScratchDatabase,
    redis: Redis,
    i18n: I18n,
    refund_mode: str,
) -> AsyncIterator[WebStack]:
    clock = SteerableClock(datetime.now(UTC))
    emulator_clock: Callable[[], datetime] = clock.now
    async with contextlib.AsyncExitStack() as stack_:
        yookassa = await stack_.enter_async_context(YooKassaEmulator(clock=emulator_clock))
        cryptopay = await stack_.enter_async_context(CryptoPayEmulator(clock=emulator_clock))
        tg = await stack_.enter_async_context(TelegramEmulator())
        panel = await stack_.enter_async_context(
            RemnawaveEmulator(clock=emulator_clock, webhook_secret=WEBHOOK_SECRET)
        )
        settings = web_settings(
            database=pg_database,
            yookassa=yookassa,
            cryptopay=cryptopay,
            tg=tg,
            panel=panel,
            refund_mode=refund_mode,
        )
        kicker = RecordingTaskKicker()
        container = build_container(
            settings,
            database_url=pg_database.url,
            redis_url=REDIS_URL,
            extra_providers=[Overrides(clock, kicker)],
        )
        stack_.push_async_callback(container.close)
        bot = await container.get(Bot)
        sessions = await container.get(async_sessionmaker[AsyncSession])
        prefix = f"vpnsales-web-test-{id(clock):x}"
        dispatcher = build_dispatcher(
            i18n=i18n,
            redis=redis,
            customers=PerCallCustomerReader(sessions),
            config=BotConfig.from_settings(
                settings,
                [PaymentProvider.YOOKASSA, PaymentProvider.STARS, PaymentProvider.CRYPTOPAY],
            ),
            key_prefix=prefix,
        )
        attach_container(dispatcher, container)
        web_stack = WebStack(
            settings=settings,
            container=container,
            sessions=sessions,
            clock=clock,
            kicker=kicker,
            metrics=Metrics(),
            yookassa=yookassa,
            cryptopay=cryptopay,
            tg=tg,
            panel=panel,
            bot=bot,
            dispatcher=dispatcher,
        )
        stack_.push_async_callback(web_stack.close)
        web_stack.base_url = await web_stack.serve()
        yield web_stack
        keys = [k async for k in redis.scan_iter(match=f"{prefix}*")]
        if keys:
            await redis.delete(*keys)
