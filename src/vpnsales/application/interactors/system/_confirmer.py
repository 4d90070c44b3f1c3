"""The ``PaymentConfirmer`` seam over the customer-side ``ConfirmPayment`` use case."""

from __future__ import annotations

from vpnsales.application.interactors.payments.confirm_payment import (
    ConfirmPayment,
    ConfirmPaymentCommand,
)
from vpnsales.application.ports.payments import ProviderPayment


class ConfirmPaymentSeam:
    """Implements ``PaymentConfirmer``: what the provider reported (fetched, never an
    unverified body) goes through the one idempotent confirmation path."""

    def __init__(self, confirm: ConfirmPayment) -> None:
        self._confirm = confirm

    async def confirm(self, fetched: ProviderPayment) -> None:
        await self._confirm(
            ConfirmPaymentCommand(
                provider=fetched.provider,
                amount=fetched.amount,
                payment_id=fetched.payment_id,
                provider_payment_id=fetched.provider_payment_id,
                saved_method_id=fetched.saved_method_id,
            )
        )
