"""The monthly report to the Chairman of the City People's Committee and to the Department of
Home Affairs (seed 000 Điều 2.2.c; Điều 18.4), queued in the notification outbox.

Seed 000 Điều 2.2.c: "Định kỳ ngày 25 hằng tháng thống kê tình hình tiếp nhận, xử lý các phản
ánh, kiến nghị ..., báo cáo Chủ tịch UBND Thành phố, đồng thời gửi Sở Nội vụ để phục vụ công
tác kiểm tra công vụ người đứng đầu các cơ quan, đơn vị". Điều 18.4: the centre proposes that
the Chairman remind and criticise the units flagged (over 30% late; a matter with 5 or more
"unsatisfied" ratings).

When the month's statistics are frozen (``MonthlyStatisticsPublished``, once per month by its
id), this handler of the ``notifications`` outbox feeder queues one message per recipient:
Vietnamese text (the month's totals, the units flagged under each rule) and a structured
``payload`` with every unit's frozen figures, the flags and the links to their explanations —
the API's ``/explain/...`` endpoints at ``as_of`` = the freeze instant, so they answer with the
figures as frozen — and to the publication. Links are paths of the API; a delivery channel
prefixes its public base URL.

**Exactly once per month and recipient**: the event exists once per month; the feeder applies
it once (its tracking position moves in the same transaction); the row's key
``authority-report:<month>:<recipient>`` is unique, so a second run, a replay or a second
node inserts nothing.

Unit names come from ``Unit`` events kept in ``notification_units`` (this feeder's own table;
it never reads another read model).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import psycopg

from domain.statistics import MonthlyStatistics
from domain.units import Unit
from projections.notifications import enqueue, local, model

#: Who receives the monthly report (recipient kind ``authority``), and how they are addressed.
RECIPIENTS = {
    "chairman_office": "Chủ tịch UBND Thành phố (qua Văn phòng UBND Thành phố)",
    "home_affairs": "Sở Nội vụ",
}
PURPOSE = {
    "chairman_office": "để Chủ tịch UBND Thành phố xem xét nhắc nhở, phê bình các cơ quan, "
                       "đơn vị theo Điều 18.4 Quy chế iHanoi",
    "home_affairs": "để phục vụ công tác kiểm tra công vụ người đứng đầu các cơ quan, đơn vị "
                    "(Điều 2.2.c, 2.4 Quyết định 3288/QĐ-UBND)",
}


@model.on(Unit.Created)
def _unit_created(cur: psycopg.Cursor[Any], e: Any, nid: int) -> None:
    cur.execute("INSERT INTO notification_units (unit_id, name) VALUES (%s, %s)"
                " ON CONFLICT (unit_id) DO UPDATE SET name = EXCLUDED.name",
                (e.originator_id, e.name))


@model.on(Unit.Renamed)
def _unit_renamed(cur: psycopg.Cursor[Any], e: Any, nid: int) -> None:
    cur.execute("UPDATE notification_units SET name = %s WHERE unit_id = %s",
                (e.name, e.originator_id))


def link(path: str, **query: Any) -> str:
    """An API path with its query string."""
    return f"{path}?{urlencode(query)}"


def report(month: str, figures: list[dict[str, Any]], names: dict[str, str],
           published_at: Any) -> dict[str, Any]:
    """The structured report of ``month``: every unit's frozen figures and flags, with the
    links explaining them."""
    units, late, repeated = [], [], []
    for entry in figures:
        unit_id, as_of = entry["unit_id"], entry["as_of"]
        name = names.get(unit_id)
        explain = {metric: link("/explain/statistics", unit_id=unit_id, month=month,
                                metric=metric, as_of=as_of)
                   for metric, value in entry["figures"].items() if value}
        lateness = entry.get("lateness")
        if lateness is not None:
            explain.update({f"lateness.{figure}": link(
                "/explain/lateness", unit_id=unit_id, month=month, figure=figure, as_of=as_of)
                for figure in ("received", "late_in_reception", "late_in_handling",
                               "reports_late") if lateness.get(figure)})
        repeat = entry.get("repeat_dissatisfaction") or {"flagged": False}
        if repeat.get("flagged"):
            explain["repeat_dissatisfaction"] = link(
                "/explain/repeat-dissatisfaction", unit_id=unit_id, month=month, as_of=as_of)
        units.append({"unit_id": unit_id, "unit_name": name, "figures": entry["figures"],
                      "lateness": lateness, "repeat_dissatisfaction": repeat,
                      "explain": explain})
        if lateness is not None and lateness.get("flagged"):
            late.append({"unit_id": unit_id, "unit_name": name,
                         "received": lateness["received"],
                         "reports_late": lateness["reports_late"],
                         "share_late": lateness["share_late"],
                         "explain": explain.get("lateness.reports_late")})
        if repeat.get("flagged"):
            repeated.append({"unit_id": unit_id, "unit_name": name,
                             "matters": repeat.get("matters", []),
                             "explain": explain["repeat_dissatisfaction"]})
    return {"type": "monthly_statistics_report", "month": month,
            "published_at": published_at.isoformat(),
            "as_of": figures[0]["as_of"] if figures else None,
            "links": {"publication": link("/public/statistics/published", month=month)},
            "flags": {"late_share_over_30_percent": late, "repeat_dissatisfaction": repeated},
            "units": units}


def text(recipient: str, payload: dict[str, Any], published_at: Any) -> tuple[str, str]:
    """The Vietnamese subject and body of the report to ``recipient``."""
    year, month = payload["month"].split("-")
    period = f"tháng {month}/{year}"
    units = payload["units"]
    total = {key: sum(u["figures"].get(key, 0) for u in units)
             for key in ("received", "published", "published_on_time", "rated_unsatisfied")}

    def named(unit: dict[str, Any]) -> str:
        return str(unit["unit_name"] or unit["unit_id"])

    late = payload["flags"]["late_share_over_30_percent"]
    repeated = payload["flags"]["repeat_dissatisfaction"]
    late_lines = [f"  + {named(u)}: {u['reports_late']}/{u['received']} phản ánh chậm trễ "
                  f"({float(u['share_late']) * 100:.1f}%); giải trình: {u['explain']}"
                  for u in late] or ["  + Không có."]
    repeat_lines = [f"  + {named(u)}: {len(u['matters'])} vụ việc "
                    f"({', '.join(str(m['unsatisfied_ratings']) for m in u['matters'])} lần "
                    f"không hài lòng); giải trình: {u['explain']}" for u in repeated] \
        or ["  + Không có."]
    subject = f"Báo cáo tình hình tiếp nhận, xử lý phản ánh, kiến nghị trên iHanoi {period}"
    opening = (f"Trung tâm Phục vụ hành chính công Thành phố báo cáo tình hình tiếp nhận, xử lý "
               f"phản ánh, kiến nghị của các cơ quan, đơn vị trên iHanoi {period} (số liệu chốt "
               f"lúc {local(published_at)}), {PURPOSE[recipient]}:")
    totals = (f"- {len(units)} cơ quan, đơn vị có số liệu; {total['received']} lượt tiếp nhận; "
              f"{total['published']} phản ánh đã công khai kết quả, trong đó "
              f"{total['published_on_time']} đúng hạn; {total['rated_unsatisfied']} đánh giá "
              f"không hài lòng.")
    late_heading = ("- Cơ quan, đơn vị có trên 30% phản ánh, kiến nghị trong tháng chậm trễ "
                    "trong tiếp nhận, xử lý (Điều 18.4):")
    repeat_heading = ("- Cơ quan, đơn vị xử lý chưa dứt điểm, để cá nhân, tổ chức phản ánh lặp "
                      "lại và đánh giá không hài lòng từ 5 lần trở lên (Điều 18.4):")
    details = ("Số liệu chi tiết từng đơn vị và sự kiện làm căn cứ: "
               f"{payload['links']['publication']}")
    body = "\n".join([f"Kính gửi: {RECIPIENTS[recipient]}.", "", opening, totals,
                      late_heading, *late_lines, repeat_heading, *repeat_lines, details])
    return subject, body


@model.on(MonthlyStatistics.MonthlyStatisticsPublished)
def _statistics_published(cur: psycopg.Cursor[Any], e: Any, nid: int) -> None:
    """Seed 000 Điều 2.2.c: the month's frozen statistics and flags to the Chairman and to
    Home Affairs, once each."""
    ids = [entry["unit_id"] for entry in e.figures]
    names = dict(cur.execute("SELECT unit_id::text, name FROM notification_units"
                             " WHERE unit_id = ANY(%s::uuid[])", (ids,)).fetchall())
    payload = report(e.month, e.figures, names, e.published_at)
    for recipient in RECIPIENTS:
        subject, body = text(recipient, payload, e.published_at)
        enqueue(cur, f"authority-report:{e.month}:{recipient}", ("authority", recipient),
                subject, body, e.at, payload={**payload, "recipient": recipient})
