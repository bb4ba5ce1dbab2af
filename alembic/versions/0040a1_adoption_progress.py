"""adoption_progress: each unit's figures per round of the adoption-progress form (seed 001;
seed 003 annex).

Revision ID: 0040a1
Revises: 0001
"""

from alembic import op

revision = "0040a1"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # One row per unit and round: the latest entry's figures (a later entry corrects the
    # earlier), when the round was first entered and whether that was by its due.
    op.execute("""
        CREATE TABLE adoption_progress (
            unit_id uuid NOT NULL,
            round integer NOT NULL,
            staff_total integer NOT NULL,
            staff_installed integer NOT NULL,
            residents_total integer NOT NULL,
            residents_with_smartphone integer NOT NULL,
            residents_installed integer NOT NULL,
            due timestamptz NOT NULL,
            first_entered_at timestamptz NOT NULL,
            on_time boolean NOT NULL,
            entered_at timestamptz NOT NULL,
            entries integer NOT NULL,
            entered_by text,
            entered_by_role text,
            PRIMARY KEY (unit_id, round)
        )""")


def downgrade() -> None:
    op.execute("DROP TABLE adoption_progress")
