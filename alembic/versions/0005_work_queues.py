"""work_queues: what awaits each unit and officer, oldest due first (Điều 7, 8, 12, 13).

Revision ID: 0005
Revises: 0001
"""

from alembic import op

revision = "0005"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
        CREATE TABLE work_queues (
            report_id uuid NOT NULL,
            item text NOT NULL,
            unit_id uuid NOT NULL,
            officer_id text,
            since timestamptz NOT NULL,
            due timestamptz,
            PRIMARY KEY (report_id, item, unit_id)
        )""")
    # A unit's queue and an officer's queue, in the order they are read.
    op.execute("CREATE INDEX work_queues_unit ON work_queues (unit_id, due NULLS LAST, since)")
    op.execute("CREATE INDEX work_queues_officer ON work_queues"
               " (unit_id, officer_id, due NULLS LAST, since)")
    op.execute("""
        CREATE TABLE work_queue_reports (
            report_id uuid PRIMARY KEY,
            kind text NOT NULL,
            category text NOT NULL,
            urgency text,
            officer_unit_id uuid
        )""")


def downgrade() -> None:
    op.execute("DROP TABLE work_queue_reports")
    op.execute("DROP TABLE work_queues")
