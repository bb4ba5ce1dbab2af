"""report_status: keyset pages of the staff list city-wide, by submission or by last change.

Revision ID: 0022
Revises: 0017
"""

from alembic import op

revision = "0022"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("CREATE INDEX report_status_submitted ON report_status"
               " (submitted_at DESC, report_id DESC)")
    op.execute("CREATE INDEX report_status_updated ON report_status"
               " (updated_at DESC, report_id DESC)")


def downgrade() -> None:
    op.execute("DROP INDEX report_status_updated")
    op.execute("DROP INDEX report_status_submitted")
