"""Apply what a provider reports about a payment (a fetched ``ProviderPayment``):
succeeded → confirm, canceled/expired → record the failure, refunded → record the
refund, pending → nothing. Used by webhooks and by the worker's re-checks
(it satisfies the worker's ``PaymentConfirmer`` port)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from vpnsales.application.interactors.payments.confirm_payment import (
    ConfirmPayment,
    ConfirmPaymentCommand,
)
from vpnsales.application.interactors.payments.record_payment_failure import (
    RecordPaymentFailure,
    RecordPaymentFailureCommand,
)
from vpnsales.application.interactors.payments.refund_payment import (
    RefundInitiator,
    RefundPayment,
    RefundPaymentCommand,
)
from vpnsales.application.ports.payments import ProviderPayment, ProviderStatus
from vpnsales.domain.errors import InvalidPaymentTransition
from vpnsales.domain.payment import PaymentStatus


@dataclass(frozen=True, slots=True, kw_only=True)
class ApplyProviderPaymentCommand:
    fetched: ProviderPayment
    """Only a payment fetched from the provider is believed."""


class ProviderPaymentEffect(StrEnum):
    CONFIRMED = "confirmed"
    FAILED = "failed"
    REFUNDED = "refunded"
    NOTHING = "nothing"


@dataclass(frozen=True, slots=True, kw_only=True)
class ApplyProviderPaymentResult:
    effect: ProviderPaymentEffect
    detail: str = ""


class ApplyProviderPayment:
    """A router over three use cases, each in its own transaction."""

    def __init__(
        self,
        *,
        confirm: ConfirmPayment,
        record_failure: RecordPaymentFailure,
        refund: RefundPayment,
    ) -> None:
        self._confirm = confirm
        self._record_failure = record_failure
        self._refund = refund

    async def __call__(self, command: ApplyProviderPaymentCommand) -> ApplyProviderPaymentResult:
        fetched = command.fetched
        if fetched.status is ProviderStatus.SUCCEEDED:
            confirmed = await self._confirm(
                ConfirmPaymentCommand(
                    provider=fetched.provider,
                    amount=fetched.amount,
                    payment_id=fetched.payment_id,
                    provider_payment_id=fetched.provider_payment_id,
                    saved_method_id=fetched.saved_method_id,
                )
            )
            return ApplyProviderPaymentResult(
                effect=ProviderPaymentEffect.CONFIRMED, detail=confirmed.outcome.value
            )
        if fetched.status in (ProviderStatus.CANCELED, ProviderStatus.EXPIRED):
            failed = await self._record_failure(
                RecordPaymentFailureCommand(
                    provider=fetched.provider,
                    status=PaymentStatus.CANCELED
                    if fetched.status is ProviderStatus.CANCELED
                    else PaymentStatus.EXPIRED,
                    payment_id=fetched.payment_id,
                    provider_payment_id=fetched.provider_payment_id,
                    reason=fetched.failure_reason.value if fetched.failure_reason else None,
                )
            )
            return ApplyProviderPaymentResult(
                effect=ProviderPaymentEffect.FAILED, detail=failed.outcome.value
            )
        if fetched.status is ProviderStatus.REFUNDED:
            try:
                refunded = await self._refund(
                    RefundPaymentCommand(
                        provider=fetched.provider,
                        payment_id=fetched.payment_id,
                        provider_payment_id=fetched.provider_payment_id,
                        initiated_by=RefundInitiator.PROVIDER,
                    )
                )
            except InvalidPaymentTransition:  # never succeeded here: nothing to take back
                return ApplyProviderPaymentResult(
                    effect=ProviderPaymentEffect.NOTHING, detail="refund of an unpaid payment"
                )
            return ApplyProviderPaymentResult(
                effect=ProviderPaymentEffect.REFUNDED, detail=refunded.outcome.value
            )
        return ApplyProviderPaymentResult(effect=ProviderPaymentEffect.NOTHING)

    async def confirm(self, fetched: ProviderPayment) -> None:
        """``PaymentConfirmer`` port."""
        await self(ApplyProviderPaymentCommand(fetched=fetched))
