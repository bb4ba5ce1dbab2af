"""Moderation (Điều 4.4, 14.1; issue 7): a unit head hides a report or a rating comment from
public view, or redacts personal data a citizen typed; the public read models show only the
redacted version and never a hidden item, before and after a rebuild, while the original stays
for moderators and Home Affairs inspectors and the act itself is in the audit trail."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import psycopg
from psycopg import sql

from application.commands import Hide, Rate, Redact
from domain.actors import Actor, Role
from projections import audit_trail, public_results, report_status
from projections.engine import Projector
from projections.registry import READ_MODELS
from tests.integration.conftest import Api

PUBLIC_TABLES = public_results.model.tables
# Where a citizen's own text may stay: staff (and inspectors) and the reporter himself.
KEEP_ORIGINALS = {"report_status", "citizen_reports"}
TEXT = "Ổ gà lớn trước nhà bà Nguyễn Thị Hạnh, điện thoại 0911222333, rất nguy hiểm"
REDACTED = "Ổ gà lớn trước nhà [đã ẩn], điện thoại [đã ẩn], rất nguy hiểm"
SECRETS = ("Nguyễn Thị Hạnh", "0911222333")
COMMENT = "Chưa vá xong, gọi tôi 0911222333"
REDACTED_COMMENT = "Chưa vá xong, gọi tôi [đã ẩn]"




def _dump(conn: psycopg.Connection[Any], table: str) -> str:
    """Every column of every row of ``table``, as one text."""
    return "\n".join(row for (row,) in conn.execute(sql.SQL(
        "SELECT x::text FROM {} x ORDER BY 1").format(sql.Identifier(table))))


def _tables_holding(conn: psycopg.Connection[Any], needle: str) -> set[str]:
    return {t for m in READ_MODELS for t in m.tables if needle in _dump(conn, t)}


def _assert_public_models_show_only_the_redacted_version(
        conn: psycopg.Connection[Any], report_ids: list[UUID]) -> None:
    for report_id in report_ids:
        assert public_results.get(conn, report_id)["summary"] == REDACTED
    summaries = report_status.public_summaries(conn, report_ids=report_ids)  # Open311
    assert [r["text"] for r in summaries] == [REDACTED] * len(report_ids)
    for secret in SECRETS:
        assert not _tables_holding(conn, secret) - KEEP_ORIGINALS, secret
    for table in PUBLIC_TABLES:
        assert REDACTED in _dump(conn, table) or table == "public_results_units"


def test_redacted_text_never_appears_in_a_public_read_model_nor_after_rebuild_dieu_14_1(
        world, clock, projector: Projector, conn) -> None:
    before_publication = world.submit(text=TEXT)
    world.app.handle(Redact(before_publication, "text", REDACTED,
                            "Xóa họ tên và số điện thoại của người khác"), world.head)
    world.to_published(before_publication)
    after_publication = world.submit(text=TEXT)
    world.to_published(after_publication)
    clock.advance(hours=1)
    world.app.handle(Redact(after_publication, "text", REDACTED, "Xóa dữ liệu cá nhân"), world.head)
    still_open = world.submit(text=TEXT)
    world.app.handle(Redact(still_open, "text", REDACTED, "Xóa dữ liệu cá nhân"), world.head)
    projector.catch_up()
    published = [before_publication, after_publication]
    _assert_public_models_show_only_the_redacted_version(conn, published)
    assert REDACTED in _dump(conn, "public_results_pending")
    # Moderators and inspectors keep the original beside the redacted version.
    staff_view = report_status.get(conn, after_publication)
    assert (staff_view["text"], staff_view["redacted_text"]) == (TEXT, REDACTED)
    # The redaction is audited — who, when, why — without the text, original or redacted.
    redacted = [r for r in audit_trail.rows(conn) if r["event_type"] == "Redacted"]
    assert [(r["report_id"], r["at"]) for r in redacted] == [
        (before_publication, redacted[0]["at"]), (after_publication, clock.now),
        (still_open, clock.now)]
    assert redacted[1]["details"] == {"field": "text", "reason": "Xóa dữ liệu cá nhân"}
    assert (redacted[1]["actor_id"], redacted[1]["actor_role"]) == (world.head.id, "unit_head")
    assert "audit_trail" not in _tables_holding(conn, "[đã ẩn]")

    projector.rebuild()
    _assert_public_models_show_only_the_redacted_version(conn, published)
    assert report_status.get(conn, after_publication)["text"] == TEXT


def test_hidden_report_never_appears_publicly_even_published_later_dieu_14_1(
        world, projector: Projector, conn) -> None:
    hidden_early = world.submit()
    world.app.handle(Hide(hidden_early, "report", "Nội dung xúc phạm cá nhân"), world.head)
    world.to_published(hidden_early)
    hidden_late = world.submit()
    world.to_published(hidden_late)
    world.app.handle(Rate(hidden_late, "unsatisfied", "Không đồng ý"), world.citizen)
    visible = world.submit()
    world.to_published(visible)
    projector.catch_up()
    assert public_results.get(conn, hidden_late) is not None
    world.app.handle(Hide(hidden_late, "report", "Ảnh có biển số xe của người khác"), world.head)
    world.app.handle(Redact(hidden_late, "text", "Ổ gà đã được ẩn nội dung", "Dữ liệu cá nhân"),
                     world.head)
    projector.catch_up()

    def assert_only_visible_is_public() -> None:
        assert [r["report_id"] for r in public_results.search(conn)[0]] == [visible]
        for hidden in (hidden_early, hidden_late):
            assert public_results.get(conn, hidden) is None
            assert report_status.public_summaries(conn, report_ids=[hidden]) == []
            assert not _tables_holding(conn, str(hidden)) & set(PUBLIC_TABLES)
            assert report_status.get(conn, hidden)["hidden"] is True

    assert_only_visible_is_public()
    projector.rebuild()
    assert_only_visible_is_public()
    hidden = next(r for r in audit_trail.rows(conn, report_id=hidden_late)
                  if r["event_type"] == "Hidden")
    assert hidden["details"] == {"target": "report",
                                 "reason": "Ảnh có biển số xe của người khác"}


def test_hidden_or_redacted_rating_comment_is_not_shown_publicly_dieu_13_14_1(
        world, projector: Projector, conn) -> None:
    redacted, hidden, hidden_before_rating = (world.submit() for _ in range(3))
    for report_id in (redacted, hidden, hidden_before_rating):
        world.to_published(report_id)
    world.app.handle(Hide(hidden_before_rating, "rating_comment", "Bình luận xúc phạm"), world.head)
    for report_id in (redacted, hidden, hidden_before_rating):
        world.app.handle(Rate(report_id, "unsatisfied", COMMENT), world.citizen)
    world.app.handle(Redact(redacted, "rating_comment", REDACTED_COMMENT, "Số điện thoại"),
                     world.head)
    world.app.handle(Hide(hidden, "rating_comment", "Bình luận xúc phạm"), world.head)
    world.app.handle(Redact(hidden, "rating_comment", REDACTED_COMMENT, "Số điện thoại"),
                     world.head)
    projector.catch_up()

    def assert_comments() -> None:
        shown = {r: (public_results.get(conn, r)["rating"],
                     public_results.get(conn, r)["rating_comment"])
                 for r in (redacted, hidden, hidden_before_rating)}
        assert shown == {redacted: ("unsatisfied", REDACTED_COMMENT),
                         hidden: ("unsatisfied", None),
                         hidden_before_rating: ("unsatisfied", None)}
        assert not {t for t in PUBLIC_TABLES if "0911222333" in _dump(conn, t)}
        staff_view = report_status.get(conn, hidden)
        assert (staff_view["rating_comment"], staff_view["rating_comment_hidden"],
                staff_view["redacted_rating_comment"]) == (COMMENT, True, REDACTED_COMMENT)

    assert_comments()
    projector.rebuild(["public_results", "report_status"])
    assert_comments()


def test_inspector_sees_the_original_the_public_only_the_redacted_text_dieu_14_1_22(
        api: Api) -> None:
    w = api.world
    report_id = w.submit(text=TEXT)
    w.to_published(report_id)
    w.app.handle(Redact(report_id, "text", REDACTED, "Xóa dữ liệu cá nhân"), w.head)
    api.sync()
    inspector = api.token(Actor(id="inspector-1", role=Role.INSPECTOR))
    staff_view = api.client.get(f"/reports/{report_id}", headers=inspector)
    assert staff_view.status_code == 200, staff_view.text
    assert (staff_view.json()["text"], staff_view.json()["redacted_text"]) == (TEXT, REDACTED)
    public = api.client.get(f"/public/results/{report_id}")
    assert public.status_code == 200 and public.json()["summary"] == REDACTED
    open311 = api.client.get(f"/open311/v2/requests/{report_id}.json")
    assert open311.status_code == 200 and open311.json()[0]["description"] == REDACTED
    for response in (public, open311):
        assert not [s for s in SECRETS if s in response.text]
