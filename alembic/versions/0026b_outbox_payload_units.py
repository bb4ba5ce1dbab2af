"""notification_outbox: a structured payload per notification, and unit names for the
monthly report to the Chairman and Home Affairs (seed 000 Điều 2.2.c; issue 10 item 14).

The names are filled from the unit directory as it stands; the outbox feeder keeps them from
``Unit`` events afterwards.

Revision ID: 0026b
Revises: 0011
"""

from alembic import op

revision = "0026b"
down_revision = "0011"
branch_labels = None
depends_on = "0008"  # directory_units, to fill the names from


def upgrade() -> None:
    op.execute("ALTER TABLE notification_outbox ADD COLUMN payload jsonb")
    op.execute("""
        CREATE TABLE notification_units (
            unit_id uuid PRIMARY KEY,
            name text NOT NULL
        )""")
    op.execute("INSERT INTO notification_units (unit_id, name)"
               " SELECT unit_id, name FROM directory_units")


def downgrade() -> None:
    op.execute("DROP TABLE notification_units")
    op.execute("ALTER TABLE notification_outbox DROP COLUMN payload")
