"""duplicate_candidates: a report may have an address without coordinates (Điều 6.1; Open311
GeoReport v2 "lat/long or an address"), so its coordinates may be NULL — such a report has no
nearby candidates. report_status and public_results already allow NULL coordinates.

Revision ID: 0037
Revises: 0015
"""

from alembic import op

revision = "0037"
down_revision = "0015"
branch_labels = None
depends_on = None

TABLES = ("duplicate_candidates", "duplicate_candidates_parked")


def upgrade() -> None:
    for table in TABLES:
        op.execute(f"ALTER TABLE {table} ALTER COLUMN latitude DROP NOT NULL,"
                   " ALTER COLUMN longitude DROP NOT NULL")


def downgrade() -> None:
    for table in TABLES:
        op.execute(f"DELETE FROM {table} WHERE latitude IS NULL OR longitude IS NULL")
        op.execute(f"ALTER TABLE {table} ALTER COLUMN latitude SET NOT NULL,"
                   " ALTER COLUMN longitude SET NOT NULL")
