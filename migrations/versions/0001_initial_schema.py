"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-22 05:10:50.868454
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "audit_log",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("actor_telegram_id", sa.BigInteger(), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("target", sa.String(length=256), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("before", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("after", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    op.create_index("ix_audit_log_at", "audit_log", ["at"], unique=False)
    op.create_index("ix_audit_log_target", "audit_log", ["target"], unique=False)
    op.create_table(
        "customers",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("telegram_id", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=True),
        sa.Column("first_name", sa.String(length=256), server_default="", nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("referrer_id", sa.UUID(), nullable=True),
        sa.Column("referral_code", sa.String(length=64), server_default="", nullable=False),
        sa.Column("banned", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("trial_used", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("has_purchased", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("balance", sa.Numeric(precision=14, scale=2), server_default="0", nullable=False),
        sa.Column("balance_currency", sa.String(length=3), nullable=False),
        sa.CheckConstraint(
            "balance_currency <> 'XTR' OR ((balance IS NULL OR balance = trunc(balance)))",
            name=op.f("ck_customers_balance_whole_stars"),
        ),
        sa.CheckConstraint("balance >= 0", name=op.f("ck_customers_balance_non_negative")),
        sa.CheckConstraint(
            "referrer_id IS NULL OR referrer_id <> id", name=op.f("ck_customers_not_own_referrer")
        ),
        sa.ForeignKeyConstraint(
            ["referrer_id"], ["customers.id"], name=op.f("fk_customers_referrer_id_customers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customers")),
        sa.UniqueConstraint("telegram_id", name=op.f("uq_customers_telegram_id")),
    )
    op.create_index("ix_customers_referrer_id", "customers", ["referrer_id"], unique=False)
    op.create_index(
        "ix_customers_username_lower",
        "customers",
        [sa.literal_column("lower(username)")],
        unique=False,
    )
    op.create_index(
        "uq_customers_referral_code",
        "customers",
        ["referral_code"],
        unique=True,
        postgresql_where=sa.text("referral_code != ''"),
    )
    op.create_table(
        "outbox",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("payload", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("dedup_key", sa.String(length=256), nullable=True),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("claims", sa.Integer(), server_default="0", nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('pending', 'done', 'dead')", name=op.f("ck_outbox_status_known")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
        sa.UniqueConstraint("dedup_key", name=op.f("uq_outbox_dedup_key")),
    )
    op.create_index(
        "ix_outbox_pending_due_at",
        "outbox",
        ["due_at"],
        unique=False,
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.create_table(
        "promo_codes",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("percent", sa.Numeric(precision=5, scale=2), nullable=True),
        sa.Column("amount", sa.Numeric(precision=14, scale=2), nullable=True),
        sa.Column("amount_currency", sa.String(length=3), nullable=True),
        sa.Column("days", sa.Integer(), nullable=True),
        sa.Column("valid_from", sa.DateTime(timezone=True), nullable=True),
        sa.Column("valid_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("max_uses", sa.Integer(), nullable=True),
        sa.Column("max_uses_per_customer", sa.Integer(), server_default="1", nullable=False),
        sa.Column("uses", sa.Integer(), server_default="0", nullable=False),
        sa.Column("allowed_tariffs", postgresql.ARRAY(sa.UUID()), nullable=True),
        sa.Column(
            "first_purchase_only", sa.Boolean(), server_default=sa.text("false"), nullable=False
        ),
        sa.Column("active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.CheckConstraint(
            "amount_currency <> 'XTR' OR ((amount IS NULL OR amount = trunc(amount)))",
            name=op.f("ck_promo_codes_amount_whole_stars"),
        ),
        sa.CheckConstraint(
            "amount IS NULL OR amount > 0", name=op.f("ck_promo_codes_amount_positive")
        ),
        sa.CheckConstraint(
            "max_uses IS NULL OR uses <= max_uses", name=op.f("ck_promo_codes_uses_within_limit")
        ),
        sa.CheckConstraint(
            "max_uses_per_customer >= 1", name=op.f("ck_promo_codes_per_customer_positive")
        ),
        sa.CheckConstraint("uses >= 0", name=op.f("ck_promo_codes_uses_non_negative")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_promo_codes")),
        sa.UniqueConstraint("code", name=op.f("uq_promo_codes_code")),
    )
    op.create_table(
        "tariffs",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("names", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column(
            "descriptions",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.Column("traffic_bytes", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("traffic_reset", sa.String(length=16), nullable=False),
        sa.Column("device_limit", sa.Integer(), nullable=True),
        sa.Column("panel_id", sa.String(length=64), nullable=False),
        sa.Column(
            "squads", postgresql.ARRAY(sa.Text()), server_default=sa.text("'{}'"), nullable=False
        ),
        sa.Column(
            "inbounds",
            postgresql.ARRAY(sa.Integer()),
            server_default=sa.text("'{}'"),
            nullable=False,
        ),
        sa.Column(
            "locations", postgresql.ARRAY(sa.Text()), server_default=sa.text("'{}'"), nullable=False
        ),
        sa.Column("availability", sa.String(length=16), nullable=False),
        sa.Column("sort_order", sa.Integer(), server_default="0", nullable=False),
        sa.Column("active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("is_trial", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.CheckConstraint(
            "device_limit IS NULL OR device_limit >= 1",
            name=op.f("ck_tariffs_device_limit_positive"),
        ),
        sa.CheckConstraint("traffic_bytes >= 0", name=op.f("ck_tariffs_traffic_non_negative")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tariffs")),
        sa.UniqueConstraint("code", name=op.f("uq_tariffs_code")),
    )
    op.create_table(
        "balance_entries",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("customer_id", sa.UUID(), nullable=False),
        sa.Column("amount", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=False),
        sa.Column("reference", sa.String(length=128), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "currency <> 'XTR' OR ((amount IS NULL OR amount = trunc(amount)))",
            name=op.f("ck_balance_entries_amount_whole_stars"),
        ),
        sa.CheckConstraint("amount <> 0", name=op.f("ck_balance_entries_amount_non_zero")),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_balance_entries_customer_id_customers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_balance_entries")),
    )
    op.create_index(
        "ix_balance_entries_customer_id_created_at",
        "balance_entries",
        ["customer_id", "created_at"],
        unique=False,
    )
    op.create_table(
        "subscriptions",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("customer_id", sa.UUID(), nullable=False),
        sa.Column("tariff_id", sa.UUID(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expired_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("traffic_bytes", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("traffic_reset", sa.String(length=16), nullable=False),
        sa.Column("device_limit", sa.Integer(), nullable=True),
        sa.Column("panel_id", sa.String(length=64), nullable=False),
        sa.Column(
            "squads", postgresql.ARRAY(sa.Text()), server_default=sa.text("'{}'"), nullable=False
        ),
        sa.Column(
            "inbounds",
            postgresql.ARRAY(sa.Integer()),
            server_default=sa.text("'{}'"),
            nullable=False,
        ),
        sa.Column("is_trial", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("auto_renew", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("period_number", sa.Integer(), server_default="1", nullable=False),
        sa.Column(
            "reminders_sent",
            postgresql.ARRAY(sa.Integer()),
            server_default=sa.text("'{}'"),
            nullable=False,
        ),
        sa.Column(
            "traffic_alerts_sent",
            postgresql.ARRAY(sa.Integer()),
            server_default=sa.text("'{}'"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "status IN ('active', 'expired', 'suspended', 'cancelled')",
            name=op.f("ck_subscriptions_status_known"),
        ),
        sa.CheckConstraint(
            "device_limit IS NULL OR device_limit >= 1",
            name=op.f("ck_subscriptions_device_limit_positive"),
        ),
        sa.CheckConstraint(
            "traffic_bytes >= 0", name=op.f("ck_subscriptions_traffic_non_negative")
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_subscriptions_customer_id_customers")
        ),
        sa.ForeignKeyConstraint(
            ["tariff_id"], ["tariffs.id"], name=op.f("fk_subscriptions_tariff_id_tariffs")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subscriptions")),
    )
    op.create_index(
        "ix_subscriptions_active_expires_at",
        "subscriptions",
        ["expires_at"],
        unique=False,
        postgresql_where=sa.text("status = 'active'"),
    )
    op.create_index(
        "ix_subscriptions_auto_renew_expires_at",
        "subscriptions",
        ["expires_at"],
        unique=False,
        postgresql_where=sa.text("status = 'active' AND auto_renew"),
    )
    op.create_index("ix_subscriptions_customer_id", "subscriptions", ["customer_id"], unique=False)
    op.create_table(
        "tariff_options",
        sa.Column("tariff_id", sa.UUID(), nullable=False),
        sa.Column("days", sa.Integer(), nullable=False),
        sa.CheckConstraint("days > 0", name=op.f("ck_tariff_options_days_positive")),
        sa.ForeignKeyConstraint(
            ["tariff_id"],
            ["tariffs.id"],
            name=op.f("fk_tariff_options_tariff_id_tariffs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tariff_id", "days", name=op.f("pk_tariff_options")),
    )
    op.create_table(
        "accesses",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("subscription_id", sa.UUID(), nullable=False),
        sa.Column("customer_id", sa.UUID(), nullable=False),
        sa.Column("panel_id", sa.String(length=64), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("desired", sa.String(length=16), nullable=False),
        sa.Column("phase", sa.String(length=16), nullable=False),
        sa.Column("external_id", sa.String(length=128), nullable=True),
        sa.Column("subscription_url", sa.Text(), nullable=True),
        sa.Column("observed_status", sa.String(length=16), nullable=True),
        sa.Column("observed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("observed_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("observed_used_traffic_bytes", sa.BigInteger(), nullable=True),
        sa.Column("observed_last_online_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("observed_devices", sa.Integer(), nullable=True),
        sa.Column("sync", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("version", sa.Integer(), server_default="0", nullable=False),
        sa.CheckConstraint("attempts >= 0", name=op.f("ck_accesses_attempts_non_negative")),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_accesses_customer_id_customers")
        ),
        sa.ForeignKeyConstraint(
            ["subscription_id"],
            ["subscriptions.id"],
            name=op.f("fk_accesses_subscription_id_subscriptions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_accesses")),
    )
    op.create_index("ix_accesses_customer_id", "accesses", ["customer_id"], unique=False)
    op.create_index("ix_accesses_panel_id_id", "accesses", ["panel_id", "id"], unique=False)
    op.create_index("ix_accesses_subscription_id", "accesses", ["subscription_id"], unique=False)
    op.create_index(
        "uq_accesses_subscription_id_panel_id",
        "accesses",
        ["subscription_id", "panel_id"],
        unique=True,
        postgresql_where=sa.text("desired != 'deleted'"),
    )
    op.create_table(
        "payments",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("customer_id", sa.UUID(), nullable=False),
        sa.Column("purpose", sa.String(length=16), nullable=False),
        sa.Column("provider", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("tariff_id", sa.UUID(), nullable=True),
        sa.Column("subscription_id", sa.UUID(), nullable=True),
        sa.Column("quote_tariff_id", sa.UUID(), nullable=True),
        sa.Column("quote_days", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("base_amount", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("promo_code", sa.String(length=32), nullable=True),
        sa.Column("promo_discount", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("referral_discount", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("balance_applied", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("total_amount", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("bonus_days", sa.Integer(), server_default="0", nullable=False),
        sa.Column("provider_payment_id", sa.String(length=128), nullable=True),
        sa.Column("pay_url", sa.Text(), nullable=True),
        sa.Column("telegram_charge_id", sa.String(length=256), nullable=True),
        sa.Column("confirmed_amount", sa.Numeric(precision=14, scale=2), nullable=True),
        sa.Column("confirmed_currency", sa.String(length=3), nullable=True),
        sa.Column("succeeded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("refunded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("failure_reason", sa.Text(), nullable=True),
        sa.Column("flagged", sa.Text(), nullable=True),
        sa.Column("saved_method_id", sa.String(length=128), nullable=True),
        sa.Column("auto_renewal", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.CheckConstraint(
            "confirmed_currency <> 'XTR' OR ((confirmed_amount IS NULL OR confirmed_amount = trunc(confirmed_amount)))",
            name=op.f("ck_payments_confirmed_whole_stars"),
        ),
        sa.CheckConstraint(
            "currency <> 'XTR' OR ((base_amount IS NULL OR base_amount = trunc(base_amount)) AND (promo_discount IS NULL OR promo_discount = trunc(promo_discount)) AND (referral_discount IS NULL OR referral_discount = trunc(referral_discount)) AND (balance_applied IS NULL OR balance_applied = trunc(balance_applied)) AND (total_amount IS NULL OR total_amount = trunc(total_amount)))",
            name=op.f("ck_payments_quote_whole_stars"),
        ),
        sa.CheckConstraint(
            "status IN ('pending', 'succeeded', 'canceled', 'expired', 'failed', 'refunded')",
            name=op.f("ck_payments_status_known"),
        ),
        sa.CheckConstraint(
            "(base_amount IS NULL OR base_amount >= 0) AND (promo_discount IS NULL OR promo_discount >= 0) AND (referral_discount IS NULL OR referral_discount >= 0) AND (balance_applied IS NULL OR balance_applied >= 0) AND (total_amount IS NULL OR total_amount >= 0) AND (confirmed_amount IS NULL OR confirmed_amount >= 0)",
            name=op.f("ck_payments_amounts_non_negative"),
        ),
        sa.CheckConstraint(
            "quote_days >= 0 AND bonus_days >= 0", name=op.f("ck_payments_days_non_negative")
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_payments_customer_id_customers")
        ),
        sa.ForeignKeyConstraint(
            ["subscription_id"],
            ["subscriptions.id"],
            name=op.f("fk_payments_subscription_id_subscriptions"),
        ),
        sa.ForeignKeyConstraint(
            ["tariff_id"], ["tariffs.id"], name=op.f("fk_payments_tariff_id_tariffs")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payments")),
        sa.UniqueConstraint(
            "provider", "provider_payment_id", name=op.f("uq_payments_provider_provider_payment_id")
        ),
        sa.UniqueConstraint("telegram_charge_id", name=op.f("uq_payments_telegram_charge_id")),
    )
    op.create_index(
        "ix_payments_customer_id_created_at",
        "payments",
        ["customer_id", "created_at"],
        unique=False,
    )
    op.create_index(
        "ix_payments_pending_created_at",
        "payments",
        ["created_at"],
        unique=False,
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.create_table(
        "tariff_prices",
        sa.Column("tariff_id", sa.UUID(), nullable=False),
        sa.Column("days", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("amount", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.CheckConstraint(
            "currency <> 'XTR' OR ((amount IS NULL OR amount = trunc(amount)))",
            name=op.f("ck_tariff_prices_amount_whole_stars"),
        ),
        sa.CheckConstraint("amount >= 0", name=op.f("ck_tariff_prices_amount_non_negative")),
        sa.ForeignKeyConstraint(
            ["tariff_id", "days"],
            ["tariff_options.tariff_id", "tariff_options.days"],
            name=op.f("fk_tariff_prices_tariff_id_tariff_options"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tariff_id", "days", "currency", name=op.f("pk_tariff_prices")),
    )
    op.create_table(
        "promo_redemptions",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("promo_id", sa.UUID(), nullable=False),
        sa.Column("customer_id", sa.UUID(), nullable=False),
        sa.Column("payment_id", sa.UUID(), nullable=True),
        sa.Column("redeemed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("single_use", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_promo_redemptions_customer_id_customers"),
        ),
        sa.ForeignKeyConstraint(
            ["payment_id"], ["payments.id"], name=op.f("fk_promo_redemptions_payment_id_payments")
        ),
        sa.ForeignKeyConstraint(
            ["promo_id"],
            ["promo_codes.id"],
            name=op.f("fk_promo_redemptions_promo_id_promo_codes"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_promo_redemptions")),
    )
    op.create_index(
        "ix_promo_redemptions_promo_id_customer_id",
        "promo_redemptions",
        ["promo_id", "customer_id"],
        unique=False,
    )
    op.create_index(
        "uq_promo_redemptions_single_use",
        "promo_redemptions",
        ["promo_id", "customer_id"],
        unique=True,
        postgresql_where="single_use",
    )


def downgrade() -> None:
    op.drop_index(
        "uq_promo_redemptions_single_use",
        table_name="promo_redemptions",
        postgresql_where="single_use",
    )
    op.drop_index("ix_promo_redemptions_promo_id_customer_id", table_name="promo_redemptions")
    op.drop_table("promo_redemptions")
    op.drop_table("tariff_prices")
    op.drop_index(
        "ix_payments_pending_created_at",
        table_name="payments",
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.drop_index("ix_payments_customer_id_created_at", table_name="payments")
    op.drop_table("payments")
    op.drop_index(
        "uq_accesses_subscription_id_panel_id",
        table_name="accesses",
        postgresql_where=sa.text("desired != 'deleted'"),
    )
    op.drop_index("ix_accesses_subscription_id", table_name="accesses")
    op.drop_index("ix_accesses_panel_id_id", table_name="accesses")
    op.drop_index("ix_accesses_customer_id", table_name="accesses")
    op.drop_table("accesses")
    op.drop_table("tariff_options")
    op.drop_index("ix_subscriptions_customer_id", table_name="subscriptions")
    op.drop_index(
        "ix_subscriptions_auto_renew_expires_at",
        table_name="subscriptions",
        postgresql_where=sa.text("status = 'active' AND auto_renew"),
    )
    op.drop_index(
        "ix_subscriptions_active_expires_at",
        table_name="subscriptions",
        postgresql_where=sa.text("status = 'active'"),
    )
    op.drop_table("subscriptions")
    op.drop_index("ix_balance_entries_customer_id_created_at", table_name="balance_entries")
    op.drop_table("balance_entries")
    op.drop_table("tariffs")
    op.drop_table("promo_codes")
    op.drop_index(
        "ix_outbox_pending_due_at",
        table_name="outbox",
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.drop_table("outbox")
    op.drop_index(
        "uq_customers_referral_code",
        table_name="customers",
        postgresql_where=sa.text("referral_code != ''"),
    )
    op.drop_index("ix_customers_username_lower", table_name="customers")
    op.drop_index("ix_customers_referrer_id", table_name="customers")
    op.drop_table("customers")
    op.drop_index("ix_audit_log_target", table_name="audit_log")
    op.drop_index("ix_audit_log_at", table_name="audit_log")
    op.drop_table("audit_log")
