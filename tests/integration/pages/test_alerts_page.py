"""Alerts for an area (issue 13.1; Chương III, Điều 15–17) in a real Chromium: a resident
picks his ward and reads, page after page, the same alerts as ``/public/alerts`` answers."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import httpx

from application.commands import ApproveAlert, DraftAlert, SendAlert
from domain.actors import Actor
from tests.integration.conftest import World
from tests.integration.pages.conftest import Visitor


def _send(world: World, by: Actor, title: str, severity: str = "medium") -> None:
    now = world.app.now()
    alert_id = world.app.handle(DraftAlert(
        category="warning", severity=severity, title=title, body=f"{title}: đề nghị người "
        "dân chú ý.", valid_from=now, valid_until=now + timedelta(days=2)), by).aggregate_id
    world.app.handle(ApproveAlert(alert_id), by)
    world.app.handle(SendAlert(alert_id), by)


def test_the_alerts_reaching_a_ward_page_by_page_as_the_api_lists_them_dieu_15_17(
        world: World, clock: Any, site: Callable[[], str], visitor: Visitor) -> None:
    ward_head = world.staff("Ngô Thị Mai", world.ward, "unit_head")[1]
    _send(world, world.department_head, "Rét đậm toàn thành phố", "high")
    clock.advance(minutes=1)
    _send(world, world.head, "Cắt điện quận Hoàn Kiếm")
    clock.advance(minutes=1)
    _send(world, ward_head, "Tiêm chủng phường Tràng Tiền", "low")
    clock.advance(minutes=1)
    _send(world, world.other_head, "Ngập quận Ba Đình")  # another area: not shown
    base = site()

    page = visitor.open(base + "/cong-khai/canh-bao")
    assert "Chọn khu vực để xem" in page.locator("main").inner_text()
    assert visitor.accessibility_violations() == []
    page.select_option("select[name=khu-vuc]", str(world.ward))
    page.locator("form.filters button").click()
    assert visitor.accessibility_violations() == []
    api = httpx.get(f"{base}/public/alerts", params={"area_unit_id": str(world.ward)}).json()
    titles = [a["title"] for a in api["items"]]
    assert titles == ["Tiêm chủng phường Tràng Tiền", "Cắt điện quận Hoàn Kiếm",
                      "Rét đậm toàn thành phố"]
    assert page.locator("ol.alerts h2").all_inner_texts() == titles
    first = page.locator("ol.alerts > li").first.inner_text()
    assert "Mức độ: Thấp" in first and "UBND phường Tràng Tiền" in first

    page = visitor.open(f"{base}/cong-khai/canh-bao?khu-vuc={world.ward}&moi-trang=2")
    seen = page.locator("ol.alerts h2").all_inner_texts()
    assert len(seen) == 2
    page.locator("a[rel=next]").click()
    seen += page.locator("ol.alerts h2").all_inner_texts()
    assert seen == titles and page.locator("a[rel=next]").count() == 0

    for query, status in [(f"khu-vuc={world.ward}&tiep=bad", 400),
                          ("khu-vuc=x", 400), (f"khu-vuc={world.reporter_id}", 404)]:
        answer = httpx.get(f"{base}/cong-khai/canh-bao?{query}")
        assert (answer.status_code, answer.headers["content-type"][:9]) == (status,
                                                                             "text/html")
