"""The monthly ranking of units by late share (Điều 18.4) with its chart, the units flagged
for repeat dissatisfaction, and the public explanation of each figure.

``/explain/lateness`` is for staff; the public reads the same explanation here: the figure,
the reports behind it and the events that produce it — identifiers only, as the published
statistics give them (``/public/statistics/published``), never a text, a place or a person."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import Query, Request
from fastapi.responses import HTMLResponse

from api.pages import months, render, router
from api.pages.charts import ShareBar, late_shares
from api.pages.labels import VIETNAMESE
from api.pages.months import MoiTrang, NotAMonth, Thang, Tiep
from api.queries import (
    page_of,
    ranking_rows,
    reading,
    repeat_dissatisfaction_rows,
)
from projections import unit_directory, unit_monthly_lateness

PAGE = 20
#: The figures of a unit's ranking row that the public may have explained, and their names.
FIGURES = {"received": "Phản ánh tiếp nhận trong tháng",
           "late_in_reception": "Phản ánh quá hạn ở khâu tiếp nhận",
           "late_in_handling": "Phản ánh quá hạn ở khâu xử lý",
           "reports_late": "Phản ánh quá hạn (tiếp nhận hoặc xử lý)"}
RATINGS = VIETNAMESE["rating"]
TITLE = "Xếp hạng đơn vị chậm xử lý"


def _not_a_month(request: Request, value: str) -> HTMLResponse:
    return months.invalid(request, TITLE, months.not_a_month(value), "/cong-khai/xep-hang")


@router.get("/xep-hang", response_class=HTMLResponse)
def ranking(request: Request, thang: Thang = None, tiep: Tiep = None,
            moi_trang: MoiTrang = None) -> HTMLResponse:
    """Điều 18.4: the units of a month ranked by late share (the rows of
    ``/public/rankings``, paged by the same cursor), drawn against the policy's threshold;
    and the units flagged for repeat dissatisfaction (``/public/repeat-dissatisfaction``)."""
    try:
        month = months.chosen(request, thang)
    except NotAMonth:
        return _not_a_month(request, thang or "")
    policy = request.app.state.runtime.app.policy()
    per_page = months.rows_per_page(moi_trang, PAGE)
    rows = ranking_rows(request, month, None)
    try:
        page, next_cursor = page_of(rows, tiep, per_page, f"rankings {month}", "unit_id")
    except ValueError:
        return months.invalid(request, TITLE, months.BAD_CURSOR,
                              f"/cong-khai/xep-hang?thang={month}")
    chart = late_shares([ShareBar(r["unit_name"] or str(r["unit_id"]), r["share_late"],
                                  r["flagged"]) for r in page],
                        policy.late_share_threshold,
                        f"Tỷ lệ phản ánh quá hạn theo đơn vị, tháng {months.label(month)}")
    return render(
        request, "ranking.html", TITLE, month=month, month_label=months.label(month),
        rows=page, total=len(rows), flagged=sum(1 for r in rows if r["flagged"]),
        first=not tiep, next_cursor=next_cursor, per_page=per_page, chart=chart,
        figures=FIGURES, ratings=RATINGS, threshold=policy.late_share_threshold,
        repeat_threshold=policy.repeat_dissatisfaction_threshold,
        repeats=[r for r in repeat_dissatisfaction_rows(request, month, None) if r["flagged"]])


@router.get("/xep-hang/giai-thich", response_class=HTMLResponse)
def explanation(request: Request, thang: Thang = None,
                don_vi: Annotated[str | None, Query(alias="don-vi", max_length=40)] = None,
                so_lieu: Annotated[str | None, Query(alias="so-lieu", max_length=40)] = None
                ) -> HTMLResponse:
    """Điều 18.4, seed 001 7.a: one figure of a unit's ranking row, the reports behind it and
    the events that produce it (as ``/explain/lateness``, identifiers only)."""
    back = "/cong-khai/xep-hang"
    try:
        month = months.chosen(request, thang)
    except NotAMonth:
        return _not_a_month(request, thang or "")
    if so_lieu not in FIGURES:
        return months.invalid(request, TITLE, "Không có số liệu này trong bảng xếp hạng.",
                              back)
    try:
        unit_id = UUID(don_vi or "")
    except ValueError:
        return months.invalid(request, TITLE, "Không có đơn vị này.", back, 404)
    with reading(request) as conn:
        unit = unit_directory.unit(conn, unit_id)
        if unit is None:
            return months.invalid(request, TITLE, "Không có đơn vị này.", back, 404)
        found = unit_monthly_lateness.explain(conn, unit_id, months.first_day(month), so_lieu,
                                              request.app.state.runtime.app.now())
    return render(
        request, "ranking_explained.html", f"{FIGURES[so_lieu]}: {unit['name']}",
        month=month, month_label=months.label(month), unit=unit, figure=FIGURES[so_lieu],
        explained=found)
