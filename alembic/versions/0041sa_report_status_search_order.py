"""report_status: search pages in rank order from an index (issue 13.3, p99 < 50 ms at 1M).

A GiST trigram index on the search document (spelt with a trailing space, which changes no
trigram, so that the planner keeps serving the ``LIKE`` conditions from 0038's GIN index, far
faster for them) and on ``public.ihanoi_id_key(report_id)``: ``ORDER BY document <->> query,
key <-> 2^52`` (best word similarity, then report id descending) is read from it in order
(KNN), so a query matching a tenth of the reports stops after one page instead of ranking
them all. Creates ``btree_gist`` (the GiST operators of ``float8``; a superuser or a role
allowed to, as 0038) and the key function in ``public``, beside 0038's; the queries name the
ordering operators in ``public``, so both extensions must live there.

Revision ID: 0041sa
Revises: 0038
"""

from alembic import op
from application.migrations import extension_schema

revision = "0041sa"
down_revision = "0038"
branch_labels = None
depends_on = None

#: The ordered document: spelt as projections.report_status.ORDERED.
ORDERED = ("(public.ihanoi_fold(COALESCE(COALESCE(redacted_text, text), '') || ' ' ||"
           " COALESCE(address, '') || ' ' || COALESCE(result_text, '')) || ' ')")


def order_functions() -> None:
    """``btree_gist`` and ``public.ihanoi_id_key`` (0041sb depends on them; idempotent): the
    first 52 bits of a UUID as a ``float8`` (exact), in the UUIDs' order."""
    op.execute("CREATE EXTENSION IF NOT EXISTS btree_gist SCHEMA public")
    op.execute("""
DO $do$
BEGIN
  IF to_regprocedure('public.ihanoi_id_key(uuid)') IS NULL THEN
    CREATE FUNCTION public.ihanoi_id_key(uuid) RETURNS float8
      LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
      AS $b$SELECT ('x' || substr(replace($1::text, '-', ''), 1, 13))::bit(52)::int8::float8$b$;
  END IF;
END
$do$""")


def upgrade() -> None:
    order_functions()
    bind = op.get_bind()
    for extension in ("pg_trgm", "btree_gist"):
        if extension_schema(bind, extension) != "public":
            raise RuntimeError(f"extension {extension} must be in schema public: the search"
                               " orders with OPERATOR(public.<->>) and OPERATOR(public.<->)")
    op.execute(f"CREATE INDEX report_status_search_order ON report_status USING gist"
               f" ({ORDERED} public.gist_trgm_ops,"
               f" public.ihanoi_id_key(report_id) public.gist_float8_ops)")


def downgrade() -> None:
    op.execute("DROP INDEX report_status_search_order")
