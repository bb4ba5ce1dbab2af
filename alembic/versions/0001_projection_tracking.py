"""projection_tracking: each read model's position in the event store.

Revision ID: 0001
Revises:
"""

from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
        CREATE TABLE projection_tracking (
            projection text PRIMARY KEY,
            notification_id bigint NOT NULL DEFAULT 0
        )""")


def downgrade() -> None:
    op.execute("DROP TABLE projection_tracking")
