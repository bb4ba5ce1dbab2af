"""public_results: search pages in rank order from an index (issue 13.3).

As 0041sa (which see, and which creates ``btree_gist`` and ``public.ihanoi_id_key``): a GiST
trigram index (extensions in ``public``, checked by 0041sa) on the published search document, spelt with a trailing space, and the report
id's key.

Revision ID: 0041sb
Revises: 0038b
"""

from alembic import op

revision = "0041sb"
down_revision = "0038b"
branch_labels = None
depends_on = "0041sa"  # btree_gist and public.ihanoi_id_key

#: The ordered document: spelt as projections.public_results.ORDERED.
ORDERED = ("(public.ihanoi_fold(COALESCE(summary, '') || ' ' || COALESCE(area, '') || ' ' ||"
           " COALESCE(result_text, '')) || ' ')")


def upgrade() -> None:
    op.execute(f"CREATE INDEX public_results_search_order ON public_results USING gist"
               f" ({ORDERED} public.gist_trgm_ops,"
               f" public.ihanoi_id_key(report_id) public.gist_float8_ops)")


def downgrade() -> None:
    op.execute("DROP INDEX public_results_search_order")
