"""Cancel a stale payment at its provider (outbox PROVIDER_CANCEL)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from vpnsales.application.interactors.system._support import payload_uuid
from vpnsales.application.ports.outbox import OutboxMessage
from vpnsales.application.ports.payments import ProviderPaymentNotFound, ProviderStatus
from vpnsales.application.ports.repositories import PaymentRepository
from vpnsales.application.ports.uow import UnitOfWork
from vpnsales.application.ports.worker import PaymentConfirmer, PaymentGateways
from vpnsales.domain.ids import PaymentId


@dataclass(frozen=True, slots=True, kw_only=True)
class CancelPaymentAtProviderCommand:
    payment_id: PaymentId

    @classmethod
    def from_message(cls, message: OutboxMessage) -> CancelPaymentAtProviderCommand:
        return cls(payment_id=PaymentId(payload_uuid(message, "payment_id")))


class CancelOutcome(StrEnum):
    CANCELED = "canceled"
    NOTHING_TO_CANCEL = "nothing_to_cancel"
    PAID_MEANWHILE = "paid_meanwhile"
    """The customer paid at the last moment: handed to confirmation (flags it late)."""


class CancelPaymentAtProvider:
    def __init__(
        self,
        *,
        uow: UnitOfWork,
        payments: PaymentRepository,
        gateways: PaymentGateways,
        confirmer: PaymentConfirmer,
    ) -> None:
        self._uow = uow
        self._payments = payments
        self._gateways = gateways
        self._confirmer = confirmer

    async def __call__(self, command: CancelPaymentAtProviderCommand) -> CancelOutcome:
        payment = await self._payments.get(command.payment_id)
        await self._uow.commit()
        if payment is None or not payment.provider_payment_id:
            return CancelOutcome.NOTHING_TO_CANCEL
        gateway = self._gateways.get(payment.provider)
        if gateway is None:
            return CancelOutcome.NOTHING_TO_CANCEL
        try:
            fetched = await gateway.cancel(payment.provider_payment_id)
        except ProviderPaymentNotFound:
            return CancelOutcome.NOTHING_TO_CANCEL
        if fetched.status is ProviderStatus.SUCCEEDED:
            await self._confirmer.confirm(fetched)
            return CancelOutcome.PAID_MEANWHILE
        return CancelOutcome.CANCELED
