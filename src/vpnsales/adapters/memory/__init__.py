"""In-memory adapters: every application port, for unit tests and library users' tests.

Semantics (see :mod:`.uow`): entities are deep-copied in and out of a shared
:class:`MemoryDatabase`; a unit of work stages writes until ``commit`` and holds the
database lock from its first repository call until commit/rollback, so concurrent
coroutines behave like serializable transactions. Unique constraints raise the same
typed domain errors as the PostgreSQL adapter.
"""

from vpnsales.adapters.memory.clock import ManualClock, SystemClock
from vpnsales.adapters.memory.database import AuditEntry, MemoryDatabase, OutboxRow
from vpnsales.adapters.memory.notifier import Delivery, RecordingAlerter, RecordingNotifier
from vpnsales.adapters.memory.outbox import MemoryOutbox, MemoryOutboxConsumer, RecordingTaskKicker
from vpnsales.adapters.memory.panels import StaticPanelRegistry
from vpnsales.adapters.memory.readers import (
    MemoryCustomerReader,
    MemoryCustomerSummaryReader,
    MemoryPaymentReader,
    MemoryReferralReader,
    MemorySubscriptionReader,
    MemoryTariffCatalog,
)
from vpnsales.adapters.memory.repositories import (
    MemoryAccessRepository,
    MemoryAuditLog,
    MemoryCustomerRepository,
    MemoryPaymentRepository,
    MemoryPromoCodeRepository,
    MemorySubscriptionRepository,
    MemoryTariffRepository,
)
from vpnsales.adapters.memory.uow import MemoryUnitOfWork

__all__ = [
    "AuditEntry",
    "Delivery",
    "ManualClock",
    "MemoryAccessRepository",
    "MemoryAuditLog",
    "MemoryCustomerReader",
    "MemoryCustomerRepository",
    "MemoryCustomerSummaryReader",
    "MemoryDatabase",
    "MemoryOutbox",
    "MemoryOutboxConsumer",
    "MemoryPaymentReader",
    "MemoryPaymentRepository",
    "MemoryPromoCodeRepository",
    "MemoryReferralReader",
    "MemorySubscriptionReader",
    "MemorySubscriptionRepository",
    "MemoryTariffCatalog",
    "MemoryTariffRepository",
    "MemoryUnitOfWork",
    "OutboxRow",
    "RecordingAlerter",
    "RecordingNotifier",
    "RecordingTaskKicker",
    "StaticPanelRegistry",
    "SystemClock",
]
