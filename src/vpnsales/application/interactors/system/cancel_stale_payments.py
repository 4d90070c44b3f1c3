"""Expire pending payments nobody paid in time (batch sweep)."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import uuid4

from vpnsales.application.common import notify_message
from vpnsales.application.interactors.system._support import release_promo
from vpnsales.application.policy import ShopPolicy
from vpnsales.application.ports.clock import Clock
from vpnsales.application.ports.outbox import Outbox, OutboxKind, OutboxMessage
from vpnsales.application.ports.repositories import PaymentRepository, PromoCodeRepository
from vpnsales.application.ports.telemetry import NO_TELEMETRY, Telemetry
from vpnsales.application.ports.uow import UnitOfWork
from vpnsales.domain.notifications import Intent, IntentKind
from vpnsales.domain.payment import Payment, PaymentProvider


@dataclass(frozen=True, slots=True, kw_only=True)
class CancelStalePaymentsCommand:
    batch: int | None = None
    max_batches: int = 100


@dataclass(frozen=True, slots=True, kw_only=True)
class CancelStaleResult:
    expired: int
    promos_released: int


class CancelStalePayments:
    """Pending for longer than ``policy.payment_ttl``: expire locally, give the promo use
    back, ask the provider to cancel (outbox PROVIDER_CANCEL), tell the customer. The
    payments and outbox rows of a batch are written with one ``save_all`` / ``add_all``
    (promo releases stay per payment: only promo payments have one)."""

    def __init__(
        self,
        *,
        uow: UnitOfWork,
        payments: PaymentRepository,
        promos: PromoCodeRepository,
        outbox: Outbox,
        clock: Clock,
        policy: ShopPolicy,
        telemetry: Telemetry = NO_TELEMETRY,
    ) -> None:
        self._uow = uow
        self._telemetry = telemetry
        self._payments = payments
        self._promos = promos
        self._outbox = outbox
        self._clock = clock
        self._policy = policy

    async def __call__(self, command: CancelStalePaymentsCommand) -> CancelStaleResult:
        size = command.batch or self._policy.sweep_batch
        expired = released = 0
        for _ in range(command.max_batches):
            now = self._clock.now()
            batch = await self._payments.claim_pending(now - self._policy.payment_ttl, size)
            changed: list[Payment] = []
            messages: list[OutboxMessage] = []
            for payment in batch:
                if not payment.mark_expired(now):
                    continue
                changed.append(payment)
                if await release_promo(self._promos, payment):
                    released += 1
                if payment.provider_payment_id and payment.provider is not PaymentProvider.BALANCE:
                    messages.append(
                        OutboxMessage(
                            id=uuid4(),
                            kind=OutboxKind.PROVIDER_CANCEL,
                            payload={"payment_id": str(payment.id)},
                            created_at=now,
                            due_at=now,
                            dedup_key=f"cancel:{payment.id}",
                        )
                    )
                if not payment.auto_renewal:
                    messages.append(
                        notify_message(
                            Intent(
                                kind=IntentKind.PAYMENT_FAILED,
                                customer_id=payment.customer_id,
                                payment_id=payment.id,
                                reason="expired",
                            ),
                            now,
                        )
                    )
            expired += len(changed)
            await self._payments.save_all(changed)
            await self._outbox.add_all(messages)
            await self._uow.commit()
            self._telemetry.payments_moved(*changed)
            if len(batch) < size:
                break
        return CancelStaleResult(expired=expired, promos_released=released)
