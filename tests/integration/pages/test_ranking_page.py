"""The monthly ranking page (Điều 18.4, issue 13.1) in a real Chromium: the rows of
``/public/rankings`` paged by the same cursor, drawn against the 30 % line with the flagged
units marked, each figure explained, and the repeat-dissatisfaction flags."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from uuid import UUID

from application.commands import Rate, Reject
from ihanoi.simulation import Clock
from tests.integration.conftest import World
from tests.integration.pages.conftest import Visitor


def _march(world: World, clock: Clock) -> dict[str, Any]:
    """March 2026: the district receives 9 reports, 4 rejected late (44 %, flagged) and a
    matter of 5 reports rated "unsatisfied" (flagged for repeat dissatisfaction); the
    department 1, rejected late (100 %); the other district 2, on time (0 %). Then 2 April."""
    late = [world.submit() for _ in range(4)] + [world.submit(receiving_unit_id=world.department)]
    for _ in range(2):
        report_id = world.submit(receiving_unit_id=world.other_district)
        world.app.handle(Reject(report_id, "a", "Thiếu thông tin địa điểm"), world.other_head)
    matter = [world.submit()]
    for n in range(5):
        if n:
            clock.advance(hours=1)
            matter.append(world.submit(re_report_of=matter[-1]))
        world.to_published(matter[-1])
        world.app.handle(Rate(matter[-1], "unsatisfied", "Vẫn như cũ"), world.citizen)
    clock.set(2026, 3, 4, 9, 0)  # after the 8 working hours of reception (Điều 7.2.d)
    for report_id in late[:4]:
        world.app.handle(Reject(report_id, "a", "Thiếu thông tin địa điểm"), world.receiver)
    world.app.handle(Reject(late[4], "a", "Thiếu thông tin địa điểm"), world.department_head)
    clock.set(2026, 4, 2, 9, 0)
    return {"late": late[:4]}


def _table(page: Any) -> list[dict[str, Any]]:
    return page.locator("table.ranking tbody tr").evaluate_all(
        """rows => rows.map(r => ({unit_id: r.dataset.unit, flagged: r.classList.contains('flagged'),
             cells: [...r.querySelectorAll('td, th')].map(c => c.innerText.trim())}))""")


def _expected(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The API's rows as the page writes them."""
    def percent(share: str) -> str:
        return f"{float(share) * 100:.1f} %".replace(".", ",")
    return [{"unit_id": r["unit_id"], "flagged": r["flagged"],
             "cells": [str(r["rank"]), r["unit_name"], str(r["received"]),
                       str(r["late_in_reception"]), str(r["late_in_handling"]),
                       str(r["reports_late"]),
                       percent(r["share_late"]) + ("\n⚑ Vượt ngưỡng" if r["flagged"] else "")]}
            for r in items]


def test_the_ranking_page_shows_the_apis_rows_chart_and_flags_dieu_18_4(
        world: World, clock: Clock, site: Callable[[], str], visitor: Visitor) -> None:
    made = _march(world, clock)
    base = site()
    api = visitor.page.request
    first = api.get(f"{base}/public/rankings?month=2026-03&limit=2").json()
    page = visitor.open(f"{base}/cong-khai/xep-hang?moi-trang=2")  # last completed month
    assert page.locator("input[name=thang]").input_value() == "2026-03"
    assert _table(page) == _expected(first["items"])
    assert [r["unit_id"] for r in first["items"]] == [str(world.department),
                                                      str(world.district)]
    # The chart: a bar per row, the flagged ones marked, the dashed line at the policy's 30 %.
    chart = page.locator("figure.chart svg[role=img]")
    assert chart.locator("g.bar").count() == 2
    assert chart.locator("g.bar.flagged").count() == 2
    assert "vượt ngưỡng" in chart.locator("g.bar.flagged").first.text_content()
    assert chart.locator("line.threshold").get_attribute("stroke-dasharray")
    assert "Ngưỡng 30,0 %" in chart.text_content()
    # Repeat dissatisfaction: the district and its matter, as the API lists them.
    repeats = api.get(f"{base}/public/repeat-dissatisfaction?month=2026-03").json()["items"]
    assert [r["unit_id"] for r in repeats] == [str(world.district)]
    shown = page.locator("ul.repeats > li")
    assert shown.evaluate_all("units => units.map(u => u.dataset.unit)") == [str(world.district)]
    assert shown.locator("li").evaluate_all("matters => matters.map(m => m.dataset.matter)") == [
        m["matter_id"] for m in repeats[0]["matters"]]
    assert "5 lần không hài lòng" in shown.first.inner_text()
    assert visitor.accessibility_violations() == []
    # Next page: the API's cursor.
    page.get_by_role("link", name="Trang sau »").click()
    second = api.get(f"{base}/public/rankings?month=2026-03&limit=2"
                     f"&cursor={first['next_cursor']}").json()
    assert _table(page) == _expected(second["items"])
    assert [r["unit_id"] for r in second["items"]] == [str(world.other_district)]
    assert page.locator("g.bar.flagged").count() == 0
    assert page.get_by_role("link", name="Trang sau »").count() == 0
    # A figure leads to its explanation: the district's late reports, identifiers only.
    page.get_by_role("link", name="« Trang đầu").click()
    page.locator(f"tr[data-unit='{world.district}'] a[data-figure=reports_late]").click()
    assert page.locator("h1").inner_text().startswith("Phản ánh quá hạn")
    assert page.locator(".figure strong").inner_text() == "4"
    listed = page.locator("ul.reports code").all_inner_texts()
    assert sorted(listed) == sorted(str(r) for r in made["late"])
    assert visitor.accessibility_violations() == []


def test_a_month_that_is_not_one_gets_a_clear_page_not_a_ranking(
        world: World, site: Callable[[], str], visitor: Visitor) -> None:
    base, nobody = site(), UUID(int=1)
    for path in ("/cong-khai/xep-hang?thang=2026-13",
                 "/cong-khai/xep-hang/giai-thich?thang=tháng-ba&don-vi=x&so-lieu=received",
                 f"/cong-khai/xep-hang/giai-thich?thang=2026-03&don-vi={nobody}&so-lieu=received"):
        answer = visitor.page.request.get(base + path)
        assert answer.status in (400, 404), path
        assert answer.headers["content-type"].startswith("text/html")
        assert "không phải một tháng" in answer.text() or "Không có đơn vị" in answer.text()
    answer = visitor.page.request.get(base + "/cong-khai/xep-hang?thang=2026-03&tiep=abc")
    assert answer.status == 400 and "Liên kết trang sau" in answer.text()
    answer = visitor.page.request.get(base + "/cong-khai/xep-hang?thang=2026-03&moi-trang=x")
    assert answer.status == 200  # rows per page that are not a number: the default
