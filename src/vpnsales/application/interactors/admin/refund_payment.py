"""Refund a payment (owner): a role check in front of the payments refund use case."""

from __future__ import annotations

from dataclasses import dataclass

from vpnsales.application.interactors.admin._guard import Permission, authorize
from vpnsales.application.interactors.payments.refund_payment import (
    RefundInitiator,
    RefundPaymentResult,
)
from vpnsales.application.interactors.payments.refund_payment import (
    RefundPayment as RefundPaymentUseCase,
)
from vpnsales.application.interactors.payments.refund_payment import (
    RefundPaymentCommand as RefundUseCaseCommand,
)
from vpnsales.application.ports.admin import AdminRepository
from vpnsales.domain.ids import PaymentId


@dataclass(frozen=True, slots=True, kw_only=True)
class RefundPaymentCommand:
    actor_telegram_id: int
    payment_id: PaymentId


class RefundPayment:
    """Delegates to the one refund path (``payments.refund_payment``), which in a single
    transaction moves the payment to ``refunded`` once, takes the days back per
    ``policy.refund_mode``, settles the balance, queues PROVIDER_REFUND, tells the
    customer and writes the audit record (``refund_payment``, actor = this admin)."""

    def __init__(self, *, admins: AdminRepository, refund: RefundPaymentUseCase) -> None:
        self._admins = admins
        self._refund = refund

    async def __call__(self, command: RefundPaymentCommand) -> RefundPaymentResult:
        await authorize(self._admins, command.actor_telegram_id, Permission.REFUND)
        return await self._refund(
            RefundUseCaseCommand(
                payment_id=command.payment_id,
                initiated_by=RefundInitiator.ADMIN,
                admin_telegram_id=command.actor_telegram_id,
            )
        )
