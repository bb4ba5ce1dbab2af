"""Alerts for an area (Chương III, Điều 15–17): a resident picks his commune, district or the
city and reads the alerts reaching it now, as ``/public/alerts`` answers them."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Query, Request
from fastapi.responses import HTMLResponse

from api.pages import months, render, router
from api.pages.months import MoiTrang, Tiep
from api.pages.results import Refused, link, unit_id_of
from api.queries import page_of, reading
from projections import alerts, unit_directory

HERE = "/cong-khai/canh-bao"
TITLE = "Cảnh báo, thông báo theo khu vực"
PAGE = 20
#: The areas a resident may pick (``unit_directory.AREA_LEVELS``), in the filter's order.
AREA_LEVELS = ("city", "district", "commune")
KhuVuc = Annotated[str | None, Query(alias="khu-vuc", max_length=40)]  # the area's unit


@router.get("/canh-bao", response_class=HTMLResponse)
def alerts_page(request: Request, khu_vuc: KhuVuc = None, tiep: Tiep = None,
                moi_trang: MoiTrang = None) -> HTMLResponse:
    """Điều 15–17: the alerts sent to the chosen area or any unit above it and valid now,
    latest first, a page at a time by the cursor of ``/public/alerts``; without an area,
    only the choice of one."""
    rows: list[dict[str, Any]] = []
    next_cursor = None
    try:
        area = unit_id_of(khu_vuc, "Khu vực")
        with reading(request) as conn:
            areas = [(level, unit_directory.of_level(conn, level)) for level in AREA_LEVELS]
            if area is not None:
                if unit_directory.unit(conn, area) is None:
                    raise Refused("Không có khu vực này: hãy chọn trong danh sách.", 404)
                everything = alerts.for_area(conn, area, request.app.state.runtime.app.now())
                try:
                    rows, next_cursor = page_of(everything, tiep, months.rows_per_page(
                        moi_trang, PAGE), f"alerts {area}", "alert_id")
                except ValueError:
                    raise Refused(months.BAD_CURSOR) from None
                names = unit_directory.names(conn, (r["unit_id"] for r in rows))
                rows = [{**r, "unit_name": names.get(r["unit_id"])} for r in rows]
    except Refused as refused:
        return months.invalid(request, TITLE, refused.problem, HERE, refused.status,
                              "Chọn lại khu vực")
    query = {"khu-vuc": khu_vuc, "moi-trang": moi_trang}
    return render(request, "alerts.html", TITLE, areas=areas, area=khu_vuc or "", rows=rows,
                  first_url=link(HERE, **query) if tiep else None,
                  next_url=next_cursor and link(HERE, **query, tiep=next_cursor))
