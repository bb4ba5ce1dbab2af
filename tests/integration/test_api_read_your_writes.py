"""Read your own writes over HTTP (issue 11 item 4): a command's answer carries the store
position after it (``X-Store-Position``) and the URL of what it wrote (``Location``); a query
given that position (``X-Min-Position`` or ``?min_position=``) waits, bounded, until the read
models have it, else 503 with ``Retry-After``. ``GET /reports/{id}`` carries the report's
version as its ETag, which commands take in ``If-Match`` (RFC 9110 §13.1.1: another version
is a 412, ``*`` matches any).

Each test runs with the projector in the API's process (woken by the projector itself) and
with a projector elsewhere (here another ``Projector`` in a thread: the API learns its
progress by LISTEN/NOTIFY only). No test sleeps: the reads right after the commands succeed
because they wait for the position.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any
from uuid import UUID

import pytest

from application.commands import Accept
from domain.report import Report
from ihanoi.simulation import Clock
from projections.engine import Projector
from projections.registry import READ_MODELS
from tests.integration.conftest import Api, World

BASE = "/open311/v2"
REPORT = {"kind": "field", "category": "environment",
          "text": "Nước thải tràn ra vỉa hè phố Hàng Bông", "latitude": 21.0301,
          "longitude": 105.8478, "address": "45 Hàng Bông"}
FORM = {"service_code": "field.environment", "lat": "21.0288", "long": "105.8525",
        "description": "Rác thải đổ trộm ở góc phố Lý Thái Tổ", "address_string": "Lý Thái Tổ"}


@pytest.fixture(params=["in_process", "elsewhere"])
def live(request: pytest.FixtureRequest, world: World, projector: Projector, database_url: str,
         fresh_schema: str) -> Iterator[Api]:
    """The API over a projector that follows the store by itself, as in production."""
    from fastapi.testclient import TestClient

    from api.app import create_app
    from projections.deployment import Deployment

    runtime = Deployment(url=database_url, schema=fresh_schema, app=world.app,
                         projector=projector)
    secret = "test-secret-of-32-bytes-or-more-" + fresh_schema
    stop, runner = threading.Event(), None
    if request.param == "elsewhere":
        elsewhere = Projector(world.app, database_url, READ_MODELS, schema=fresh_schema)
        runner = threading.Thread(target=elsewhere.run_forever, args=(stop,), daemon=True)
        runner.start()
    try:
        with TestClient(create_app(runtime, secret, follow=request.param == "in_process",
                                   read_wait=5.0), raise_server_exceptions=False) as client:
            live_api = Api(client, world, projector, secret)
            live_api.sync()  # the world's directory, before the test's own writes
            yield live_api
    finally:
        stop.set()
        if runner is not None:
            runner.join(timeout=10)


def _position(response: Any) -> int:
    assert 200 <= response.status_code < 300, response.text
    return int(response.headers["X-Store-Position"])


def _is_problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    return body


def test_a_submission_is_read_at_once_with_its_store_position(live: Api) -> None:
    """201 with Location and X-Store-Position, then a GET of the Location with that position
    answers 200 at once (no sleep), every time; a position passed as ``?min_position=`` too,
    and on a list. The submission's last event is its idempotency receipt, which no read
    model handles: the read models still reach its position."""
    w = live.world
    citizen, receiver = live.token(w.citizen), live.token(w.receiver)
    positions = []
    for attempt in range(5):
        created = live.client.post("/reports", json={**REPORT, "receiving_unit_id":
                                                     str(w.district)},
                                   headers={**citizen, "Idempotency-Key": f"ryw-{attempt}"})
        assert created.status_code == 201, created.text
        report_id = created.json()["id"]
        position = _position(created)
        assert created.headers["Location"] == f"/reports/{report_id}"
        read = live.client.get(created.headers["Location"],
                               headers={**receiver, "X-Min-Position": str(position)})
        assert read.status_code == 200, read.text
        assert (read.json()["report_id"], read.json()["status"]) == (report_id, "received")
        positions.append(position)
        mine = live.client.get("/me/reports", params={"min_position": position},
                               headers=citizen)
        assert report_id in [r["report_id"] for r in mine.json()["items"]]
    assert positions == sorted(positions) and len(set(positions)) == 5
    accepted = live.client.post(f"/reports/{report_id}/acceptance", json={}, headers=receiver)
    assert accepted.headers["Location"] == f"/reports/{report_id}"
    read = live.client.get(f"/reports/{report_id}", headers=receiver,
                           params={"min_position": _position(accepted)})
    assert (read.json()["status"], read.headers["ETag"]) == ("accepted", '"2"')


def test_a_replayed_command_answers_a_position_at_or_after_the_first(live: Api) -> None:
    """A retry (same Idempotency-Key) records nothing; its position is the store's head,
    which the first run's events are at or before."""
    w = live.world
    report_id = w.submit()
    headers = {**live.token(w.receiver), "Idempotency-Key": "accept-ryw"}
    first = live.client.post(f"/reports/{report_id}/acceptance", json={}, headers=headers)
    retry = live.client.post(f"/reports/{report_id}/acceptance", json={}, headers=headers)
    assert retry.json()["replayed"] is True
    assert _position(retry) >= _position(first)
    assert retry.headers["Location"] == f"/reports/{report_id}"


def test_a_position_beyond_the_store_waits_bounded_then_503_with_retry_after(live: Api
                                                                            ) -> None:
    """A position the store has not reached: the query waits the configured time, then
    answers 503 problem+json with Retry-After (header or query parameter, any query; Open311
    in GeoReport v2's error form)."""
    w = live.world
    live.client.app.state.read_wait = 0.3
    report_id = w.submit()
    beyond = (w.app.recorder.max_notification_id() or 0) + 1000
    staff = live.token(w.receiver)
    for path, headers, params in [
            (f"/reports/{report_id}", {**staff, "X-Min-Position": str(beyond)}, {}),
            ("/public/results", {}, {"min_position": beyond}),
            (f"{BASE}/requests.json", {}, {"min_position": beyond})]:
        began = time.monotonic()
        refused = live.client.get(path, headers=headers, params=params)
        waited = time.monotonic() - began
        assert refused.headers["Retry-After"] == "1"
        if path.startswith(BASE):
            assert refused.status_code == 503 and refused.json()[0]["code"] == 503
            assert str(beyond) in refused.json()[0]["description"]
        else:
            problem = _is_problem(refused, 503)
            assert (problem["min_position"], problem["type"].rsplit("/", 1)[-1]) == (
                beyond, "read-models-behind")
        assert 0.3 <= waited < 3, waited
    assert _is_problem(live.client.get("/public/results", params={"min_position": -1}), 422)


def test_the_etag_is_the_version_and_if_match_is_checked_rfc_9110_13_1_1(live: Api) -> None:
    """GET /reports/{id} carries ETag = the report's version; a command with that If-Match
    succeeds, with a stale one it is 412 naming RFC 9110 §13.1.1 and records nothing (a weak
    or malformed tag matches nothing: If-Match compares strongly); ``If-Match: *`` matches
    any version."""
    w = live.world
    report_id = w.submit()
    staff, head = live.token(w.receiver), live.token(w.head)
    position = w.app.recorder.max_notification_id()
    read = live.client.get(f"/reports/{report_id}", headers={**staff,
                                                             "X-Min-Position": str(position)})
    assert read.headers["ETag"] == '"1"' == f'"{read.json()["version"]}"'
    accepted = live.client.post(f"/reports/{report_id}/acceptance", json={},
                                headers={**staff, "If-Match": read.headers["ETag"]})
    assert accepted.status_code == 200 and accepted.headers["ETag"] == '"2"'
    before = w.app.recorder.max_notification_id()
    for stale in ('"1"', 'W/"2"', "2", "garbage"):
        refused = live.client.post(f"/reports/{report_id}/classification",
                                   json={"urgency": "normal"},
                                   headers={**head, "If-Match": stale})
        problem = _is_problem(refused, 412)
        assert problem["rule"] == "RFC 9110 §13.1.1", stale
        assert "X-Store-Position" not in refused.headers
    assert w.app.recorder.max_notification_id() == before
    classified = live.client.post(f"/reports/{report_id}/classification",
                                  json={"urgency": "normal"}, headers={**head, "If-Match": "*"})
    assert classified.status_code == 200 and classified.headers["ETag"] == '"3"'
    read = live.client.get(f"/reports/{report_id}", headers={
        **staff, "X-Min-Position": classified.headers["X-Store-Position"]})
    assert (read.headers["ETag"], read.json()["urgency"]) == ('"3"', "normal")


def test_a_passed_deadline_moves_the_etag_with_the_version(live: Api, clock: Clock) -> None:
    """A version recorded by the scheduler alone (a passed deadline: reception, 8 working
    hours, Điều 7) moves the ETag too, so an If-Match taken from a GET names the version the
    command checks."""
    w = live.world
    report_id = w.submit()
    clock.advance(days=3)
    assert w.app.record_deadlines_passed(report_id) >= 1
    version = w.app.load(report_id, Report, to_change=False).version
    staff = live.token(w.receiver)
    read = live.client.get(f"/reports/{report_id}", headers={
        **staff, "X-Min-Position": str(w.app.recorder.max_notification_id())})
    assert read.headers["ETag"] == f'"{version}"' and version >= 2
    accepted = live.client.post(f"/reports/{report_id}/acceptance", json={},
                                headers={**staff, "If-Match": read.headers["ETag"]})
    assert accepted.status_code == 200, accepted.text


def test_an_open311_request_is_read_at_once_with_its_position(live: Api) -> None:
    """POST requests.json answers 201 with Location (the request's URL) and the store
    position; a GET of it with that position finds it at once."""
    w = live.world
    created = live.client.post(f"{BASE}/requests.json", data=FORM,
                               headers=live.token(w.citizen))
    assert created.status_code == 201, created.text
    [answer] = created.json()
    request_id = answer["service_request_id"] or answer["token"]
    assert created.headers["Location"] == f"{BASE}/requests/{request_id}.json"
    [found] = live.client.get(created.headers["Location"], headers={
        "X-Min-Position": created.headers["X-Store-Position"]}).json()
    assert (found["service_request_id"], found["status"]) == (request_id, "open")
    w.app.handle(Accept(UUID(request_id)), w.centre_receiver)
    listed = live.client.get(f"{BASE}/requests.json", params={
        "service_request_id": request_id,
        "min_position": w.app.recorder.max_notification_id()}).json()
    assert listed[0]["status_notes"] == "Đã tiếp nhận, đang phân công xử lý"


def test_an_open311_request_is_read_right_after_its_post_without_a_position(
        live: Api) -> None:
    """Open311 clients know no X-Min-Position: the POST answers the service_request_id once
    the read models show the request (else a token), and a GET of it right after answers
    (a miss on a request the store holds waits, bounded, for the read models); so does
    GET tokens/{token}."""
    w = live.world
    for _ in range(3):
        created = live.client.post(f"{BASE}/requests.json", data=FORM,
                                   headers=live.token(w.citizen))
        assert created.status_code == 201, created.text
        [answer] = created.json()
        request_id = answer["service_request_id"] or answer["token"]
        [found] = live.client.get(f"{BASE}/requests/{request_id}.json").json()
        assert found["service_request_id"] == request_id
        [resolved] = live.client.get(f"{BASE}/tokens/{request_id}.json").json()
        assert resolved == {"service_request_id": request_id, "token": request_id}
