"""citizen_reports: a duplicate follows its original's result (Điều 6.2.c).

Revision ID: 0019
Revises: 0004
"""

from alembic import op

revision = "0019"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
        ALTER TABLE citizen_reports
            ADD COLUMN duplicate_of uuid,
            ADD COLUMN original_result_text text,
            ADD COLUMN original_published_at timestamptz""")
    # The duplicates following an original, when it is published.
    op.execute("CREATE INDEX citizen_reports_duplicate_of ON citizen_reports (duplicate_of)"
               " WHERE duplicate_of IS NOT NULL")


def downgrade() -> None:
    op.execute("DROP INDEX citizen_reports_duplicate_of")
    op.execute("ALTER TABLE citizen_reports DROP COLUMN original_published_at,"
               " DROP COLUMN original_result_text, DROP COLUMN duplicate_of")
