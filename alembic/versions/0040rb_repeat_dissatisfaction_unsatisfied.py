"""repeat_dissatisfaction: the unsatisfied ratings by matter (issue 16, the tally at 1M).

A month's listing first finds the matters with the threshold of unsatisfied ratings by its
end, from this index alone, instead of grouping every rating of the history by matter.

Revision ID: 0040rb
Revises: 0026
"""

from alembic import op

revision = "0040rb"
down_revision = "0026"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("CREATE INDEX repeat_dissatisfaction_unsatisfied ON repeat_dissatisfaction"
               " (matter_id, month) WHERE rating = 'unsatisfied'")


def downgrade() -> None:
    op.execute("DROP INDEX repeat_dissatisfaction_unsatisfied")
