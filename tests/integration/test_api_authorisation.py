"""The authorisation matrix: every endpoint × every role × own or other unit (issue 5; Điều 5.7,
7, 8, 12, 13, 18, 22, 25, 28.1).

Expected answers: ``OK`` (2xx), 401 (no token), 403 (the role may not do this) and 404 (a
report of another unit or another citizen: it does not exist for the caller, never a leak).
"Own" staff are the district's receiving officer and head, and the handling officer of the
district's division (his unit once a report is assigned there); "other" staff belong to
another district, which becomes concerned when it is asked to coordinate (Điều 8.2). An alert
(Điều 15–17) is the district's: its staff, the service centre (which manages the channel and
sends city-wide alerts, Điều 15.2–15.5) and inspectors see it, other staff do not (404). The city
service centre sees city-wide (Điều 18), a Home Affairs inspector reads everything and changes
nothing (Điều 22), the city inspectorate reads waste-behaviour reports only (none here: the
scene's reports are field reports, so they do not exist for it) and every command is refused
to it before any lookup (403, Điều 24), an administrator keeps the directory, not reports
(Điều 28.1).

Each command is sent to a report (or unit, officer) prepared in the state it needs — a fresh
one for every role expected to succeed, so that "allowed" means a 2xx, and one shared by the
roles expected to be refused, which must leave it untouched.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from uuid import UUID

from fastapi.routing import APIRoute, iter_route_contexts

from application.commands import (
    Accept,
    ApproveAlert,
    ApproveResult,
    Classify,
    CoordinateToCommune,
    DraftAlert,
    IssuePartnerKey,
    MarkDuplicate,
    ProposeResult,
    Publish,
    RegisterReporter,
    RequestClarification,
    RequestCoordination,
    StartVerification,
    TransferOfficer,
    UpdateResult,
)
from domain.actors import Actor
from tests.integration.conftest import ADMIN as ADMINISTRATOR
from tests.integration.conftest import Api, World, photo

OK = "2xx"
ANON, CIT, CIT2 = "anonymous", "citizen (own)", "citizen (other)"
RECV, RECV2 = "receiving officer (own unit)", "receiving officer (other unit)"
HAND, HAND2 = "handling officer (own unit)", "handling officer (other unit)"
HEAD, HEAD2 = "unit head (own unit)", "unit head (other unit)"
CENTRE, INSP, ADMIN = "service centre officer", "inspector", "administrator"
CITY_INSP = "city inspectorate"
PRINCIPALS = (ANON, CIT, CIT2, RECV, RECV2, HAND, HAND2, HEAD, HEAD2, CENTRE, INSP, CITY_INSP,
              ADMIN)
STAFF = (RECV, RECV2, HAND, HAND2, HEAD, HEAD2, CENTRE, INSP)

# Who sees a report of the district: before its assignment, once assigned to the division,
# and once the other district coordinates on it.
SEES_RECEIVED = {CIT, RECV, HEAD, CENTRE, INSP}
SEES_ASSIGNED = SEES_RECEIVED | {HAND}
SEES_COORDINATED = SEES_ASSIGNED | {RECV2, HAND2, HEAD2}

Expected = dict[str, str | int]


def everyone() -> Expected:
    return dict.fromkeys(PRINCIPALS, OK)


def only(*allowed: str) -> Expected:
    """A role guard: the ``allowed`` roles pass, the others are refused (403)."""
    return {p: 401 if p == ANON else OK if p in allowed else 403 for p in PRINCIPALS}


def on_report(allowed: Iterable[str], sees: set[str]) -> Expected:
    """A report's command or page: invisible to whom it does not concern (404); refused by the
    rules to whom it concerns but who may not act (403); administrators never work reports."""
    allowed = set(allowed)
    return {p: 401 if p == ANON else 403 if p in (ADMIN, CITY_INSP) else OK if p in allowed
            else 403 if p in sees else 404 for p in PRINCIPALS}


def reads_report(sees: set[str]) -> Expected:
    """A report's page: as :func:`on_report`, but a field report does not exist for the city
    inspectorate (404), which reads waste-behaviour reports only (Điều 24)."""
    return {**on_report(sees, sees), CITY_INSP: 404}


def staff_on_report(sees: set[str]) -> Expected:
    """A staff page of a report: citizens and administrators may not use it (403); staff see
    it where the report concerns them, else it does not exist (404)."""
    return {p: 401 if p == ANON else 403 if p in (CIT, CIT2, ADMIN, CITY_INSP) else OK
            if p in sees else 404 for p in PRINCIPALS}


def on_alert(allowed: Iterable[str]) -> Expected:
    """An alert of the district: invisible to staff of other units (404); refused to those who
    see it but may not act, and to citizens and administrators (403)."""
    allowed = set(allowed)
    return {p: 401 if p == ANON else OK if p in allowed
            else 403 if p in (RECV, HEAD, CENTRE, INSP, CIT, CIT2, ADMIN, CITY_INSP) else 404
            for p in PRINCIPALS}


def unit_scoped(guard: Expected, own: Iterable[str]) -> Expected:
    """A query naming the district: past the role guard, only its staff and the city-wide
    roles; the others are asking about another unit (404)."""
    own = set(own) | {CENTRE, INSP, CITY_INSP}
    return {p: v if v != OK or p in own else 404 for p, v in guard.items()}


@dataclass(frozen=True)
class Case:
    """One request of the matrix: ``{target}`` in the path is made by ``make`` (fresh for each
    role expected to succeed); other ``{names}`` in the path and body are the scene's ids."""

    path: str
    expected: Expected
    make: str | None = None
    body: dict[str, Any] | None = None
    form: dict[str, Any] | None = None
    upload: bool = False  # a photo as multipart field "file"


STAFF_READ = only(*STAFF)
QUEUE = only(RECV, RECV2, HAND, HAND2, HEAD, HEAD2, CENTRE)
AUDIT = only(RECV, RECV2, HEAD, HEAD2, CENTRE, INSP, CITY_INSP)
ADMIN_ONLY = only(ADMIN)
ADOPTION = only(*STAFF, ADMIN)
# The service centre distributes reports to units (Điều 7.2, 9), not to their officers.
OFFICERS = {p: v if v != OK or p in (RECV, HAND, HEAD, INSP, ADMIN) else 404
            for p, v in only(RECV, RECV2, HAND, HAND2, HEAD, HEAD2, CENTRE, INSP, ADMIN).items()}
#: An attachment's original: its uploader (the division's officer) and the staff who see the
#: published report it is the evidence of; citizens read the public copy, administrators
#: never work reports (403).
ORIGINAL = {**{p: 401 if p == ANON else OK if p in SEES_ASSIGNED - {CIT} else 404
               for p in PRINCIPALS}, ADMIN: 403}
RESULT = {"text": "Đã vá xong ổ gà, mặt đường an toàn", "evidence": []}
ALERT_CONTENT = {"severity": "medium", "title": "Cắt điện khu vực Hàng Bài",
                 "body": "Cắt điện từ 8 giờ đến 12 giờ để sửa chữa lưới điện.",
                 "valid_from": "2026-03-02T09:00:00+07:00",
                 "valid_until": "2026-03-04T17:00:00+07:00"}
OPEN311 = {"service_code": "field.environment", "lat": "21.03", "long": "105.85",
           "description": "Rác thải đổ trộm bên hồ Hoàn Kiếm", "address_string": "Hồ Hoàn Kiếm"}
REPORT = {"kind": "field", "category": "traffic", "text": "Đèn tín hiệu hỏng ở ngã tư Tràng Thi",
          "latitude": 21.027, "longitude": 105.846, "address": "Ngã tư Tràng Thi",
          "receiving_unit_id": "{district}"}

MATRIX: dict[tuple[str, str], list[Case]] = {
    # operations and public pages: no login
    ("GET", "/healthz"): [Case("/healthz", everyone())],
    ("GET", "/readyz"): [Case("/readyz", everyone())],
    ("GET", "/metrics"): [Case("/metrics", everyone())],
    # the public web pages (issue 13.1); `/` leads to them
    ("GET", "/"): [Case("/", everyone())],
    ("GET", "/cong-khai/"): [Case("/cong-khai/", everyone())],
    ("GET", "/cong-khai/xep-hang"): [Case("/cong-khai/xep-hang?thang=2026-03", everyone())],
    ("GET", "/cong-khai/xep-hang/giai-thich"): [Case(
        "/cong-khai/xep-hang/giai-thich?thang=2026-03&don-vi={district}&so-lieu=received",
        everyone())],
    ("GET", "/cong-khai/thong-ke"): [Case("/cong-khai/thong-ke?thang=2026-03", everyone())],
    ("GET", "/cong-khai/ket-qua"): [Case("/cong-khai/ket-qua", everyone())],
    ("GET", "/cong-khai/ket-qua/{report_id}"): [
        Case("/cong-khai/ket-qua/{published}", everyone())],
    ("GET", "/cong-khai/canh-bao"): [Case("/cong-khai/canh-bao?khu-vuc={ward}",
                                          everyone())],
    ("GET", "/public/results"): [Case("/public/results", everyone())],
    ("GET", "/public/results/{report_id}"): [Case("/public/results/{published}", everyone())],
    ("GET", "/public/rankings"): [Case("/public/rankings?month=2026-03", everyone())],
    ("GET", "/public/statistics"): [Case("/public/statistics?month=2026-03", everyone())],
    # exports (issue 13): as their JSON twins
    ("GET", "/public/rankings.csv"): [Case("/public/rankings.csv?month=2026-03", everyone())],
    ("GET", "/public/rankings.xlsx"): [Case("/public/rankings.xlsx?month=2026-03",
                                            everyone())],
    ("GET", "/public/statistics.csv"): [Case("/public/statistics.csv?month=2026-03",
                                             everyone())],
    ("GET", "/public/statistics.xlsx"): [Case("/public/statistics.xlsx?month=2026-03",
                                              everyone())],
    ("GET", "/public/statistics/published"): [Case("/public/statistics/published?month=2026-03",
                                                   everyone())],
    ("GET", "/public/repeat-dissatisfaction"): [Case(
        "/public/repeat-dissatisfaction?month=2026-03", everyone())],
    ("GET", "/public/units/{unit_id}"): [Case("/public/units/{district}", everyone())],
    ("GET", "/public/policy"): [Case("/public/policy", everyone())],
    ("GET", "/public/reports/{report_id}/timeline"): [
        Case("/public/reports/{published}/timeline", everyone()),
        Case("/public/reports/{assigned}/timeline", everyone())],
    ("GET", "/public/units"): [Case("/public/units", everyone()),
                               Case("/public/units?level=commune&parent_id={district}",
                                    everyone())],
    ("GET", "/public/categories"): [Case("/public/categories", everyone()),
                                    Case("/public/categories?kind=field", everyone())],
    ("GET", "/open311/v2/services.json"): [Case("/open311/v2/services.json", everyone())],
    ("GET", "/open311/v2/services/{service_code}.json"): [
        Case("/open311/v2/services/field.traffic.json", everyone())],
    ("GET", "/open311/v2/requests.json"): [Case("/open311/v2/requests.json", everyone())],
    ("GET", "/open311/v2/requests/{service_request_id}.json"): [
        Case("/open311/v2/requests/{published}.json", everyone())],
    # GeoReport v2's XML twins, discovery and tokens (issue 14)
    ("GET", "/open311/v2/services.xml"): [Case("/open311/v2/services.xml", everyone())],
    ("GET", "/open311/v2/services/{service_code}.xml"): [
        Case("/open311/v2/services/field.traffic.xml", everyone())],
    ("GET", "/open311/v2/requests.xml"): [Case("/open311/v2/requests.xml", everyone())],
    ("GET", "/open311/v2/requests/{service_request_id}.xml"): [
        Case("/open311/v2/requests/{published}.xml", everyone())],
    ("GET", "/open311/v2/discovery.json"): [Case("/open311/v2/discovery.json", everyone())],
    ("GET", "/open311/v2/discovery.xml"): [Case("/open311/v2/discovery.xml", everyone())],
    ("GET", "/open311/v2/tokens/{token}.json"): [
        Case("/open311/v2/tokens/{published}.json", everyone())],
    ("GET", "/open311/v2/tokens/{token}.xml"): [
        Case("/open311/v2/tokens/{published}.xml", everyone())],
    # citizens (Điều 5, 13)
    ("POST", "/reporters"): [Case("/reporters", everyone(),
                                  body={"name": "Ngô Thị Mai", "phone": "0987654321",
                                        "email": "mai@example.vn",
                                        "national_id": "001099054321"})],
    ("POST", "/reports"): [
        Case("/reports", only(CIT, CIT2), body=REPORT),
        # A re-report (Điều 18.4) of one's own earlier report only; another's does not exist.
        Case("/reports", {**only(CIT, CIT2), CIT2: 404},
             body={**REPORT, "re_report_of": "{published}"})],
    # GeoReport v2: without an api_key, a citizen's own token; no credentials at all is the
    # spec's 403 (a partner's api_key: tests/integration/test_api_open311.py).
    ("POST", "/open311/v2/requests.json"): [Case("/open311/v2/requests.json",
                                                 {**only(CIT, CIT2), ANON: 403}, form=OPEN311)],
    ("POST", "/open311/v2/requests.xml"): [Case("/open311/v2/requests.xml",
                                                {**only(CIT, CIT2), ANON: 403}, form=OPEN311)],
    ("POST", "/reports/{report_id}/clarifications"): [Case(
        "/reports/{target}/clarifications", on_report({CIT}, SEES_ASSIGNED), "published",
        {"question": "Xin cho biết khi nào hoàn thành việc sửa chữa?"})],
    ("POST", "/reports/{report_id}/rating"): [Case(
        "/reports/{target}/rating", on_report({CIT}, SEES_ASSIGNED), "published",
        {"rating": "satisfied", "comment": "Cảm ơn"})],
    ("GET", "/me/reports"): [Case("/me/reports", only(CIT, CIT2))],
    ("POST", "/me/identity"): [Case("/me/identity", only(CIT, CIT2),
                                    body={"email": "moi@example.vn"})],
    # notifications (issue 11.5): one's own home ward (Điều 17) and channels
    ("PUT", "/me/home-ward"): [Case("/me/home-ward", only(CIT, CIT2), body={"ward_id": "{ward}"})],
    ("PUT", "/me/notification-preferences"): [Case(
        "/me/notification-preferences", only(CIT, CIT2, RECV, RECV2, HAND, HAND2, HEAD, HEAD2,
                                              CENTRE),
        body={"channels": ["webhook"], "webhook_url": "https://hooks.example.vn/ihanoi"})],
    ("GET", "/reporters/{reporter_id}/lock"): [Case("/reporters/{reporter}/lock",
                                                    {**only(CIT, CIT2, INSP, ADMIN), CIT2: 404})],
    # reception (Điều 7, 27.2)
    ("POST", "/reports/{report_id}/verification"): [Case(
        "/reports/{target}/verification", on_report({RECV, HEAD}, SEES_RECEIVED), "received")],
    ("POST", "/reports/{report_id}/verification/outcome"): [Case(
        "/reports/{target}/verification/outcome", on_report({RECV, HEAD}, SEES_RECEIVED),
        "verifying", {"passed": True, "note": "Đã xác minh tại hiện trường"})],
    ("POST", "/reports/{report_id}/rejection"): [Case(
        "/reports/{target}/rejection", on_report({RECV, HEAD}, SEES_RECEIVED), "received",
        {"reason": "a", "note": "Thiếu vị trí cụ thể"})],
    ("POST", "/reports/{report_id}/escalation"): [Case(
        "/reports/{target}/escalation", on_report({RECV, HEAD}, SEES_RECEIVED), "received",
        {"to_unit_id": "{city}", "why": "Vượt thẩm quyền của quận"}),
        # Điều 5.9: a district passes a report in a department's field to that department.
        Case("/reports/{target}/escalation", on_report({RECV, HEAD}, SEES_RECEIVED), "received",
             {"to_unit_id": "{department}", "why": "Thuộc lĩnh vực của Sở Xây dựng"})],
    ("POST", "/reports/{report_id}/acceptance"): [
        Case("/reports/{target}/acceptance", on_report({RECV, HEAD}, SEES_RECEIVED), "received",
             {}),
        # Điều 8.2.a: coordinating units named with the acceptance, by the lead unit's head.
        Case("/reports/{target}/acceptance", on_report({HEAD}, SEES_RECEIVED), "received",
             {"coordinating_unit_ids": ["{other_district}"]})],
    ("POST", "/reports/{report_id}/violation"): [Case(
        "/reports/{target}/violation", on_report({RECV, HEAD}, SEES_RECEIVED), "received",
        {"note": "Ảnh lấy từ internet"})],
    # handling (Điều 8, 9, 12, 13)
    ("POST", "/reports/{report_id}/classification"): [Case(
        "/reports/{target}/classification", on_report({HEAD}, SEES_RECEIVED), "accepted",
        {"urgency": "normal"})],
    ("POST", "/reports/{report_id}/assignment"): [Case(
        "/reports/{target}/assignment", on_report({HEAD}, SEES_RECEIVED), "classified",
        {"department_id": "{division}", "officer_id": "{officer}"})],
    # Điều 8.1.b–c: the district head coordinates to its commune, whose leader (not one of the
    # matrix's principals: tests/integration/test_api_routing.py) assigns the officer.
    ("POST", "/reports/{report_id}/commune"): [Case(
        "/reports/{target}/commune", on_report({HEAD}, SEES_RECEIVED), "classified",
        {"commune_id": "{ward}"})],
    ("POST", "/reports/{report_id}/commune/assignment"): [Case(
        "/reports/{target}/commune/assignment", on_report(set(), SEES_RECEIVED), "communed",
        {"officer_id": "{ward_officer}"})],
    ("POST", "/reports/{report_id}/reassignment"): [Case(
        "/reports/{target}/reassignment", on_report({HEAD}, SEES_ASSIGNED), "handling",
        {"department_id": "{division}", "officer_id": "{division_officer}",
         "reason": "Cán bộ được điều động"})],
    ("POST", "/reports/{report_id}/coordination"): [Case(
        "/reports/{target}/coordination", on_report({HEAD}, SEES_ASSIGNED), "complex",
        {"unit_ids": ["{other_district}"]})],
    ("POST", "/reports/{report_id}/contributions"): [Case(
        "/reports/{target}/contributions", on_report({RECV2, HAND2, HEAD2}, SEES_COORDINATED),
        "coordinated", {"text": "Ý kiến phối hợp của quận Ba Đình", "evidence": []})],
    ("POST", "/reports/{report_id}/extension"): [Case(
        "/reports/{target}/extension", on_report({HEAD}, SEES_ASSIGNED), "complex",
        {"working_days": 5, "reason": "Phải lấy ý kiến thẩm định theo luật"})],
    ("POST", "/reports/{report_id}/result"): [Case(
        "/reports/{target}/result", on_report({HAND}, SEES_ASSIGNED), "handling", RESULT)],
    ("POST", "/reports/{report_id}/result/return"): [Case(
        "/reports/{target}/result/return", on_report({HEAD}, SEES_ASSIGNED), "proposed",
        {"reason": "Thiếu ảnh sau khi sửa"})],
    ("POST", "/reports/{report_id}/result/approval"): [Case(
        "/reports/{target}/result/approval", on_report({HEAD}, SEES_ASSIGNED), "proposed")],
    ("POST", "/reports/{report_id}/result/update"): [Case(
        "/reports/{target}/result/update", on_report({HAND}, SEES_ASSIGNED), "approved",
        {"evidence": ["{evidence}"]})],
    ("POST", "/reports/{report_id}/publication"): [Case(
        "/reports/{target}/publication", on_report({HEAD}, SEES_ASSIGNED), "updated")],
    ("POST", "/reports/{report_id}/initiative-answer"): [Case(
        "/reports/{target}/initiative-answer", on_report({HEAD}, SEES_RECEIVED), "initiative",
        {"text": "Cảm ơn sáng kiến, quận sẽ nghiên cứu áp dụng", "evidence": []})],
    ("POST", "/reports/{report_id}/clarifications/answer"): [Case(
        "/reports/{target}/clarifications/answer", on_report({HEAD, HAND}, SEES_ASSIGNED),
        "clarifying", {"answer": "Việc sửa chữa hoàn thành trong tuần này"})],
    # attachments (Điều 5.2, 12.2): anyone who may act uploads; the original for its uploader
    # and the staff who see a report referencing it; the public copy of a published result's
    # evidence for everyone (Điều 14.1: without EXIF)
    ("POST", "/attachments"): [Case("/attachments", {**only(
        CIT, CIT2, RECV, RECV2, HAND, HAND2, HEAD, HEAD2, CENTRE, ADMIN)}, upload=True)],
    ("GET", "/attachments/{attachment_id}"): [Case("/attachments/{evidence}", ORIGINAL)],
    ("GET", "/attachments/{attachment_id}/thumbnail"): [Case(
        "/attachments/{evidence}/thumbnail", ORIGINAL)],
    ("GET", "/public/attachments/{attachment_id}"): [Case("/public/attachments/{evidence}",
                                                          everyone())],
    ("GET", "/public/attachments/{attachment_id}/thumbnail"): [Case(
        "/public/attachments/{evidence}/thumbnail", everyone())],
    # matters and duplicates (Điều 6.2.c, 18.4): the other report named must be visible too
    ("POST", "/reports/{report_id}/matter"): [Case(
        "/reports/{target}/matter", on_report({RECV, HEAD}, SEES_RECEIVED), "received",
        {"earlier_report_id": "{published}"})],
    ("POST", "/reports/{report_id}/duplicate"): [Case(
        "/reports/{target}/duplicate", on_report({RECV, HEAD}, SEES_RECEIVED), "received",
        {"original_id": "{assigned}"})],
    ("POST", "/reports/{report_id}/duplicate/reversal"): [Case(
        "/reports/{target}/duplicate/reversal", on_report({HEAD}, SEES_RECEIVED), "duplicate",
        {"reason": "Khác vị trí, không trùng vụ việc"})],
    ("GET", "/reports/{report_id}/matter"): [Case("/reports/{assigned}/matter",
                                                  reads_report(SEES_ASSIGNED))],
    ("GET", "/reports/{report_id}/duplicate-candidates"): [Case(
        "/reports/{assigned}/duplicate-candidates?radius_m=300&days=10",
        staff_on_report(SEES_ASSIGNED - {CIT}))],
    # moderation (Điều 4.4, 14.1): the responsible unit's head
    ("POST", "/reports/{report_id}/hiding"): [Case(
        "/reports/{target}/hiding", on_report({HEAD}, SEES_RECEIVED), "received",
        {"target": "report", "reason": "Nội dung xúc phạm cá nhân"})],
    ("POST", "/reports/{report_id}/redaction"): [Case(
        "/reports/{target}/redaction", on_report({HEAD}, SEES_RECEIVED), "received",
        {"field": "text", "redacted": "Ổ gà lớn trước nhà [đã ẩn]", "reason": "Họ tên"})],
    # alerts (Chương III, Điều 15–17): city, district and commune units
    # (the service centre, a city-level author, drafts last: its content then binds districts)
    ("POST", "/alerts"): [Case("/alerts", only(RECV, RECV2, HAND2, HEAD, HEAD2, CENTRE),
                               body={**ALERT_CONTENT, "category": "warning"})],
    ("POST", "/alerts/{alert_id}/edit"): [Case("/alerts/{target}/edit", on_alert({RECV, HEAD}),
                                               "alert", {**ALERT_CONTENT,
                                                         "title": "Cắt điện phố Hàng Bài"})],
    ("POST", "/alerts/{alert_id}/approval"): [Case("/alerts/{target}/approval",
                                                   on_alert({HEAD}), "alert")],
    ("POST", "/alerts/{alert_id}/sending"): [Case("/alerts/{target}/sending",
                                                  on_alert({RECV, HEAD}), "approved alert")],
    ("GET", "/alerts/{alert_id}"): [Case("/alerts/{alert}", on_alert({RECV, HEAD, CENTRE,
                                                                      INSP}))],
    ("GET", "/alerts/cadence"): [Case("/alerts/cadence", only(HEAD, HEAD2, CENTRE, INSP))],
    ("GET", "/public/alerts"): [Case("/public/alerts?area_unit_id={ward}", everyone())],
    # directory (Điều 25, 28.1)
    ("POST", "/units"): [Case("/units", ADMIN_ONLY, body={
        "name": "Phòng Tài nguyên và Môi trường", "level": "division",
        "parent_id": "{district}"})],
    ("POST", "/units/{unit_id}/name"): [Case("/units/{target}/name", ADMIN_ONLY, "unit",
                                             {"name": "Phòng Kinh tế"})],
    ("POST", "/units/{unit_id}/parent"): [Case("/units/{target}/parent", ADMIN_ONLY, "unit",
                                               {"parent_id": "{other_district}"})],
    ("POST", "/units/{unit_id}/merger"): [Case("/units/{target}/merger", ADMIN_ONLY, "unit",
                                               {"into_id": "{division}"})],
    ("POST", "/units/{unit_id}/dissolution"): [Case("/units/{target}/dissolution", ADMIN_ONLY,
                                                    "unit")],
    ("POST", "/officers"): [Case("/officers", ADMIN_ONLY, body={
        "name": "Bùi Văn Khoa", "unit_id": "{district}", "role": "receiving_officer"})],
    ("POST", "/officers/{officer_id}/transfer"): [Case(
        "/officers/{target}/transfer", ADMIN_ONLY, "officer",
        {"unit_id": "{other_district}", "role": "handling_officer"})],
    ("POST", "/officers/{officer_id}/dismissal"): [Case(
        "/officers/{target}/dismissal", ADMIN_ONLY, "officer")],
    # Open311 partner applications' api keys (Điều 28.1)
    ("GET", "/partner-applications"): [Case("/partner-applications", ADMIN_ONLY)],
    ("POST", "/partner-applications"): [Case("/partner-applications", ADMIN_ONLY,
                                             body={"name": "Ứng dụng Hà Nội Xanh"})],
    ("POST", "/partner-applications/{partner_id}/revocation"): [Case(
        "/partner-applications/{target}/revocation", ADMIN_ONLY, "partner")],
    # staff reads, scoped to the unit (Điều 18, 22)
    # Điều 8.1: a unit's officers, for its staff and those of the units above it (the
    # district's for its division), inspectors and administrators; no one else's unit.
    ("GET", "/units/{unit_id}/officers"): [
        Case("/units/{district}/officers", {**OFFICERS, HAND: 404}),
        Case("/units/{division}/officers?role=handling_officer", OFFICERS)],
    ("GET", "/reports"): [Case("/reports", only(*STAFF, CITY_INSP))],
    ("GET", "/reports/{report_id}"): [Case("/reports/{assigned}",
                                           reads_report(SEES_ASSIGNED))],
    ("GET", "/overdue"): [Case("/overdue", STAFF_READ),
                          Case("/overdue?unit_id={district}", unit_scoped(STAFF_READ,
                                                                          {RECV, HEAD}))],
    ("GET", "/work-queue"): [Case("/work-queue", QUEUE),
                             Case("/work-queue?unit_id={district}", unit_scoped(QUEUE,
                                                                                {RECV, HEAD}))],
    ("GET", "/audit"): [Case("/audit", AUDIT),
                        Case("/audit?unit_id={district}", unit_scoped(AUDIT, {RECV, HEAD})),
                        # A report's whole history, for the staff it concerns (issue 11).
                        Case("/audit?report_id={assigned}", unit_scoped(AUDIT, {RECV, HEAD}))],
    ("GET", "/audit.csv"): [Case("/audit.csv", AUDIT),
                            Case("/audit.csv?unit_id={district}", unit_scoped(AUDIT,
                                                                              {RECV, HEAD})),
                            Case("/audit.csv?report_id={assigned}", unit_scoped(AUDIT,
                                                                                {RECV, HEAD}))],
    ("GET", "/audit.xlsx"): [Case("/audit.xlsx", AUDIT),
                             Case("/audit.xlsx?unit_id={district}", unit_scoped(AUDIT,
                                                                                {RECV, HEAD})),
                             Case("/audit.xlsx?report_id={assigned}", unit_scoped(AUDIT,
                                                                                  {RECV, HEAD}))],
    # Điều 22: the hash chain, for Home Affairs inspectors only.
    ("GET", "/audit/chain.csv"): [Case("/audit/chain.csv", only(INSP))],
    ("GET", "/explain/lateness"): [Case(
        "/explain/lateness?unit_id={district}&month=2026-03&figure=received",
        unit_scoped(STAFF_READ, {RECV, HEAD}))],
    ("GET", "/explain/statistics"): [Case(
        "/explain/statistics?unit_id={district}&month=2026-03&metric=received",
        unit_scoped(STAFF_READ, {RECV, HEAD}))],
    ("GET", "/explain/repeat-dissatisfaction"): [Case(
        "/explain/repeat-dissatisfaction?unit_id={district}&month=2026-03",
        unit_scoped(STAFF_READ, {RECV, HEAD}))],
    # periodic reports (Điều 18.3.b, 25.4; seed 000 Điều 2.4)
    ("GET", "/periodic-reports"): [
        Case("/periodic-reports?period=2026-Q1", STAFF_READ),
        Case("/periodic-reports?period=2026-03-01..2026-03-31&unit_id={district}",
             unit_scoped(STAFF_READ, {RECV, HEAD}))],
    ("GET", "/periodic-reports.csv"): [
        Case("/periodic-reports.csv?period=2026-Q1", STAFF_READ),
        Case("/periodic-reports.csv?period=2026&unit_id={district}",
             unit_scoped(STAFF_READ, {RECV, HEAD}))],
    ("GET", "/periodic-reports.xlsx"): [
        Case("/periodic-reports.xlsx?period=2026-Q1", STAFF_READ),
        Case("/periodic-reports.xlsx?period=2026&unit_id={district}",
             unit_scoped(STAFF_READ, {RECV, HEAD}))],
    ("GET", "/periodic-reports/explain"): [Case(
        "/periodic-reports/explain?period=2026&unit_id={district}&metric=received",
        unit_scoped(STAFF_READ, {RECV, HEAD}))],
    ("GET", "/periodic-reports/heads"): [
        Case("/periodic-reports/heads?month=2026-03", STAFF_READ),
        Case("/periodic-reports/heads?month=2026-03&unit_id={district}",
             unit_scoped(STAFF_READ, {RECV, HEAD}))],
    # the adoption-progress form (seeds 001, 003): a unit's own officers and head, or an
    # administrator, enter its figures; staff read their part of the tree, the service centre,
    # inspectors and administrators all of it
    ("POST", "/units/{unit_id}/adoption-progress"): [Case(
        "/units/{district}/adoption-progress", only(RECV, HEAD, ADMIN),
        body={"round": 1, "staff_total": 40, "staff_installed": 38})],
    ("GET", "/adoption-progress"): [
        Case("/adoption-progress?round=1", ADOPTION),
        Case("/adoption-progress?round=1&unit_id={district}",
             unit_scoped(ADOPTION, {RECV, HEAD, ADMIN}))],
    ("GET", "/adoption-progress.xlsx"): [
        Case("/adoption-progress.xlsx?round=2", ADOPTION),
        Case("/adoption-progress.xlsx?round=2&unit_id={district}",
             unit_scoped(ADOPTION, {RECV, HEAD, ADMIN}))],
}


@dataclass
class Scene:
    """The world's actors as principals, makers of reports, units, officers and alerts in the
    state a command needs, and March 2026's statistics published."""

    world: World
    actors: dict[str, Actor | None] = field(default_factory=dict)
    ids: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        w = self.world
        other_reporter = w.app.handle(RegisterReporter(
            "Lý Văn Sơn", phone="0911222333", email="son@example.vn",
            national_id="001099222333")).aggregate_id
        self.actors = {
            ANON: None, CIT: w.citizen, CIT2: w.app.citizen_actor(other_reporter),
            RECV: w.receiver, RECV2: w.staff("Đinh Thị Hà", w.other_district,
                                             "receiving_officer")[1],
            HAND: w.officer, HAND2: w.staff("Mai Văn Phúc", w.other_district,
                                            "handling_officer")[1],
            HEAD: w.head, HEAD2: w.other_head, CENTRE: w.centre_receiver,
            INSP: w.staff("Trịnh Văn Quang", w.city, "inspector")[1],
            CITY_INSP: w.staff("Phan Văn Thanh", w.unit("Thanh tra Thành phố", "department",
                                                         w.city), "city_inspector")[1],
            ADMIN: w.staff("Quản trị hệ thống", w.city, "administrator")[1]}
        self.ids = {"district": str(w.district), "division": str(w.division),
                    "city": str(w.city), "other_district": str(w.other_district),
                    "department": str(w.department),
                    "ward": str(w.ward), "officer": str(w.officer_id),
                    "ward_officer": str(w.ward_officer_id),
                    "division_officer": str(w.staff("Lý Văn Nam", w.division,
                                                    "handling_officer")[0]),
                    "reporter": str(w.reporter_id), "published": self.make("published"),
                    "evidence": w.attachment(w.officer),
                    "assigned": self.make("handling"), "alert": self.make("alert")}
        self.make("with evidence")
        w.app.publish_monthly_statistics("2026-03", [])

    def make(self, state: str) -> str:
        """A new report (unit, officer) in ``state``."""
        w, app = self.world, self.world.app
        steps: dict[str, tuple[str | None, Callable[[UUID], object]]] = {
            "received": (None, lambda r: None),
            "verifying": ("received", lambda r: app.handle(StartVerification(r), w.receiver)),
            "accepted": ("received", lambda r: app.handle(Accept(r), w.receiver)),
            "classified": ("accepted", lambda r: app.handle(Classify(r, "normal"), w.head)),
            "communed": ("classified", lambda r: app.handle(CoordinateToCommune(r, w.ward),
                                                            w.head)),
            "handling": ("received", w.to_handling),
            "complex": ("received", lambda r: w.to_handling(r, "complex")),
            "coordinated": ("complex", lambda r: app.handle(
                RequestCoordination(r, [w.other_district]), w.head)),
            "proposed": ("handling", lambda r: app.handle(
                ProposeResult(r, RESULT["text"], RESULT["evidence"]), w.officer)),
            "approved": ("proposed", lambda r: app.handle(ApproveResult(r), w.head)),
            "updated": ("approved", lambda r: app.handle(
                UpdateResult(r, ["anh-sau-khi-sua.jpg"]), w.officer)),
            "published": ("received", w.to_published),
            "clarifying": ("published", lambda r: app.handle(
                RequestClarification(r, "Khi nào hoàn thành?"), w.citizen)),
            "duplicate": ("received", lambda r: app.handle(
                MarkDuplicate(r, UUID(self.ids["assigned"])), w.receiver)),
        }
        if state == "with evidence":
            report_id = w.submit()
            w.to_handling(report_id)
            evidence = [self.ids["evidence"]]
            app.handle(ProposeResult(report_id, RESULT["text"], evidence), w.officer)
            app.handle(ApproveResult(report_id), w.head)
            app.handle(UpdateResult(report_id, evidence), w.officer)
            app.handle(Publish(report_id), w.head)
            return str(report_id)
        if state == "partner":
            return str(app.handle(IssuePartnerKey("Ứng dụng đối tác", "0" * 64),
                                  ADMINISTRATOR).aggregate_id)
        if state == "unit":
            return str(w.unit("Phòng Văn hoá", "division", w.district))
        if state == "officer":
            return str(w.staff("Tạ Văn Tuấn", w.district, "handling_officer")[0])
        if state == "alert":
            now = app.now()
            return str(app.handle(
                DraftAlert(category="information", severity="low", title="Lịch thu gom rác",
                           body="Thu gom rác từ 18 giờ hằng ngày.", valid_from=now,
                           valid_until=now + timedelta(days=3)), w.head).aggregate_id)
        if state == "approved alert":
            alert_id = self.make("alert")
            app.handle(ApproveAlert(UUID(alert_id)), w.head)
            return alert_id
        if state == "initiative":
            report_id = w.submit(kind="capital_initiative", category="smart_city",
                                 receiving_unit_id=w.centre,  # Điều 9
                                 text="Đề xuất lắp cảm biến ngập cho các tuyến phố")
            app.handle(Accept(report_id, w.district), w.centre_receiver)
            return str(report_id)
        before, step = steps[state]
        report_id = UUID(self.make(before)) if before else w.submit()
        step(report_id)
        return str(report_id)


def _fill(value: Any, ids: dict[str, str]) -> Any:
    if isinstance(value, str):
        return value.format(**ids)
    if isinstance(value, list):
        return [_fill(v, ids) for v in value]
    if isinstance(value, dict):
        return {k: _fill(v, ids) for k, v in value.items()}
    return value


def _status_class(status: int) -> str | int:
    return OK if 200 <= status < 300 else status


def test_every_route_has_a_matrix_entry(api: Api) -> None:
    """Issue 5: a route added without deciding who may call it fails here."""
    routes = {(method, route.path) for route in iter_route_contexts(api.client.app.routes)
              if isinstance(route.original_route, APIRoute)
              and route.path not in ("/docs", "/openapi.json", "/redoc")
              for method in route.methods or ()}
    assert len(routes) > 50
    assert routes - set(MATRIX) == set(), "routes without a matrix entry"
    assert set(MATRIX) - routes == set(), "matrix entries for routes that no longer exist"
    for cases in MATRIX.values():
        for case in cases:
            assert set(case.expected) == set(PRINCIPALS), case.path


def test_every_route_answers_each_role_and_unit_as_the_matrix_says_dieu_22_25(
        api: Api) -> None:
    """Issue 5: allowed → 2xx; no token → 401; role refused → 403; another unit's or another
    citizen's report → 404 (never a leak); every refusal is problem+json (Open311's in
    GeoReport v2's form)."""
    scene = Scene(api.world)
    requests = []
    for (method, _), cases in MATRIX.items():
        for case in cases:
            shared = scene.make(case.make) if case.make else None
            # Refusals first, on the shared target: they must leave it as it was.
            for who in sorted(PRINCIPALS, key=lambda p: case.expected[p] == OK):
                target = scene.make(case.make) if case.make and case.expected[who] == OK \
                    else shared
                ids = {**scene.ids, "target": target or ""}
                requests.append((method, _fill(case.path, ids), who, case.expected[who],
                                 _fill(case.body, ids), _fill(case.form, ids), case.upload))
    api.sync()
    tokens = {who: api.token(actor) if actor else {} for who, actor in scene.actors.items()}
    wrong = []
    for method, path, who, expected, body, form, upload in requests:
        files = {"file": ("anh.jpg", photo(), "image/jpeg")} if upload else None
        response = api.client.request(method, path, headers=tokens[who], json=body, data=form,
                                      files=files)
        got = _status_class(response.status_code)
        if got != expected:
            wrong.append(f"{method} {path} as {who}: expected {expected}, got {got} "
                         f"{response.text[:160]}")
        elif got != OK and path.startswith("/open311/"):  # GeoReport v2's own error form
            assert response.headers["content-type"].startswith(
                ("text/xml", "application/json")), path
            assert f"{response.status_code}" in response.text, path
        elif got != OK:
            assert response.headers["content-type"].startswith("application/problem+json")
    assert not wrong, "\n".join(wrong)


def test_a_transferred_officers_old_token_no_longer_reads_dieu_25(api: Api) -> None:
    """Điều 25: an officer acts with his unit's rights only, as the directory holds them now."""
    w = api.world
    old = api.token(w.receiver)
    assert api.client.get("/reports", headers=old).status_code == 200
    w.app.handle(TransferOfficer(UUID(w.receiver.id), w.other_district, "receiving_officer"),
                 ADMINISTRATOR)
    refused = api.client.get("/reports", headers=old)
    assert refused.status_code == 401
    assert refused.headers["content-type"].startswith("application/problem+json")
