"""report_attachments: which report references which uploaded file (Điều 5.2, 12.2).

Revision ID: 0036
Revises: 0001
"""

from alembic import op

revision = "0036"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
        CREATE TABLE report_attachments (
            attachment_id uuid NOT NULL,
            report_id uuid NOT NULL,
            used_as text NOT NULL,
            at timestamptz NOT NULL,
            PRIMARY KEY (attachment_id, report_id, used_as)
        )""")


def downgrade() -> None:
    op.execute("DROP TABLE report_attachments")
