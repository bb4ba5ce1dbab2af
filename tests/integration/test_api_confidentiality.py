"""Confidentiality of reporters (Điều 4.4, 5.7, 14.1): a confidential reporter's identity —
name, phone, e-mail, citizen id and account id — reaches only the reporter himself and the
units handling his report; any reporter's identity never reaches the public.

Each check searches the raw text of the response, so that no field, nested object or CSV
column can carry the identity unnoticed.
"""

from __future__ import annotations

import json
from typing import Any
from uuid import UUID

from application.commands import (
    AnswerClarification,
    ApproveResult,
    ProposeResult,
    Publish,
    Rate,
    RegisterReporter,
    RequestClarification,
    UpdateResult,
)
from domain.actors import Actor
from tests.integration.conftest import Api, Clock, World

SECRET = {"name": "Võ Thị Kín Đáo", "phone": "0933444555", "email": "kin.dao@example.vn",
          "national_id": "079088001234"}
PUBLIC_IDENTITY = {"name": "Phạm Thị Dung", "phone": "0912345678", "email": "dung@example.vn",
                   "national_id": "001099012345"}  # the world's reporter (not confidential)


def _found(text: str, identity: dict[str, str]) -> list[str]:
    """The parts of ``identity`` present in ``text`` (also as JSON \\u escapes)."""
    return [key for key, value in identity.items()
            if value in text or json.dumps(value)[1:-1] in text]


def _confidential_scene(api: Api, clock: Clock
                        ) -> tuple[World, Actor, dict[str, str], list[UUID]]:
    """The secret reporter's two confidential reports (one published, clarified and rated;
    one in handling and overdue) and a published non-confidential one of the world's
    reporter; the read side caught up."""
    w = api.world
    reporter_id = w.app.handle(RegisterReporter(**SECRET)).aggregate_id
    secret = w.app.citizen_actor(reporter_id)
    identity = {**SECRET, "reporter_id": str(reporter_id)}
    published = w.submit(reporter_id=reporter_id, confidential=True)
    w.to_published(published)
    w.app.handle(RequestClarification(published, "Xin cho biết thời gian hoàn thành?"), secret)
    w.app.handle(AnswerClarification(published, "Đã hoàn thành trong tuần"), w.head)
    w.app.handle(Rate(published, "satisfied", "Cảm ơn quận"), secret)
    in_handling = w.submit(reporter_id=reporter_id, confidential=True)
    w.to_handling(in_handling, "urgent")
    w.to_published(w.submit())
    clock.advance(days=3)
    api.sync()
    return w, secret, identity, [published, in_handling]


def _get(api: Api, path: str, actor: Actor | None = None) -> Any:
    response = api.client.get(path, headers=api.token(actor) if actor else {})
    assert response.status_code in (200, 404), (path, response.status_code, response.text)
    return response


def test_confidential_identity_reaches_no_one_but_the_reporter_and_handling_unit_dieu_5_7(
        api: Api, clock: Clock) -> None:
    """Điều 5.7: public pages, Open311, another unit's officer, the Home Affairs inspector and
    the service centre never get the identity, not even the reporter's account id."""
    w, _, identity, reports = _confidential_scene(api, clock)
    published, in_handling = reports
    outsider = w.staff("Đặng Văn Lực", w.other_district, "receiving_officer")[1]
    inspector = w.staff("Trịnh Văn Quang", w.city, "inspector")[1]
    month = "2026-03"
    public = ["/public/results", f"/public/results/{published}",
              f"/public/rankings?month={month}", f"/public/statistics?month={month}",
              f"/public/units/{w.district}", "/open311/v2/requests.json",
              f"/open311/v2/requests/{published}.json",
              f"/open311/v2/requests/{in_handling}.json",
              f"/open311/v2/requests.json?service_request_id={published},{in_handling}"]
    staff = ["/reports", "/reports?limit=200", f"/reports/{published}",
             f"/reports/{in_handling}", "/overdue", "/audit", "/audit.csv",
             f"/audit?report_id={published}", f"/audit.csv?report_id={published}",
             f"/explain/lateness?unit_id={w.district}&month={month}&figure=received",
             f"/explain/statistics?unit_id={w.district}&month={month}&metric=received"]
    seen = []
    for path in public:
        seen.append((None, path, _get(api, path)))
    for actor in (outsider, inspector, w.centre_receiver):
        for path in staff + ["/work-queue"] * (actor is not inspector):
            seen.append((actor, path, _get(api, path, actor)))
    leaks = [(actor.role if actor else "public", path, _found(r.text, identity))
             for actor, path, r in seen if _found(r.text, identity)]
    assert leaks == []
    # The pages did show the reports, just not who sent them.
    inspector_view = _get(api, f"/reports/{published}", inspector).json()
    assert inspector_view["confidential"] is True and inspector_view["reporter"] is None
    assert _get(api, f"/reports/{published}", outsider).status_code == 404
    audit = _get(api, f"/audit?report_id={published}", inspector).json()["items"]
    assert {"Submitted", "ClarificationRequested", "Rated"} <= {r["event_type"] for r in audit}


def test_confidential_identity_is_shown_to_the_reporter_and_the_handling_unit_dieu_5_7(
        api: Api, clock: Clock) -> None:
    """Điều 5.7: the reporter sees his own identity; the receiving and handling unit's
    officers (district head and receiver, the division's officer) see who reported."""
    w, secret, identity, reports = _confidential_scene(api, clock)
    published = reports[0]
    for actor in (secret, w.head, w.receiver, w.officer):
        response = _get(api, f"/reports/{published}", actor)
        assert response.status_code == 200
        assert sorted(_found(response.text, identity)) == sorted(identity), actor.role
        assert response.json()["reporter"]["name"] == SECRET["name"]
    mine = _get(api, "/me/reports", secret).json()["items"]
    assert {m["report_id"] for m in mine} == {str(r) for r in reports}
    assert _get(api, f"/reports/{published}", w.citizen).status_code == 404


def test_no_reporter_identity_is_ever_public_dieu_14_1(api: Api) -> None:
    """Điều 4.4, 14.1: published results and Open311 never carry a reporter's identity,
    confidential or not."""
    w = api.world
    published = w.submit()
    w.to_published(published)
    api.sync()
    identity = {**PUBLIC_IDENTITY, "reporter_id": str(w.reporter_id)}
    for path in ("/public/results", f"/public/results/{published}",
                 "/open311/v2/requests.json", f"/open311/v2/requests/{published}.json",
                 "/public/rankings?month=2026-03", "/public/statistics?month=2026-03"):
        response = _get(api, path)
        assert response.status_code == 200 and _found(response.text, identity) == [], path
    # Staff of the handling unit do see a non-confidential reporter.
    staff_view = _get(api, f"/reports/{published}", w.head).json()
    assert staff_view["reporter"]["phone"] == PUBLIC_IDENTITY["phone"]


def test_reporter_does_not_see_a_result_before_it_is_published_dieu_12_3(api: Api) -> None:
    """Điều 12.3: a proposed result is internal until the head approves its publication;
    the reporter's view of his report also leaves out the officers working it."""
    w = api.world
    report_id = w.submit()
    w.to_handling(report_id)
    w.app.handle(ProposeResult(report_id, "Đã vá xong ổ gà, mặt đường an toàn",
                               ["bien-ban.pdf"]), w.officer)
    api.sync()
    own = _get(api, f"/reports/{report_id}", w.citizen).json()
    assert own["status"] == "awaiting_approval"
    assert own["result_text"] is None and own["officer_id"] is None
    assert _get(api, f"/reports/{report_id}", w.head).json()["result_text"]
    w.app.handle(ApproveResult(report_id), w.head)
    w.app.handle(UpdateResult(report_id, ["anh-sau.jpg"]), w.officer)
    api.sync()
    assert _get(api, f"/reports/{report_id}", w.citizen).json()["result_text"] is None
    w.app.handle(Publish(report_id), w.head)
    api.sync()
    assert _get(api, f"/reports/{report_id}", w.citizen).json()["result_text"] == (
        "Đã vá xong ổ gà, mặt đường an toàn")
