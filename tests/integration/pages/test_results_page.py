"""The published results page (issue 13.1; Điều 8.3, 14.2) in a real Chromium: the same
results as ``/public/results`` for the same query, page after page, through its filters and
search; a bad filter is a page saying so, not a stack trace."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from uuid import UUID

import httpx

from tests.integration.conftest import World
from tests.integration.pages.conftest import Visitor


def _publish(world: World, clock: Any, **fields: Any) -> UUID:
    report_id = world.submit(**fields)
    world.to_published(report_id)
    clock.advance(hours=1)
    return report_id


def _listed(page: Any) -> list[str]:
    """The report ids the page lists, in its order."""
    return page.locator("ol.results h2 a").evaluate_all(
        "links => links.map(a => a.pathname.split('/').pop())")


def _api(base: str, **query: Any) -> list[str]:
    """Every report id of ``/public/results`` for ``query``, all pages."""
    ids: list[str] = []
    cursor = None
    while True:
        answer = httpx.get(f"{base}/public/results",
                           params={**query, **({"cursor": cursor} if cursor else {})})
        answer.raise_for_status()
        ids += [item["report_id"] for item in answer.json()["items"]]
        cursor = answer.json()["next_cursor"]
        if cursor is None:
            return ids


def test_published_results_page_by_page_as_the_api_lists_them_dieu_14_2(
        world: World, clock: Any, site: Callable[[], str], visitor: Visitor) -> None:
    for n in range(4):
        _publish(world, clock, text=f"Ổ gà số {n} trên phố Hàng Bài")
    lamp = _publish(world, clock, category="infrastructure",
                    text="Đèn đường hỏng trên phố Lý Thái Tổ", address="5 Lý Thái Tổ")
    clock.set(2026, 4, 6, 9, 0)
    april = _publish(world, clock, category="traffic", text="Biển báo bị đổ ở Tràng Tiền")
    world.submit(text="Chưa xử lý xong: không công khai")
    base = site()

    page = visitor.open(base + "/cong-khai/ket-qua?moi-trang=2")
    assert page.locator("h1").inner_text() == "Kết quả xử lý phản ánh, kiến nghị"
    assert visitor.accessibility_violations() == []
    seen = _listed(page)
    while page.locator("a[rel=next]").count():
        page.locator("a[rel=next]").click()
        assert "moi-trang=2" in page.url
        assert page.get_by_role("link", name="Về trang đầu").get_attribute("href") == \
            "/cong-khai/ket-qua?moi-trang=2"
        assert len(_listed(page)) <= 2
        seen += _listed(page)
    everything = _api(base)
    assert seen == everything and len(everything) == 6  # newest first, unpublished left out
    assert seen[0] == str(april)
    first = page.locator("ol.results li").first
    assert "Hàng Bài" in first.inner_text() and "UBND quận Hoàn Kiếm" in first.inner_text()

    # The filters, through the form as a visitor fills it.
    page = visitor.open(base + "/cong-khai/ket-qua")
    page.select_option("select[name=don-vi]", str(world.district))
    page.select_option("select[name=loai]", "field")
    page.select_option("select[name=linh-vuc]", "urban_order")
    page.fill("input[name=thang]", "2026-03")
    page.locator("form.filters button").click()
    assert _listed(page) == _api(base, unit_id=world.district, kind="field",
                                 category="urban_order",
                                 published_from="2026-03-01T00:00:00+07:00",
                                 published_to="2026-04-01T00:00:00+07:00")
    assert len(_listed(page)) == 4
    assert page.locator("select[name=linh-vuc]").input_value() == "urban_order"  # kept

    page = visitor.open(base + "/cong-khai/ket-qua?linh-vuc=urban_order&moi-trang=3")
    seen = _listed(page)
    page.get_by_role("link", name="Trang sau").click()  # the filters are kept
    assert seen + _listed(page) == _api(base, category="urban_order")

    page = visitor.open(base + "/cong-khai/ket-qua?thang=2026-04")
    assert _listed(page) == [str(april)]

    page = visitor.open(base + "/cong-khai/ket-qua")
    page.fill("input[name=tu-khoa]", "ly thai to")  # diacritics and case ignored
    page.locator("form.filters button").click()
    assert _listed(page) == _api(base, q="ly thai to") == [str(lamp)]

    page = visitor.open(base + f"/cong-khai/ket-qua?don-vi={world.other_district}")
    assert _listed(page) == []
    assert "Không có kết quả nào phù hợp" in page.locator("main").inner_text()
    assert visitor.accessibility_violations() == []


def test_a_bad_filter_is_a_page_saying_what_is_wrong_not_a_stack_trace(
        world: World, site: Callable[[], str]) -> None:
    base = site()
    for query, message in [("thang=2026-13", "“2026-13” không phải một tháng"),
                           ("tiep=not-a-cursor", "Liên kết trang sau không còn đúng"),
                           ("don-vi=x", "Đơn vị không hợp lệ"),
                           ("loai=complaint", "Loại phản ánh không hợp lệ"),
                           ("loai=field&linh-vuc=nope", "Lĩnh vực không có trong danh mục")]:
        answer = httpx.get(f"{base}/cong-khai/ket-qua?{query}")
        assert answer.status_code == 400, query
        assert answer.headers["content-type"].startswith("text/html")
        assert message in answer.text and "Traceback" not in answer.text
