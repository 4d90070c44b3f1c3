"""Send an admin-written message to a customer (outbox SEND_MESSAGE)."""

from __future__ import annotations

from dataclasses import dataclass

from vpnsales.application.interactors.system._support import payload_uuid
from vpnsales.application.ports.notifier import DeliveryOutcome, Notifier, Recipient
from vpnsales.application.ports.outbox import OutboxMessage
from vpnsales.application.ports.repositories import CustomerRepository
from vpnsales.application.ports.uow import UnitOfWork
from vpnsales.application.ports.worker import PermanentFailure, TransientFailure
from vpnsales.domain.ids import CustomerId


@dataclass(frozen=True, slots=True, kw_only=True)
class SendCustomerMessageCommand:
    customer_id: CustomerId
    text: str

    @classmethod
    def from_message(cls, message: OutboxMessage) -> SendCustomerMessageCommand:
        text = message.payload.get("text")
        if not isinstance(text, str) or not text:
            raise PermanentFailure("message payload has no text")
        return cls(customer_id=CustomerId(payload_uuid(message, "customer_id")), text=text)


class SendCustomerMessage:
    def __init__(
        self, *, uow: UnitOfWork, customers: CustomerRepository, notifier: Notifier
    ) -> None:
        self._uow = uow
        self._customers = customers
        self._notifier = notifier

    async def __call__(self, command: SendCustomerMessageCommand) -> DeliveryOutcome:
        customer = await self._customers.get(command.customer_id)
        await self._uow.commit()
        if customer is None:
            raise PermanentFailure(f"customer {command.customer_id} not found")
        outcome = await self._notifier.send_text(
            Recipient(telegram_id=customer.telegram_id, language=customer.language), command.text
        )
        if outcome is DeliveryOutcome.FAILED:
            raise TransientFailure("message not delivered")
        return outcome
