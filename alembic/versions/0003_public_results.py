"""public_results: published results for the public app and web (Điều 8.3, 12.3, 14.2).

Revision ID: 0003
Revises: 0001
"""

from alembic import op

revision = "0003"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # No column for the reporter's identity or any personal data (Điều 4.4, 5.7, 14.1).
    op.execute("""
        CREATE TABLE public_results (
            report_id uuid PRIMARY KEY,
            kind text NOT NULL,
            category text NOT NULL,
            summary text NOT NULL,
            area text NOT NULL,
            latitude double precision,
            longitude double precision,
            submitted_at timestamptz NOT NULL,
            published_at timestamptz NOT NULL,
            handling_unit_id uuid,
            result_text text,
            evidence jsonb NOT NULL DEFAULT '[]',
            rating text
        )""")
    # Keyset pages, newest first: unfiltered, and per filter.
    op.execute("CREATE INDEX public_results_page ON public_results"
               " (published_at DESC, report_id DESC)")
    op.execute("CREATE INDEX public_results_kind ON public_results"
               " (kind, published_at DESC, report_id DESC)")
    op.execute("CREATE INDEX public_results_category ON public_results"
               " (category, published_at DESC, report_id DESC)")
    op.execute("CREATE INDEX public_results_unit ON public_results"
               " (handling_unit_id, published_at DESC, report_id DESC)")
    # Reports not yet published: never served.
    op.execute("""
        CREATE TABLE public_results_pending (
            report_id uuid PRIMARY KEY,
            kind text NOT NULL,
            category text NOT NULL,
            summary text NOT NULL,
            area text NOT NULL,
            latitude double precision,
            longitude double precision,
            submitted_at timestamptz NOT NULL,
            handling_unit_id uuid,
            result_text text,
            evidence jsonb NOT NULL DEFAULT '[]'
        )""")
    op.execute("""
        CREATE TABLE public_results_units (
            unit_id uuid PRIMARY KEY,
            name text NOT NULL
        )""")


def downgrade() -> None:
    op.execute("DROP TABLE public_results_units")
    op.execute("DROP TABLE public_results_pending")
    op.execute("DROP TABLE public_results")
