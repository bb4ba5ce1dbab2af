"""repeat_dissatisfaction: counted per matter over its whole history (Điều 18.4; issue 10).

Adds when each rating was given and the event that put each report in its matter; the
ratings are then read per matter. The instants of past ratings are not in the table, so the
read model is emptied and its tracking position reset: the projector replays it from the
first event (a rebuild of this one model).

Revision ID: 0026
Revises: 0016
"""

from alembic import op

revision = "0026"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("DELETE FROM repeat_dissatisfaction")
    op.execute("UPDATE projection_tracking SET notification_id = 0"
               " WHERE projection = 'repeat_dissatisfaction'")
    op.execute("ALTER TABLE repeat_dissatisfaction ADD COLUMN matter_nid bigint,"
               " ADD COLUMN rated_at timestamptz")
    op.execute("DROP INDEX repeat_dissatisfaction_month")
    # The listing of a month: the ratings given up to its end, grouped by matter.
    op.execute("CREATE INDEX repeat_dissatisfaction_rated ON repeat_dissatisfaction"
               " (month, matter_id) WHERE rating IS NOT NULL")
    # The explanation: a matter's ratings.
    op.execute("CREATE INDEX repeat_dissatisfaction_matter ON repeat_dissatisfaction"
               " (matter_id) WHERE rating IS NOT NULL")


def downgrade() -> None:
    op.execute("DROP INDEX repeat_dissatisfaction_matter")
    op.execute("DROP INDEX repeat_dissatisfaction_rated")
    op.execute("CREATE INDEX repeat_dissatisfaction_month ON repeat_dissatisfaction"
               " (month, handling_unit_id)"
               " WHERE rating = 'unsatisfied' AND re_report_of IS NOT NULL")
    op.execute("ALTER TABLE repeat_dissatisfaction DROP COLUMN rated_at,"
               " DROP COLUMN matter_nid")
    op.execute("DELETE FROM repeat_dissatisfaction")
    op.execute("UPDATE projection_tracking SET notification_id = 0"
               " WHERE projection = 'repeat_dissatisfaction'")
