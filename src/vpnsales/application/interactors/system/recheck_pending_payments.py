"""Ask providers about payments still pending (a lost webhook must not lose a sale)."""

from __future__ import annotations

from dataclasses import dataclass

from vpnsales.application.common import enqueue_notify
from vpnsales.application.interactors.system._support import release_promo
from vpnsales.application.policy import ShopPolicy
from vpnsales.application.ports.clock import Clock
from vpnsales.application.ports.outbox import Outbox
from vpnsales.application.ports.payments import (
    PaymentGatewayError,
    ProviderPayment,
    ProviderStatus,
)
from vpnsales.application.ports.repositories import PaymentRepository, PromoCodeRepository
from vpnsales.application.ports.telemetry import NO_TELEMETRY, Telemetry
from vpnsales.application.ports.uow import UnitOfWork
from vpnsales.application.ports.worker import PaymentConfirmer, PaymentGateways
from vpnsales.domain.errors import DomainError
from vpnsales.domain.ids import PaymentId
from vpnsales.domain.notifications import Intent, IntentKind
from vpnsales.domain.payment import PaymentProvider


@dataclass(frozen=True, slots=True, kw_only=True)
class RecheckPendingPaymentsCommand:
    limit: int = 100


@dataclass(frozen=True, slots=True, kw_only=True)
class RecheckResult:
    checked: int = 0
    confirmed: int = 0
    canceled: int = 0
    still_pending: int = 0
    failed: int = 0


class RecheckPendingPayments:
    """Pending for longer than ``policy.recheck_after``: claim (short transaction), fetch
    each at its provider outside any transaction, then act on what the provider says —
    succeeded → the confirmation seam (idempotent), canceled/expired → cancel locally,
    release the promo and tell the customer."""

    def __init__(
        self,
        *,
        uow: UnitOfWork,
        payments: PaymentRepository,
        promos: PromoCodeRepository,
        outbox: Outbox,
        gateways: PaymentGateways,
        confirmer: PaymentConfirmer,
        clock: Clock,
        policy: ShopPolicy,
        telemetry: Telemetry = NO_TELEMETRY,
    ) -> None:
        self._uow = uow
        self._telemetry = telemetry
        self._payments = payments
        self._promos = promos
        self._outbox = outbox
        self._gateways = gateways
        self._confirmer = confirmer
        self._clock = clock
        self._policy = policy

    async def __call__(self, command: RecheckPendingPaymentsCommand) -> RecheckResult:
        now = self._clock.now()
        batch = await self._payments.claim_pending(now - self._policy.recheck_after, command.limit)
        targets = [
            (p.id, p.provider, p.provider_payment_id)
            for p in batch
            if p.provider_payment_id and p.provider is not PaymentProvider.BALANCE
        ]
        await self._uow.commit()
        counts = {"checked": 0, "confirmed": 0, "canceled": 0, "still_pending": 0, "failed": 0}
        for payment_id, provider, provider_payment_id in targets:
            gateway = self._gateways.get(provider)
            if gateway is None or provider_payment_id is None:
                continue
            counts["checked"] += 1
            try:
                fetched = await gateway.fetch(provider_payment_id)
                if fetched.status is ProviderStatus.SUCCEEDED:
                    await self._confirmer.confirm(fetched)
                    counts["confirmed"] += 1
                elif fetched.status in (ProviderStatus.CANCELED, ProviderStatus.EXPIRED):
                    if await self._cancel(payment_id, fetched):
                        counts["canceled"] += 1
                else:
                    counts["still_pending"] += 1
            except (PaymentGatewayError, DomainError):
                await self._uow.rollback()
                counts["failed"] += 1
        return RecheckResult(**counts)

    async def _cancel(self, payment_id: PaymentId, fetched: ProviderPayment) -> bool:
        now = self._clock.now()
        payment = await self._payments.get(payment_id, for_update=True)
        if payment is None:
            await self._uow.commit()
            return False
        reason = fetched.failure_reason.value if fetched.failure_reason else "canceled"
        if fetched.status is ProviderStatus.EXPIRED:
            changed = payment.mark_expired(now)
        else:
            changed = payment.mark_canceled(now, reason)
        if changed:
            await self._payments.save(payment)
            await release_promo(self._promos, payment)
            await enqueue_notify(
                self._outbox,
                Intent(
                    kind=IntentKind.PAYMENT_FAILED,
                    customer_id=payment.customer_id,
                    payment_id=payment.id,
                    reason=reason,
                ),
                now,
            )
        await self._uow.commit()
        if changed:
            self._telemetry.payments_moved(payment)
        return changed
