"""The monthly statistics (seed 000 Điều 2.2.c): each unit's reception and handling figures
for a month (the rows of ``/public/statistics``), the city's totals across the last 12 months
as a chart, and whether and when the month was published (``/public/statistics/published``)."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import HTMLResponse

from api.pages import months, render, router
from api.pages.charts import Series, across_months
from api.pages.months import MoiTrang, NotAMonth, Thang, Tiep
from api.queries import page_of, reading, statistics_rows
from application.services import NotFound
from domain.statistics import MonthlyStatistics
from projections import monthly_statistics

PAGE = 20
MONTHS = 12  # the chart's span, the chosen month last
TITLE = "Thống kê phản ánh hằng tháng"
#: The per-unit table's columns (``projections.monthly_statistics.METRICS``), in Vietnamese.
COLUMNS = {"received": "Tiếp nhận", "accepted": "Chấp nhận xử lý", "rejected": "Từ chối",
           "escalated": "Chuyển cấp trên", "marked_duplicate": "Trùng lặp",
           "assigned": "Giao xử lý", "published": "Đã công khai kết quả",
           "published_on_time": "Công khai đúng hạn", "rated_satisfied": "Hài lòng",
           "rated_acceptable": "Chấp nhận được", "rated_unsatisfied": "Không hài lòng"}


@router.get("/thong-ke", response_class=HTMLResponse)
def statistics(request: Request, thang: Thang = None, tiep: Tiep = None,
               moi_trang: MoiTrang = None) -> HTMLResponse:
    """Seed 000 Điều 2.2.c: a month's figures per unit, paged by the API's cursor; the city's
    received, resolved (result published) and resolved late per month over the last 12."""
    try:
        month = months.chosen(request, thang)
    except NotAMonth:
        return months.invalid(request, TITLE, months.not_a_month(thang or ""),
                              "/cong-khai/thong-ke")
    per_page = months.rows_per_page(moi_trang, PAGE)
    rows = statistics_rows(request, month, None)
    try:
        page, next_cursor = page_of(rows, tiep, per_page, f"statistics {month}", "unit_id")
    except ValueError:
        return months.invalid(request, TITLE, months.BAD_CURSOR,
                              f"/cong-khai/thong-ke?thang={month}")
    with reading(request) as conn:
        totals = monthly_statistics.city_totals(conn, months.earlier(month, MONTHS - 1),
                                                months.first_day(month))
    for total in totals:
        total["late"] = total["published"] - total["published_on_time"]
        total["label"] = months.label(total["month"])
    chart = across_months(
        [t["label"] for t in totals],
        [Series("Tiếp nhận", "#0b5394", [t["received"] for t in totals]),
         Series("Đã xử lý xong", "#2e7d32", [t["published"] for t in totals]),
         Series("Xử lý quá hạn", "#b00020", [t["late"] for t in totals], hatch=True)],
        f"Phản ánh toàn thành phố theo tháng, {totals[0]['label']} – {totals[-1]['label']}")
    try:
        published = request.app.state.runtime.app.load(
            MonthlyStatistics.create_id(month), MonthlyStatistics, to_change=False)
    except NotFound:
        published = None
    return render(request, "statistics.html", TITLE, month=month,
                  month_label=months.label(month), rows=page, total=len(rows),
                  first=not tiep, next_cursor=next_cursor, per_page=per_page,
                  columns=COLUMNS, totals=totals, chart=chart, published=published)
