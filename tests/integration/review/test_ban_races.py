"""Ban/unban on real PostgreSQL: no lost update against a concurrent renewal, and the
suspension reason survives a round trip."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from vpnsales.adapters.persistence import (
    SqlAccessRepository,
    SqlAuditLog,
    SqlCustomerRepository,
    SqlOutbox,
    SqlSubscriptionRepository,
    SqlTariffRepository,
    SqlUnitOfWork,
)
from vpnsales.adapters.persistence.admin import SqlAdminRepository
from vpnsales.application.interactors.admin.ban_customer import BanCustomer, BanCustomerCommand
from vpnsales.application.interactors.admin.unban_customer import (
    UnbanCustomer,
    UnbanCustomerCommand,
)
from vpnsales.application.ports.admin import Admin, AdminRole
from vpnsales.domain.ids import CustomerId
from vpnsales.domain.subscription import Subscription, SubscriptionStatus, SuspensionReason
from vpnsales.testing.builders import a_customer, a_subscription, a_tariff
from vpnsales.testing.clock import SteerableClock

OWNER = 4242


class _PausingSubscriptions(SqlSubscriptionRepository):
    """Stops after listing a customer's subscriptions until ``go`` is set."""

    def __init__(self, session: AsyncSession, listed: asyncio.Event, go: asyncio.Event) -> None:
        super().__init__(session)
        self._listed, self._go = listed, go

    async def for_customer(self, customer_id: CustomerId) -> list[Subscription]:
        found = await super().for_customer(customer_id)
        self._listed.set()
        await self._go.wait()
        return found


async def _seed(sessions: async_sessionmaker[AsyncSession], clock: SteerableClock) -> Any:
    tariff = a_tariff()
    customer = a_customer(telegram_id=777001)
    subscription = a_subscription(customer=customer, tariff=tariff, now=clock.now())
    async with SqlUnitOfWork(sessions()) as uow:
        session = uow.session
        await SqlTariffRepository(session).add(tariff)
        await SqlCustomerRepository(session).add(customer)
        await SqlSubscriptionRepository(session).add(subscription)
        await SqlAdminRepository(session).add(
            Admin(telegram_id=OWNER, role=AdminRole.OWNER, added_at=clock.now())
        )
        await uow.commit()
    return customer, subscription


def _admin_use_case(cls: type, session: AsyncSession, clock: SteerableClock, **over: Any) -> Any:
    ports: dict[str, Any] = {
        "uow": SqlUnitOfWork(session),
        "admins": SqlAdminRepository(session),
        "customers": SqlCustomerRepository(session),
        "subscriptions": SqlSubscriptionRepository(session),
        "accesses": SqlAccessRepository(session),
        "outbox": SqlOutbox(session),
        "audit": SqlAuditLog(session),
        "clock": clock,
    }
    ports.update(over)
    return cls(**ports)


async def test_ban_does_not_undo_a_renewal_committed_meanwhile(
    clean_db: async_sessionmaker[AsyncSession],
) -> None:
    clock = SteerableClock()
    customer, subscription = await _seed(clean_db, clock)
    listed, go = asyncio.Event(), asyncio.Event()

    async def ban() -> None:
        async with SqlUnitOfWork(clean_db()) as uow:
            session = uow.session
            use_case = _admin_use_case(
                BanCustomer,
                session,
                clock,
                subscriptions=_PausingSubscriptions(session, listed, go),
            )
            await use_case(
                BanCustomerCommand(actor_telegram_id=OWNER, customer=str(customer.telegram_id))
            )

    async def renew() -> None:  # what a confirmed renewal does to the row
        async with SqlUnitOfWork(clean_db()) as uow:
            repo = SqlSubscriptionRepository(uow.session)
            locked = await repo.get(subscription.id, for_update=True)
            assert locked is not None
            locked.extend(30, clock.now())
            await repo.save(locked)
            await uow.commit()

    banning = asyncio.create_task(ban())
    await asyncio.wait_for(listed.wait(), 10)
    await asyncio.wait_for(renew(), 10)
    go.set()
    await asyncio.wait_for(banning, 10)

    async with SqlUnitOfWork(clean_db()) as uow:
        stored = await SqlSubscriptionRepository(uow.session).get(subscription.id)
    assert stored is not None
    assert stored.status is SubscriptionStatus.SUSPENDED
    assert stored.suspended_reason is SuspensionReason.BAN
    assert stored.expires_at == subscription.expires_at + timedelta(days=30)  # not lost


async def test_unban_lifts_only_the_ban_suspension(
    clean_db: async_sessionmaker[AsyncSession],
) -> None:
    clock = SteerableClock()
    customer, subscription = await _seed(clean_db, clock)
    refunded = a_subscription(customer=customer, tariff=None, now=clock.now())
    refunded.suspend(SuspensionReason.REFUND)
    async with SqlUnitOfWork(clean_db()) as uow:
        tariff = a_tariff(id=refunded.tariff_id)
        await SqlTariffRepository(uow.session).add(tariff)
        await SqlSubscriptionRepository(uow.session).add(refunded)
        await uow.commit()
    command: dict[str, Any] = {"actor_telegram_id": OWNER, "customer": str(customer.telegram_id)}

    async with SqlUnitOfWork(clean_db()) as uow:
        await _admin_use_case(BanCustomer, uow.session, clock)(BanCustomerCommand(**command))
    async with SqlUnitOfWork(clean_db()) as uow:
        await _admin_use_case(UnbanCustomer, uow.session, clock)(UnbanCustomerCommand(**command))

    async with SqlUnitOfWork(clean_db()) as uow:
        repo = SqlSubscriptionRepository(uow.session)
        back = await repo.get(subscription.id)
        held = await repo.get(refunded.id)
    assert back is not None
    assert back.status is SubscriptionStatus.ACTIVE
    assert back.suspended_reason is None
    assert held is not None
    assert held.status is SubscriptionStatus.SUSPENDED
    assert held.suspended_reason is SuspensionReason.REFUND
