"""citizen_reports: a reporter's own reports and their status (Điều 7, 8, 12, 13).

Revision ID: 0004
Revises: 0001
"""

from alembic import op

revision = "0004"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
        CREATE TABLE citizen_reports (
            report_id uuid PRIMARY KEY,
            reporter_id uuid NOT NULL,
            kind text NOT NULL,
            category text NOT NULL,
            summary text NOT NULL,
            status text NOT NULL,
            stage text,
            stage_due timestamptz,
            rejection_reason text,
            rejection_note text,
            proposed_result text,
            result_text text,
            clarification_answer text,
            rating text,
            submitted_at timestamptz NOT NULL,
            updated_at timestamptz NOT NULL,
            published_at timestamptz
        )""")
    # A reporter's keyset pages, newest first.
    op.execute("CREATE INDEX citizen_reports_reporter ON citizen_reports"
               " (reporter_id, submitted_at DESC, report_id DESC)")


def downgrade() -> None:
    op.execute("DROP TABLE citizen_reports")
