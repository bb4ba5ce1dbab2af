"""alerts: units' alerts to residents and the unit tree they reach (Chương III, Điều 15–17).

Revision ID: 0013
Revises: 0001
"""

from alembic import op

revision = "0013"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
        CREATE TABLE alerts (
            alert_id uuid PRIMARY KEY,
            unit_id uuid NOT NULL,
            unit_level text NOT NULL,
            category text NOT NULL,
            severity text NOT NULL,
            title text NOT NULL,
            body text NOT NULL,
            valid_from timestamptz NOT NULL,
            valid_until timestamptz NOT NULL,
            resend_of uuid,
            status text NOT NULL,
            drafted_at timestamptz NOT NULL,
            approved_at timestamptz,
            sent_at timestamptz,
            version integer NOT NULL
        )""")
    # Alerts a unit sent, latest first (a resident's area; the 3-day cadence).
    op.execute("CREATE INDEX alerts_unit_sent ON alerts (unit_id, sent_at)")
    op.execute("""
        CREATE TABLE alert_units (
            unit_id uuid PRIMARY KEY,
            parent_id uuid,
            level text NOT NULL,
            active boolean NOT NULL,
            created_at timestamptz NOT NULL
        )""")


def downgrade() -> None:
    op.execute("DROP TABLE alert_units")
    op.execute("DROP TABLE alerts")
