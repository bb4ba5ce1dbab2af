"""``notifications``: the outbox feeder — what people must be told, as events happen.

Rows of ``notification_outbox`` are inserted in the same transaction as this model's tracking
position, keyed so that each notification exists once (``ON CONFLICT (key) DO NOTHING``):

- a stage's deadline passed (Điều 7.2.d, 8.5, 12, 13): the responsible officer, if the stage
  has one, and the head of the responsible unit (addressed as ``unit_head`` of the unit);
- a result published (Điều 8.3, 12.3; Điều 9 for an initiative's answer): the reporter, and the
  reporters of the reports marked duplicates of it (Điều 6.2.c: they follow its result);
- an alert sent (Chương III): one broadcast to the residents of the alert's area;
- a month's statistics frozen (seed 000 Điều 2.2.c): the report to the Chairman and to Home
  Affairs (:mod:`projections.authority_reports`).

The scheduler adds its own rows (a warning before a deadline, the 3-day alert cadence) with
:func:`enqueue`, and delivers them. This model is **not** in the registry of read models: a
rebuild would notify everyone again. It runs on its own projector (tracking row
``notifications``) in the scheduler process.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import psycopg
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

from domain.alert import Alert
from domain.calendar import BUSINESS_TZ
from domain.report import Report
from projections.engine import ReadModel

model = ReadModel("notifications", tables=("notification_outbox", "notification_reporters",
                                           "notification_alerts", "notification_deadlines",
                                           "notification_units"))

APP, BROADCAST = "app", "broadcast"

STAGE_NAMES = {
    "reception": "tiếp nhận", "verification": "xác minh", "assignment": "phân công xử lý",
    "handling": "xử lý", "rework": "xử lý lại", "publication": "phê duyệt công khai kết quả",
    "approval": "phê duyệt nội dung kết quả", "result_update": "cập nhật kết quả xử lý",
    "clarification": "giải trình", "response": "trả lời sáng kiến",
}
CATEGORY_NAMES = {"warning": "Cảnh báo", "information": "Thông tin"}
SEVERITY_NAMES = {"low": "thấp", "medium": "trung bình", "high": "cao"}


def enqueue(cur: psycopg.Cursor[Any], key: str, recipient: tuple[str, str], subject: str,
            body: str, at: datetime, channel: str = APP,
            payload: dict[str, Any] | None = None) -> None:
    """Queue one notification, once per ``key``, to be sent from ``at`` on; ``payload`` is
    its structured content, if any (JSON)."""
    cur.execute(
        "INSERT INTO notification_outbox (key, recipient_kind, recipient_id, channel, subject,"
        " body, created_at, not_before, payload) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)"
        " ON CONFLICT (key) DO NOTHING",
        (key, recipient[0], recipient[1], channel, subject, body, at, at,
         Jsonb(payload) if payload is not None else None))


def local(at: datetime) -> str:
    """An instant as officials read it: ``17:00 23/02/2026`` in Asia/Ho_Chi_Minh."""
    return at.astimezone(BUSINESS_TZ).strftime("%H:%M %d/%m/%Y")


def stage_key(report_id: UUID, stage: Mapping[str, Any]) -> str:
    """One occurrence of a timed stage of a report (``stage``: its stage, started_at, due)."""
    return ":".join((str(report_id), stage["stage"], stage["started_at"].astimezone(UTC)
                     .isoformat(), stage["due"].astimezone(UTC).isoformat()))


def stage_recipients(unit_id: UUID, officer_id: str | None) -> list[tuple[str, str]]:
    """Who answers for a stage: its officer, if any, and the head of its unit."""
    heads = [("unit_head", str(unit_id))]
    return [("officer", str(officer_id)), *heads] if officer_id else heads


@model.on(Report.StageDeadlinePassed)
def _deadline_passed(cur: psycopg.Cursor[Any], e: Report.StageDeadlinePassed, nid: int) -> None:
    stage = e.stage
    assert stage.due is not None  # a stage without a due instant never passes it
    cur.execute("INSERT INTO notification_deadlines (report_id, stage, started_at, due)"
                " VALUES (%s, %s, %s, %s) ON CONFLICT DO NOTHING",
                (e.originator_id, stage.stage, stage.started_at, stage.due))
    name = STAGE_NAMES.get(stage.stage, stage.stage)
    key = stage_key(e.originator_id, stage.as_dict())
    for recipient in stage_recipients(stage.unit_id, stage.officer_id):
        enqueue(cur, f"deadline:{key}:{':'.join(recipient)}",
                recipient, f"Quá hạn {name} phản ánh",
                f"Phản ánh {e.originator_id} đã quá hạn {name} lúc {local(stage.due)}. "
                f"Đề nghị khẩn trương xử lý theo Quy chế iHanoi.", e.recorded_at)


@model.on(Report.Submitted)
def _submitted(cur: psycopg.Cursor[Any], e: Any, nid: int) -> None:
    cur.execute("INSERT INTO notification_reporters (report_id, reporter_id) VALUES (%s, %s)",
                (e.originator_id, e.reporter_id))


@model.on(Report.MarkedDuplicate)
def _marked_duplicate(cur: psycopg.Cursor[Any], e: Any, nid: int) -> None:
    cur.execute("UPDATE notification_reporters SET duplicate_of = %s WHERE report_id = %s",
                (e.original_id, e.originator_id))


@model.on(Report.DuplicateUnmarked)
def _duplicate_unmarked(cur: psycopg.Cursor[Any], e: Any, nid: int) -> None:
    cur.execute("UPDATE notification_reporters SET duplicate_of = NULL WHERE report_id = %s",
                (e.originator_id,))


@model.on(Report.Published, Report.InitiativeAnswered)
def _published(cur: psycopg.Cursor[Any], e: Any, nid: int) -> None:
    """Điều 8.3, 12.3: the reporter is told of the result, and so is every reporter whose
    report was marked a duplicate of this one (Điều 6.2.c)."""
    rows = cur.execute("SELECT report_id, reporter_id FROM notification_reporters"
                       " WHERE report_id = %s OR duplicate_of = %s ORDER BY report_id",
                       (e.originator_id, e.originator_id)).fetchall()
    for report_id, reporter_id in rows:
        if report_id == e.originator_id:
            body = f"Kết quả xử lý phản ánh {report_id} đã được công khai trên iHanoi."
        else:
            body = (f"Phản ánh {report_id} của bạn trùng nội dung với phản ánh "
                    f"{e.originator_id}; kết quả xử lý đã được công khai trên iHanoi.")
        enqueue(cur, f"published:{e.originator_id}:reporter:{reporter_id}",
                ("reporter", str(reporter_id)), "Phản ánh của bạn đã có kết quả", body, e.at)


@model.on(Alert.Drafted)
def _alert_drafted(cur: psycopg.Cursor[Any], e: Any, nid: int) -> None:
    cur.execute("INSERT INTO notification_alerts (alert_id, category, severity, title, body)"
                " VALUES (%s, %s, %s, %s, %s)",
                (e.originator_id, e.category, e.severity, e.title, e.body))


@model.on(Alert.Edited)
def _alert_edited(cur: psycopg.Cursor[Any], e: Any, nid: int) -> None:
    cur.execute("UPDATE notification_alerts SET severity = %s, title = %s, body = %s"
                " WHERE alert_id = %s", (e.severity, e.title, e.body, e.originator_id))


@model.on(Alert.Sent)
def _alert_sent(cur: psycopg.Cursor[Any], e: Any, nid: int) -> None:
    """Chương III: one broadcast to the residents of the alert's area."""
    row = cur.execute(
        "SELECT category, severity, title, body FROM notification_alerts WHERE alert_id = %s",
        (e.originator_id,)).fetchone()
    assert row is not None  # drafted before it was sent
    category, severity, title, body = row
    enqueue(cur, f"alert:{e.originator_id}", ("area", str(e.area_unit_id)),
            f"[{CATEGORY_NAMES[category]}, mức {SEVERITY_NAMES[severity]}] {title}", body, e.at,
            BROADCAST)


# Queries --------------------------------------------------------------------------------


def pending_deadlines(conn: psycopg.Connection[Any], now: datetime
                      ) -> list[tuple[UUID, datetime]]:
    """(report, due) of every open stage past its due instant at ``now`` whose passing is not
    yet a recorded fact, earliest due first across all reports (reads ``overdue``)."""
    rows = conn.execute("""
        SELECT o.report_id, o.due FROM overdue o
        WHERE o.due <= %s AND NOT EXISTS (
            SELECT 1 FROM notification_deadlines d WHERE d.report_id = o.report_id
            AND d.stage = o.stage AND d.started_at = o.started_at AND d.due = o.due)
        ORDER BY o.due, o.report_id""", (now,)).fetchall()
    return [(report_id, due) for report_id, due in rows]


def approaching_deadlines(conn: psycopg.Connection[Any], now: datetime,
                          until: datetime) -> list[dict[str, Any]]:
    """Open stages falling due after ``now`` and at the latest at ``until`` (``overdue``)."""
    with conn.cursor(row_factory=dict_row) as cur:
        # Served by the index overdue_due.
        return cur.execute("SELECT report_id, stage, unit_id, officer_id, started_at, due"
                           " FROM overdue WHERE due > %s AND due <= %s ORDER BY due, report_id",
                           (now, until)).fetchall()


def outbox(conn: psycopg.Connection[Any], key_prefix: str = "") -> list[dict[str, Any]]:
    """The outbox rows whose key starts with ``key_prefix``, in the order they were queued."""
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute("SELECT * FROM notification_outbox WHERE key LIKE %s ORDER BY id",
                           (key_prefix.replace("%", r"\%").replace("_", r"\_") + "%",)
                           ).fetchall()


# The monthly report to the Chairman and Home Affairs registers its handlers on this model.
from projections import authority_reports  # noqa: F401
