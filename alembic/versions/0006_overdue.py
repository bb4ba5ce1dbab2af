"""overdue: every open timed stage with its due instant (DOMAIN.md "Lateness").

Revision ID: 0006
Revises: 0001
"""

from alembic import op

revision = "0006"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
        CREATE TABLE overdue (
            report_id uuid NOT NULL,
            stage text NOT NULL,
            unit_id uuid NOT NULL,
            officer_id text,
            started_at timestamptz NOT NULL,
            due timestamptz NOT NULL,
            policy_version text NOT NULL,
            PRIMARY KEY (report_id, stage)
        )""")
    # Past-due stages city-wide and per unit, earliest due (most late) first.
    op.execute("CREATE INDEX overdue_due ON overdue (due)")
    op.execute("CREATE INDEX overdue_unit ON overdue (unit_id, due)")


def downgrade() -> None:
    op.execute("DROP TABLE overdue")
