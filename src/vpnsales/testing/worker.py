"""The worker's outbox execution over an in-memory app (the real system use cases).

``build_in_memory_app()`` uses :func:`system_outbox_runner` for ``app.run_outbox()``; the
small built-in executor stays available as ``simple_outbox_runner``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from vpnsales.application.interactors.system._confirmer import ConfirmPaymentSeam
from vpnsales.application.interactors.system.cancel_payment_at_provider import (
    CancelPaymentAtProvider,
)
from vpnsales.application.interactors.system.deliver_notification import DeliverNotification
from vpnsales.application.interactors.system.drain_outbox import DrainOutbox, DrainOutboxCommand
from vpnsales.application.interactors.system.execute_outbox_message import ExecuteOutboxMessage
from vpnsales.application.interactors.system.outbox_routes import outbox_routes
from vpnsales.application.interactors.system.refund_at_provider import RefundAtProvider
from vpnsales.application.interactors.system.revoke_access_link import RevokeAccessLink
from vpnsales.application.interactors.system.send_admin_alert import SendAdminAlert
from vpnsales.application.interactors.system.send_customer_message import SendCustomerMessage
from vpnsales.application.interactors.system.sync_access import SyncAccess
from vpnsales.application.ports.outbox import OutboxKind, RetryPolicy
from vpnsales.application.ports.worker import OutboxHandler
from vpnsales.application.wiring import Interactors, Ports

if TYPE_CHECKING:
    from vpnsales.testing.app import InMemoryApp


def outbox_handlers(p: Ports) -> Mapping[OutboxKind, OutboxHandler]:
    confirmer = ConfirmPaymentSeam(Interactors(p).confirm_payment())
    return outbox_routes(
        sync=SyncAccess(
            uow=p.uow,
            accesses=p.accesses,
            subscriptions=p.subscriptions,
            customers=p.customers,
            outbox=p.outbox,
            panels=p.panels,
            clock=p.clock,
            telemetry=p.telemetry,
        ),
        revoke=RevokeAccessLink(
            uow=p.uow, accesses=p.accesses, outbox=p.outbox, panels=p.panels, clock=p.clock
        ),
        notify=DeliverNotification(
            uow=p.uow,
            customers=p.customers,
            subscriptions=p.subscriptions,
            accesses=p.accesses,
            tariffs=p.tariffs,
            notifier=p.notifier,
            outbox=p.outbox,
            clock=p.clock,
        ),
        alert=SendAdminAlert(alerter=p.alerter),
        message=SendCustomerMessage(uow=p.uow, customers=p.customers, notifier=p.notifier),
        cancel=CancelPaymentAtProvider(
            uow=p.uow, payments=p.payments, gateways=p.gateways, confirmer=confirmer
        ),
        refund=RefundAtProvider(
            uow=p.uow, payments=p.payments, gateways=p.gateways, outbox=p.outbox, clock=p.clock
        ),
    )


def drain_outbox(p: Ports) -> DrainOutbox:
    execute = ExecuteOutboxMessage(
        handlers=outbox_handlers(p),
        consumer=p.outbox_consumer,
        outbox=p.outbox,
        uow=p.uow,
        clock=p.clock,
        retry=RetryPolicy(max_attempts=p.policy.outbox_max_attempts),
        random=lambda: 0.5,
    )
    return DrainOutbox(consumer=p.outbox_consumer, execute=execute, clock=p.clock, policy=p.policy)


async def system_outbox_runner(app: InMemoryApp, rounds: int = 10) -> int:
    """Drain due messages with the worker's use cases until nothing new appears."""
    total = 0
    for _ in range(rounds):
        async with app.scope() as ports:
            result = await drain_outbox(ports)(DrainOutboxCommand())
        total += result.claimed
        if result.claimed == 0:
            break
    return total
