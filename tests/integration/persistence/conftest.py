"""Helpers for the persistence tests: a scope with every repository, and builders."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from uuid import uuid4

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from vpnsales.adapters.persistence import (
    SqlAccessRepository,
    SqlAuditLog,
    SqlCustomerRepository,
    SqlOutbox,
    SqlPaymentRepository,
    SqlPromoCodeRepository,
    SqlSubscriptionRepository,
    SqlTariffRepository,
    SqlUnitOfWork,
)
from vpnsales.domain.customer import Customer, Language
from vpnsales.domain.ids import CustomerId, PanelId, PaymentId, SubscriptionId, TariffId, TelegramId
from vpnsales.domain.limits import DeviceLimit, Period, TrafficLimit
from vpnsales.domain.money import Currency, Money
from vpnsales.domain.payment import Payment, PaymentProvider, PaymentPurpose
from vpnsales.domain.pricing import make_quote
from vpnsales.domain.subscription import Subscription
from vpnsales.domain.tariff import PanelBinding, Tariff, TariffOption

NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


@dataclass(slots=True)
class Scope:
    """One request scope: a unit of work and the repositories sharing its session."""

    uow: SqlUnitOfWork
    customers: SqlCustomerRepository
    tariffs: SqlTariffRepository
    subscriptions: SqlSubscriptionRepository
    accesses: SqlAccessRepository
    payments: SqlPaymentRepository
    promos: SqlPromoCodeRepository
    audit: SqlAuditLog
    outbox: SqlOutbox

    async def commit(self) -> None:
        await self.uow.commit()


ScopeFactory = Callable[[], AbstractAsyncContextManager[Scope]]


def scope_factory(sessions: async_sessionmaker[AsyncSession]) -> ScopeFactory:
    @asynccontextmanager
    async def scope() -> AsyncIterator[Scope]:
        async with SqlUnitOfWork(sessions()) as uow:
            session = uow.session
            yield Scope(
                uow=uow,
                customers=SqlCustomerRepository(session),
                tariffs=SqlTariffRepository(session),
                subscriptions=SqlSubscriptionRepository(session),
                accesses=SqlAccessRepository(session),
                payments=SqlPaymentRepository(session),
                promos=SqlPromoCodeRepository(session),
                audit=SqlAuditLog(session),
                outbox=SqlOutbox(session),
            )

    return scope


@pytest.fixture
def scope(clean_db: async_sessionmaker[AsyncSession]) -> ScopeFactory:
    return scope_factory(clean_db)


_TELEGRAM_IDS = iter(range(10_000_000, 10**12))


class Builders:
    """Test data with every field set (tests reach them through the ``build`` fixture)."""

    now = NOW

    @staticmethod
    def a_customer(**overrides: object) -> Customer:
        values: dict[str, object] = {
            "id": CustomerId(uuid4()),
            "telegram_id": TelegramId(next(_TELEGRAM_IDS)),
            "created_at": NOW,
            "username": "user",
            "first_name": "User",
            "language": Language.RU,
        }
        values.update(overrides)
        return Customer(**values)  # type: ignore[arg-type]

    @staticmethod
    def a_tariff(**overrides: object) -> Tariff:
        values: dict[str, object] = {
            "id": TariffId(uuid4()),
            "code": f"t{uuid4().hex[:8]}",
            "names": {Language.EN: "Standard", Language.RU: "Стандарт"},
            "options": (
                TariffOption(
                    Period(30),
                    {
                        Currency.RUB: Money.of("199.90", Currency.RUB),
                        Currency.XTR: Money.of(111, Currency.XTR),
                    },
                ),
                TariffOption(Period(90), {Currency.RUB: Money.of(499, Currency.RUB)}),
            ),
            "binding": PanelBinding(PanelId("rw-main"), squads=("sq-1", "sq-2"), inbounds=(1, 2)),
            "descriptions": {Language.EN: "Fast", Language.RU: "Быстро"},
            "traffic": TrafficLimit.gib(100),
            "devices": DeviceLimit(3),
            "locations": ("nl", "de"),
        }
        values.update(overrides)
        return Tariff(**values)  # type: ignore[arg-type]

    @staticmethod
    def a_subscription(customer: Customer, tariff: Tariff, **overrides: object) -> Subscription:
        subscription = Subscription.start(
            id=SubscriptionId(uuid4()),
            customer_id=customer.id,
            tariff=tariff,
            period=Period(30),
            now=NOW,
        )
        for name, value in overrides.items():
            setattr(subscription, name, value)
        return subscription

    @staticmethod
    def a_payment(customer: Customer, tariff: Tariff, **overrides: object) -> Payment:
        quote = make_quote(
            Money.of(Decimal("199.90"), Currency.RUB),
            tariff_id=tariff.id,
            days=30,
            promo_code=None,
            referral_percent=Decimal(10),
        )
        values: dict[str, object] = {
            "id": PaymentId(uuid4()),
            "customer_id": customer.id,
            "purpose": PaymentPurpose.NEW,
            "provider": PaymentProvider.YOOKASSA,
            "quote": quote,
            "created_at": NOW,
            "tariff_id": tariff.id,
        }
        values.update(overrides)
        return Payment(**values)  # type: ignore[arg-type]

    @staticmethod
    def later(**kwargs: float) -> datetime:
        return NOW + timedelta(**kwargs)


@pytest.fixture
def build() -> type[Builders]:
    return Builders
