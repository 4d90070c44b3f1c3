"""Wiring of the admin use cases over the in-memory app (local test helper)."""

from __future__ import annotations

import dataclasses
import inspect
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import uuid4

import pytest

from vpnsales.adapters.memory import MemoryUnitOfWork
from vpnsales.adapters.memory.admin import (
    MemoryAdminRepository,
    MemoryBroadcastRepository,
    MemoryFlagStore,
    MemoryStatisticsReader,
)
from vpnsales.application.common import enqueue_sync
from vpnsales.application.interactors.payments.refund_payment import (
    RefundPayment as RefundPaymentUseCase,
)
from vpnsales.application.ports.admin import Admin, AdminRole
from vpnsales.application.wiring import Ports
from vpnsales.domain.access import Access
from vpnsales.domain.customer import Customer
from vpnsales.domain.ids import AccessId, PanelId
from vpnsales.domain.subscription import Subscription
from vpnsales.domain.tariff import Tariff
from vpnsales.testing.app import InMemoryApp, build_in_memory_app
from vpnsales.testing.builders import a_customer, a_subscription, a_tariff

OWNER = 1001
SUPPORT = 1002
STRANGER = 1003


def _available(ports: Ports, db: Any) -> dict[str, Any]:
    assert isinstance(ports.uow, MemoryUnitOfWork)
    uow = ports.uow
    found = {f.name: getattr(ports, f.name) for f in dataclasses.fields(ports)}
    found.update(
        admins=MemoryAdminRepository(uow),
        flags=MemoryFlagStore(uow),
        broadcasts=MemoryBroadcastRepository(uow),
        statistics=MemoryStatisticsReader(db),
    )
    found["refund"] = RefundPaymentUseCase(
        **{name: found[name] for name in inspect.signature(RefundPaymentUseCase).parameters}
    )
    return found


@dataclass
class Seeded:
    customer: Customer
    tariff: Tariff
    subscription: Subscription
    access: Access


class AdminKit:
    def __init__(self, app: InMemoryApp) -> None:
        self.app = app

    @property
    def now(self) -> datetime:
        return self.app.clock.now()

    async def run(self, interactor: type, command: Any) -> Any:
        """Build ``interactor`` from one scope's ports (by constructor parameter name)."""
        async with self.app.scope() as ports:
            available = _available(ports, self.app.db)
            params = inspect.signature(interactor).parameters
            return await interactor(**{name: available[name] for name in params})(command)

    async def add_admin(self, telegram_id: int, role: AdminRole) -> None:
        async with self.app.scope() as ports:
            assert isinstance(ports.uow, MemoryUnitOfWork)
            await MemoryAdminRepository(ports.uow).add(
                Admin(telegram_id=telegram_id, role=role, added_at=self.now)
            )
            await ports.uow.commit()

    def audit(self, action: str | None = None) -> list[Any]:
        return [e for e in self.app.rows("audit") if action is None or e.action == action]

    async def seed(
        self,
        *,
        days: int = 30,
        tariff: Tariff | None = None,
        customer: Customer | None = None,
        **overrides: Any,
    ) -> Seeded:
        tariff = tariff or await self.app.add_tariff(a_tariff())
        customer = customer or await self.app.add_customer(a_customer(created_at=self.now))
        subscription = a_subscription(
            customer=customer, tariff=tariff, days=days, now=self.now, **overrides
        )
        access = Access.new(
            id=AccessId(uuid4()),
            subscription_id=subscription.id,
            customer_id=customer.id,
            panel_id=PanelId("panel-1"),
            now=self.now,
        )
        async with self.app.scope() as p:
            await p.subscriptions.add(subscription)
            await p.accesses.add(access)
            await enqueue_sync(p.outbox, access, self.now)
            await p.uow.commit()
        await self.app.run_outbox()
        stored = await self.app.get("accesses", access.id)
        return Seeded(customer, tariff, subscription, stored)


@pytest.fixture
async def kit() -> AdminKit:
    kit = AdminKit(build_in_memory_app())
    await kit.add_admin(OWNER, AdminRole.OWNER)
    await kit.add_admin(SUPPORT, AdminRole.SUPPORT)
    return kit
