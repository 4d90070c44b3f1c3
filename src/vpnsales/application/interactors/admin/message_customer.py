"""Send a customer a message written by an admin (owner, support)."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import uuid4

from vpnsales.application.interactors.admin._customers import resolve_customer
from vpnsales.application.interactors.admin._guard import Permission, authorize
from vpnsales.application.ports.admin import AdminRepository
from vpnsales.application.ports.clock import Clock
from vpnsales.application.ports.outbox import Outbox, OutboxKind, OutboxMessage
from vpnsales.application.ports.repositories import AuditLog, CustomerRepository
from vpnsales.application.ports.uow import UnitOfWork
from vpnsales.domain.errors import InvalidValue

MAX_TEXT = 4096


@dataclass(frozen=True, slots=True, kw_only=True)
class MessageCustomerCommand:
    actor_telegram_id: int
    customer: str
    text: str


class MessageCustomer:
    """Delivered by the worker (outbox SEND_MESSAGE), retried if Telegram hiccups."""

    def __init__(
        self,
        *,
        uow: UnitOfWork,
        admins: AdminRepository,
        customers: CustomerRepository,
        outbox: Outbox,
        audit: AuditLog,
        clock: Clock,
    ) -> None:
        self._uow = uow
        self._admins = admins
        self._customers = customers
        self._outbox = outbox
        self._audit = audit
        self._clock = clock

    async def __call__(self, command: MessageCustomerCommand) -> None:
        await authorize(self._admins, command.actor_telegram_id, Permission.MESSAGE_CUSTOMER)
        text = command.text.strip()
        if not text or len(text) > MAX_TEXT:
            raise InvalidValue(f"message must be 1-{MAX_TEXT} characters")
        customer = await resolve_customer(self._customers, command.customer)
        now = self._clock.now()
        await self._outbox.add(
            OutboxMessage(
                id=uuid4(),
                kind=OutboxKind.SEND_MESSAGE,
                payload={"customer_id": str(customer.id), "text": text},
                created_at=now,
                due_at=now,
            )
        )
        await self._audit.record(
            actor_telegram_id=command.actor_telegram_id,
            action="customer.message",
            target=f"customer:{customer.telegram_id}",
            at=now,
            after={"text": text[:200]},
        )
        await self._uow.commit()
