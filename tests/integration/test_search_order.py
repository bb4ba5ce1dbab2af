"""Search order (issue 13.3): a query's pages follow word similarity, best first, then report
id descending — whether its matches are few (all ranked) or many (read in order from the GiST
index of migrations 0041sa/0041sb) — and page by cursor without a gap or a repeat."""

from __future__ import annotations

import uuid
from typing import Any

from projections import public_results, report_status
from projections.text_search import COMMON

TEXTS = ["Lấn chiếm vỉa hè bán hàng", "Vỉa bị vỡ, hè phố bẩn", "Hè phố có vỉa gạch hỏng",
         "Rác trên vỉa hèm", "Vỉa hè", "Cây đổ chắn lối đi"]


def _fill(conn: Any, rows: int) -> None:
    for i in range(rows):
        report_id, at = uuid.uuid4(), "2025-01-01T00:00:00+07:00"
        conn.execute(
            "INSERT INTO report_status (report_id, kind, category, text, address, confidential,"
            " reporter_id, receiving_unit_id, status, submitted_at, updated_at, version,"
            " matter_id) VALUES (%s, 'field', 'urban_order', %s, %s, false, %s, %s,"
            " 'published', %s, %s, 1, %s)",
            (report_id, TEXTS[i % len(TEXTS)], f"{i % 7} Hàng Bài", uuid.uuid4(), uuid.uuid4(),
             at, at, report_id))
        conn.execute(
            "INSERT INTO public_results (report_id, kind, category, summary, area,"
            " submitted_at, published_at, result_text) VALUES (%s, 'field', 'urban_order',"
            " %s, %s, %s, %s, 'Đã xử lý xong')",
            (report_id, TEXTS[i % len(TEXTS)], f"{i % 7} Hàng Bài", at, at))
    conn.execute("ANALYZE report_status")
    conn.execute("ANALYZE public_results")


def _expected(conn: Any, table: str, document: str, q: str) -> list[uuid.UUID]:
    """The order by definition: every word in the folded document, then word similarity
    (0038's ``public.ihanoi_rank``), then report id."""
    likes = " AND ".join(f"{document} LIKE '%%' || public.ihanoi_fold(%s) || '%%'"
                         for _ in q.split())
    return [r[0] for r in conn.execute(
        f"SELECT report_id FROM {table} WHERE {likes} ORDER BY"
        f" public.ihanoi_rank(public.ihanoi_fold(%s), {document}) DESC, report_id DESC",
        (*q.split(), q)).fetchall()]


def _paged(conn: Any, search: Any, q: str) -> list[uuid.UUID]:
    found: list[uuid.UUID] = []
    cursor = None
    while True:
        rows, cursor = search(conn, q=q, cursor=cursor, limit=20)
        found += [r["report_id"] for r in rows]
        if cursor is None:
            return found


def test_search_pages_follow_word_similarity_then_report_id_for_few_and_many_matches(
        conn: Any) -> None:
    _fill(conn, COMMON * 3 // 2)
    for search, table, document in (
            (report_status.search, "report_status", report_status.DOCUMENT),
            (public_results.search, "public_results r", public_results.DOCUMENT)):
        for q in ("vỉa hè", "VIA HE", "vỉa hè 3", "chắn lối 5", "hè phố"):
            expected = _expected(conn, table, document, q)
            assert _paged(conn, search, q) == expected, q
        # both ways of reading were taken: many matches (in order) and few (all ranked)
        assert len(_expected(conn, table, document, "vỉa hè")) >= COMMON
        assert 0 < len(_expected(conn, table, document, "chắn lối 5")) < COMMON
