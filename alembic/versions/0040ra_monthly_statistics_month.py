"""monthly_statistics: the month's facts in one index (issue 16, the statistics at 1M).

``figures`` reads one month of every unit: with the primary key led by the unit, that was a
scan of the whole table. This index serves it alone (an index-only scan of the month, in the
order of its distinct counts).

Revision ID: 0040ra
Revises: 0010
"""

from alembic import op

revision = "0040ra"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("CREATE INDEX monthly_statistics_month ON monthly_statistics"
               " (month, unit_id, metric, report_id)")


def downgrade() -> None:
    op.execute("DROP INDEX monthly_statistics_month")
