"""work_queues: a report marked duplicate leaves every queue until unmarked (Điều 6.2.c).

Revision ID: 0020
Revises: 0005
"""

from alembic import op

revision = "0020"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER TABLE work_queue_reports ADD COLUMN duplicate_of uuid")


def downgrade() -> None:
    op.execute("ALTER TABLE work_queue_reports DROP COLUMN duplicate_of")
