"""Which use case executes which kind of outbox message (the one place that says so)."""

from __future__ import annotations

from collections.abc import Mapping

from vpnsales.application.interactors.system._routing import Route
from vpnsales.application.interactors.system.cancel_payment_at_provider import (
    CancelPaymentAtProvider,
    CancelPaymentAtProviderCommand,
)
from vpnsales.application.interactors.system.deliver_notification import (
    DeliverNotification,
    DeliverNotificationCommand,
)
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
from vpnsales.application.interactors.system.sync_access import SyncAccess, SyncAccessCommand
from vpnsales.application.ports.outbox import OutboxKind
from vpnsales.application.ports.worker import OutboxHandler


def outbox_routes(
    *,
    sync: SyncAccess,
    revoke: RevokeAccessLink,
    notify: DeliverNotification,
    alert: SendAdminAlert,
    message: SendCustomerMessage,
    cancel: CancelPaymentAtProvider,
    refund: RefundAtProvider,
) -> Mapping[OutboxKind, OutboxHandler]:
    routes: dict[OutboxKind, OutboxHandler] = {
        OutboxKind.SYNC_ACCESS: Route(SyncAccessCommand.from_message, sync),
        OutboxKind.REVOKE_ACCESS: Route(RevokeAccessLinkCommand.from_message, revoke),
        OutboxKind.NOTIFY: Route(DeliverNotificationCommand.from_message, notify),
        OutboxKind.ADMIN_ALERT: Route(SendAdminAlertCommand.from_message, alert),
        OutboxKind.SEND_MESSAGE: Route(SendCustomerMessageCommand.from_message, message),
        OutboxKind.PROVIDER_CANCEL: Route(CancelPaymentAtProviderCommand.from_message, cancel),
        OutboxKind.PROVIDER_REFUND: Route(RefundAtProviderCommand.from_message, refund),
    }
    missing = set(OutboxKind) - routes.keys()
    if missing:  # pragma: no cover - guarded by a unit test
        raise RuntimeError(f"no outbox route for {sorted(missing)}")
    return routes
