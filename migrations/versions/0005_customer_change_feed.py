"""customer change feed

Every committed change to a row the bot's customer summary is read from is announced on
the ``vpnsales_customer_changed`` channel (``LISTEN``/``NOTIFY``) with the customer's id
as the payload, so a process caching customers (the bot's ``CustomerDirectory``) can drop
exactly what changed instead of expiring everything after a few seconds:

* ``customers`` (the view: language, banned, balance, …): ``id``;
* ``subscriptions`` and ``accesses`` (the subscriptions' summary): ``customer_id``;
* ``tariffs`` (a summary shows the tariff's ``code`` and ``names``): a rename concerns
  every customer, announced as ``*``; so is a ``TRUNCATE`` of any of these tables.

``NOTIFY`` is transactional: delivered on commit only, and duplicates within one
transaction are folded into one (a sweep that touches a customer's three subscriptions
announces them once). The triggers only read the row they fire for: no lookups.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 09:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CHANNEL = "vpnsales_customer_changed"
EVERYONE = "*"


def upgrade() -> None:
    # customers: the row's own id (a primary key does not change)
    op.execute(
        f"""
        CREATE FUNCTION vpnsales_notify_customer() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'DELETE' THEN
                PERFORM pg_notify('{CHANNEL}', OLD.id::text);
            ELSE
                PERFORM pg_notify('{CHANNEL}', NEW.id::text);
            END IF;
            RETURN NULL;
        END
        $$
        """
    )
    # subscriptions, accesses: the owner (both customers, should a row change hands)
    op.execute(
        f"""
        CREATE FUNCTION vpnsales_notify_customer_of_row() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'DELETE' THEN
                PERFORM pg_notify('{CHANNEL}', OLD.customer_id::text);
                RETURN NULL;
            END IF;
            PERFORM pg_notify('{CHANNEL}', NEW.customer_id::text);
            IF TG_OP = 'UPDATE' THEN
                IF OLD.customer_id <> NEW.customer_id THEN
                    PERFORM pg_notify('{CHANNEL}', OLD.customer_id::text);
                END IF;
            END IF;
            RETURN NULL;
        END
        $$
        """
    )
    # a change that concerns every customer (a tariff renamed, a table truncated)
    op.execute(
        f"""
        CREATE FUNCTION vpnsales_notify_every_customer() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM pg_notify('{CHANNEL}', '{EVERYONE}');
            RETURN NULL;
        END
        $$
        """
    )
    op.execute(
        "CREATE TRIGGER customers_notify_changed AFTER INSERT OR UPDATE OR DELETE ON customers "
        "FOR EACH ROW EXECUTE FUNCTION vpnsales_notify_customer()"
    )
    for table in ("subscriptions", "accesses"):
        op.execute(
            f"CREATE TRIGGER {table}_notify_changed AFTER INSERT OR UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION vpnsales_notify_customer_of_row()"
        )
    op.execute(
        "CREATE TRIGGER tariffs_notify_renamed AFTER UPDATE OF code, names ON tariffs "
        "FOR EACH ROW WHEN (OLD.code IS DISTINCT FROM NEW.code "
        "OR OLD.names IS DISTINCT FROM NEW.names) "
        "EXECUTE FUNCTION vpnsales_notify_every_customer()"
    )
    for table in ("customers", "subscriptions", "accesses", "tariffs"):
        op.execute(
            f"CREATE TRIGGER {table}_notify_truncated AFTER TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION vpnsales_notify_every_customer()"
        )


def downgrade() -> None:
    for table in ("customers", "subscriptions", "accesses", "tariffs"):
        op.execute(f"DROP TRIGGER IF EXISTS {table}_notify_truncated ON {table}")
    op.execute("DROP TRIGGER IF EXISTS tariffs_notify_renamed ON tariffs")
    for table in ("customers", "subscriptions", "accesses"):
        op.execute(f"DROP TRIGGER IF EXISTS {table}_notify_changed ON {table}")
    op.execute("DROP FUNCTION IF EXISTS vpnsales_notify_every_customer()")
    op.execute("DROP FUNCTION IF EXISTS vpnsales_notify_customer_of_row()")
    op.execute("DROP FUNCTION IF EXISTS vpnsales_notify_customer()")
