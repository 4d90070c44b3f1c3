"""The test app on PostgreSQL: every scope is one real unit of work.

``postgres_app(sessions)`` is ``build_in_memory_app()`` with the repositories, readers and
outbox replaced by the PostgreSQL adapters (panels, gateways, notifier stay fakes), so the
same use-case tests run against both storages.
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import AsyncIterator
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

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
    metadata,
)
from vpnsales.adapters.persistence.readers import (
    SqlCustomerReader,
    SqlPaymentReader,
    SqlReferralReader,
    SqlSubscriptionReader,
)
from vpnsales.application.wiring import Ports
from vpnsales.testing.app import InMemoryApp, build_in_memory_app


class PostgresApp(InMemoryApp):
    """The test app whose every scope is one PostgreSQL unit of work."""

    sessions: async_sessionmaker[AsyncSession]

    @contextlib.asynccontextmanager
    async def scope(self) -> AsyncIterator[Ports]:
        async with SqlUnitOfWork(self.sessions()) as uow:
            s = uow.session
            yield Ports(
                uow=uow,
                customers=SqlCustomerRepository(s),
                tariffs=SqlTariffRepository(s),
                subscriptions=SqlSubscriptionRepository(s),
                accesses=SqlAccessRepository(s),
                payments=SqlPaymentRepository(s),
                promos=SqlPromoCodeRepository(s),
                audit=SqlAuditLog(s),
                outbox=SqlOutbox(s),
                outbox_consumer=self.consumer,
                kicker=self.kicker,
                clock=self.clock,
                policy=self.policy,
                panels=self.registry,
                gateways=dict(self.gateways),
                notifier=self.notifier,
                alerter=self.alerter,
                subscription_reader=SqlSubscriptionReader(s),
                customer_reader=SqlCustomerReader(s),
                catalog=SqlTariffCatalog(self.sessions, ttl=0),
                referral_reader=SqlReferralReader(s),
                payment_reader=SqlPaymentReader(s),
                telemetry=self.telemetry,
            )

    async def counts(self) -> dict[str, int]:
        """Rows per table (the "nothing changed" check)."""
        result: dict[str, int] = {}
        async with self.sessions() as session:
            for name, table in metadata.tables.items():
                count = await session.scalar(select(func.count()).select_from(table))
                result[name] = int(count or 0)
        return result


def postgres_app(sessions: async_sessionmaker[AsyncSession], **kwargs: Any) -> PostgresApp:
    """``build_in_memory_app(**kwargs)`` with PostgreSQL storage behind ``sessions``."""
    base = build_in_memory_app(**kwargs)
    app = PostgresApp(**{f.name: getattr(base, f.name) for f in dataclasses.fields(InMemoryApp)})
    app.sessions = sessions
    app.consumer = SqlOutboxConsumer(sessions)  # type: ignore[assignment]
    return app
