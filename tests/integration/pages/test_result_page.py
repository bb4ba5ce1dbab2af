"""A published result's page (issue 13.1; Điều 12.3, 13, 14.1, 14.2) in a real Chromium: the
same result and public timeline as the JSON API, its evidence as public copies with alt texts,
its rating and comment as moderated, and never any personal data."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from uuid import UUID

import httpx

from application.commands import (
    ApproveResult,
    Hide,
    ProposeResult,
    Publish,
    Rate,
    UpdateResult,
)
from tests.integration.conftest import World
from tests.integration.pages.conftest import Visitor

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def _published_with_evidence(world: World, **fields: Any) -> UUID:
    report_id = world.submit(**fields)
    world.to_handling(report_id)
    evidence = [world.attachment(world.officer),
                world.attachment(world.officer, PDF, "bien-ban.pdf")]
    world.app.handle(ProposeResult(report_id, "Đã vá xong ổ gà, mặt đường an toàn", evidence),
                     world.officer)
    world.app.handle(ApproveResult(report_id), world.head)
    world.app.handle(UpdateResult(report_id, evidence), world.officer)
    world.app.handle(Publish(report_id), world.head)
    return report_id


def test_a_result_shows_its_timeline_evidence_and_rating_as_the_api_does_dieu_14_2(
        world: World, clock: Any, site: Callable[[], str], visitor: Visitor) -> None:
    report_id = _published_with_evidence(
        world, text="Ổ gà lớn trước số 12 Hàng Bài, gọi tôi 0912345678")
    clock.advance(hours=2)
    world.app.handle(Rate(report_id, "unsatisfied", "Chưa hài lòng, liên hệ dung@example.vn"),
                     world.citizen)
    base = site()
    result = httpx.get(f"{base}/public/results/{report_id}").json()
    timeline = httpx.get(f"{base}/public/reports/{report_id}/timeline").json()["steps"]

    page = visitor.open(f"{base}/cong-khai/ket-qua/{report_id}")
    main = page.locator("main").inner_text()
    assert result["summary"] in main and result["result_text"] in main
    assert result["area"] in main and result["handling_unit_name"] in main
    assert page.locator(".rating").inner_text() == "Không hài lòng"
    assert page.locator(".comment").inner_text() == result["rating_comment"]
    # Điều 4.4, 14.1: the texts are masked as the API masks them; no reporter anywhere.
    html = page.content()
    for personal in ("0912345678", "dung@example.vn", "Phạm Thị Dung", str(world.reporter_id)):
        assert personal not in html
    steps = page.locator("ol.timeline > li")
    assert steps.locator(".step").all_inner_texts() == [s["label"] for s in timeline]
    assert steps.locator("time").evaluate_all("ts => ts.map(t => t.dateTime)") == [
        s["at"] for s in timeline]
    assert "Hạn giao xử lý" in main and "đúng hạn" in main

    # Điều 12.3: the evidence is the public copies, the photo shown with an alt text.
    photo, pdf = result["evidence"]
    image = page.locator("ul.evidence img")
    assert image.get_attribute("src") == f"/public/attachments/{photo}/thumbnail"
    assert image.get_attribute("alt")
    assert image.evaluate("img => img.complete && img.naturalWidth > 0")
    assert page.locator("ul.evidence a").last.get_attribute("href") == \
        f"/public/attachments/{pdf}"
    assert visitor.accessibility_violations() == []


def test_a_moderated_comment_is_not_shown_and_a_hidden_or_unpublished_report_is_not_found_dieu_14_1(
        world: World, clock: Any, site: Callable[[], str], visitor: Visitor) -> None:
    moderated = world.submit()
    world.to_published(moderated)
    world.app.handle(Rate(moderated, "satisfied", "Lời lẽ xúc phạm cán bộ"), world.citizen)
    world.app.handle(Hide(moderated, "rating_comment", "Lời lẽ xúc phạm"), world.head)
    hidden = world.submit()
    world.to_published(hidden)
    world.app.handle(Hide(hidden, "report", "Thông tin không đúng sự thật"), world.head)
    unpublished = world.submit()
    confidential = _published_with_evidence(world, confidential=True)
    base = site()

    page = visitor.open(f"{base}/cong-khai/ket-qua/{moderated}")
    assert page.locator(".rating").inner_text() == "Hài lòng"
    assert page.locator(".comment").count() == 0
    assert "xúc phạm" not in page.content()
    # Điều 5.7, 14.1: a confidential report's files are never public, so none is offered.
    page = visitor.open(f"{base}/cong-khai/ket-qua/{confidential}")
    assert page.locator("ul.evidence").count() == 0
    assert "Không có tệp minh chứng công khai" in page.locator("main").inner_text()

    for report_id in (hidden, unpublished, "not-an-id"):
        answer = httpx.get(f"{base}/cong-khai/ket-qua/{report_id}")
        assert answer.status_code == 404
        assert answer.headers["content-type"].startswith("text/html")
        assert "Không có kết quả xử lý công khai nào ở địa chỉ này" in answer.text
