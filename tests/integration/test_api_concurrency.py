"""Retries and races over HTTP (issue 5): ``Idempotency-Key`` applies a retried command once;
``If-Match`` refuses a command on a report that changed since the caller read it (412, RFC 9110
§13.1.1)."""

from __future__ import annotations

import threading
from typing import Any

from application.commands import Accept, RegisterReporter
from domain.report import Report
from tests.integration.conftest import Api

REPORT = {"kind": "field", "category": "environment",
          "text": "Nước thải tràn ra vỉa hè phố Hàng Bông", "latitude": 21.0301,
          "longitude": 105.8478, "address": "45 Hàng Bông"}


def _events(api: Api) -> int:
    return api.world.app.recorder.max_notification_id() or 0


def _is_problem(response: Any, status: int) -> bool:
    return (response.status_code == status
            and response.headers["content-type"].startswith("application/problem+json"))


def test_a_retried_command_is_applied_once_and_says_replayed(api: Api) -> None:
    """Same Idempotency-Key twice: one event recorded, the retry answers ``replayed`` with
    the version the first produced."""
    w = api.world
    report_id = w.submit()
    headers = {**api.token(w.receiver), "Idempotency-Key": "accept-7f3a"}
    first = api.client.post(f"/reports/{report_id}/acceptance", json={}, headers=headers)
    assert first.status_code == 200 and first.json()["replayed"] is False
    before = _events(api)
    retry = api.client.post(f"/reports/{report_id}/acceptance", json={}, headers=headers)
    assert retry.status_code == 200, retry.text
    assert retry.json()["replayed"] is True
    assert retry.json()["version"] == first.json()["version"] == 2
    assert retry.headers["ETag"] == first.headers["ETag"] == '"2"'
    assert _events(api) == before
    assert w.app.load(report_id, Report).version == 2


def test_a_retried_submission_creates_one_report(api: Api) -> None:
    """POST /reports twice with one key: 201 then 200 ``replayed``, the same report id; a key
    belongs to its caller, so another citizen using the same key submits his own."""
    w = api.world
    citizen = {**api.token(w.citizen), "Idempotency-Key": "submit-1"}
    body = {**REPORT, "receiving_unit_id": str(w.district)}
    first = api.client.post("/reports", json=body, headers=citizen)
    before = _events(api)
    retry = api.client.post("/reports", json=body, headers=citizen)
    assert (first.status_code, retry.status_code) == (201, 200)
    assert retry.json()["id"] == first.json()["id"] and retry.json()["replayed"] is True
    assert _events(api) == before
    other = w.app.citizen_actor(w.app.handle(RegisterReporter(
        "Lý Văn Sơn", phone="0911222333", email="son@example.vn",
        national_id="001099222333")).aggregate_id)
    theirs = api.client.post("/reports", json=body,
                             headers={**api.token(other), "Idempotency-Key": "submit-1"})
    assert theirs.status_code == 201 and theirs.json()["id"] != first.json()["id"]


def test_a_key_reused_for_another_command_is_refused(api: Api) -> None:
    """A key names one command: sent with a different one, it is a 422 problem, not a
    silent replay of the first."""
    w = api.world
    report_id = w.submit()
    headers = {**api.token(w.receiver), "Idempotency-Key": "k-1"}
    assert api.client.post(f"/reports/{report_id}/verification",
                           headers=headers).status_code == 200
    reused = api.client.post(f"/reports/{report_id}/rejection", headers=headers,
                             json={"reason": "a", "note": "Thiếu vị trí"})
    assert _is_problem(reused, 422)
    assert reused.json()["type"].endswith("/idempotency-key-reused")


def test_a_stale_if_match_is_a_412_and_changes_nothing_rfc_9110_13_1_1(api: Api) -> None:
    """If-Match names the version the caller read; once someone else changed the report the
    command is refused with 412 problem+json and records nothing."""
    w = api.world
    report_id = w.submit()
    w.app.handle(Accept(report_id), w.receiver)  # version 2
    head = api.token(w.head)
    before = _events(api)
    for stale in ('"1"', "W/\"1\"", "not-a-version"):
        refused = api.client.post(f"/reports/{report_id}/classification",
                                  json={"urgency": "normal"},
                                  headers={**head, "If-Match": stale})
        assert _is_problem(refused, 412), (stale, refused.text)
    assert _events(api) == before
    fresh = api.client.post(f"/reports/{report_id}/classification", json={"urgency": "normal"},
                            headers={**head, "If-Match": '"2"'})
    assert fresh.status_code == 200 and fresh.headers["ETag"] == '"3"'


def _race(api: Api, requests: list[tuple[str, dict[str, Any], dict[str, str]]]) -> list[int]:
    """Send ``requests`` at the same instant from one thread each; their status codes."""
    barrier = threading.Barrier(len(requests))
    statuses: list[int] = [0] * len(requests)

    def send(i: int) -> None:
        path, body, headers = requests[i]
        barrier.wait()
        statuses[i] = api.client.post(path, json=body, headers=headers).status_code

    threads = [threading.Thread(target=send, args=(i,)) for i in range(len(requests))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return sorted(statuses)


def test_two_commands_with_the_same_if_match_one_wins_one_gets_412(api: Api) -> None:
    """Two heads' classifications sent at once on version 2: exactly one is applied; the
    other's If-Match no longer holds (412, whether it lost the check or the append)."""
    w = api.world
    for _ in range(3):
        report_id = w.submit()
        w.app.handle(Accept(report_id), w.receiver)
        headers = {**api.token(w.head), "If-Match": '"2"'}
        path = f"/reports/{report_id}/classification"
        statuses = _race(api, [(path, {"urgency": "normal"}, headers),
                               (path, {"urgency": "complex"}, headers)])
        assert statuses == [200, 412]
        assert w.app.load(report_id, Report).version == 3


def test_two_officers_accepting_at_once_one_wins_one_gets_409_dieu_7_2(api: Api) -> None:
    """Without If-Match too, a race never applies both: the loser gets a 409."""
    w = api.world
    report_id = w.submit()
    path = f"/reports/{report_id}/acceptance"
    statuses = _race(api, [(path, {}, api.token(w.receiver)), (path, {}, api.token(w.head))])
    assert statuses == [200, 409]
