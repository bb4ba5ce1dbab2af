"""Operations (issue 5; Điều 4.5 "available 24/7"): health, readiness, Prometheus metrics,
request ids and JSON logs, and errors that are problems, never stack traces or 5xx for bad
input."""

from __future__ import annotations

import io
import json
import logging
import re
from collections.abc import Iterator
from datetime import timedelta

import pytest

from api import operations, queries
from tests.integration.conftest import Api

PROBLEM = "application/problem+json"


def _metric(text: str, name: str, **labels: str) -> float:
    """The value of one sample of the Prometheus exposition ``text``."""
    wanted = ",".join(f'{k}="{v}"' for k, v in labels.items())
    pattern = re.escape(f"{name}{{{wanted}}}" if labels else name) + r" ([0-9.e+-]+)$"
    match = re.search(pattern, text, re.MULTILINE)
    assert match, f"no sample {name} {labels}"
    return float(match.group(1))


def test_health_answers_while_the_process_lives(api: Api) -> None:
    response = api.client.get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


def test_ready_only_while_the_read_models_are_within_the_lag_bound(
        api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    """/readyz: 200 caught up; 503 once the projections lag beyond READY_LAG events."""
    api.sync()
    assert api.client.get("/readyz").json() == {"status": "ready", "projection_lag": 0}
    monkeypatch.setattr(operations, "READY_LAG", 1)
    api.world.submit()
    api.world.submit()
    lagging = api.client.get("/readyz")
    assert lagging.status_code == 503
    assert lagging.json() == {"status": "lagging", "projection_lag": 2}
    api.sync()
    assert api.client.get("/readyz").status_code == 200


def test_metrics_expose_latency_commands_and_projection_lag(api: Api) -> None:
    """Prometheus: request latency by route, commands by route and outcome, and the lag."""
    w = api.world
    report_id = w.submit()
    path = f"/reports/{report_id}/acceptance"
    assert api.client.post(path, json={}, headers=api.token(w.receiver)).status_code == 200
    assert api.client.post(path, json={}, headers=api.token(w.receiver)).status_code == 409
    text = api.client.get("/metrics").text
    route = "/reports/{report_id}/acceptance"
    assert _metric(text, "ihanoi_commands_total", command=route, outcome="ok") == 1
    assert _metric(text, "ihanoi_commands_total", command=route, outcome="409") == 1
    assert _metric(text, "ihanoi_request_seconds_count", method="POST", route=route,
                   status="200") == 1
    assert _metric(text, "ihanoi_projection_lag_events") == api.projector.lag() > 0
    api.sync()
    assert _metric(api.client.get("/metrics").text, "ihanoi_projection_lag_events") == 0


def test_every_response_carries_a_request_id(api: Api) -> None:
    """X-Request-ID: echoed when the caller sends a well-formed one (else made up, so that
    no caller writes what he likes into our logs and headers) — on successes and on every
    kind of problem alike."""
    given = {"X-Request-ID": "trace-2026.03.02-42"}
    for method, path in (("GET", "/healthz"), ("GET", "/reports"), ("GET", "/nowhere"),
                         ("GET", "/public/rankings?month=13"), ("POST", "/units")):
        echoed = api.client.request(method, path, headers=given)
        assert echoed.headers["X-Request-ID"] == "trace-2026.03.02-42", path
        made = api.client.request(method, path)
        assert re.fullmatch(r"[0-9a-f]{32}", made.headers["X-Request-ID"]), path
    for forged in ("x" * 65, "<script>alert(1)</script>", "id with spaces"):
        answered = api.client.get("/healthz", headers={"X-Request-ID": forged})
        assert re.fullmatch(r"[0-9a-f]{32}", answered.headers["X-Request-ID"]), forged


@pytest.fixture
def json_logs() -> Iterator[io.StringIO]:
    """The JSON log configuration of a deployment, written to a buffer; undone after."""
    logger = logging.getLogger("ihanoi")
    saved = logger.handlers[:], logger.level, logger.propagate
    operations.configure_logging()
    buffer = io.StringIO()
    [handler] = logger.handlers
    assert isinstance(handler, logging.StreamHandler)
    handler.setStream(buffer)
    yield buffer
    logger.handlers[:] = saved[0]
    logger.setLevel(saved[1])
    logger.propagate = saved[2]


def test_logs_are_json_lines_carrying_the_request_id(api: Api, json_logs: io.StringIO) -> None:
    api.client.get("/public/policy", headers={"X-Request-ID": "trace-7"})
    records = [json.loads(line) for line in json_logs.getvalue().splitlines()]
    access = [r for r in records if r.get("message") == "request"]
    assert access and access[-1]["request_id"] == "trace-7"
    assert access[-1]["path"] == "/public/policy" and access[-1]["status"] == 200


def test_an_unexpected_failure_is_a_bare_500_problem_without_stack_trace(
        api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 5: no stack trace, exception text or code path reaches the client; the answer
    still carries its request id, for the log that has the details."""
    def broken(*args: object) -> None:
        raise RuntimeError("secret-internal-detail at /work/main/projections")

    monkeypatch.setattr(queries.public_results, "get", broken)
    response = api.client.get(f"/public/results/{api.world.district}",
                              headers={"X-Request-ID": "trace-500"})
    assert response.status_code == 500
    assert response.headers["content-type"].startswith(PROBLEM)
    assert response.headers["X-Request-ID"] == "trace-500"
    body = response.json()
    assert body["type"].endswith("/internal") and body["status"] == 500
    for leak in ("Traceback", "secret-internal-detail", "RuntimeError", "/work/", ".py"):
        assert leak not in response.text


def test_bad_input_is_a_422_problem_never_a_5xx_nor_a_stored_event(api: Api) -> None:
    """Inputs the database cannot hold or the read side cannot answer (a NUL character, the
    year 0, a future as_of) are refused as problems; nothing is recorded."""
    w = api.world
    events = w.app.recorder.max_notification_id()
    citizen = api.token(w.citizen)
    body = {"kind": "field", "category": "traffic", "text": "Đèn tín hiệu hỏng\x00 ngã tư",
            "latitude": 21.03, "longitude": 105.85, "address": "Ngã tư Tràng Thi",
            "receiving_unit_id": str(w.district)}
    future = (w.app.now() + timedelta(days=1)).isoformat()
    refused = [
        api.client.post("/reports", json=body, headers=citizen),
        api.client.get("/reports", params={"kind": "field\x00"}, headers=api.token(w.head)),
        api.client.get("/public/rankings", params={"month": "0000-01"}),
        api.client.get("/public/results", params={"as_of": future}),
        api.client.get("/public/statistics", params={"month": "2026-03",
                                                     "as_of": "0001-01-01T00:00:00+09:00"}),
    ]
    assert [r.status_code for r in refused] == [422] * len(refused)
    assert all(r.headers["content-type"].startswith(PROBLEM) for r in refused)
    # Open311 answers GeoReport v2's own error form: 400, a list of {code, description}.
    open311 = api.client.post("/open311/v2/requests.json", headers=citizen, data={
        "service_code": "field.traffic", "lat": "21.03", "long": "105.85",
        "description": "Đèn hỏng\x00", "address_string": "Tràng Thi"})
    assert open311.status_code == 400 and open311.json()[0]["code"] == 400
    assert w.app.recorder.max_notification_id() == events
