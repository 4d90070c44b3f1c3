"""The composition root: dishka providers shared by every process.

Scopes: APP holds process-wide things (settings, engine, HTTP clients of panels and
providers, the bot, i18n); REQUEST is one update, one webhook, one task: a database
session, the unit of work and repositories bound to it, and the interactors.

Interactors are provided by type from their constructors (every use case in
``vpnsales.application.interactors``); the few that take something other than ports
have explicit factories below. The container appears only at scope boundaries
(``FromDishka[...]`` in handlers, routes and tasks).
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import random
from collections.abc import AsyncIterator, Iterable, Mapping
from typing import Any, NewType, cast

from aiogram import Bot
from dishka import (
    AsyncContainer,
    Provider,
    Scope,
    alias,
    from_context,
    make_async_container,
    provide,
)
from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

import vpnsales.application.interactors as interactors_package
from vpnsales.adapters.memory.clock import SystemClock
from vpnsales.adapters.persistence import (
    SqlAccessRepository,
    SqlAuditLog,
    SqlCustomerRepository,
    SqlOutbox,
    SqlOutboxConsumer,
    SqlPaymentRepository,
    SqlPromoCodeRepository,
    SqlSubscriptionRepository,
    SqlTariffCatalog,
    SqlTariffRepository,
    SqlUnitOfWork,
    create_engine,
    create_session_factory,
)
from vpnsales.adapters.persistence.accesses import SqlAccessLookup
from vpnsales.adapters.persistence.admin import (
    SqlAdminRepository,
    SqlFlagStore,
    SqlStatisticsReader,
)
from vpnsales.adapters.persistence.broadcasts import SqlBroadcastRepository
from vpnsales.adapters.persistence.per_call import (
    PerCallCustomerReader,
    PerCallCustomerSummaries,
    PerCallSubscriptionReader,
)
from vpnsales.adapters.persistence.readers import (
    SqlCustomerReader,
    SqlPaymentReader,
    SqlReferralReader,
    SqlSubscriptionReader,
)
from vpnsales.adapters.telegram.i18n import I18n
from vpnsales.adapters.telegram.instructions import Instructions
from vpnsales.adapters.telegram.notifier import TelegramAdminAlerter, TelegramNotifier
from vpnsales.adapters.telegram.sender import RateLimitedSender
from vpnsales.application.interactors.customer.get_tariff import GetTariff
from vpnsales.application.interactors.customer.list_tariffs import ListTariffs
from vpnsales.application.interactors.customer.my_subscriptions import ListMySubscriptions
from vpnsales.application.interactors.payments.confirm_payment import ConfirmPayment
from vpnsales.application.interactors.payments.pay_from_balance import PayFromBalance
from vpnsales.application.interactors.system._confirmer import ConfirmPaymentSeam
from vpnsales.application.interactors.system.auto_renew import AutoRenew
from vpnsales.application.interactors.system.cancel_payment_at_provider import (
    CancelPaymentAtProvider,
)
from vpnsales.application.interactors.system.deliver_notification import DeliverNotification
from vpnsales.application.interactors.system.execute_outbox_message import ExecuteOutboxMessage
from vpnsales.application.interactors.system.outbox_routes import outbox_routes
from vpnsales.application.interactors.system.refund_at_provider import RefundAtProvider
from vpnsales.application.interactors.system.revoke_access_link import RevokeAccessLink
from vpnsales.application.interactors.system.send_admin_alert import SendAdminAlert
from vpnsales.application.interactors.system.send_customer_message import SendCustomerMessage
from vpnsales.application.interactors.system.sync_access import SyncAccess
from vpnsales.application.policy import ShopPolicy
from vpnsales.application.ports.admin import AdminRepository, FlagStore, StatisticsReader
from vpnsales.application.ports.broadcast import BroadcastRepository
from vpnsales.application.ports.clock import Clock
from vpnsales.application.ports.notifier import AdminAlerter, Notifier
from vpnsales.application.ports.outbox import (
    Outbox,
    OutboxConsumer,
    OutboxKind,
    RetryPolicy,
    TaskKicker,
)
from vpnsales.application.ports.panels import PanelRegistry
from vpnsales.application.ports.payments import PaymentGateway, RecurringPaymentGateway
from vpnsales.application.ports.readers import (
    CustomerReader,
    PaymentReader,
    ReferralReader,
    SubscriptionReader,
)
from vpnsales.application.ports.repositories import (
    AccessRepository,
    AuditLog,
    CustomerRepository,
    PaymentRepository,
    PromoCodeRepository,
    SubscriptionRepository,
    TariffCatalog,
    TariffRepository,
)
from vpnsales.application.ports.telemetry import Telemetry
from vpnsales.application.ports.uow import UnitOfWork
from vpnsales.application.ports.worker import (
    AccessLookup,
    OutboxHandler,
    PaymentConfirmer,
    RandomSource,
)
from vpnsales.domain.payment import PaymentProvider
from vpnsales.entrypoints.config import Settings
from vpnsales.entrypoints.di_admin import AdminProvider
from vpnsales.entrypoints.factories import (
    build_bot,
    build_gateways,
    build_panel_registry,
    close_all,
    shop_policy,
)
from vpnsales.entrypoints.metrics import Metrics
from vpnsales.entrypoints.telemetry import PanelMetrics, PrometheusTelemetry

DatabaseUrl = NewType("DatabaseUrl", str)
RedisUrl = NewType("RedisUrl", str)


def redis_client(url: str, **options: Any) -> Redis:
    """The process's Redis client (FSM states, locks, the support desk, readiness; the
    task queue has its own).

    Bounded waits: a Redis that drops packets must not hang the bot's updates, the locks
    or the readiness probe; none of them blocks on purpose. One immediate retry on a
    connection error: after a Redis restart every pooled connection is dead, and each
    would otherwise fail the first command sent on it ("Connection closed by server")."""
    settings: dict[str, Any] = {
        "socket_connect_timeout": 2.0,
        "socket_timeout": 5.0,
        "health_check_interval": 30,
        "retry": Retry(NoBackoff(), 1, supported_errors=(RedisConnectionError,)),
    }
    settings.update(options)
    return Redis.from_url(url, **settings)


ReadEngine = NewType("ReadEngine", AsyncEngine)
"""The engine in autocommit mode, for single reads outside any unit of work."""
ReadSessions = NewType("ReadSessions", async_sessionmaker[AsyncSession])
"""Sessions on an autocommit engine, for single reads outside any unit of work."""

Gateways = Mapping[PaymentProvider, PaymentGateway]
RecurringGateways = Mapping[PaymentProvider, RecurringPaymentGateway]
OutboxHandlers = Mapping[OutboxKind, OutboxHandler]


class NullTaskKicker:
    """Used where no task broker is wired (web-only tools): the scheduler's periodic
    outbox drain picks the work up instead. Processes with a broker override it."""

    async def kick(self) -> None:
        return None


class InfrastructureProvider(Provider):
    """Process-wide adapters, built once from settings."""

    scope = Scope.APP

    settings = from_context(provides=Settings, scope=Scope.APP)
    database_url = from_context(provides=DatabaseUrl, scope=Scope.APP)
    redis_url = from_context(provides=RedisUrl, scope=Scope.APP)

    @provide
    def policy(self, settings: Settings) -> ShopPolicy:
        return shop_policy(settings)

    @provide
    def clock(self) -> Clock:
        return SystemClock()

    @provide
    def random_source(self) -> RandomSource:
        return random.random

    @provide
    def metrics(self) -> Metrics:
        """This process's metrics (``TaskQueueProvider`` may bring one to share)."""
        return Metrics()

    @provide
    def telemetry(self, metrics: Metrics) -> Telemetry:
        return PrometheusTelemetry(metrics)

    @provide
    async def engine(self, settings: Settings, url: DatabaseUrl) -> AsyncIterator[AsyncEngine]:
        engine = create_engine(
            url, pool_size=settings.database.pool_size, echo=settings.database.echo
        )
        yield engine
        await engine.dispose()

    @provide
    def sessions(self, engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
        return create_session_factory(engine)

    @provide
    def tariff_catalog(self, sessions: async_sessionmaker[AsyncSession]) -> SqlTariffCatalog:
        """Per process; emptied when this process commits a tariff change."""
        return SqlTariffCatalog(sessions)

    catalog = alias(source=SqlTariffCatalog, provides=TariffCatalog)

    @provide
    async def redis(self, url: RedisUrl) -> AsyncIterator[Redis]:
        client = redis_client(url)
        yield client
        await client.aclose()

    @provide
    async def bot(self, settings: Settings) -> AsyncIterator[Bot]:
        bot = build_bot(settings)
        yield bot
        await bot.session.close()

    @provide
    async def panels(
        self, settings: Settings, clock: Clock, metrics: Metrics
    ) -> AsyncIterator[PanelRegistry]:
        registry = build_panel_registry(settings, now=clock.now, observer=PanelMetrics(metrics))
        yield registry
        await close_all(list(registry.all()))

    @provide
    async def gateways(self, settings: Settings, bot: Bot) -> AsyncIterator[Gateways]:
        gateways = build_gateways(settings, bot)
        yield gateways
        await close_all(gateways)

    @provide
    def recurring_gateways(self, gateways: Gateways) -> RecurringGateways:
        return {
            provider: cast(RecurringPaymentGateway, gateway)
            for provider, gateway in gateways.items()
            if callable(getattr(gateway, "charge_saved", None))
        }

    @provide
    def i18n(self) -> I18n:
        return I18n(strict=False)

    @provide
    def sender(self, bot: Bot, settings: Settings) -> RateLimitedSender:
        return RateLimitedSender(bot, rate=settings.worker.broadcast_rate)

    @provide
    def notifier(self, sender: RateLimitedSender, i18n: I18n) -> Notifier:
        return TelegramNotifier(sender, i18n, instructions=Instructions())

    @provide
    def alerter(self, sender: RateLimitedSender, settings: Settings) -> AdminAlerter:
        chat = settings.telegram.admin_chat_id
        chats = [chat] if chat is not None else list(settings.telegram.admin_ids)
        return TelegramAdminAlerter(sender, chats)

    @provide
    def outbox_consumer(self, sessions: async_sessionmaker[AsyncSession]) -> OutboxConsumer:
        return SqlOutboxConsumer(sessions)

    @provide
    def kicker(self) -> TaskKicker:
        return NullTaskKicker()


class PersistenceProvider(Provider):
    """One database session per request scope; repositories share it."""

    scope = Scope.REQUEST

    @provide
    async def session(
        self, sessions: async_sessionmaker[AsyncSession]
    ) -> AsyncIterator[AsyncSession]:
        async with SqlUnitOfWork(sessions()) as uow:
            yield uow.session

    @provide
    def uow(self, session: AsyncSession) -> UnitOfWork:
        return SqlUnitOfWork(session)

    customers = provide(SqlCustomerRepository, provides=CustomerRepository)

    @provide
    def tariffs(self, session: AsyncSession, catalog: SqlTariffCatalog) -> TariffRepository:
        return SqlTariffRepository(session, on_change=catalog.invalidate)

    subscriptions = provide(SqlSubscriptionRepository, provides=SubscriptionRepository)
    accesses = provide(SqlAccessRepository, provides=AccessRepository)
    payments = provide(SqlPaymentRepository, provides=PaymentRepository)
    promos = provide(SqlPromoCodeRepository, provides=PromoCodeRepository)
    audit = provide(SqlAuditLog, provides=AuditLog)
    outbox = provide(SqlOutbox, provides=Outbox)
    subscription_reader = provide(SqlSubscriptionReader, provides=SubscriptionReader)
    customer_reader = provide(SqlCustomerReader, provides=CustomerReader)
    referral_reader = provide(SqlReferralReader, provides=ReferralReader)
    payment_reader = provide(SqlPaymentReader, provides=PaymentReader)
    admins = provide(SqlAdminRepository, provides=AdminRepository)
    flags = provide(SqlFlagStore, provides=FlagStore)
    statistics = provide(SqlStatisticsReader, provides=StatisticsReader)
    broadcasts = provide(SqlBroadcastRepository, provides=BroadcastRepository)
    access_lookup = provide(SqlAccessLookup, provides=AccessLookup)


# Read-only queries the bot runs on almost every button press: held per process by
# ``QueryProvider`` (their readers open a session only when they read).
_PROCESS_QUERIES = ("ListTariffs", "GetTariff")
# Interactors whose constructors take more than ports get explicit factories.
_EXPLICIT: frozenset[str] = frozenset(
    {"ListMySubscriptions", "ExecuteOutboxMessage", "AutoRenew", "ProcessBroadcast"}
    | set(_PROCESS_QUERIES)
)


def interactor_classes() -> list[type[Any]]:
    """Every public use case class in ``vpnsales.application.interactors``."""
    found: list[type[Any]] = []
    prefix = interactors_package.__name__ + "."
    for module_info in pkgutil.walk_packages(interactors_package.__path__, prefix):
        if module_info.name.rsplit(".", 1)[-1].startswith("_"):
            continue
        module = importlib.import_module(module_info.name)
        for name, obj in vars(module).items():
            if (
                inspect.isclass(obj)
                and obj.__module__ == module.__name__
                and not name.startswith("_")
                and "__call__" in vars(obj)
                and name not in _EXPLICIT
            ):
                found.append(obj)
    return found


class InteractorProvider(Provider):
    scope = Scope.REQUEST

    def __init__(self) -> None:
        super().__init__()
        for cls in interactor_classes():
            self.provide(cls)

    @provide
    def confirmer(self, confirm: ConfirmPayment) -> PaymentConfirmer:
        return ConfirmPaymentSeam(confirm)

    @provide
    def outbox_handlers(
        self,
        sync: SyncAccess,
        revoke: RevokeAccessLink,
        notify: DeliverNotification,
        alert: SendAdminAlert,
        message: SendCustomerMessage,
        cancel: CancelPaymentAtProvider,
        refund: RefundAtProvider,
    ) -> OutboxHandlers:
        return outbox_routes(
            sync=sync,
            revoke=revoke,
            notify=notify,
            alert=alert,
            message=message,
            cancel=cancel,
            refund=refund,
        )

    @provide
    def execute_outbox_message(
        self,
        handlers: OutboxHandlers,
        consumer: OutboxConsumer,
        outbox: Outbox,
        uow: UnitOfWork,
        clock: Clock,
        random: RandomSource,
        policy: ShopPolicy,
    ) -> ExecuteOutboxMessage:
        return ExecuteOutboxMessage(
            handlers=handlers,
            consumer=consumer,
            outbox=outbox,
            uow=uow,
            clock=clock,
            random=random,
            retry=RetryPolicy(max_attempts=policy.outbox_max_attempts),
            policy=policy,
        )

    @provide
    def auto_renew(
        self,
        uow: UnitOfWork,
        subscriptions: SubscriptionRepository,
        payments: PaymentRepository,
        tariffs: TariffRepository,
        customers: CustomerRepository,
        outbox: Outbox,
        gateways: RecurringGateways,
        confirmer: PaymentConfirmer,
        clock: Clock,
        policy: ShopPolicy,
        balance: PayFromBalance,
        telemetry: Telemetry,
    ) -> AutoRenew:
        return AutoRenew(
            uow=uow,
            subscriptions=subscriptions,
            payments=payments,
            tariffs=tariffs,
            customers=customers,
            outbox=outbox,
            gateways=gateways,
            confirmer=confirmer,
            clock=clock,
            policy=policy,
            balance=balance,
            telemetry=telemetry,
        )


class QueryProvider(Provider):
    """The customer screens' read-only queries, built once per process.

    Resolved as request-scoped interactors they cost every button press a database
    session (created and closed, ~22 µs) that the cached path never uses: the bot passes
    its cached view of the customer, and the catalog comes from the process's
    ``TariffCatalog``. Here their readers open a short autocommit session per read."""

    scope = Scope.APP

    @provide
    def read_engine(self, engine: AsyncEngine) -> ReadEngine:
        # a single read needs no BEGIN/ROLLBACK round trips around it
        return ReadEngine(engine.execution_options(isolation_level="AUTOCOMMIT"))

    @provide
    def reads(self, engine: ReadEngine) -> ReadSessions:
        return ReadSessions(create_session_factory(engine))

    @provide
    def customers(self, reads: ReadSessions) -> PerCallCustomerReader:
        return PerCallCustomerReader(reads)

    @provide
    def summaries(self, engine: ReadEngine, clock: Clock) -> PerCallCustomerSummaries:
        """The bot directory's one-statement read of a customer and their subscriptions."""
        return PerCallCustomerSummaries(engine, clock)

    @provide
    def list_tariffs(
        self, customers: PerCallCustomerReader, catalog: TariffCatalog, policy: ShopPolicy
    ) -> ListTariffs:
        return ListTariffs(customers=customers, catalog=catalog, policy=policy)

    @provide
    def get_tariff(
        self, customers: PerCallCustomerReader, catalog: TariffCatalog, policy: ShopPolicy
    ) -> GetTariff:
        return GetTariff(customers=customers, catalog=catalog, policy=policy)

    @provide
    def my_subscriptions(
        self,
        customers: PerCallCustomerReader,
        reads: ReadSessions,
        panels: PanelRegistry,
        clock: Clock,
    ) -> ListMySubscriptions:
        return ListMySubscriptions(
            customers=customers,
            subscriptions=PerCallSubscriptionReader(reads),
            panels=panels,
            clock=clock,
        )


def providers() -> list[Provider]:
    return [
        InfrastructureProvider(),
        PersistenceProvider(),
        InteractorProvider(),
        QueryProvider(),
        AdminProvider(),
    ]


def build_container(
    settings: Settings,
    *,
    database_url: str,
    redis_url: str,
    extra_providers: Iterable[Provider] = (),
    context: Mapping[Any, Any] | None = None,
) -> AsyncContainer:
    """The container for one process. ``extra_providers`` override bindings (tests,
    the worker's task kicker, a steerable clock); later providers win."""
    return make_async_container(
        *providers(),
        *extra_providers,
        context={
            Settings: settings,
            DatabaseUrl: DatabaseUrl(database_url),
            RedisUrl: RedisUrl(redis_url),
            **(context or {}),
        },
    )
