"""unit_directory: the unit tree and officers as they stand now (Điều 25, 28.1).

Revision ID: 0008
Revises: 0001
"""

from alembic import op

revision = "0008"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
        CREATE TABLE directory_units (
            unit_id uuid PRIMARY KEY,
            name text NOT NULL,
            level text NOT NULL,
            parent_id uuid,
            code text NOT NULL DEFAULT '',
            active boolean NOT NULL,
            merged_into uuid,
            created_at timestamptz NOT NULL,
            updated_at timestamptz NOT NULL,
            version integer NOT NULL
        )""")
    # The tree: children of a unit (and, recursively, its descendants).
    op.execute("CREATE INDEX directory_units_parent ON directory_units (parent_id)")
    op.execute("""
        CREATE TABLE directory_officers (
            officer_id uuid PRIMARY KEY,
            name text NOT NULL,
            unit_id uuid NOT NULL,
            role text NOT NULL,
            active boolean NOT NULL,
            appointed_at timestamptz NOT NULL,
            updated_at timestamptz NOT NULL,
            version integer NOT NULL
        )""")
    # The staff of a unit.
    op.execute("CREATE INDEX directory_officers_unit ON directory_officers (unit_id)")


def downgrade() -> None:
    op.execute("DROP TABLE directory_officers")
    op.execute("DROP TABLE directory_units")
