"""PostgreSQL persistence (SQLAlchemy 2 async Core + asyncpg).

* ``tables`` — every table in one naming-convention ``MetaData``; ``errors`` maps
  constraint names to typed domain errors; each aggregate module holds its repository
  and its explicit mappers (row → domain object, domain object → values): rows never
  leave the adapter.
* ``SqlUnitOfWork`` — one ``AsyncSession`` per scope, shared by the scope's
  repositories; leaving without ``commit`` rolls back.
* ``add`` of something that may already exist runs in a SAVEPOINT, so a typed
  ``…AlreadyExists`` leaves the unit of work usable; ``save`` conflicts are exceptional
  (typed too, but the transaction must be rolled back).
* Batch claims use ``FOR UPDATE SKIP LOCKED`` with ``LIMIT`` over partial indexes; the
  outbox and broadcast deliveries are claimed with a lease (``locked_until``).
* ``embedded.start_embedded`` runs a pgserver PostgreSQL in a data directory;
  ``migrate.migrate(url)`` runs ``alembic upgrade head``.
"""

from vpnsales.adapters.persistence.accesses import SqlAccessLookup, SqlAccessRepository
from vpnsales.adapters.persistence.admin import (
    SqlAdminRepository,
    SqlFlagStore,
    SqlStatisticsReader,
)
from vpnsales.adapters.persistence.audit import SqlAuditLog
from vpnsales.adapters.persistence.broadcasts import SqlBroadcastRepository
from vpnsales.adapters.persistence.catalog import SqlTariffCatalog
from vpnsales.adapters.persistence.customers import SqlCustomerRepository
from vpnsales.adapters.persistence.engine import async_url, create_engine, create_session_factory
from vpnsales.adapters.persistence.outbox import SqlOutbox, SqlOutboxConsumer
from vpnsales.adapters.persistence.payments import SqlPaymentRepository
from vpnsales.adapters.persistence.promos import SqlPromoCodeRepository
from vpnsales.adapters.persistence.readers import (
    SqlCustomerReader,
    SqlCustomerSummaryReader,
    SqlPaymentReader,
    SqlReferralReader,
    SqlSubscriptionReader,
)
from vpnsales.adapters.persistence.subscriptions import SqlSubscriptionRepository
from vpnsales.adapters.persistence.tables import metadata
from vpnsales.adapters.persistence.tariffs import SqlTariffRepository
from vpnsales.adapters.persistence.uow import SqlUnitOfWork

__all__ = [
    "SqlAccessLookup",
    "SqlAccessRepository",
    "SqlAdminRepository",
    "SqlAuditLog",
    "SqlBroadcastRepository",
    "SqlCustomerReader",
    "SqlCustomerRepository",
    "SqlCustomerSummaryReader",
    "SqlFlagStore",
    "SqlOutbox",
    "SqlOutboxConsumer",
    "SqlPaymentReader",
    "SqlPaymentRepository",
    "SqlPromoCodeRepository",
    "SqlReferralReader",
    "SqlStatisticsReader",
    "SqlSubscriptionReader",
    "SqlSubscriptionRepository",
    "SqlTariffCatalog",
    "SqlTariffRepository",
    "SqlUnitOfWork",
    "async_url",
    "create_engine",
    "create_session_factory",
    "metadata",
]
