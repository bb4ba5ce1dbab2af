"""duplicate_candidates: open reports by category and place, for staff (issue 7; Điều 6.2.c).

Revision ID: 0015
Revises: 0001
"""

from alembic import op

revision = "0015"
down_revision = "0001"
branch_labels = None
depends_on = None

COLUMNS = """
            report_id uuid PRIMARY KEY,
            category text NOT NULL,
            latitude double precision NOT NULL,
            longitude double precision NOT NULL,
            submitted_at timestamptz NOT NULL,
            reporter_id uuid NOT NULL,
            receiving_unit_id uuid NOT NULL,
            handling_unit_id uuid,
            status text NOT NULL"""


def upgrade() -> None:
    op.execute(f"CREATE TABLE duplicate_candidates ({COLUMNS})")
    # Nearby candidates: one category, a latitude range, then the longitude range.
    op.execute("CREATE INDEX duplicate_candidates_place ON duplicate_candidates"
               " (category, latitude, longitude)")
    # Reports marked as duplicates wait here, out of the candidates, until unmarked.
    op.execute(f"CREATE TABLE duplicate_candidates_parked ({COLUMNS})")


def downgrade() -> None:
    op.execute("DROP TABLE duplicate_candidates_parked")
    op.execute("DROP TABLE duplicate_candidates")
