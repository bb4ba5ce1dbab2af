"""``report_timeline``: every step of every report, for staff and for the public (Điều 8.2,
12.1, 13, 14.2; issue 11 items 1–2).

One row per Report event, built **generically**: the handler is registered for every event
class of :class:`~domain.report.Report` (those declared now and those added later, found by
walking the class), and reads only what every Report event carries — ``at``, the actor ``by``
(role and unit at the time), the stages it ``closed`` (due, on time) and ``opened`` (due) —
plus its own fields, sorted into

- ``texts``: the free texts staff must read (the citizen's question and the answer with its
  attachments, the head's reason for a return, a coordinating unit's contribution and its
  attachments, the rejection note, the reason for an escalation, an extension, a
  reassignment…);
- ``details``: the other facts (unit ids, the rejection ground a–e, the urgency, a new due
  instant, the rating…).

Never stored: the reporter's identity and account (``reporter``, ``reporter_id``), the
report's own text, place and media (the report shows them, redacted where moderated), a
rating comment and a redaction's text (Điều 14.1: moderated on the report itself), and a
citizen's actor id. Labels are not stored either: :data:`STEPS` (event → English key and
Vietnamese label, kept as data) is applied when reading, and an event it does not know yet
shows under :data:`FALLBACK_LABEL`, so the timeline keeps working when new steps land.

The **public** timeline (Điều 14.2 "Thông tin về quá trình xử lý … được công khai") is the
same rows read through :data:`PUBLIC`: the steps of the process (received, passed on,
accepted by which unit, classified, assigned to which unit, coordination, extension, result
published, clarification, rating, deadlines passed, re-routing), each with when, the acting
role and unit and the stage's due instant and whether it was met, and only the details
:data:`PUBLIC` names — never a text, an officer, nor anything of the citizen. Internal steps
(verification, the result's review, violations, moderation, matter links) are left out; a
step not known yet shows with its label, instant and unit only. A report hidden by its
moderator (``Hidden`` target ``report``) has no public timeline.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from datetime import datetime
from functools import partial
from typing import Any
from uuid import UUID

import psycopg
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

from domain.actors import Role
from domain.calendar import BUSINESS_TZ
from domain.personal_data import scrub
from domain.report import Report, StageRecord
from projections.engine import ReadModel

model = ReadModel("report_timeline", tables=("report_timeline",))

#: Event → (step key, Vietnamese label). Data: a new step adds a line; an event missing here
#: shows under its own name turned into a key and :data:`FALLBACK_LABEL`.
STEPS: dict[str, tuple[str, str]] = {
    "Submitted": ("received", "Tiếp nhận phản ánh"),
    "VerificationStarted": ("verification_started", "Bắt đầu xác minh thông tin"),
    "VerificationCompleted": ("verification_completed", "Hoàn thành xác minh thông tin"),
    "Rejected": ("rejected", "Từ chối tiếp nhận"),
    "Escalated": ("escalated", "Chuyển cơ quan có thẩm quyền"),
    "Accepted": ("accepted", "Tiếp nhận xử lý"),
    "Classified": ("classified", "Phân loại mức độ"),
    "Assigned": ("assigned", "Giao xử lý"),
    "CoordinatedToCommune": ("coordinated_to_commune", "Điều phối đến UBND cấp xã"),
    "CommuneOfficerAssigned": ("commune_officer_assigned", "UBND cấp xã giao cán bộ xử lý"),
    "Reassigned": ("reassigned", "Giao lại xử lý"),
    "CoordinationRequested": ("coordination_requested", "Đề nghị phối hợp xử lý"),
    "CoordinationContributed": ("coordination_contributed", "Cơ quan phối hợp gửi kết quả"),
    "ExtensionGranted": ("extension_granted", "Gia hạn xử lý"),
    "ResultProposed": ("result_proposed", "Tham mưu kết quả xử lý"),
    "ResultReturned": ("result_returned", "Từ chối phê duyệt, yêu cầu tham mưu lại"),
    "ResultApproved": ("result_approved", "Phê duyệt kết quả xử lý"),
    "ResultUpdated": ("result_updated", "Cập nhật kết quả xử lý"),
    "Published": ("published", "Công khai kết quả xử lý"),
    "InitiativeAnswered": ("initiative_answered", "Trả lời sáng kiến"),
    "ClarificationRequested": ("clarification_requested", "Yêu cầu làm rõ kết quả"),
    "ClarificationAnswered": ("clarification_answered", "Trả lời làm rõ kết quả"),
    "Rated": ("rated", "Đánh giá kết quả xử lý"),
    "ViolationMarked": ("violation_marked", "Ghi nhận vi phạm"),
    "StageDeadlinePassed": ("deadline_passed", "Quá hạn xử lý"),
    "LinkedToMatter": ("linked_to_matter", "Gắn với vụ việc đã phản ánh"),
    "MarkedDuplicate": ("marked_duplicate", "Đánh dấu trùng lặp"),
    "DuplicateUnmarked": ("duplicate_unmarked", "Bỏ đánh dấu trùng lặp"),
    "Rerouted": ("rerouted", "Chuyển đơn vị sau sắp xếp tổ chức"),
    "Hidden": ("hidden", "Ẩn khỏi công khai"),
    "Redacted": ("redacted", "Lược bỏ thông tin cá nhân"),
}
FALLBACK_LABEL = "Bước xử lý khác"

#: Fields every Report event has, shown in their own columns.
_COMMON = frozenset({"originator_id", "originator_version", "timestamp", "by", "at", "opened",
                     "closed"})
#: Never copied (Điều 5.7, 14.1): the citizen's identity and account, the report's content
#: and place (on the report, redacted there where moderated), a rating comment and a
#: redaction's text, and the stages a duplicate marking suspends (in ``closed``/``opened``).
_NEVER = frozenset({"reporter", "reporter_id", "original_reporter_id", "text@Submitted",
                    "location", "media", "comment", "redacted", "suspended", "restored"})
#: Fields holding free text written by a person (and attachments): staff only.
_TEXT_FIELDS = frozenset({"question", "answer", "reason", "note", "why", "text", "evidence"})
#: Exceptions by event: a rejection's ``reason`` is the ground a–e, not a text.
_NOT_TEXT = frozenset({"reason@Rejected"})

#: The public timeline: event → the detail keys the public may read. An event named here
#: with ``None`` is internal and left out; an event not named at all shows with its label,
#: instant and unit only.
PUBLIC: dict[str, tuple[str, ...] | None] = {
    "Submitted": ("kind", "category", "receiving_unit_id"),
    "VerificationStarted": None,
    "VerificationCompleted": None,
    "Rejected": ("reason",),
    "Escalated": ("to_unit_id",),
    "Accepted": ("handling_unit_id",),
    "Classified": ("urgency",),
    "Assigned": ("department_id",),
    "CoordinatedToCommune": ("commune_id",),
    "CommuneOfficerAssigned": (),
    "Reassigned": ("department_id",),
    "CoordinationRequested": ("unit_ids",),
    "CoordinationContributed": ("unit_id",),
    "ExtensionGranted": ("previous_due", "due"),
    "ResultProposed": None,
    "ResultReturned": None,
    "ResultApproved": None,
    "ResultUpdated": None,
    "Published": (),
    "InitiativeAnswered": (),
    "ClarificationRequested": (),
    "ClarificationAnswered": (),
    "Rated": ("rating",),
    "ViolationMarked": None,
    "StageDeadlinePassed": ("stage",),
    "LinkedToMatter": None,
    "MarkedDuplicate": (),
    "DuplicateUnmarked": (),
    "Rerouted": ("from_unit_id", "to_unit_id"),
    "Hidden": None,
    "Redacted": None,
}
_INTERNAL = sorted(name for name, keys in PUBLIC.items() if keys is None)

#: Where the step happened, when the event names it: its unit field.
_UNIT_FIELDS = ("to_unit_id", "handling_unit_id", "department_id", "commune_id", "unit_id")


def report_event_classes(root: type = Report) -> list[type]:
    """Every event class declared on the Report aggregate, those added later included."""
    return [value for value in vars(root).values()
            if isinstance(value, type) and issubclass(value, Report.Event)]


def _plain(value: Any) -> Any:
    """A value as JSON holds it: instants in the business time zone (one ISO 8601 form)."""
    if isinstance(value, datetime):
        return value.astimezone(BUSINESS_TZ).isoformat()
    if isinstance(value, StageRecord):
        return {k: _plain(v) for k, v in value.as_dict().items()}
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_plain(v) for v in value]
    if isinstance(value, UUID):
        return str(value)
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


_dumps = partial(json.dumps, ensure_ascii=False, sort_keys=True)


def _stages(stages: Iterable[StageRecord]) -> list[dict[str, Any]]:
    keys = ("stage", "unit_id", "officer_id", "started_at", "due", "ended_at", "on_time")
    return [{k: _plain(v) for k, v in stage.as_dict().items() if k in keys} for stage in stages]


def _split(e: Any, name: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The event's own fields as (texts, details), without what is never copied."""
    texts: dict[str, Any] = {}
    details: dict[str, Any] = {}
    for key, value in vars(e).items():
        if key in _COMMON or key.startswith("_") or key in _NEVER or f"{key}@{name}" in _NEVER:
            continue
        is_text = key in _TEXT_FIELDS and f"{key}@{name}" not in _NOT_TEXT
        (texts if is_text else details)[key] = _plain(value)
    return texts, details


_INSERT = ("INSERT INTO report_timeline (notification_id, report_id, version, event_type, at,"
           " actor_id, actor_role, actor_unit_id, unit_id, closed, opened, texts, details)"
           " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)")


def _step(cur: psycopg.Cursor[Any], e: Any, nid: int) -> None:
    name = type(e).__name__
    by: dict[str, Any] = getattr(e, "by", None) or (
        {"role": str(Role.CITIZEN)} if isinstance(e, Report.Submitted) else {})
    role = by.get("role")
    texts, details = _split(e, name)
    opened = list(getattr(e, "opened", ()))
    closed = list(getattr(e, "closed", ()))
    stage = getattr(e, "stage", None)
    unit = next((UUID(details[f]) for f in _UNIT_FIELDS if isinstance(details.get(f), str)),
                None)
    if unit is None:
        held = [s.unit_id for s in (*opened, *closed)] or (
            [stage.unit_id] if isinstance(stage, StageRecord) else [])
        unit = held[0] if held else by.get("unit_id")
    cur.execute(_INSERT, (
        nid, e.originator_id, e.originator_version, name, e.at,
        by.get("id") if role not in (Role.CITIZEN, None) else None, role, by.get("unit_id"),
        unit, Jsonb(_stages(closed), dumps=_dumps), Jsonb(_stages(opened), dumps=_dumps),
        Jsonb(texts, dumps=_dumps), Jsonb(details, dumps=_dumps)))


model.on(*report_event_classes())(_step)


# Queries --------------------------------------------------------------------------------

COLUMNS = ("notification_id, report_id, version, event_type, at, actor_id, actor_role,"
           " actor_unit_id, unit_id, closed, opened, texts, details")


def step_of(event_type: str) -> tuple[str, str]:
    """The step key and Vietnamese label of an event; a fallback for one not known yet."""
    known = STEPS.get(event_type)
    if known is not None:
        return known
    return re.sub(r"(?<!^)(?=[A-Z])", "_", event_type).lower(), FALLBACK_LABEL


def _on_time(closed: list[dict[str, Any]]) -> bool | None:
    return None if not closed else all(s["on_time"] for s in closed)


def rows(conn: psycopg.Connection[Any], report_id: UUID) -> list[dict[str, Any]]:
    """One report's whole timeline, oldest first, as stored: for staff who may see it."""
    with conn.cursor(row_factory=dict_row) as cur:
        # report_timeline_report: one report's rows in event order.
        return cur.execute(f"SELECT {COLUMNS} FROM report_timeline WHERE report_id = %s"
                           f" ORDER BY notification_id", (report_id,)).fetchall()


def unit_ids(steps: Iterable[dict[str, Any]]) -> set[UUID]:
    """The units the steps name (to look their names up)."""
    return {u for r in steps for u in (r["actor_unit_id"], r["unit_id"]) if u is not None}


def staff_step(row: dict[str, Any], names: dict[UUID, str]) -> dict[str, Any]:
    """A stored row as staff read it (``api.responses.TimelineStep``)."""
    step, label = step_of(row["event_type"])
    return {"step": step, "label": label, "event_type": row["event_type"],
            "version": row["version"], "at": row["at"], "actor_id": row["actor_id"],
            "actor_role": row["actor_role"], "actor_unit_id": row["actor_unit_id"],
            "actor_unit_name": names.get(row["actor_unit_id"]), "unit_id": row["unit_id"],
            "unit_name": names.get(row["unit_id"]), "closed": row["closed"],
            "opened": row["opened"], "on_time": _on_time(row["closed"]), "texts": row["texts"],
            "details": row["details"]}


def is_public(event_type: str) -> bool:
    """Điều 14.2: a step of the public process (internal ones are named in :data:`PUBLIC`)."""
    return event_type not in _INTERNAL


def public_step(row: dict[str, Any], names: dict[UUID, str]) -> dict[str, Any]:
    """A stored row as the public reads it (``api.responses.PublicTimelineStep``): no text,
    no officer, nothing of the citizen; only the details :data:`PUBLIC` names."""
    step, label = step_of(row["event_type"])
    keys = PUBLIC.get(row["event_type"]) or ()
    actor_unit: UUID | None = (None if row["actor_role"] == Role.CITIZEN
                               else row["actor_unit_id"])
    return {"step": step, "label": label, "at": row["at"], "actor_role": row["actor_role"],
            "actor_unit_id": actor_unit,
            "actor_unit_name": names.get(actor_unit) if actor_unit else None,
            "unit_id": row["unit_id"], "unit_name": names.get(row["unit_id"]),
            "closed": [_public_stage(s) for s in row["closed"]],
            "opened": [_public_stage(s) for s in row["opened"]],
            "on_time": _on_time(row["closed"]),
            "details": {k: _public_detail(k, row["details"][k]) for k in keys
                        if k in row["details"]}}


def public_rows(conn: psycopg.Connection[Any], report_id: UUID) -> list[dict[str, Any]] | None:
    """Điều 14.2: the public steps of a report, oldest first, as stored — None when there is
    no such report or it is hidden (Điều 14.1)."""
    with conn.cursor(row_factory=dict_row) as cur:
        # report_timeline_report; a hidden report shows nothing.
        found = cur.execute(
            f"SELECT {COLUMNS} FROM report_timeline t WHERE report_id = %(report)s"
            f" AND event_type <> ALL(%(internal)s)"
            f" AND NOT EXISTS (SELECT FROM report_timeline h WHERE h.report_id = %(report)s"
            f"   AND h.event_type = 'Hidden' AND h.details->>'target' = 'report')"
            f" ORDER BY notification_id", {"report": report_id, "internal": _INTERNAL}
        ).fetchall()
    return found or None


def _public_stage(stage: dict[str, Any]) -> dict[str, Any]:
    """A stage without its officer."""
    return {k: stage.get(k) for k in ("stage", "unit_id", "started_at", "due", "ended_at",
                                      "on_time")}


def _public_detail(key: str, value: Any) -> Any:
    """A StageRecord detail (a deadline passed) without its officer; a text with its phone
    numbers, e-mail addresses and ID numbers masked (Điều 4.4, 14.1)."""
    if isinstance(value, str):
        return scrub(value)
    return _public_stage(value) if key == "stage" and isinstance(value, dict) else value


# What staff must read (issue 11 item 1) -------------------------------------------------

#: The events whose texts a work item needs: clarification, return, coordination.
ACTION_EVENTS = ["ClarificationRequested", "ClarificationAnswered", "ResultReturned",
                 "CoordinationRequested", "CoordinationContributed", "Rerouted"]


def _who(row: dict[str, Any]) -> dict[str, Any]:
    return {"at": row["at"], "actor_id": row["actor_id"], "actor_role": row["actor_role"],
            "actor_unit_id": row["actor_unit_id"]}


def summary(steps: list[dict[str, Any]]) -> dict[str, Any]:
    """From a report's timeline rows (oldest first): its clarifications (Điều 13), the returns
    of its result (Điều 12.1), the coordinating units and their contributions (Điều 8.2), its
    rejection and escalations (Điều 7.2) — each with who decided and when."""
    clarifications: list[dict[str, Any]] = []
    returns: list[dict[str, Any]] = []
    coordination: dict[str, dict[str, Any]] = {}
    rejection: dict[str, Any] | None = None
    escalations: list[dict[str, Any]] = []
    for r in steps:
        kind, texts, details = r["event_type"], r["texts"], r["details"]
        if kind == "ClarificationRequested":
            due = r["opened"][0]["due"] if r["opened"] else None
            clarifications.append({"question": texts.get("question"), "asked_at": r["at"],
                                   "due": due, "answer": None, "evidence": [],
                                   "answered": None})
        elif kind == "ClarificationAnswered" and clarifications:
            clarifications[-1]["answer"] = texts.get("answer")
            clarifications[-1]["evidence"] = texts.get("evidence") or []
            clarifications[-1]["answered"] = _who(r)
        elif kind == "ResultReturned":
            due = r["opened"][0]["due"] if r["opened"] else None
            returns.append({"reason": texts.get("reason"), "rework_due": due, "by": _who(r)})
        elif kind == "CoordinationRequested":
            for unit in details.get("unit_ids", []):
                coordination.setdefault(unit, {"unit_id": unit, "requested": _who(r),
                                               "contributed": None, "text": None,
                                               "evidence": []})
        elif kind == "CoordinationContributed" and details.get("unit_id") in coordination:
            entry = coordination[details["unit_id"]]
            entry.update(contributed=_who(r), text=texts.get("text"),
                         evidence=texts.get("evidence") or [])
        elif kind == "Rerouted" and details.get("from_unit_id") in coordination:
            entry = coordination.pop(details["from_unit_id"])
            successor = coordination.get(details["to_unit_id"])
            if successor is None or (entry["contributed"] and not successor["contributed"]):
                coordination[details["to_unit_id"]] = {**entry, "unit_id": details["to_unit_id"]}
        elif kind == "Rejected":
            rejection = {"reason": details.get("reason"), "note": texts.get("note"),
                         "by": _who(r)}
        elif kind == "Escalated":
            escalations.append({"from_unit_id": r["actor_unit_id"],
                                "to_unit_id": details.get("to_unit_id"),
                                "why": texts.get("why"), "by": _who(r)})
    return {"clarifications": clarifications, "returns": returns,
            "coordination": list(coordination.values()), "rejection": rejection,
            "escalations": escalations}


def action_texts(conn: psycopg.Connection[Any], report_ids: list[UUID]
                 ) -> dict[UUID, dict[str, Any]]:
    """For each report, what its work items must show (:func:`summary` of its clarification,
    return and coordination steps)."""
    if not report_ids:
        return {}
    with conn.cursor(row_factory=dict_row) as cur:
        # report_timeline_report, for a queue's reports.
        found = cur.execute(
            f"SELECT {COLUMNS} FROM report_timeline WHERE report_id = ANY(%s)"
            f" AND event_type = ANY(%s) ORDER BY notification_id",
            (list(set(report_ids)), ACTION_EVENTS)).fetchall()
    by_report: dict[UUID, list[dict[str, Any]]] = {}
    for r in found:
        by_report.setdefault(r["report_id"], []).append(r)
    return {report_id: summary(steps) for report_id, steps in by_report.items()}
