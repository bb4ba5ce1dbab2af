"""``notifications``: the outbox feeder — what people must be told, as events happen.

Rows of ``notification_outbox`` are inserted in the same transaction as this model's tracking
position, keyed so that each notification exists once (``ON CONFLICT (key) DO NOTHING``). The
texts are data: ``notification_templates.toml`` holds one Vietnamese template per step and
recipient, keyed by the event's name (``[Report.Rejected.reporter]``); an event without an
entry sends nothing, so a new step's notice is one entry there. Who a step concerns:

- the citizen: accepted, rejected with its ground (Điều 7.2.a), escalated (Điều 7.2.c) or
  re-routed after a merger (Điều 28.1), assigned, extended (Điều 8.5), clarification answered
  (Điều 13), result published (Điều 8.3, 12.3; the reporters of its duplicates too, Điều
  6.2.c), account locked and lifted (Điều 27.3), alerts to his home area (Chương III);
- the assigned officer: work assigned (by the head, or by the commune's leader after a
  coordination to the commune, Điều 8.1.c), result returned (Điều 12.1) or approved and to be
  updated with evidence (Điều 12.2), a clarification asked, deadlines passed (and, from the
  scheduler, warned);
- unit heads: a report escalated to the unit, or coordinated to the commune (its leader,
  Điều 8.1.b), a result proposed or updated (Điều 12), a coordination requested or contributed
  (Điều 8.2), deadlines passed;
- the Chairman's office and Home Affairs (recipient kind ``authority``): a month's statistics
  frozen (seed 000 Điều 2.2.c), with the units flagged (:mod:`projections.authority_reports`).

Rows are addressed to a recipient (``reporter``, ``officer``, ``unit_head`` of a unit,
``area`` for an alert's broadcast, or any kind another producer uses); the deliverer
(:mod:`scheduler.channels`) turns each into the channels the recipient chose. This model also
keeps the channel preferences and home wards the deliverer reads.

The scheduler adds its own rows (a warning before a deadline, the 3-day alert cadence) with
:func:`enqueue`, and delivers them. This model is **not** in the registry of read models: a
rebuild would notify everyone again. It runs on its own projector (tracking row
``notifications``) in the scheduler process.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

import psycopg
from eventsourcing.domain import CanMutateAggregate
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

from application.sealing import PREFIX, Sealer, sealer_of
from domain.alert import Alert
from domain.calendar import BUSINESS_TZ
from domain.preferences import NotificationPreferences
from domain.report import Report, StageRecord
from domain.reporter import Reporter
from projections.engine import ReadModel

model = ReadModel("notifications", tables=(
    "notification_outbox", "notification_reporters", "notification_alerts",
    "notification_deadlines", "notification_units", "notification_home_wards",
    "notification_preferences", "notification_deliveries"),
    replay_indexes=("notification_reporters_duplicate_of",))

APP, BROADCAST = "app", "broadcast"

STAGE_NAMES = {
    "reception": "tiếp nhận", "verification": "xác minh", "assignment": "phân công xử lý",
    "handling": "xử lý", "rework": "xử lý lại", "publication": "phê duyệt công khai kết quả",
    "approval": "phê duyệt nội dung kết quả", "result_update": "cập nhật kết quả xử lý",
    "clarification": "giải trình", "response": "trả lời sáng kiến",
}
CATEGORY_NAMES = {"warning": "Cảnh báo", "information": "Thông tin"}
SEVERITY_NAMES = {"low": "thấp", "medium": "trung bình", "high": "cao"}
#: Điều 6.2: the grounds of a rejection, in words.
GROUNDS = {
    "a": "thông tin phản ánh không đầy đủ hoặc không chính xác",
    "b": "hình ảnh, video đã bị chỉnh sửa hoặc không còn nguyên vẹn",
    "c": "nội dung hoặc hình ảnh trùng với phản ánh đã được gửi trước đó",
    "d": "đã xác minh nhiều lần nhưng không thành công",
    "đ": "thông tin về danh tính hoặc nội dung không đúng sự thật sau khi xác minh",
    "e": "nội dung mang tính quảng cáo",
}
#: Fields naming a unit: their templates may use ``{<x>_name}`` (the unit's name).
UNIT_FIELDS = ("unit_id", "commune_id")
TEMPLATES_FILE = Path(__file__).with_name("notification_templates.toml")


@dataclass(frozen=True)
class Template:
    """The subject and body of one kind of notice, with ``{name}`` placeholders."""

    subject: str
    body: str

    def render(self, values: Mapping[str, Any]) -> tuple[str, str]:
        filled = _Values(values)
        return (" ".join(self.subject.format_map(filled).split()),
                self.body.format_map(filled).strip())


class _Values(dict[str, Any]):
    """Placeholders an event does not fill render empty rather than fail a projection."""

    def __missing__(self, key: str) -> str:
        return ""


def load_templates(path: Path = TEMPLATES_FILE) -> dict[tuple[str, str], dict[str, Template]]:
    """``(aggregate, event) -> {recipient: Template}`` from the TOML file."""
    with path.open("rb") as file:
        data = tomllib.load(file)
    return {(aggregate, event): {recipient: Template(**text)
                                 for recipient, text in recipients.items()}
            for aggregate, events in data.items() for event, recipients in events.items()}


TEMPLATES = load_templates()


def render(aggregate: str, event: str, recipient: str, values: Mapping[str, Any]
           ) -> tuple[str, str]:
    """The (subject, body) of a template the code itself uses (deadlines, cadence)."""
    return TEMPLATES[aggregate, event][recipient].render(values)


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


def unit_name(cur: psycopg.Cursor[Any], unit_id: Any) -> str:
    """A unit's name, from this feeder's own ``notification_units`` (``đơn vị <id>`` if it
    does not know it)."""
    row = cur.execute("SELECT name FROM notification_units WHERE unit_id = %s",
                      (unit_id,)).fetchone()
    return str(row[0]) if row else f"đơn vị {unit_id}"


def event_values(cur: psycopg.Cursor[Any], e: Any) -> dict[str, Any]:
    """The placeholders of an event's templates: its fields in words (instants in Hà Nội
    time, units by name), the report's id, the due instant of the stage it opened."""
    values: dict[str, Any] = {}
    for name, value in vars(e).items():
        if name in ("by", "opened", "closed", "timestamp", "originator_topic"):
            continue
        if isinstance(value, datetime):
            values[name] = local(value)
        elif isinstance(value, UUID):
            values[name] = str(value)
            if name.endswith(UNIT_FIELDS):
                values[name.removesuffix("_id") + "_name"] = unit_name(cur, value)
        elif isinstance(value, (str, int)) and not isinstance(value, bool):
            values[name] = value
    values["report"] = str(e.originator_id)
    stages = [*(getattr(e, "opened", None) or ()), getattr(e, "stage", None)]
    due = [s.due for s in stages if isinstance(s, StageRecord) and s.due is not None]
    if "due" not in values and due:
        values["due"] = local(due[0])
    if "reason" in values and type(e).__name__ == "Rejected":
        values["ground"] = GROUNDS.get(str(values["reason"]), str(values["reason"]))
    return values


def _recipients(cur: psycopg.Cursor[Any], e: Any, aggregate: str, role: str
                ) -> list[tuple[str, str]]:
    """The recipients a template names (see ``notification_templates.toml``)."""
    if aggregate == "Reporter":
        return [("reporter", str(e.originator_id))] if role == "reporter" else []
    if role == "coordinating_heads":
        return [("unit_head", str(u)) for u in getattr(e, "unit_ids", ())]
    if role == "commune_head":
        commune = getattr(e, "commune_id", None)
        return [("unit_head", str(commune))] if commune is not None else []
    row = cur.execute("SELECT reporter_id, receiving_unit_id, handling_unit_id, officer_id"
                      " FROM notification_reporters WHERE report_id = %s",
                      (e.originator_id,)).fetchone()
    if row is None:
        return []
    reporter, receiving, handling, officer = row
    chosen = {"reporter": ("reporter", reporter), "officer": ("officer", officer),
              "handling_head": ("unit_head", handling),
              "receiving_head": ("unit_head", receiving)}.get(role)
    if chosen is None or chosen[1] is None:
        return []
    return [(chosen[0], str(chosen[1]))]


def notify(cur: psycopg.Cursor[Any], e: Any, aggregate: str) -> None:
    """Queue the notices of an event's templates, one per recipient, once."""
    event = type(e).__name__
    templates = TEMPLATES.get((aggregate, event))
    if not templates:
        return
    values = event_values(cur, e)
    for role, template in templates.items():
        for recipient in _recipients(cur, e, aggregate, role):
            subject, body = template.render(values)
            enqueue(cur, f"{event}:{e.originator_id}:{e.originator_version}:"
                         f"{':'.join(recipient)}", recipient, subject, body,
                    getattr(e, "at", e.timestamp))


# ----------------------------------------------------------------- what the notices need

def _submitted(cur: psycopg.Cursor[Any], e: Any) -> None:
    cur.execute("INSERT INTO notification_reporters (report_id, reporter_id, receiving_unit_id)"
                " VALUES (%s, %s, %s)", (e.originator_id, e.reporter_id, e.receiving_unit_id))


def _escalated(cur: psycopg.Cursor[Any], e: Any) -> None:
    cur.execute("UPDATE notification_reporters SET receiving_unit_id = %s WHERE report_id = %s",
                (e.to_unit_id, e.originator_id))


def _accepted(cur: psycopg.Cursor[Any], e: Any) -> None:
    cur.execute("UPDATE notification_reporters SET handling_unit_id = %s WHERE report_id = %s",
                (e.handling_unit_id, e.originator_id))


def _assigned(cur: psycopg.Cursor[Any], e: Any) -> None:
    cur.execute("UPDATE notification_reporters SET officer_id = %s WHERE report_id = %s",
                (e.officer["id"], e.originator_id))


def _coordinated_to_commune(cur: psycopg.Cursor[Any], e: Any) -> None:
    cur.execute("UPDATE notification_reporters SET officer_id = NULL WHERE report_id = %s",
                (e.originator_id,))


def _rerouted(cur: psycopg.Cursor[Any], e: Any) -> None:
    cur.execute("UPDATE notification_reporters SET"
                " receiving_unit_id = CASE WHEN receiving_unit_id = %(f)s THEN %(t)s"
                " ELSE receiving_unit_id END,"
                " handling_unit_id = CASE WHEN handling_unit_id = %(f)s THEN %(t)s"
                " ELSE handling_unit_id END WHERE report_id = %(r)s",
                {"f": e.from_unit_id, "t": e.to_unit_id, "r": e.originator_id})


def _marked_duplicate(cur: psycopg.Cursor[Any], e: Any) -> None:
    cur.execute("UPDATE notification_reporters SET duplicate_of = %s WHERE report_id = %s",
                (e.original_id, e.originator_id))


def _duplicate_unmarked(cur: psycopg.Cursor[Any], e: Any) -> None:
    cur.execute("UPDATE notification_reporters SET duplicate_of = NULL WHERE report_id = %s",
                (e.originator_id,))


def _published(cur: psycopg.Cursor[Any], e: Any) -> None:
    """Điều 8.3, 12.3: the reporter is told of the result, and so is every reporter whose
    report was marked a duplicate of this one (Điều 6.2.c)."""
    rows = cur.execute("SELECT report_id, reporter_id FROM notification_reporters"
                       " WHERE report_id = %s OR duplicate_of = %s ORDER BY report_id",
                       (e.originator_id, e.originator_id)).fetchall()
    event = type(e).__name__
    for report_id, reporter_id in rows:
        role = "reporter" if report_id == e.originator_id else "duplicate_reporter"
        template = (TEMPLATES.get(("Report", event), {}).get(role)
                    or TEMPLATES["Report", "Published"][role])
        subject, body = template.render({"report": str(e.originator_id),
                                         "duplicate": str(report_id), "at": local(e.at)})
        enqueue(cur, f"published:{e.originator_id}:reporter:{reporter_id}",
                ("reporter", str(reporter_id)), subject, body, e.at)


def _deadline_passed(cur: psycopg.Cursor[Any], e: Report.StageDeadlinePassed) -> None:
    stage = e.stage
    assert stage.due is not None  # a stage without a due instant never passes it
    cur.execute("INSERT INTO notification_deadlines (report_id, stage, started_at, due)"
                " VALUES (%s, %s, %s, %s) ON CONFLICT DO NOTHING",
                (e.originator_id, stage.stage, stage.started_at, stage.due))
    key = stage_key(e.originator_id, stage.as_dict())
    subject, body = render("Deadline", "passed", "stage", {
        "report": str(e.originator_id), "due": local(stage.due),
        "stage_name": STAGE_NAMES.get(stage.stage, stage.stage)})
    for recipient in stage_recipients(stage.unit_id, stage.officer_id):
        enqueue(cur, f"deadline:{key}:{':'.join(recipient)}", recipient, subject, body,
                e.recorded_at)


#: What a Report event changes in what the notices need to know, before they are queued.
REPORT_STATE: dict[str, Callable[[psycopg.Cursor[Any], Any], None]] = {
    "Submitted": _submitted, "Escalated": _escalated, "Accepted": _accepted,
    "Assigned": _assigned, "Reassigned": _assigned, "CommuneOfficerAssigned": _assigned,
    "CoordinatedToCommune": _coordinated_to_commune, "Rerouted": _rerouted,
    "MarkedDuplicate": _marked_duplicate, "DuplicateUnmarked": _duplicate_unmarked,
}
def _approved(cur: psycopg.Cursor[Any], e: Any) -> None:
    """Điều 12.1–12.2: the officer is asked to update the approved result with evidence (a
    result proposed before that step existed is published as approved: nothing to ask)."""
    if e.opened:
        notify(cur, e, "Report")


#: Report events whose notices are not the plain template per recipient.
REPORT_NOTICES: dict[str, Callable[[psycopg.Cursor[Any], Any], None]] = {
    "Published": _published, "InitiativeAnswered": _published,
    "StageDeadlinePassed": _deadline_passed, "ResultApproved": _approved,
}


def _event_classes(aggregate: type) -> list[type]:
    """Every event class declared on an aggregate (a new one is fed here as it is added)."""
    return [value for value in vars(aggregate).values()
            if isinstance(value, type) and issubclass(value, CanMutateAggregate)]


@model.on(*_event_classes(Report))
def _report_event(cur: psycopg.Cursor[Any], e: Any, nid: int) -> None:
    name = type(e).__name__
    state = REPORT_STATE.get(name)
    if state is not None:
        state(cur, e)
    special = REPORT_NOTICES.get(name)
    if special is not None:
        special(cur, e)
    else:
        notify(cur, e, "Report")


@model.on(*_event_classes(Reporter))
def _reporter_event(cur: psycopg.Cursor[Any], e: Any, nid: int) -> None:
    if isinstance(e, Reporter.HomeWardChosen):
        cur.execute("INSERT INTO notification_home_wards (reporter_id, ward_id) VALUES (%s, %s)"
                    " ON CONFLICT (reporter_id) DO UPDATE SET ward_id = EXCLUDED.ward_id",
                    (e.originator_id, e.ward_id))
    notify(cur, e, "Reporter")


@model.on(NotificationPreferences.Created, NotificationPreferences.Chosen)
def _preferences(cur: psycopg.Cursor[Any], e: Any, nid: int) -> None:
    if isinstance(e, NotificationPreferences.Created):
        cur.execute("INSERT INTO notification_preferences (preferences_id, recipient_kind,"
                    " recipient_id, channels, updated_at) VALUES (%s, %s, %s, '{}', %s)",
                    (e.originator_id, e.recipient_kind, e.recipient_id, e.timestamp))
    else:
        cur.execute("UPDATE notification_preferences SET channels = %s, email = %s,"
                    " webhook_url = %s, updated_at = %s WHERE preferences_id = %s",
                    (e.channels, sealer_of(cur).seal(e.email), e.webhook_url, e.at,
                     e.originator_id))


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
    """Chương III: one broadcast to the alert's area; the deliverer also sends it to the
    residents of the area (the alert unit's subtree) who chose e-mail or a webhook."""
    row = cur.execute(
        "SELECT category, severity, title, body FROM notification_alerts WHERE alert_id = %s",
        (e.originator_id,)).fetchone()
    assert row is not None  # drafted before it was sent
    category, severity, title, body = row
    subject, text = render("Alert", "Sent", "area", {
        "category_name": CATEGORY_NAMES[category], "severity_name": SEVERITY_NAMES[severity],
        "title": title, "body": body})
    enqueue(cur, f"alert:{e.originator_id}", ("area", str(e.area_unit_id)), subject, text,
            e.at, BROADCAST)


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


def seal_stored_addresses(conn: psycopg.Connection[Any], sealer: Sealer) -> int:
    """Điều 4.4, 14.1: rows written before addresses were sealed — each preference's e-mail
    sealed, each delivered address replaced by its digest (the outbox is never rebuilt, so
    they are fixed in place); idempotent. Returns the rows changed."""
    if sealer.cipher is None:
        return 0
    changed = 0
    with conn.transaction():
        for preferences_id, email in conn.execute(
                "SELECT preferences_id, email FROM notification_preferences"
                " WHERE email NOT LIKE %s FOR UPDATE", (PREFIX + "%",)).fetchall():
            conn.execute("UPDATE notification_preferences SET email = %s"
                         " WHERE preferences_id = %s", (sealer.seal(email), preferences_id))
            changed += 1
        for outbox_id, channel, address in conn.execute(
                "SELECT outbox_id, channel, address FROM notification_deliveries"
                " WHERE address <> '' AND address NOT LIKE 'hmac:%%'"
                " AND address NOT LIKE 'sha256:%%' FOR UPDATE").fetchall():
            conn.execute("UPDATE notification_deliveries SET address = %s WHERE outbox_id = %s"
                         " AND channel = %s AND address = %s",
                         (sealer.digest(address), outbox_id, channel, address))
            changed += 1
    return changed


# The monthly report to the Chairman and Home Affairs registers its handlers on this model.
from projections import authority_reports  # noqa: F401
