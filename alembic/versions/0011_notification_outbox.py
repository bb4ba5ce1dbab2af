"""notification_outbox: notifications waiting to be delivered, and what feeds them.

Revision ID: 0011
Revises: 0001
"""

from alembic import op

revision = "0011"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
        CREATE TABLE notification_outbox (
            id bigserial PRIMARY KEY,
            key text NOT NULL UNIQUE,
            recipient_kind text NOT NULL,
            recipient_id text NOT NULL,
            channel text NOT NULL,
            subject text NOT NULL,
            body text NOT NULL,
            created_at timestamptz NOT NULL,
            not_before timestamptz NOT NULL,
            sent_at timestamptz,
            attempts integer NOT NULL DEFAULT 0,
            last_error text
        )""")
    # Delivery: the unsent rows whose time has come, oldest first.
    op.execute("CREATE INDEX notification_outbox_pending ON notification_outbox (not_before, id)"
               " WHERE sent_at IS NULL")
    # A report's reporter and, for a duplicate, the report it duplicates (Điều 6.2.c).
    op.execute("""
        CREATE TABLE notification_reporters (
            report_id uuid PRIMARY KEY,
            reporter_id uuid NOT NULL,
            duplicate_of uuid
        )""")
    op.execute("CREATE INDEX notification_reporters_duplicate_of"
               " ON notification_reporters (duplicate_of) WHERE duplicate_of IS NOT NULL")
    # The content of alerts, for their broadcast (Chương III).
    op.execute("""
        CREATE TABLE notification_alerts (
            alert_id uuid PRIMARY KEY,
            category text NOT NULL,
            severity text NOT NULL,
            title text NOT NULL,
            body text NOT NULL
        )""")
    # Stage occurrences whose passed deadline is already a recorded fact.
    op.execute("""
        CREATE TABLE notification_deadlines (
            report_id uuid NOT NULL,
            stage text NOT NULL,
            started_at timestamptz NOT NULL,
            due timestamptz NOT NULL,
            PRIMARY KEY (report_id, stage, started_at, due)
        )""")


def downgrade() -> None:
    op.execute("DROP TABLE notification_deadlines")
    op.execute("DROP TABLE notification_alerts")
    op.execute("DROP TABLE notification_reporters")
    op.execute("DROP TABLE notification_outbox")
