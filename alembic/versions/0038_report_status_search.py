"""report_status: diacritic-insensitive full-text search for staff (issue 13.3).

Creates the ``unaccent`` and ``pg_trgm`` extensions if missing (this needs a superuser, or a
role allowed to create them: in production, have them created beforehand with
``CREATE EXTENSION unaccent; CREATE EXTENSION pg_trgm;``), the folding and ranking functions
in ``public`` (see :mod:`projections.text_search`) and a GIN trigram index on the folded
text (the public version of the report's text), address and result.

Revision ID: 0038
Revises: 0031
"""

from alembic import op
from application.migrations import extension_schema

revision = "0038"
down_revision = "0031"
branch_labels = None
depends_on = None

#: The indexed document: spelt as projections.report_status.DOCUMENT.
DOCUMENT = ("public.ihanoi_fold(COALESCE(COALESCE(redacted_text, text), '') || ' ' ||"
            " COALESCE(address, '') || ' ' || COALESCE(result_text, ''))")


def search_functions() -> None:
    """The extensions and ``public.ihanoi_fold`` / ``public.ihanoi_rank`` (0038b depends on
    them; idempotent). The extensions' own schemas are looked up, not assumed."""
    op.execute("CREATE EXTENSION IF NOT EXISTS unaccent SCHEMA public")
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public")
    op.execute("""
DO $do$
DECLARE
  u text := (SELECT quote_ident(n.nspname) FROM pg_extension e
             JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'unaccent');
  t text := (SELECT quote_ident(n.nspname) FROM pg_extension e
             JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'pg_trgm');
BEGIN
  IF to_regprocedure('public.ihanoi_fold(text)') IS NULL THEN
    EXECUTE format($f$CREATE FUNCTION public.ihanoi_fold(text) RETURNS text
      LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
      AS $b$SELECT pg_catalog.lower(pg_catalog.translate(%1$s.unaccent(%2$L::regdictionary, $1),
                                                       'đĐ', 'dD'))$b$$f$,
      u, u || '.unaccent');
  END IF;
  IF to_regprocedure('public.ihanoi_rank(text, text)') IS NULL THEN
    EXECUTE format($f$CREATE FUNCTION public.ihanoi_rank(text, text) RETURNS real
      LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
      AS $b$SELECT %1$s.word_similarity($1, $2)$b$$f$, t);
  END IF;
END
$do$""")


def trigram_ops() -> str:
    """The ``gin_trgm_ops`` operator class, qualified by pg_trgm's schema."""
    return f"{extension_schema(op.get_bind(), 'pg_trgm')}.gin_trgm_ops"


def upgrade() -> None:
    search_functions()
    op.execute(f"CREATE INDEX report_status_search ON report_status"
               f" USING gin (({DOCUMENT}) {trigram_ops()})")


def downgrade() -> None:
    # The functions and extensions stay: other schemas of the database may use them.
    op.execute("DROP INDEX report_status_search")
