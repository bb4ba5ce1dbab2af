"""report_status: current state of every report, for staff.

Revision ID: 0002
Revises: 0001
"""

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
        CREATE TABLE report_status (
            report_id uuid PRIMARY KEY,
            kind text NOT NULL,
            category text NOT NULL,
            text text NOT NULL,
            latitude double precision,
            longitude double precision,
            address text NOT NULL DEFAULT '',
            media jsonb NOT NULL DEFAULT '[]',
            confidential boolean NOT NULL,
            reporter_id uuid NOT NULL,
            reporter jsonb NOT NULL,
            receiving_unit_id uuid NOT NULL,
            handling_unit_id uuid,
            department_id uuid,
            officer_id text,
            status text NOT NULL,
            urgency text,
            stage text,
            stage_unit_id uuid,
            stage_officer_id text,
            stage_due timestamptz,
            verification_due timestamptz,
            failed_verifications integer NOT NULL DEFAULT 0,
            clarification_due timestamptz,
            coordination jsonb NOT NULL DEFAULT '{}',
            extensions integer NOT NULL DEFAULT 0,
            returns integer NOT NULL DEFAULT 0,
            rejection_reason text,
            rejection_note text,
            result_text text,
            result_evidence jsonb,
            rating text,
            rating_comment text,
            violation boolean NOT NULL DEFAULT false,
            submitted_at timestamptz NOT NULL,
            assigned_at timestamptz,
            published_at timestamptz,
            updated_at timestamptz NOT NULL,
            version integer NOT NULL
        )""")
    # Staff lists: by unit and status, newest first.
    op.execute("CREATE INDEX report_status_receiving ON report_status"
               " (receiving_unit_id, submitted_at DESC)")
    op.execute("CREATE INDEX report_status_handling ON report_status"
               " (handling_unit_id, submitted_at DESC)")
    op.execute("CREATE INDEX report_status_status ON report_status (status, submitted_at DESC)")


def downgrade() -> None:
    op.execute("DROP TABLE report_status")
