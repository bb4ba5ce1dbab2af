"""unit_monthly_lateness: one row per stage a unit held for a report (Điều 18.4).

Revision ID: 0009
Revises: 0001
"""

from alembic import op

revision = "0009"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
        CREATE TABLE unit_lateness_stages (
            opened_nid bigint PRIMARY KEY,
            report_id uuid NOT NULL,
            unit_id uuid NOT NULL,
            stage text NOT NULL,
            month date NOT NULL,
            started_at timestamptz NOT NULL,
            due timestamptz,
            ended_at timestamptz,
            on_time boolean,
            closed_nid bigint
        )""")
    # The ranking and its explanations: one month, one unit.
    op.execute("CREATE INDEX unit_lateness_stages_month ON unit_lateness_stages"
               " (month, unit_id)")
    # Handlers: a report's stages (closing the open one, finding the unit's first month).
    op.execute("CREATE INDEX unit_lateness_stages_report ON unit_lateness_stages"
               " (report_id, unit_id)")


def downgrade() -> None:
    op.execute("DROP TABLE unit_lateness_stages")
