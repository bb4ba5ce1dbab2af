"""report_status: matter, re-report, duplicate pointer and moderation (issue 7; Điều 6.2.c,
14.1, 18.4).

Revision ID: 0017
Revises: 0002
"""

from alembic import op

revision = "0017"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # The originals stay in text / rating_comment; the redacted versions sit beside them.
    op.execute("""
        ALTER TABLE report_status
            ADD COLUMN matter_id uuid,
            ADD COLUMN re_report_of uuid,
            ADD COLUMN duplicate_of uuid,
            ADD COLUMN hidden boolean NOT NULL DEFAULT false,
            ADD COLUMN rating_comment_hidden boolean NOT NULL DEFAULT false,
            ADD COLUMN redacted_text text,
            ADD COLUMN redacted_rating_comment text""")
    op.execute("UPDATE report_status SET matter_id = report_id")
    op.execute("ALTER TABLE report_status ALTER COLUMN matter_id SET NOT NULL")


def downgrade() -> None:
    op.execute("""
        ALTER TABLE report_status
            DROP COLUMN redacted_rating_comment,
            DROP COLUMN redacted_text,
            DROP COLUMN rating_comment_hidden,
            DROP COLUMN hidden,
            DROP COLUMN duplicate_of,
            DROP COLUMN re_report_of,
            DROP COLUMN matter_id""")
