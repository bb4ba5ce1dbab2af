"""repeat_dissatisfaction: ratings of re-reports, per handling unit and month (Điều 18.4).

Revision ID: 0016
Revises: 0001
"""

from alembic import op

revision = "0016"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
        CREATE TABLE repeat_dissatisfaction (
            report_id uuid PRIMARY KEY,
            matter_id uuid NOT NULL,
            re_report_of uuid,
            re_report_nid bigint,
            handling_unit_id uuid,
            accepted_nid bigint,
            rating text,
            month date,
            rated_nid bigint
        )""")
    # The tally and its explanations: unsatisfied re-reports of one month, per unit.
    op.execute("CREATE INDEX repeat_dissatisfaction_month ON repeat_dissatisfaction"
               " (month, handling_unit_id)"
               " WHERE rating = 'unsatisfied' AND re_report_of IS NOT NULL")


def downgrade() -> None:
    op.execute("DROP TABLE repeat_dissatisfaction")
