"""Wiring of the worker's use cases over the in-memory app (local test helper)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import uuid4

import pytest

from vpnsales.adapters.memory import MemoryUnitOfWork
from vpnsales.adapters.memory.admin import (
    MemoryAccessLookup,
    MemoryBroadcastRepository,
    MemoryStatisticsReader,
)
from vpnsales.application.common import enqueue_sync
from vpnsales.application.interactors.payments.pay_from_balance import PayFromBalance
from vpnsales.application.interactors.system._confirmer import ConfirmPaymentSeam
from vpnsales.application.interactors.system._routing import Route
from vpnsales.application.interactors.system.apply_panel_event import ApplyPanelEvent
from vpnsales.application.interactors.system.auto_renew import AutoRenew
from vpnsales.application.interactors.system.cancel_payment_at_provider import (
    CancelPaymentAtProvider,
    CancelPaymentAtProviderCommand,
)
from vpnsales.application.interactors.system.cancel_stale_payments import CancelStalePayments
from vpnsales.application.interactors.system.daily_summary import DailySummary
from vpnsales.application.interactors.system.deliver_notification import (
    DeliverNotification,
    DeliverNotificationCommand,
)
from vpnsales.application.interactors.system.drain_outbox import (
    DrainOutbox,
    DrainOutboxCommand,
    DrainResult,
)
from vpnsales.application.interactors.system.execute_outbox_message import ExecuteOutboxMessage
from vpnsales.application.interactors.system.expire_due_subscriptions import (
    ExpireDueSubscriptions,
)
from vpnsales.application.interactors.system.process_broadcast import ProcessBroadcast
from vpnsales.application.interactors.system.recheck_pending_payments import (
    RecheckPendingPayments,
)
from vpnsales.application.interactors.system.reconcile_panel import ReconcilePanel
from vpnsales.application.interactors.system.refund_at_provider import (
    RefundAtProvider,
    RefundAtProviderCommand,
)
from vpnsales.application.interactors.system.revoke_access_link import (
    RevokeAccessLink,
    RevokeAccessLinkCommand,
)
from vpnsales.application.interactors.system.send_admin_alert import (
    SendAdminAlert,
    SendAdminAlertCommand,
)
from vpnsales.application.interactors.system.send_customer_message import (
    SendCustomerMessage,
    SendCustomerMessageCommand,
)
from vpnsales.application.interactors.system.send_reminders import SendReminders
from vpnsales.application.interactors.system.sync_access import SyncAccess, SyncAccessCommand
from vpnsales.application.interactors.system.traffic_alerts import TrafficAlerts
from vpnsales.application.ports.outbox import OutboxKind
from vpnsales.application.ports.worker import OutboxHandler, PaymentConfirmer
from vpnsales.application.wiring import Interactors, Ports
from vpnsales.domain.access import Access
from vpnsales.domain.customer import Customer
from vpnsales.domain.ids import AccessId, PanelId, PaymentId, SubscriptionId
from vpnsales.domain.payment import Payment
from vpnsales.domain.subscription import Subscription
from vpnsales.domain.tariff import Tariff
from vpnsales.testing.app import InMemoryApp, build_in_memory_app
from vpnsales.testing.builders import a_customer, a_subscription, a_tariff


class Worker:
    """Builds the worker's use cases from one scope's ports."""

    def __init__(self, ports: Ports, *, random: Callable[[], float] = lambda: 0.5) -> None:
        self.p = ports
        self.random = random
        assert isinstance(ports.uow, MemoryUnitOfWork)
        self.muow: MemoryUnitOfWork = ports.uow

    def confirmer(self) -> PaymentConfirmer:
        return ConfirmPaymentSeam(Interactors(self.p).confirm_payment())

    def sync_access(self) -> SyncAccess:
        p = self.p
        return SyncAccess(
            uow=p.uow,
            accesses=p.accesses,
            subscriptions=p.subscriptions,
            customers=p.customers,
            outbox=p.outbox,
            panels=p.panels,
            clock=p.clock,
        )

    def revoke(self) -> RevokeAccessLink:
        p = self.p
        return RevokeAccessLink(
            uow=p.uow, accesses=p.accesses, outbox=p.outbox, panels=p.panels, clock=p.clock
        )

    def handlers(self) -> dict[OutboxKind, OutboxHandler]:
        p = self.p
        return {
            OutboxKind.SYNC_ACCESS: Route(SyncAccessCommand.from_message, self.sync_access()),
            OutboxKind.REVOKE_ACCESS: Route(RevokeAccessLinkCommand.from_message, self.revoke()),
            OutboxKind.NOTIFY: Route(
                DeliverNotificationCommand.from_message,
                DeliverNotification(
                    uow=p.uow,
                    customers=p.customers,
                    subscriptions=p.subscriptions,
                    accesses=p.accesses,
                    tariffs=p.tariffs,
                    notifier=p.notifier,
                    outbox=p.outbox,
                    clock=p.clock,
                ),
            ),
            OutboxKind.ADMIN_ALERT: Route(
                SendAdminAlertCommand.from_message, SendAdminAlert(alerter=p.alerter)
            ),
            OutboxKind.SEND_MESSAGE: Route(
                SendCustomerMessageCommand.from_message,
                SendCustomerMessage(uow=p.uow, customers=p.customers, notifier=p.notifier),
            ),
            OutboxKind.PROVIDER_CANCEL: Route(
                CancelPaymentAtProviderCommand.from_message,
                CancelPaymentAtProvider(
                    uow=p.uow,
                    payments=p.payments,
                    gateways=p.gateways,
                    confirmer=self.confirmer(),
                ),
            ),
            OutboxKind.PROVIDER_REFUND: Route(
                RefundAtProviderCommand.from_message,
                RefundAtProvider(
                    uow=p.uow,
                    payments=p.payments,
                    gateways=p.gateways,
                    outbox=p.outbox,
                    clock=p.clock,
                ),
            ),
        }

    def execute(
        self, handlers: dict[OutboxKind, OutboxHandler] | None = None
    ) -> ExecuteOutboxMessage:
        p = self.p
        return ExecuteOutboxMessage(
            handlers=handlers if handlers is not None else self.handlers(),
            consumer=p.outbox_consumer,
            outbox=p.outbox,
            uow=p.uow,
            clock=p.clock,
            policy=p.policy,
            random=self.random,
        )

    def drain(self, handlers: dict[OutboxKind, OutboxHandler] | None = None) -> DrainOutbox:
        p = self.p
        return DrainOutbox(
            consumer=p.outbox_consumer,
            execute=self.execute(handlers),
            clock=p.clock,
            policy=p.policy,
        )

    def expire(self) -> ExpireDueSubscriptions:
        p = self.p
        return ExpireDueSubscriptions(
            uow=p.uow,
            subscriptions=p.subscriptions,
            accesses=p.accesses,
            outbox=p.outbox,
            clock=p.clock,
            policy=p.policy,
        )

    def reminders(self) -> SendReminders:
        p = self.p
        return SendReminders(
            uow=p.uow,
            subscriptions=p.subscriptions,
            outbox=p.outbox,
            clock=p.clock,
            policy=p.policy,
        )

    def cancel_stale(self) -> CancelStalePayments:
        p = self.p
        return CancelStalePayments(
            uow=p.uow,
            payments=p.payments,
            promos=p.promos,
            outbox=p.outbox,
            clock=p.clock,
            policy=p.policy,
        )

    def recheck(self, confirmer: PaymentConfirmer | None = None) -> RecheckPendingPayments:
        p = self.p
        return RecheckPendingPayments(
            uow=p.uow,
            payments=p.payments,
            promos=p.promos,
            outbox=p.outbox,
            gateways=p.gateways,
            confirmer=confirmer or self.confirmer(),
            clock=p.clock,
            policy=p.policy,
        )

    def reconcile(self) -> ReconcilePanel:
        p = self.p
        return ReconcilePanel(
            uow=p.uow,
            accesses=p.accesses,
            subscriptions=p.subscriptions,
            customers=p.customers,
            panels=p.panels,
            clock=p.clock,
            outbox=p.outbox,
        )

    def panel_event(self) -> ApplyPanelEvent:
        p = self.p
        return ApplyPanelEvent(
            uow=p.uow,
            lookup=MemoryAccessLookup(self.muow),
            accesses=p.accesses,
            outbox=p.outbox,
            clock=p.clock,
        )

    def traffic(self) -> TrafficAlerts:
        p = self.p
        return TrafficAlerts(
            uow=p.uow,
            accesses=p.accesses,
            subscriptions=p.subscriptions,
            outbox=p.outbox,
            panels=p.panels,
            clock=p.clock,
            policy=p.policy,
        )

    def auto_renew(self, gateways: Any = None) -> AutoRenew:
        p = self.p
        return AutoRenew(
            uow=p.uow,
            subscriptions=p.subscriptions,
            payments=p.payments,
            tariffs=p.tariffs,
            customers=p.customers,
            outbox=p.outbox,
            gateways=gateways if gateways is not None else p.gateways,
            confirmer=self.confirmer(),
            clock=p.clock,
            policy=p.policy,
            balance=PayFromBalance(
                uow=p.uow,
                customers=p.customers,
                tariffs=p.tariffs,
                subscriptions=p.subscriptions,
                accesses=p.accesses,
                payments=p.payments,
                promos=p.promos,
                outbox=p.outbox,
                kicker=p.kicker,
                panels=p.panels,
                clock=p.clock,
                policy=p.policy,
            ),
        )

    def broadcast(self, sender: Any) -> ProcessBroadcast:
        p = self.p
        return ProcessBroadcast(
            uow=p.uow,
            broadcasts=MemoryBroadcastRepository(self.muow),
            sender=sender,
            clock=p.clock,
        )

    def daily_summary(self, db: Any) -> DailySummary:
        p = self.p
        return DailySummary(
            uow=p.uow, statistics=MemoryStatisticsReader(db), outbox=p.outbox, clock=p.clock
        )


async def _runner(app: InMemoryApp) -> int:
    total = 0
    for _ in range(10):
        async with app.scope() as ports:
            result = await Worker(ports).drain()(DrainOutboxCommand())
        total += result.claimed
        if result.claimed == 0:
            break
    return total


def build_app(**kwargs: Any) -> InMemoryApp:
    """The in-memory app whose ``run_outbox`` uses the worker's real use cases."""
    return build_in_memory_app(outbox_runner=_runner, **kwargs)


@dataclass
class Seeded:
    customer: Customer
    tariff: Tariff
    subscription: Subscription
    access: Access


class Kit:
    def __init__(self, app: InMemoryApp) -> None:
        self.app = app

    @property
    def now(self) -> datetime:
        return self.app.clock.now()

    async def run(self, pick: Callable[[Worker], Any], command: Any) -> Any:
        """Run one worker use case in its own scope (like one task execution)."""
        async with self.app.scope() as ports:
            return await pick(Worker(ports))(command)

    async def drain(self, **kwargs: Any) -> DrainResult:
        result: DrainResult = await self.run(lambda w: w.drain(), DrainOutboxCommand(**kwargs))
        return result

    async def seed(
        self,
        *,
        days: int = 30,
        tariff: Tariff | None = None,
        customer: Customer | None = None,
        provision: bool = True,
        panel: str = "panel-1",
        **overrides: Any,
    ) -> Seeded:
        """A customer with an ACTIVE subscription and its access (provisioned through
        the outbox unless ``provision=False``)."""
        if tariff is None:
            tariff = await self.app.add_tariff(a_tariff(panel=panel))
        if customer is None:
            customer = await self.app.add_customer(a_customer(created_at=self.now))
        subscription = a_subscription(
            customer=customer, tariff=tariff, days=days, now=self.now, **overrides
        )
        access = Access.new(
            id=AccessId(uuid4()),
            subscription_id=subscription.id,
            customer_id=customer.id,
            panel_id=PanelId(panel),
            now=self.now,
        )
        async with self.app.scope() as p:
            await p.subscriptions.add(subscription)
            await p.accesses.add(access)
            await enqueue_sync(p.outbox, access, self.now)
            await p.uow.commit()
        if provision:
            await self.drain()
        return Seeded(
            customer=customer,
            tariff=tariff,
            subscription=await self.subscription(subscription.id),
            access=await self.access(access.id),
        )

    async def access(self, access_id: AccessId) -> Access:
        found: Access | None = await self.app.get("accesses", access_id)
        assert found is not None
        return found

    async def subscription(self, subscription_id: SubscriptionId) -> Subscription:
        found: Subscription | None = await self.app.get("subscriptions", subscription_id)
        assert found is not None
        return found

    async def payment(self, payment_id: PaymentId) -> Payment:
        found: Payment | None = await self.app.get("payments", payment_id)
        assert found is not None
        return found


@pytest.fixture
def app() -> InMemoryApp:
    return build_app()


@pytest.fixture
def kit(app: InMemoryApp) -> Kit:
    return Kit(app)
