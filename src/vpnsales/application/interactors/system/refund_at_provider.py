"""Refund a payment at its provider (outbox PROVIDER_REFUND)."""

from __future__ import annotations

from dataclasses import dataclass

from vpnsales.application.common import enqueue_alert
from vpnsales.application.interactors.system._support import payload_uuid
from vpnsales.application.ports.clock import Clock
from vpnsales.application.ports.notifier import Alert, AlertKind
from vpnsales.application.ports.outbox import Outbox, OutboxMessage
from vpnsales.application.ports.payments import RefundResult
from vpnsales.application.ports.repositories import PaymentRepository
from vpnsales.application.ports.uow import UnitOfWork
from vpnsales.application.ports.worker import PaymentGateways, PermanentFailure
from vpnsales.domain.ids import PaymentId
from vpnsales.domain.money import Currency, Money


@dataclass(frozen=True, slots=True, kw_only=True)
class RefundAtProviderCommand:
    payment_id: PaymentId
    amount: Money | None = None
    """What to give back; the confirmed amount when unset."""

    @classmethod
    def from_message(cls, message: OutboxMessage) -> RefundAtProviderCommand:
        amount = None
        if "amount" in message.payload:
            try:
                amount = Money.exact(
                    str(message.payload["amount"]), Currency(str(message.payload["currency"]))
                )
            except (KeyError, ValueError) as exc:
                raise PermanentFailure("malformed refund amount") from exc
        return cls(payment_id=PaymentId(payload_uuid(message, "payment_id")), amount=amount)


class RefundAtProvider:
    """Idempotent at the provider (the idempotency key is derived from our payment id).
    A refund the provider declines is reported to the seller, not retried."""

    def __init__(
        self,
        *,
        uow: UnitOfWork,
        payments: PaymentRepository,
        gateways: PaymentGateways,
        outbox: Outbox,
        clock: Clock,
    ) -> None:
        self._uow = uow
        self._payments = payments
        self._gateways = gateways
        self._outbox = outbox
        self._clock = clock

    async def __call__(self, command: RefundAtProviderCommand) -> RefundResult | None:
        payment = await self._payments.get(command.payment_id)
        await self._uow.commit()
        if payment is None:
            raise PermanentFailure(f"payment {command.payment_id} not found")
        gateway = self._gateways.get(payment.provider)
        if gateway is None or not payment.provider_payment_id:
            return None
        amount = command.amount or payment.confirmed_amount or payment.amount
        result = await gateway.refund(
            payment.provider_payment_id, amount, idempotency_key=f"refund-{payment.id}"
        )
        if not result.succeeded:
            await enqueue_alert(
                self._outbox,
                Alert(
                    kind=AlertKind.REFUND,
                    text=f"Refund of payment {payment.id} ({amount}) was declined by "
                    f"{payment.provider}; refund it by hand.",
                ),
                self._clock.now(),
                f"refund-declined:{payment.id}",
            )
            await self._uow.commit()
        return result
