"""The public home page (issue 13.1) in a real Chromium."""

from __future__ import annotations

from collections.abc import Callable

from tests.integration.conftest import World
from tests.integration.pages.conftest import Visitor


def test_the_home_page_leads_to_every_public_page_and_passes_axe(
        world: World, site: Callable[[], str], visitor: Visitor) -> None:
    base = site()
    page = visitor.open(base + "/")  # `/` leads to the pages
    assert page.url == base + "/cong-khai/"
    assert page.locator("html").get_attribute("lang") == "vi"
    assert page.locator("h1").inner_text() == "Cổng thông tin phản ánh, kiến nghị iHanoi"
    links = page.locator("main a").evaluate_all("links => links.map(a => a.pathname)")
    assert links == ["/cong-khai/ket-qua", "/cong-khai/xep-hang", "/cong-khai/thong-ke",
                     "/cong-khai/canh-bao"]
    assert visitor.accessibility_violations() == []


def test_a_bad_page_parameter_or_address_answers_an_html_page_the_api_keeps_problem_json(
        world: World, site: Callable[[], str], visitor: Visitor) -> None:
    import httpx

    base = site()
    too_long = httpx.get(f"{base}/cong-khai/xep-hang", params={"thang": "2026-03" * 10})
    assert too_long.status_code == 400
    assert too_long.headers["content-type"].startswith("text/html")
    assert "Tham số của trang không hợp lệ" in too_long.text
    missing = httpx.get(f"{base}/cong-khai/khong-co")
    assert missing.status_code == 404
    assert "Không có trang này." in missing.text
    api = httpx.get(f"{base}/public/rankings", params={"month": "2026-03" * 10})
    assert (api.status_code, api.headers["content-type"]) == (422, "application/problem+json")
    assert httpx.get(f"{base}/no-such-route").headers["content-type"] == (
        "application/problem+json")
    page = visitor.page
    response = page.goto(f"{base}/cong-khai/khong-co")
    assert response is not None and response.status == 404
    assert page.locator("h1").inner_text() == "Không xem được trang này"
    visitor.errors.clear()  # the 404 itself is logged by Chromium as a failed resource
    assert visitor.accessibility_violations() == []
