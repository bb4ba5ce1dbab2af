"""report_timeline: every step of every report, for staff and the public (Điều 8.2, 12.1, 13,
14.2; issue 11).

Revision ID: 0027
Revises: 0001
"""

from alembic import op

revision = "0027"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
        CREATE TABLE report_timeline (
            notification_id bigint PRIMARY KEY,
            report_id uuid NOT NULL,
            version integer NOT NULL,
            event_type text NOT NULL,
            at timestamptz NOT NULL,
            actor_id text,
            actor_role text,
            actor_unit_id uuid,
            unit_id uuid,
            closed jsonb NOT NULL DEFAULT '[]',
            opened jsonb NOT NULL DEFAULT '[]',
            texts jsonb NOT NULL DEFAULT '{}',
            details jsonb NOT NULL DEFAULT '{}'
        )""")
    # One report's steps in event order (staff and public timelines, work items' texts).
    op.execute("CREATE INDEX report_timeline_report ON report_timeline"
               " (report_id, notification_id)")


def downgrade() -> None:
    op.execute("DROP TABLE report_timeline")
