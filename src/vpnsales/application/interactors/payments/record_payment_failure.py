"""A payment did not go through (provider says canceled/expired/failed): close it,
release its promo reservation and tell the customer why. Idempotent."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from vpnsales.application.common import enqueue_notify
from vpnsales.application.interactors.payments._support import find_payment, kick, release_promo
from vpnsales.application.ports.clock import Clock
from vpnsales.application.ports.outbox import Outbox, TaskKicker
from vpnsales.application.ports.repositories import PaymentRepository, PromoCodeRepository
from vpnsales.application.ports.telemetry import NO_TELEMETRY, Telemetry
from vpnsales.application.ports.uow import UnitOfWork
from vpnsales.domain.errors import InvalidValue
from vpnsales.domain.ids import PaymentId
from vpnsales.domain.notifications import Intent, IntentKind
from vpnsales.domain.payment import PaymentProvider, PaymentStatus


@dataclass(frozen=True, slots=True, kw_only=True)
class RecordPaymentFailureCommand:
    provider: PaymentProvider
    status: PaymentStatus = PaymentStatus.CANCELED
    """CANCELED, EXPIRED or FAILED."""
    payment_id: PaymentId | None = None
    provider_payment_id: str | None = None
    reason: str | None = None
    """A ``FailureReason`` value (rendered for the customer at the edge)."""
    notify: bool = True


class FailureOutcome(StrEnum):
    CLOSED = "closed"
    ALREADY_CLOSED = "already_closed"
    IGNORED = "ignored"
    """The payment succeeded (or was refunded): a late failure notice changes nothing."""


@dataclass(frozen=True, slots=True, kw_only=True)
class RecordPaymentFailureResult:
    payment_id: PaymentId
    outcome: FailureOutcome
    promo_released: bool = False


class RecordPaymentFailure:
    def __init__(
        self,
        *,
        uow: UnitOfWork,
        payments: PaymentRepository,
        promos: PromoCodeRepository,
        outbox: Outbox,
        kicker: TaskKicker,
        clock: Clock,
        telemetry: Telemetry = NO_TELEMETRY,
    ) -> None:
        self._uow = uow
        self._telemetry = telemetry
        self._payments = payments
        self._promos = promos
        self._outbox = outbox
        self._kicker = kicker
        self._clock = clock

    async def __call__(self, command: RecordPaymentFailureCommand) -> RecordPaymentFailureResult:
        if command.status not in (
            PaymentStatus.CANCELED,
            PaymentStatus.EXPIRED,
            PaymentStatus.FAILED,
        ):
            raise InvalidValue(f"{command.status} is not a failure")
        now = self._clock.now()
        payment = await find_payment(
            self._payments,
            provider=command.provider,
            payment_id=command.payment_id,
            provider_payment_id=command.provider_payment_id,
        )
        if payment.status is not PaymentStatus.PENDING:
            await self._uow.rollback()
            outcome = (
                FailureOutcome.IGNORED
                if payment.status in (PaymentStatus.SUCCEEDED, PaymentStatus.REFUNDED)
                else FailureOutcome.ALREADY_CLOSED
            )
            return RecordPaymentFailureResult(payment_id=payment.id, outcome=outcome)
        if command.status is PaymentStatus.CANCELED:
            payment.mark_canceled(now, command.reason)
        elif command.status is PaymentStatus.EXPIRED:
            payment.mark_expired(now)
        else:
            payment.mark_failed(now, command.reason)
        await self._payments.save(payment)
        released = await release_promo(self._promos, payment)
        if command.notify:
            intent = Intent(
                kind=IntentKind.PAYMENT_FAILED,
                customer_id=payment.customer_id,
                payment_id=payment.id,
                reason=command.reason or command.status.value,
            )
            await enqueue_notify(self._outbox, intent, now)
        await self._uow.commit()
        self._telemetry.payments_moved(payment)
        await kick(self._kicker)
        return RecordPaymentFailureResult(
            payment_id=payment.id, outcome=FailureOutcome.CLOSED, promo_released=released
        )
