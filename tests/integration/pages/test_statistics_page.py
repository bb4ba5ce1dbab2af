"""The monthly statistics page (seed 000 Điều 2.2.c, issue 13.1) in a real Chromium: the rows
of ``/public/statistics`` paged by the same cursor, the city's months as a chart and a table,
and whether the month is published."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from application.commands import ApproveResult, ProposeResult, Publish, UpdateResult
from ihanoi.simulation import Clock
from projections.monthly_statistics import METRICS
from tests.integration.conftest import World
from tests.integration.pages.conftest import Visitor


def _months(world: World, clock: Clock) -> None:
    """February: 2 reports at the district, 1 resolved; published. March: 3 at the district
    (1 resolved on time, 1 resolved late), 1 at the other district. Then 2 April."""
    clock.set(2026, 2, 3, 9, 0)
    world.to_published(world.submit())
    world.submit()
    clock.set(2026, 3, 2, 9, 0)
    world.app.publish_monthly_statistics("2026-02", [])
    world.to_published(world.submit())
    world.submit()
    world.submit(receiving_unit_id=world.other_district)
    late = world.submit()
    world.to_handling(late)  # handling due Wednesday 11 March
    clock.set(2026, 3, 16, 9, 0)
    world.app.handle(ProposeResult(late, "Đã vá xong ổ gà, mặt đường an toàn", ["a.jpg"]),
                     world.officer)
    world.app.handle(ApproveResult(late), world.head)
    world.app.handle(UpdateResult(late, ["a.jpg"]), world.officer)
    world.app.handle(Publish(late), world.head)
    clock.set(2026, 4, 2, 9, 0)


def _units(page: Any) -> list[dict[str, Any]]:
    return page.locator("table.units tbody tr").evaluate_all(
        """rows => rows.map(r => ({unit_id: r.dataset.unit,
             ...Object.fromEntries([...r.querySelectorAll('td')].map(
                 c => [c.dataset.metric, Number(c.innerText)]))}))""")


def _months_shown(page: Any) -> dict[str, list[int]]:
    return dict(page.locator("table.months tbody tr").evaluate_all(
        """rows => rows.map(r => [r.dataset.month,
             [...r.querySelectorAll('td')].map(c => Number(c.innerText))])"""))


def test_the_statistics_page_shows_the_apis_figures_and_the_months_chart(
        world: World, clock: Clock, site: Callable[[], str], visitor: Visitor) -> None:
    _months(world, clock)
    base = site()
    api = visitor.page.request
    page = visitor.open(f"{base}/cong-khai/thong-ke?moi-trang=1")  # last completed month
    assert page.locator("input[name=thang]").input_value() == "2026-03"
    assert "chưa được công bố" in page.locator("#cong-bo").inner_text()
    every = api.get(f"{base}/public/statistics?month=2026-03").json()["items"]
    assert len(every) >= 2  # more than one page
    cursor, seen = None, []
    while True:  # page by page, as the API with the same cursor
        answer = api.get(f"{base}/public/statistics?month=2026-03&limit=1"
                         + (f"&cursor={cursor}" if cursor else "")).json()
        assert _units(page) == [{k: r[k] for k in ("unit_id", *METRICS)}
                                for r in answer["items"]]
        seen += answer["items"]
        cursor = answer["next_cursor"]
        if cursor is None:
            assert page.get_by_role("link", name="Trang sau »").count() == 0
            break
        assert visitor.accessibility_violations() == []
        page.get_by_role("link", name="Trang sau »").click()
    assert seen == every
    # The city across 12 months: each month the units' figures added up.
    shown = _months_shown(page)
    assert list(shown) == [f"2025-{m:02d}" for m in range(4, 13)] + [
        f"2026-{m:02d}" for m in range(1, 4)]
    for month in ("2026-02", "2026-03"):
        units = api.get(f"{base}/public/statistics?month={month}").json()["items"]
        assert shown[month] == [sum(u["received"] for u in units),
                                sum(u["published"] for u in units),
                                sum(u["published"] - u["published_on_time"] for u in units)]
    assert shown["2026-02"] == [2, 1, 0] and shown["2026-03"] == [4, 2, 1]
    assert shown["2025-04"] == [0, 0, 0]
    chart = page.locator("figure.chart svg[role=img]")
    assert chart.locator("rect.series-0").count() == 12
    assert {"Tiếp nhận", "Đã xử lý xong", "Xử lý quá hạn"} <= set(
        chart.locator("text").all_text_contents())
    assert visitor.accessibility_violations() == []
    # A published month says so, and when.
    page = visitor.open(f"{base}/cong-khai/thong-ke?thang=2026-02")
    assert "đã được công bố lúc 09:00 02/03/2026" in page.locator("#cong-bo").inner_text()
    assert api.get(f"{base}/public/statistics/published?month=2026-02").ok
    answer = api.get(f"{base}/cong-khai/thong-ke?thang=2026-3")
    assert answer.status == 400 and "không phải một tháng" in answer.text()
