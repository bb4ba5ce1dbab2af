"""alerts: the area an alert was sent to (Điều 15.1: a department's alert reaches the city).

Revision ID: 0025
Revises: 0013
"""

from alembic import op

revision = "0025"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER TABLE alerts ADD COLUMN area_unit_id uuid")
    # Before this revision every alert was sent to its own unit's area.
    op.execute("UPDATE alerts SET area_unit_id = unit_id WHERE status = 'sent'")
    # Sent alerts by the area they reach (a resident's alerts).
    op.execute("CREATE INDEX alerts_area_sent ON alerts (area_unit_id, sent_at)")


def downgrade() -> None:
    op.execute("DROP INDEX alerts_area_sent")
    op.execute("ALTER TABLE alerts DROP COLUMN area_unit_id")
