"""monthly_statistics: facts behind the reception and handling figures (seed 000 Điều 2.2.c).

Revision ID: 0010
Revises: 0001
"""

from alembic import op

revision = "0010"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
        CREATE TABLE monthly_statistics (
            unit_id uuid NOT NULL,
            month date NOT NULL,
            metric text NOT NULL,
            report_id uuid NOT NULL,
            notification_id bigint NOT NULL,
            PRIMARY KEY (unit_id, month, metric, report_id, notification_id)
        )""")
    # The handlers find the unit that published a report (for its rating).
    op.execute("CREATE INDEX monthly_statistics_report ON monthly_statistics"
               " (report_id, metric)")
    op.execute("""
        CREATE TABLE monthly_statistics_closings (
            notification_id bigint PRIMARY KEY,
            report_id uuid NOT NULL,
            unit_id uuid NOT NULL,
            on_time boolean NOT NULL
        )""")
    # The closings of one report's handling stages, when it is published.
    op.execute("CREATE INDEX monthly_statistics_closings_report ON monthly_statistics_closings"
               " (report_id, unit_id)")


def downgrade() -> None:
    op.execute("DROP TABLE monthly_statistics_closings")
    op.execute("DROP TABLE monthly_statistics")
