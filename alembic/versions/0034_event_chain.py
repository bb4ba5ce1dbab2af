"""event_chain: a hash chain over the stored events, one row per notification id (Điều 22).

Not a read model: it is never rebuilt from the events (that would launder a tampering), only
extended in notification order (projections/event_chain.py).

Revision ID: 0034
Revises: 0001
"""

from alembic import op

revision = "0034"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
        CREATE TABLE event_chain (
            notification_id bigint PRIMARY KEY,
            originator_id uuid NOT NULL,
            originator_version bigint NOT NULL,
            topic text NOT NULL,
            event_digest text NOT NULL,
            previous_hash text NOT NULL,
            hash text NOT NULL
        )""")


def downgrade() -> None:
    op.execute("DROP TABLE event_chain")
