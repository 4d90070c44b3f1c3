"""Every table of the application, in one place (SQLAlchemy Core).

Conventions:

* constraint and index names come from ``NAMING_CONVENTION`` (or are given explicitly
  for partial indexes); ``errors.CONSTRAINT_ERRORS`` maps them to typed domain errors;
* money is ``NUMERIC(14,2)`` plus a currency column; Stars (``XTR``) amounts are
  checked to be whole numbers; amounts that must not be negative are checked;
* every time is ``timestamptz``;
* enums are stored as short text (their ``StrEnum`` value) with a CHECK on the ones
  that drive queries (statuses), so adding a value never needs a type migration.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    MetaData,
    Numeric,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID

from vpnsales.application.ports.broadcast import BroadcastStatus, DeliveryStatus
from vpnsales.application.ports.outbox import OutboxStatus
from vpnsales.domain.payment import PaymentStatus
from vpnsales.domain.subscription import SubscriptionStatus, SuspensionReason

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING_CONVENTION)


def _money() -> Numeric[Decimal]:
    return Numeric(14, 2, asdecimal=True)


def _one_of(column: str, values: Iterable[StrEnum]) -> str:
    listed = ", ".join(f"'{v.value}'" for v in values)
    return f"{column} IN ({listed})"


def _whole_stars(currency: str, *amounts: str) -> str:
    checks = " AND ".join(f"({a} IS NULL OR {a} = trunc({a}))" for a in amounts)
    return f"{currency} <> 'XTR' OR ({checks})"


customers = Table(
    "customers",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("telegram_id", BigInteger, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("username", String(64)),
    Column("first_name", String(256), nullable=False, server_default=""),
    Column("language", String(8), nullable=False),
    Column("referrer_id", UUID(as_uuid=True), ForeignKey("customers.id")),
    Column("referral_code", String(64), nullable=False, server_default=""),
    Column("banned", Boolean, nullable=False, server_default=text("false")),
    Column("trial_used", Boolean, nullable=False, server_default=text("false")),
    Column("has_purchased", Boolean, nullable=False, server_default=text("false")),
    Column("balance", _money(), nullable=False, server_default="0"),
    Column("balance_currency", String(3), nullable=False),
    UniqueConstraint("telegram_id"),
    CheckConstraint("balance >= 0", name="balance_non_negative"),
    CheckConstraint(_whole_stars("balance_currency", "balance"), name="balance_whole_stars"),
    CheckConstraint("referrer_id IS NULL OR referrer_id <> id", name="not_own_referrer"),
)
Index(
    "uq_customers_referral_code",
    customers.c.referral_code,
    unique=True,
    postgresql_where=customers.c.referral_code != "",
)
Index("ix_customers_username_lower", func.lower(customers.c.username))
Index("ix_customers_referrer_id", customers.c.referrer_id)

balance_entries = Table(
    "balance_entries",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column(
        "customer_id",
        UUID(as_uuid=True),
        ForeignKey("customers.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("amount", _money(), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("reason", String(32), nullable=False),
    Column("reference", String(128)),
    Column("created_at", DateTime(timezone=True), nullable=False),
    CheckConstraint("amount <> 0", name="amount_non_zero"),
    CheckConstraint(_whole_stars("currency", "amount"), name="amount_whole_stars"),
)
Index(
    "ix_balance_entries_customer_id_created_at",
    balance_entries.c.customer_id,
    balance_entries.c.created_at,
)

tariffs = Table(
    "tariffs",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("code", String(32), nullable=False),
    Column("names", JSONB, nullable=False),
    Column("descriptions", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    Column("traffic_bytes", BigInteger, nullable=False, server_default="0"),
    Column("traffic_reset", String(16), nullable=False),
    Column("device_limit", Integer),
    Column("panel_id", String(64), nullable=False),
    Column("squads", ARRAY(Text), nullable=False, server_default=text("'{}'")),
    Column("inbounds", ARRAY(Integer), nullable=False, server_default=text("'{}'")),
    Column("locations", ARRAY(Text), nullable=False, server_default=text("'{}'")),
    Column("availability", String(16), nullable=False),
    Column("sort_order", Integer, nullable=False, server_default="0"),
    Column("active", Boolean, nullable=False, server_default=text("true")),
    Column("is_trial", Boolean, nullable=False, server_default=text("false")),
    UniqueConstraint("code"),
    CheckConstraint("traffic_bytes >= 0", name="traffic_non_negative"),
    CheckConstraint("device_limit IS NULL OR device_limit >= 1", name="device_limit_positive"),
)

tariff_options = Table(
    "tariff_options",
    metadata,
    Column(
        "tariff_id",
        UUID(as_uuid=True),
        ForeignKey("tariffs.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("days", Integer, nullable=False),
    PrimaryKeyConstraint("tariff_id", "days"),
    CheckConstraint("days > 0", name="days_positive"),
)

tariff_prices = Table(
    "tariff_prices",
    metadata,
    Column("tariff_id", UUID(as_uuid=True), nullable=False),
    Column("days", Integer, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("amount", _money(), nullable=False),
    PrimaryKeyConstraint("tariff_id", "days", "currency"),
    ForeignKeyConstraint(
        ["tariff_id", "days"],
        ["tariff_options.tariff_id", "tariff_options.days"],
        ondelete="CASCADE",
    ),
    CheckConstraint("amount >= 0", name="amount_non_negative"),
    CheckConstraint(_whole_stars("currency", "amount"), name="amount_whole_stars"),
)

subscriptions = Table(
    "subscriptions",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("customer_id", UUID(as_uuid=True), ForeignKey("customers.id"), nullable=False),
    Column("tariff_id", UUID(as_uuid=True), ForeignKey("tariffs.id"), nullable=False),
    Column("status", String(16), nullable=False),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("expired_at", DateTime(timezone=True)),
    Column("traffic_bytes", BigInteger, nullable=False, server_default="0"),
    Column("traffic_reset", String(16), nullable=False),
    Column("device_limit", Integer),
    Column("panel_id", String(64), nullable=False),
    Column("squads", ARRAY(Text), nullable=False, server_default=text("'{}'")),
    Column("inbounds", ARRAY(Integer), nullable=False, server_default=text("'{}'")),
    Column("is_trial", Boolean, nullable=False, server_default=text("false")),
    Column("auto_renew", Boolean, nullable=False, server_default=text("false")),
    Column("period_number", Integer, nullable=False, server_default="1"),
    Column("reminders_sent", ARRAY(Integer), nullable=False, server_default=text("'{}'")),
    Column("traffic_alerts_sent", ARRAY(Integer), nullable=False, server_default=text("'{}'")),
    Column("suspended_reason", String(16)),
    CheckConstraint(_one_of("status", SubscriptionStatus), name="status_known"),
    CheckConstraint(
        f"suspended_reason IS NULL OR {_one_of('suspended_reason', SuspensionReason)}",
        name="suspended_reason_known",
    ),
    CheckConstraint("traffic_bytes >= 0", name="traffic_non_negative"),
    CheckConstraint("device_limit IS NULL OR device_limit >= 1", name="device_limit_positive"),
)
Index("ix_subscriptions_customer_id", subscriptions.c.customer_id)
Index(
    "ix_subscriptions_active_expires_at",
    subscriptions.c.expires_at,
    postgresql_where=subscriptions.c.status == SubscriptionStatus.ACTIVE.value,
)
Index(
    "ix_subscriptions_auto_renew_expires_at",
    subscriptions.c.expires_at,
    postgresql_where=(subscriptions.c.status == SubscriptionStatus.ACTIVE.value)
    & subscriptions.c.auto_renew,
)

accesses = Table(
    "accesses",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("subscription_id", UUID(as_uuid=True), ForeignKey("subscriptions.id"), nullable=False),
    Column("customer_id", UUID(as_uuid=True), ForeignKey("customers.id"), nullable=False),
    Column("panel_id", String(64), nullable=False),
    Column("username", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("desired", String(16), nullable=False),
    Column("phase", String(16), nullable=False),
    Column("external_id", String(128)),
    Column("subscription_url", Text),
    Column("observed_status", String(16)),
    Column("observed_at", DateTime(timezone=True)),
    Column("observed_expires_at", DateTime(timezone=True)),
    Column("observed_used_traffic_bytes", BigInteger),
    Column("observed_last_online_at", DateTime(timezone=True)),
    Column("observed_devices", Integer),
    Column("sync", String(16), nullable=False),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("last_error", Text),
    Column("version", Integer, nullable=False, server_default="0"),
    CheckConstraint("attempts >= 0", name="attempts_non_negative"),
)
# One live access per (subscription, panel); a deleted one stays as history and does
# not block provisioning on the same panel again (plan change back and forth).
Index(
    "uq_accesses_subscription_id_panel_id",
    accesses.c.subscription_id,
    accesses.c.panel_id,
    unique=True,
    postgresql_where=accesses.c.desired != "deleted",
)
Index("ix_accesses_subscription_id", accesses.c.subscription_id)
Index("ix_accesses_customer_id", accesses.c.customer_id)
Index("ix_accesses_panel_id_id", accesses.c.panel_id, accesses.c.id)

_PAYMENT_AMOUNTS = (
    "base_amount",
    "promo_discount",
    "referral_discount",
    "balance_applied",
    "total_amount",
    "confirmed_amount",
)

payments = Table(
    "payments",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("customer_id", UUID(as_uuid=True), ForeignKey("customers.id"), nullable=False),
    Column("purpose", String(16), nullable=False),
    Column("provider", String(16), nullable=False),
    Column("status", String(16), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("tariff_id", UUID(as_uuid=True), ForeignKey("tariffs.id")),
    Column("subscription_id", UUID(as_uuid=True), ForeignKey("subscriptions.id")),
    # quote snapshot (one currency for every amount of the quote)
    Column("quote_tariff_id", UUID(as_uuid=True)),
    Column("quote_days", Integer, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("base_amount", _money(), nullable=False),
    Column("promo_code", String(32)),
    Column("promo_discount", _money(), nullable=False),
    Column("referral_discount", _money(), nullable=False),
    Column("balance_applied", _money(), nullable=False),
    Column("total_amount", _money(), nullable=False),
    Column("bonus_days", Integer, nullable=False, server_default="0"),
    # provider side
    Column("provider_payment_id", String(128)),
    Column("pay_url", Text),
    Column("telegram_charge_id", String(256)),
    Column("confirmed_amount", _money()),
    Column("confirmed_currency", String(3)),
    Column("succeeded_at", DateTime(timezone=True)),
    Column("updated_at", DateTime(timezone=True)),
    Column("refunded_at", DateTime(timezone=True)),
    Column("failure_reason", Text),
    Column("flagged", Text),
    Column("saved_method_id", String(128)),
    Column("referrer_days", Integer, nullable=False, server_default="0"),
    Column("referrer_subscription_id", UUID(as_uuid=True), ForeignKey("subscriptions.id")),
    Column("auto_renewal", Boolean, nullable=False, server_default=text("false")),
    UniqueConstraint("provider", "provider_payment_id"),
    UniqueConstraint("telegram_charge_id"),
    CheckConstraint(_one_of("status", PaymentStatus), name="status_known"),
    CheckConstraint(
        " AND ".join(f"({a} IS NULL OR {a} >= 0)" for a in _PAYMENT_AMOUNTS),
        name="amounts_non_negative",
    ),
    CheckConstraint(_whole_stars("currency", *_PAYMENT_AMOUNTS[:-1]), name="quote_whole_stars"),
    CheckConstraint(
        _whole_stars("confirmed_currency", "confirmed_amount"), name="confirmed_whole_stars"
    ),
    CheckConstraint("quote_days >= 0 AND bonus_days >= 0", name="days_non_negative"),
)
Index("ix_payments_customer_id_created_at", payments.c.customer_id, payments.c.created_at)
Index(
    "ix_payments_pending_created_at",
    payments.c.created_at,
    postgresql_where=payments.c.status == PaymentStatus.PENDING.value,
)

promo_codes = Table(
    "promo_codes",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("code", String(32), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("percent", Numeric(5, 2)),
    Column("amount", _money()),
    Column("amount_currency", String(3)),
    Column("days", Integer),
    Column("valid_from", DateTime(timezone=True)),
    Column("valid_until", DateTime(timezone=True)),
    Column("max_uses", Integer),
    Column("max_uses_per_customer", Integer, nullable=False, server_default="1"),
    Column("uses", Integer, nullable=False, server_default="0"),
    Column("allowed_tariffs", ARRAY(UUID(as_uuid=True))),
    Column("first_purchase_only", Boolean, nullable=False, server_default=text("false")),
    Column("active", Boolean, nullable=False, server_default=text("true")),
    UniqueConstraint("code"),
    CheckConstraint("uses >= 0", name="uses_non_negative"),
    # the last line of defence for the total limit under concurrent redemption
    CheckConstraint("max_uses IS NULL OR uses <= max_uses", name="uses_within_limit"),
    CheckConstraint("amount IS NULL OR amount > 0", name="amount_positive"),
    CheckConstraint(_whole_stars("amount_currency", "amount"), name="amount_whole_stars"),
    CheckConstraint("max_uses_per_customer >= 1", name="per_customer_positive"),
)

promo_redemptions = Table(
    "promo_redemptions",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column(
        "promo_id",
        UUID(as_uuid=True),
        ForeignKey("promo_codes.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("customer_id", UUID(as_uuid=True), ForeignKey("customers.id"), nullable=False),
    Column("payment_id", UUID(as_uuid=True), ForeignKey("payments.id")),
    Column("redeemed_at", DateTime(timezone=True), nullable=False),
    Column("single_use", Boolean, nullable=False, server_default=text("false")),
)
Index(
    "ix_promo_redemptions_promo_id_customer_id",
    promo_redemptions.c.promo_id,
    promo_redemptions.c.customer_id,
)
Index(
    "uq_promo_redemptions_single_use",
    promo_redemptions.c.promo_id,
    promo_redemptions.c.customer_id,
    unique=True,
    postgresql_where=promo_redemptions.c.single_use,
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("actor_telegram_id", BigInteger, nullable=False),
    Column("action", String(64), nullable=False),
    Column("target", String(256), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("before", JSONB),
    Column("after", JSONB),
)
Index("ix_audit_log_at", audit_log.c.at)
Index("ix_audit_log_target", audit_log.c.target)

outbox = Table(
    "outbox",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("kind", String(32), nullable=False),
    Column("payload", JSONB, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("due_at", DateTime(timezone=True), nullable=False),
    Column("dedup_key", String(256)),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("claims", Integer, nullable=False, server_default="0"),
    Column("last_error", Text),
    Column("status", String(16), nullable=False),
    Column("locked_until", DateTime(timezone=True)),
    Column("finished_at", DateTime(timezone=True)),
    UniqueConstraint("dedup_key"),
    CheckConstraint(_one_of("status", OutboxStatus), name="status_known"),
)
Index(
    "ix_outbox_pending_due_at",
    outbox.c.due_at,
    postgresql_where=outbox.c.status == OutboxStatus.PENDING.value,
)

# -- admin side (revision 0002) ---------------------------------------------------------

admins = Table(
    "admins",
    metadata,
    Column("telegram_id", BigInteger, primary_key=True, autoincrement=False),
    Column("role", String(16), nullable=False),
    Column("added_at", DateTime(timezone=True), nullable=False),
    Column("added_by", BigInteger),
    Column("name", String(256), nullable=False, server_default=""),
    CheckConstraint("telegram_id > 0", name="telegram_id_positive"),
)

flags = Table(
    "flags",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("value", Boolean, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

broadcasts = Table(
    "broadcasts",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("created_by", BigInteger, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("audience_kind", String(16), nullable=False),
    Column("audience_tariff_id", UUID(as_uuid=True), ForeignKey("tariffs.id")),
    Column("text", Text, nullable=False),
    Column("photo", Text),
    Column("button_text", String(64)),
    Column("button_url", Text),
    Column("status", String(16), nullable=False),
    Column("started_at", DateTime(timezone=True)),
    Column("finished_at", DateTime(timezone=True)),
    Column("recipients", Integer, nullable=False, server_default="0"),
    CheckConstraint(_one_of("status", BroadcastStatus), name="status_known"),
)
Index(
    "ix_broadcasts_running",
    broadcasts.c.started_at,
    postgresql_where=broadcasts.c.status == BroadcastStatus.RUNNING.value,
)

broadcast_deliveries = Table(
    "broadcast_deliveries",
    metadata,
    Column(
        "broadcast_id",
        UUID(as_uuid=True),
        ForeignKey("broadcasts.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("customer_id", UUID(as_uuid=True), ForeignKey("customers.id"), nullable=False),
    Column("telegram_id", BigInteger, nullable=False),
    Column("language", String(8), nullable=False),
    Column("status", String(16), nullable=False),
    Column("locked_until", DateTime(timezone=True)),
    PrimaryKeyConstraint("broadcast_id", "customer_id"),
    CheckConstraint(_one_of("status", DeliveryStatus), name="status_known"),
)
Index(
    "ix_broadcast_deliveries_pending",
    broadcast_deliveries.c.broadcast_id,
    postgresql_where=broadcast_deliveries.c.status == DeliveryStatus.PENDING.value,
)

ALL_TABLES = tuple(metadata.sorted_tables)
