"""public_results: diacritic-insensitive full-text search for the public (issue 13.3).

Over the published, masked texts only (the report's text, place and result: never any
personal data). The extensions and the folding and ranking functions are 0038's (which see;
this revision depends on it); a GIN trigram index on the folded document.

Revision ID: 0038b
Revises: 0018
"""

from alembic import op
from application.migrations import extension_schema

revision = "0038b"
down_revision = "0018"
branch_labels = None
depends_on = "0038"  # the extensions and public.ihanoi_fold

#: The indexed document: spelt as projections.public_results.DOCUMENT.
DOCUMENT = ("public.ihanoi_fold(COALESCE(summary, '') || ' ' || COALESCE(area, '') || ' ' ||"
            " COALESCE(result_text, ''))")


def upgrade() -> None:
    trigram_ops = f"{extension_schema(op.get_bind(), 'pg_trgm')}.gin_trgm_ops"
    op.execute(f"CREATE INDEX public_results_search ON public_results"
               f" USING gin (({DOCUMENT}) {trigram_ops})")


def downgrade() -> None:
    op.execute("DROP INDEX public_results_search")
