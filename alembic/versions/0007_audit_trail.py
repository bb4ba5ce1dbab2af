"""audit_trail: one row per event, who/what/when/which report/on time (Điều 22).

Revision ID: 0007
Revises: 0001
"""

from alembic import op

revision = "0007"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
        CREATE TABLE audit_trail (
            notification_id bigint PRIMARY KEY,
            aggregate_type text NOT NULL,
            aggregate_id uuid NOT NULL,
            version integer NOT NULL,
            event_type text NOT NULL,
            at timestamptz NOT NULL,
            actor_id text,
            actor_role text,
            actor_unit_id uuid,
            actor_unit_level text,
            unit_id uuid,
            report_id uuid,
            closed_stage text,
            closed_unit_id uuid,
            closed_started_at timestamptz,
            closed_due timestamptz,
            closed_on_time boolean,
            opened_stage text,
            opened_unit_id uuid,
            opened_due timestamptz,
            details jsonb NOT NULL DEFAULT '{}'
        )""")
    # Export filters: one report's history, one unit's events, a period; all in event order.
    op.execute("CREATE INDEX audit_trail_report ON audit_trail (report_id, notification_id)"
               " WHERE report_id IS NOT NULL")
    op.execute("CREATE INDEX audit_trail_unit ON audit_trail (unit_id, notification_id)"
               " WHERE unit_id IS NOT NULL")
    op.execute("CREATE INDEX audit_trail_at ON audit_trail (at)")


def downgrade() -> None:
    op.execute("DROP TABLE audit_trail")
