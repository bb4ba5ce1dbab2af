"""notifications: who each report concerns, citizens' home wards, channel preferences and the
deliveries made on each channel (issue 11.5).

Revision ID: 0030
Revises: 0011 (depends on 0002 for the backfill from report_status)
"""

from alembic import op

revision = "0030"
down_revision = "0011"
branch_labels = None
depends_on = "0002"


def upgrade() -> None:
    # The units and officer a report concerns now, for the notices of its steps.
    op.execute("ALTER TABLE notification_reporters ADD COLUMN receiving_unit_id uuid,"
               " ADD COLUMN handling_unit_id uuid, ADD COLUMN officer_id text")
    op.execute("""
        UPDATE notification_reporters n SET receiving_unit_id = r.receiving_unit_id,
               handling_unit_id = r.handling_unit_id, officer_id = r.officer_id
        FROM report_status r WHERE r.report_id = n.report_id""")
    # Chương III: the ward each citizen lives in; an alert reaches the residents of its area.
    op.execute("""
        CREATE TABLE notification_home_wards (
            reporter_id uuid PRIMARY KEY,
            ward_id uuid NOT NULL
        )""")
    op.execute("CREATE INDEX notification_home_wards_ward ON notification_home_wards (ward_id)")
    # Each recipient's extra channels (e-mail, webhook) and their addresses.
    op.execute("""
        CREATE TABLE notification_preferences (
            preferences_id uuid NOT NULL UNIQUE,
            recipient_kind text NOT NULL,
            recipient_id text NOT NULL,
            channels text[] NOT NULL,
            email text,
            webhook_url text,
            updated_at timestamptz NOT NULL,
            PRIMARY KEY (recipient_kind, recipient_id)
        )""")
    # What was delivered, per outbox row, channel and address: a retry after a partial
    # failure sends only to the channels that failed. (No foreign key: it is written while
    # the deliverer holds the outbox row FOR UPDATE, which a key check would wait for.)
    op.execute("""
        CREATE TABLE notification_deliveries (
            outbox_id bigint NOT NULL,
            channel text NOT NULL,
            address text NOT NULL,
            delivered_at timestamptz NOT NULL,
            PRIMARY KEY (outbox_id, channel, address)
        )""")


def downgrade() -> None:
    op.execute("DROP TABLE notification_deliveries")
    op.execute("DROP TABLE notification_preferences")
    op.execute("DROP TABLE notification_home_wards")
    op.execute("ALTER TABLE notification_reporters DROP COLUMN receiving_unit_id,"
               " DROP COLUMN handling_unit_id, DROP COLUMN officer_id")
