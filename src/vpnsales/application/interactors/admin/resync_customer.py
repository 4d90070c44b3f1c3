"""Push a customer's accesses to the panels again (owner, support)."""

from __future__ import annotations

from dataclasses import dataclass

from vpnsales.application.common import enqueue_sync
from vpnsales.application.interactors.admin._customers import resolve_customer
from vpnsales.application.interactors.admin._guard import Permission, authorize
from vpnsales.application.ports.admin import AdminRepository
from vpnsales.application.ports.clock import Clock
from vpnsales.application.ports.outbox import Outbox
from vpnsales.application.ports.repositories import (
    AccessRepository,
    AuditLog,
    CustomerRepository,
)
from vpnsales.application.ports.uow import UnitOfWork
from vpnsales.domain.access import DesiredState


@dataclass(frozen=True, slots=True, kw_only=True)
class ResyncCustomerCommand:
    actor_telegram_id: int
    customer: str


class ResyncCustomer:
    """Each access gets a new version (``request_sync``) and a SYNC_ACCESS message, so
    the worker converges it even when it was believed to be in sync."""

    def __init__(
        self,
        *,
        uow: UnitOfWork,
        admins: AdminRepository,
        customers: CustomerRepository,
        accesses: AccessRepository,
        outbox: Outbox,
        audit: AuditLog,
        clock: Clock,
    ) -> None:
        self._uow = uow
        self._admins = admins
        self._customers = customers
        self._accesses = accesses
        self._outbox = outbox
        self._audit = audit
        self._clock = clock

    async def __call__(self, command: ResyncCustomerCommand) -> int:
        """How many syncs were queued."""
        await authorize(self._admins, command.actor_telegram_id, Permission.RESYNC)
        customer = await resolve_customer(self._customers, command.customer)
        now = self._clock.now()
        queued: list[str] = []
        for found in await self._accesses.for_customer(customer.id):
            access = await self._accesses.get(found.id, for_update=True)
            if access is None or (
                access.desired is DesiredState.DELETED and not access.is_provisioned
            ):
                continue
            access.request_sync()
            await self._accesses.save(access)
            await enqueue_sync(self._outbox, access, now)
            queued.append(str(access.id))
        await self._audit.record(
            actor_telegram_id=command.actor_telegram_id,
            action="customer.resync",
            target=f"customer:{customer.telegram_id}",
            at=now,
            after={"accesses": queued},
        )
        await self._uow.commit()
        return len(queued)
