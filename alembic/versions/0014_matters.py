"""matters: every report's matter and its place in the matter's timeline (issue 7; Điều 18.4).

Revision ID: 0014
Revises: 0001
"""

from alembic import op

revision = "0014"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
        CREATE TABLE matter_reports (
            report_id uuid PRIMARY KEY,
            matter_id uuid NOT NULL,
            re_report_of uuid,
            kind text NOT NULL,
            category text NOT NULL,
            receiving_unit_id uuid NOT NULL,
            handling_unit_id uuid,
            status text NOT NULL,
            duplicate_of uuid,
            submitted_at timestamptz NOT NULL,
            proposed_result text,
            result_text text,
            published_at timestamptz,
            rating text,
            rated_at timestamptz
        )""")
    # A matter's timeline, oldest first.
    op.execute("CREATE INDEX matter_reports_matter ON matter_reports"
               " (matter_id, submitted_at, report_id)")


def downgrade() -> None:
    op.execute("DROP TABLE matter_reports")
