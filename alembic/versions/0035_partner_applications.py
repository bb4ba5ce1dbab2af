"""partner_applications: the Open311 partner applications and their keys' state (Điều 28.1).

Revision ID: 0035
Revises: 0001
"""

from alembic import op

revision = "0035"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Never the key nor its hash: those stay in the (encrypted) events.
    op.execute("""
        CREATE TABLE partner_applications (
            partner_id uuid PRIMARY KEY,
            name text NOT NULL,
            issued_by text NOT NULL,
            issued_at timestamptz NOT NULL,
            revoked_at timestamptz
        )""")


def downgrade() -> None:
    op.execute("DROP TABLE partner_applications")
