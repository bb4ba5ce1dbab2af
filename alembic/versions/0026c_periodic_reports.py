"""periodic_reports: facts dated at their instant, for monthly, quarterly, yearly and ad-hoc
reports, and the terms of heads of unit (Điều 18.3.b, 25.4; seed 000 Điều 2.4).

Revision ID: 0026c
Revises: 0001
"""

from alembic import op

revision = "0026c"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
        CREATE TABLE period_facts (
            unit_id uuid NOT NULL,
            metric text NOT NULL,
            subject_id uuid NOT NULL,
            at timestamptz NOT NULL,
            notification_id bigint NOT NULL,
            PRIMARY KEY (unit_id, metric, subject_id, notification_id)
        )""")
    # Every unit's figures over a period; one unit's facts (explain) over a period.
    op.execute("CREATE INDEX period_facts_at ON period_facts (at)")
    op.execute("CREATE INDEX period_facts_unit ON period_facts (unit_id, metric, at)")
    op.execute("""
        CREATE TABLE period_reports (
            report_id uuid PRIMARY KEY,
            kind text NOT NULL,
            published_unit_id uuid
        )""")
    # Closings of handling stages, which decide published_on_time (by report).
    op.execute("""
        CREATE TABLE period_closings (
            notification_id bigint NOT NULL,
            report_id uuid NOT NULL,
            unit_id uuid NOT NULL,
            stage text NOT NULL,
            on_time boolean NOT NULL,
            PRIMARY KEY (report_id, notification_id, stage)
        )""")
    op.execute("""
        CREATE TABLE period_heads (
            officer_id uuid NOT NULL,
            unit_id uuid NOT NULL,
            since timestamptz NOT NULL,
            since_nid bigint NOT NULL,
            until timestamptz,
            until_nid bigint,
            PRIMARY KEY (officer_id, since_nid)
        )""")
    op.execute("CREATE INDEX period_heads_unit ON period_heads (unit_id, since)")
    op.execute("""
        CREATE TABLE period_officers (
            officer_id uuid PRIMARY KEY,
            name text NOT NULL
        )""")


def downgrade() -> None:
    op.execute("DROP TABLE period_officers")
    op.execute("DROP TABLE period_heads")
    op.execute("DROP TABLE period_closings")
    op.execute("DROP TABLE period_reports")
    op.execute("DROP TABLE period_facts")
