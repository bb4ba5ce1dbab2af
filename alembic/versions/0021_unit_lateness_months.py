"""unit_monthly_lateness: counters per (unit, month) for the ranking (Điều 18.4).

Reports received and reports with a stage *closed* late, per unit and month, kept by the
handlers; stages still open are judged at query time (a partial index finds them). Filled from
the existing facts.

Revision ID: 0021
Revises: 0009
"""

from alembic import op

revision = "0021"
down_revision = "0009"
branch_labels = None
depends_on = None

RECEPTION = "ARRAY['reception', 'verification']"
HANDLING = "ARRAY['assignment', 'handling', 'rework', 'publication', 'clarification', 'response']"


def upgrade() -> None:
    op.execute("""
        CREATE TABLE unit_lateness_months (
            month date NOT NULL,
            unit_id uuid NOT NULL,
            received integer NOT NULL DEFAULT 0,
            closed_late_in_reception integer NOT NULL DEFAULT 0,
            closed_late_in_handling integer NOT NULL DEFAULT 0,
            closed_reports_late integer NOT NULL DEFAULT 0,
            PRIMARY KEY (month, unit_id)
        )""")
    # The ranking: the month's stages still open, past due at the query's now.
    op.execute("CREATE INDEX unit_lateness_stages_open ON unit_lateness_stages (month, due)"
               " WHERE ended_at IS NULL")
    op.execute(f"""
        INSERT INTO unit_lateness_months
        SELECT month, unit_id, count(*), count(*) FILTER (WHERE reception),
               count(*) FILTER (WHERE handling), count(*) FILTER (WHERE reception OR handling)
        FROM (SELECT month, unit_id, report_id,
                     bool_or(stage = ANY({RECEPTION}) AND ended_at IS NOT NULL
                             AND on_time IS FALSE) AS reception,
                     bool_or(stage = ANY({HANDLING}) AND ended_at IS NOT NULL
                             AND on_time IS FALSE) AS handling
              FROM unit_lateness_stages GROUP BY month, unit_id, report_id) AS per_report
        GROUP BY month, unit_id""")


def downgrade() -> None:
    op.execute("DROP INDEX unit_lateness_stages_open")
    op.execute("DROP TABLE unit_lateness_months")
