"""Alerts for an area (Chương III, Điều 15–17): a resident picks his commune, district or the
city and reads the alerts reaching it now, as ``/public/alerts`` answers them."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse

from api.pages import PageError, render, router
from api.pages.results import BAD_CURSOR, link, page_size, unit_id_of
from api.queries import page_of, reading
from projections import alerts, unit_directory

#: The areas a resident may pick (``unit_directory.AREA_LEVELS``), in the filter's order.
AREA_LEVELS = ("city", "district", "commune")


@router.get("/canh-bao", response_class=HTMLResponse)
def alerts_page(request: Request, area_unit_id: str = "", cursor: str = "", limit: str = ""
                ) -> HTMLResponse:
    """Điều 15–17: the alerts sent to the chosen area or any unit above it and valid now,
    latest first, a page at a time; without an area, only the choice of one."""
    here = "/cong-khai/canh-bao"
    area = unit_id_of(area_unit_id, "Khu vực")
    size = page_size(limit)
    rows: list[dict[str, Any]] = []
    next_cursor = None
    with reading(request) as conn:
        areas = [(level, unit_directory.of_level(conn, level)) for level in AREA_LEVELS]
        if area is not None:
            if unit_directory.unit(conn, area) is None:
                raise PageError(404, "Không có khu vực này: hãy chọn trong danh sách.")
            everything = alerts.for_area(conn, area, request.app.state.runtime.app.now())
            try:
                rows, next_cursor = page_of(everything, cursor or None, size,
                                            f"alerts {area}", "alert_id")
            except ValueError:
                raise PageError(400, BAD_CURSOR) from None
            names = unit_directory.names(conn, (r["unit_id"] for r in rows))
            rows = [{**r, "unit_name": names.get(r["unit_id"])} for r in rows]
    return render(request, "alerts.html", "Cảnh báo, thông báo theo khu vực", areas=areas,
                  area=area_unit_id, rows=rows,
                  first_url=link(here, area_unit_id=area_unit_id, limit=limit) if cursor
                  else None,
                  next_url=next_cursor and link(here, area_unit_id=area_unit_id, limit=limit,
                                                cursor=next_cursor))
