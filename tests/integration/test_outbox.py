"""The notification outbox: deadline facts (Điều 7.2.d, 8.5), published results (Điều 8.3,
12.3; Điều 6.2.c for duplicates) and alerts (Chương III) queued once, delivered once, retried
after a failure — never sent twice once marked sent."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest

from application.commands import (
    ApproveAlert,
    DraftAlert,
    EditAlert,
    MarkDuplicate,
    RegisterReporter,
    SendAlert,
    UnmarkDuplicate,
)
from projections import notifications
from projections.deployment import Deployment
from projections.registry import READ_MODELS
from scheduler import Notification, Scheduler
from scheduler.outbox import deliver


class Recorder:
    """A channel that accepts everything, or fails the first ``failures`` sends."""

    def __init__(self, failures: int = 0, delay: float = 0.0) -> None:
        self.failures, self.delay = failures, delay
        self.sent: list[tuple[str, Notification]] = []
        self.lock = threading.Lock()

    def send(self, notification: Notification, idempotency_key: str) -> None:
        time.sleep(self.delay)
        with self.lock:
            if self.failures:
                self.failures -= 1
                raise ConnectionError("push gateway unavailable")
            self.sent.append((idempotency_key, notification))

    @property
    def keys(self) -> list[str]:
        return [key for key, _ in self.sent]


@pytest.fixture
def runtime(world, projector, database_url, fresh_schema) -> Deployment:
    return Deployment(url=database_url, schema=fresh_schema, app=world.app,
                      projector=projector)




def test_deadline_notification_goes_once_to_the_officer_and_the_unit_head_dieu_8_5(
        world, runtime, clock, conn) -> None:
    sender = Recorder()
    scheduler = Scheduler(runtime, clock, sender)
    report_id = world.submit()
    world.to_handling(report_id, "urgent")  # 4 working hours: due 13:00+1h = 14:00
    clock.set(2026, 3, 2, 14, 0)
    result = scheduler.tick()
    assert (result.deadlines, result.failed) == (1, 0)
    rows = notifications.outbox(conn, f"deadline:{report_id}")
    assert {(r["recipient_kind"], r["recipient_id"]) for r in rows} == {
        ("officer", str(world.officer_id)), ("unit_head", str(world.district))}
    assert all(r["subject"] == "Quá hạn xử lý phản ánh" and r["sent_at"] == clock.now
               and r["attempts"] == 1 for r in rows)
    deadline_keys = sorted(k for k in sender.keys if k.startswith("deadline:"))
    assert deadline_keys == sorted(r["key"] for r in rows)
    assert all(key == n.key for key, n in sender.sent)  # the key is the idempotency key

    sent = len(sender.sent)
    for _ in range(3):
        clock.advance(hours=1)
        assert scheduler.tick().sent == 0
    assert len(sender.sent) == sent


def test_failed_delivery_is_retried_after_backoff_and_sent_once(world, runtime, clock,
                                                                conn) -> None:
    sender = Recorder(failures=1)
    scheduler = Scheduler(runtime, clock, sender)
    clock.set(2026, 3, 2, 8, 0)
    report_id = world.submit()
    clock.set(2026, 3, 2, 17, 0)
    assert (scheduler.tick().sent, scheduler.tick().sent) == (0, 0)
    [row] = notifications.outbox(conn, f"deadline:{report_id}")
    assert (row["attempts"], row["sent_at"]) == (1, None)
    assert "push gateway unavailable" in row["last_error"]
    assert row["not_before"] == clock.now + timedelta(minutes=1)

    clock.advance(minutes=1)
    assert scheduler.tick().sent == 1
    [row] = notifications.outbox(conn, f"deadline:{report_id}")
    assert (row["attempts"], row["sent_at"], row["last_error"]) == (2, clock.now, None)
    clock.advance(hours=2)
    assert scheduler.tick().sent == 0
    assert sender.keys == [row["key"]]


def test_two_deliverers_never_send_a_row_twice(world, runtime, clock, conn) -> None:
    scheduler = Scheduler(runtime, clock, Recorder())
    with conn.cursor() as cur:
        for n in range(8):
            notifications.enqueue(cur, f"test:{n}", ("unit_head", str(world.district)),
                                  "Thông báo", "Nội dung", clock.now)
    sender = Recorder(delay=0.02)
    threads = [threading.Thread(target=deliver, args=(scheduler.connect, sender, clock.now))
               for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)
    assert sorted(sender.keys) == sorted(f"test:{n}" for n in range(8))


def test_duplicates_reporters_are_told_of_the_originals_result_dieu_6_2_c(
        world, runtime, clock, conn) -> None:
    app = world.app
    sender = Recorder()
    scheduler = Scheduler(runtime, clock, sender)
    others = [app.handle(RegisterReporter(
        f"Người dân {n}", phone=f"09000000{n}", email=f"nguoidan{n}@example.vn",
        national_id=f"00109900000{n}")).aggregate_id
              for n in range(2)]
    original = world.submit()
    duplicate = world.submit(reporter_id=others[0])
    reinstated = world.submit(reporter_id=others[1])
    app.handle(MarkDuplicate(duplicate, original), world.receiver)
    app.handle(MarkDuplicate(reinstated, original), world.receiver)
    app.handle(UnmarkDuplicate(reinstated, "Vị trí khác, không trùng"), world.head)
    world.to_published(original)
    scheduler.tick()

    rows = notifications.outbox(conn, f"published:{original}")
    assert {r["recipient_id"]: str(duplicate) in r["body"] for r in rows} == {
        str(world.reporter_id): False, str(others[0]): True}
    assert all(r["sent_at"] is not None for r in rows)
    assert sorted(k for k in sender.keys if k.startswith("published:")) == sorted(
        r["key"] for r in rows)


def test_sent_alert_is_one_broadcast_to_its_area_chuong_iii(world, runtime, clock,
                                                           conn) -> None:
    sender = Recorder()
    scheduler = Scheduler(runtime, clock, sender)
    start = clock.now
    alert_id = world.app.handle(
        DraftAlert(category="warning", severity="high", title="Ngập úng",
                   body="Mưa lớn, tránh phố Hàng Bài.", valid_from=start,
                   valid_until=start + timedelta(days=1)), world.head).aggregate_id
    world.app.handle(EditAlert(alert_id, title="Ngập úng cục bộ",
                               body="Mưa lớn, tránh phố Hàng Bài và Tràng Tiền.", severity="high",
                               valid_from=start, valid_until=start + timedelta(days=1)), world.head)
    world.app.handle(ApproveAlert(alert_id), world.head)
    world.app.handle(SendAlert(alert_id), world.head)
    scheduler.tick()
    scheduler.tick()
    [row] = notifications.outbox(conn, "alert:")
    assert (row["key"], row["recipient_kind"], row["recipient_id"], row["channel"]) == (
        f"alert:{alert_id}", "area", str(world.district), "broadcast")
    assert (row["subject"], row["body"]) == ("[Cảnh báo, mức cao] Ngập úng cục bộ",
                                             "Mưa lớn, tránh phố Hàng Bài và Tràng Tiền.")
    assert sender.keys.count(row["key"]) == 1


def test_rebuilding_the_read_models_never_notifies_again(world, runtime, clock, projector,
                                                         conn) -> None:
    assert "notifications" not in {m.name for m in READ_MODELS}
    sender = Recorder()
    scheduler = Scheduler(runtime, clock, sender)
    world.to_published(world.submit())
    scheduler.tick()
    before = notifications.outbox(conn)
    projector.rebuild()
    assert scheduler.tick().sent == 0
    assert notifications.outbox(conn) == before and len(sender.sent) == len(before)
