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
