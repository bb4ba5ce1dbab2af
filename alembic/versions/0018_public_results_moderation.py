"""public_results: the rating comment, and whether a moderator hid it (Điều 13, 14.1).

Revision ID: 0018
Revises: 0003
"""

from alembic import op

revision = "0018"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
        ALTER TABLE public_results
            ADD COLUMN rating_comment text,
            ADD COLUMN rating_comment_hidden boolean NOT NULL DEFAULT false""")
    # A comment may be hidden before the result is published.
    op.execute("ALTER TABLE public_results_pending"
               " ADD COLUMN rating_comment_hidden boolean NOT NULL DEFAULT false")


def downgrade() -> None:
    op.execute("ALTER TABLE public_results_pending DROP COLUMN rating_comment_hidden")
    op.execute("ALTER TABLE public_results DROP COLUMN rating_comment_hidden,"
               " DROP COLUMN rating_comment")
