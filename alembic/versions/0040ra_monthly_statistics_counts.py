"""monthly_statistics: the figures kept per (month, unit, metric) (issue 16, statistics at 1M).

``figures`` counted the distinct reports of a month's facts at each request: with the primary
key led by the unit, a scan of the whole facts table (hundreds of ms at 1M events). The
handlers now keep each figure — the distinct reports of its facts — in
``monthly_statistics_counts`` as they insert or delete facts; filled here from the facts.

Revision ID: 0040ra
Revises: 0010
"""

from alembic import op

revision = "0040ra"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
        CREATE TABLE monthly_statistics_counts (
            month date NOT NULL,
            unit_id uuid NOT NULL,
            metric text NOT NULL,
            reports integer NOT NULL,
            PRIMARY KEY (month, unit_id, metric)
        )""")
    op.execute("""
        INSERT INTO monthly_statistics_counts (month, unit_id, metric, reports)
        SELECT month, unit_id, metric, count(DISTINCT report_id) FROM monthly_statistics
        GROUP BY month, unit_id, metric""")


def downgrade() -> None:
    op.execute("DROP TABLE monthly_statistics_counts")
