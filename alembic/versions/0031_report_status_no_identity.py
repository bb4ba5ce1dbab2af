"""report_status: no reporter identity at rest in plaintext (Điều 4.4, 14.1; issue 12.1).

The identity (name, phone, e-mail, citizen ID) stays only in the encrypted event store; the
read model keeps the reporter's account id, and the API decrypts the identity from the
event store for the callers Điều 5.7 allows.

Revision ID: 0031
Revises: 0022
"""

from alembic import op

revision = "0031"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER TABLE report_status DROP COLUMN reporter")
    # A dropped column's values stay in the table's files until its rows are rewritten:
    # CLUSTER rewrites the table (dropped columns as nulls) in this transaction.
    op.execute("CLUSTER report_status USING report_status_pkey")


def downgrade() -> None:
    # The identities are not copied back: rebuild report_status on the older code to refill.
    op.execute("ALTER TABLE report_status ADD COLUMN reporter jsonb NOT NULL DEFAULT '{}'")
