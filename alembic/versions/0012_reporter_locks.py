"""reporter_locks: each reporter's violation streak and lock (Điều 27.3).

Revision ID: 0012
Revises: 0001
"""

from alembic import op

revision = "0012"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
        CREATE TABLE reporter_locks (
            reporter_id uuid PRIMARY KEY,
            consecutive_violations integer NOT NULL DEFAULT 0,
            locked_at timestamptz,
            locked_until timestamptz,
            lifted_at timestamptz,
            updated_at timestamptz NOT NULL
        )""")
    # Locks still in force, by their end: the expired ones are lifted by the scheduler.
    op.execute("CREATE INDEX reporter_locks_until ON reporter_locks (locked_until)"
               " WHERE lifted_at IS NULL")


def downgrade() -> None:
    op.execute("DROP TABLE reporter_locks")
