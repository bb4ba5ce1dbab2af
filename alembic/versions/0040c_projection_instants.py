"""projection_instants: when the events of each range of notification ids were recorded.

One row per range ``(first, last]`` of stored events, scanned in notification order: the
earliest and latest instant at which the system learnt of an event of the range (a passed
deadline counts when recorded, not at its due instant). An as-of build stops replaying after
the last range holding an event recorded at or before its instant, and checkpoints are cut on
range boundaries (issue 16, ``projections.checkpoints``). Both are null for a range holding
only events without an instant of their own (which no as-of applies).

Revision ID: 0040c
Revises: 0001
"""

from alembic import op

revision = "0040c"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
        CREATE TABLE projection_instants (
            last bigint PRIMARY KEY,
            first bigint NOT NULL,
            earliest timestamptz,
            latest timestamptz
        )""")


def downgrade() -> None:
    op.execute("DROP TABLE projection_instants")
