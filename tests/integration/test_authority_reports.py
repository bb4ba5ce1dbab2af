"""The monthly report to the Chairman and Home Affairs (seed 000 Điều 2.2.c; Điều 18.4; issue
10 item 14): the frozen statistics and the flags (over 30% late; a matter with 5 "unsatisfied"
ratings) go out through the outbox once a month to each, with links to their explanations —
exactly once even when the job runs twice or on two nodes."""

from __future__ import annotations

from typing import Any

import pytest

from application.commands import Rate
from domain.actors import Actor, Role
from projections import notifications
from projections.deployment import Deployment
from scheduler import Notification, Scheduler

INSPECTOR = Actor(id="inspector-1", role=Role.INSPECTOR)


class Recorder:
    def __init__(self) -> None:
        self.sent: list[Notification] = []

    def send(self, notification: Notification, idempotency_key: str) -> None:
        self.sent.append(notification)


@pytest.fixture
def runtime(world, projector, database_url, fresh_schema) -> Deployment:
    return Deployment(url=database_url, schema=fresh_schema, app=world.app,
                      projector=projector)


def _march(world, clock) -> list[Any]:
    """A matter rated "unsatisfied" 5 times (first report included), and reports left late:
    the district is flagged under both rules of Điều 18.4."""
    clock.set(2026, 3, 2, 9, 0)
    first = world.submit()
    world.to_published(first)
    world.app.handle(Rate(first, "unsatisfied"), world.citizen)
    for _ in range(4):
        clock.advance(hours=2)
        report_id = world.submit(re_report_of=first)
        world.to_published(report_id)
        world.app.handle(Rate(report_id, "unsatisfied"), world.citizen)
    clock.set(2026, 3, 10, 9, 0)
    late = [world.submit() for _ in range(4)]  # never received: late in reception
    return [first, late]


def test_monthly_report_goes_once_to_the_chairman_and_home_affairs_seed_000_2_2_c_dieu_18_4(
        world, runtime, projector, clock, api, conn) -> None:
    first, _ = _march(world, clock)
    clock.set(2026, 3, 25, 17, 0)
    sender = Recorder()
    scheduler = Scheduler(runtime, clock, sender=sender)
    assert scheduler.tick().statistics == ("2026-03",)
    # The job again, and a second node: nothing more is queued nor sent.
    scheduler.tick()
    Scheduler(runtime, clock, sender=sender).tick()
    rows = notifications.outbox(conn, "authority-report:")
    assert [(r["key"], r["recipient_kind"], r["recipient_id"]) for r in rows] == [
        ("authority-report:2026-03:chairman_office", "authority", "chairman_office"),
        ("authority-report:2026-03:home_affairs", "authority", "home_affairs")]
    sent = [n for n in sender.sent if n.recipient_kind == "authority"]
    assert sorted(n.recipient_id for n in sent) == ["chairman_office", "home_affairs"]

    chairman, home_affairs = rows
    assert chairman["subject"] == ("Báo cáo tình hình tiếp nhận, xử lý phản ánh, kiến nghị "
                                   "trên iHanoi tháng 03/2026")
    assert chairman["body"].startswith("Kính gửi: Chủ tịch UBND Thành phố")
    assert home_affairs["body"].startswith("Kính gửi: Sở Nội vụ.")
    assert "kiểm tra công vụ người đứng đầu" in home_affairs["body"]
    assert "UBND quận Hoàn Kiếm: 1 vụ việc (5 lần không hài lòng)" in chairman["body"]
    assert "17:00 25/03/2026" in chairman["body"]

    payload = home_affairs["payload"]
    assert (payload["month"], payload["recipient"]) == ("2026-03", "home_affairs")
    assert payload["links"]["publication"] == "/public/statistics/published?month=2026-03"
    (late,) = payload["flags"]["late_share_over_30_percent"]
    (repeated,) = payload["flags"]["repeat_dissatisfaction"]
    assert late["unit_id"] == repeated["unit_id"] == str(world.district)
    assert late["unit_name"] == "UBND quận Hoàn Kiếm"
    assert [m["matter_id"] for m in repeated["matters"]] == [str(first)]

    # The links answer, as of the freeze instant, with the frozen figures.
    clock.set(2026, 3, 26, 9, 0)
    api.sync()
    explained = api.client.get(repeated["explain"], headers=api.token(INSPECTOR))
    assert explained.status_code == 200, explained.text
    assert explained.json()["value"] == 1
    assert [r["rating"] for r in explained.json()["matters"][0]["ratings"]] == ["unsatisfied"] * 5
    lateness = api.client.get(late["explain"], headers=api.token(INSPECTOR))
    assert lateness.status_code == 200, lateness.text
    assert len(lateness.json()["report_ids"]) == late["reports_late"]
    district = next(u for u in payload["units"] if u["unit_id"] == str(world.district))
    received = api.client.get(district["explain"]["received"], headers=api.token(INSPECTOR))
    assert received.json()["value"] == district["figures"]["received"]


def test_no_report_before_the_month_is_frozen_seed_000_2_2_c(world, runtime, clock,
                                                              conn) -> None:
    _march(world, clock)
    clock.set(2026, 3, 25, 16, 59)
    Scheduler(runtime, clock).tick()
    assert notifications.outbox(conn, "authority-report:") == []
