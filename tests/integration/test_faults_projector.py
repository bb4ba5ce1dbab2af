"""Issue 12 item 7: the projector never dies. A failing attempt (the database gone, a handler
raising) is retried with a backoff from the tracking rows; a handler that keeps failing on one
event is reported — the log, ``/metrics`` and ``/readyz`` (503) name the read model and the
event — instead of the read side freezing silently while ``/readyz`` says "ready"."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from application.services import IHanoi
from application.topics import topics_of
from domain.report import Report
from projections.engine import Projector, ReadModel
from projections.registry import READ_MODELS
from tests.integration.conftest import World, generous_settings

TIMEOUT = 15.0


def eventually(condition: Callable[[], Any], timeout: float = TIMEOUT) -> Any:
    deadline = time.monotonic() + timeout
    while not (value := condition()):
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.05)
    return value


class Breakable:
    """READ_MODELS with report_status's handler of ``Report.Submitted`` failing on demand:
    its SQL fails (division by zero, raised only when the pipeline syncs) while ``broken``."""

    def __init__(self) -> None:
        self.broken = threading.Event()
        self.models = [self._breakable(m) if m.name == "report_status" else m
                       for m in READ_MODELS]

    def _breakable(self, model: ReadModel) -> ReadModel:
        copy = ReadModel(model.name, model.tables, dict(model.handlers))
        for topic in topics_of(Report.Submitted):
            original = model.handlers[topic]

            def handler(cur: Any, event: Any, nid: int, original: Any = original) -> None:
                if self.broken.is_set():
                    cur.execute("SELECT 1 / 0")
                original(cur, event, nid)

            copy.handlers[topic] = handler
        return copy


@pytest.fixture
def breakable() -> Breakable:
    return Breakable()


@pytest.fixture
def follower(app: IHanoi, database_url: str, fresh_schema: str, breakable: Breakable
             ) -> Iterator[Projector]:
    projector = Projector(app, database_url, breakable.models, schema=fresh_schema)
    projector.retry_initial, projector.retry_max = 0.05, 0.2
    projector.ensure_tracking()
    stop = threading.Event()
    thread = threading.Thread(target=projector.run_forever, args=(stop, 0.05), daemon=True)
    thread.start()
    projector.thread = thread  # type: ignore[attr-defined]
    yield projector
    stop.set()
    thread.join(10)


def test_projector_retries_a_failing_handler_and_resumes_from_its_tracking_rows(
        follower: Projector, breakable: Breakable, world: World) -> None:
    eventually(lambda: follower.lag() == 0)
    breakable.broken.set()
    report_id = world.submit()
    time.sleep(0.5)
    assert follower.thread.is_alive()  # type: ignore[attr-defined]
    stalled = eventually(lambda: follower.stalled)
    assert stalled.read_model == "report_status"
    assert stalled.event in topics_of(Report.Submitted)
    assert stalled.notification_id == follower.head()
    assert "DivisionByZero" in stalled.error
    assert follower.failures_total[("handler", "report_status")] >= follower.STALLED_AFTER
    assert follower.thread.is_alive()  # type: ignore[attr-defined]
    assert follower.lag() > 0
    breakable.broken.clear()
    eventually(lambda: follower.lag() == 0 and follower.failure is None)
    with follower.connect() as conn:
        conn.execute(f'SET search_path TO "{follower.schema}"')
        row = conn.execute("SELECT count(*) FROM report_status WHERE report_id = %s",
                           (report_id,)).fetchone()
    assert row == (1,)  # applied once, after the retries
    world.submit()
    eventually(lambda: follower.lag() == 0)  # and it goes on following


def test_a_stalled_read_model_is_logged_with_its_event(
        follower: Projector, breakable: Breakable, world: World,
        caplog: pytest.LogCaptureFixture) -> None:
    eventually(lambda: follower.lag() == 0)
    with caplog.at_level(logging.WARNING, logger="ihanoi.projections"):
        breakable.broken.set()
        world.submit()
        eventually(lambda: follower.stalled)
        eventually(lambda: any(r.levelno == logging.ERROR for r in caplog.records))
    record = next(r for r in caplog.records if r.levelno == logging.ERROR)
    assert record.read_model == "report_status"  # type: ignore[attr-defined]
    assert record.event in topics_of(Report.Submitted)  # type: ignore[attr-defined]
    assert "stalled" in record.getMessage()
    breakable.broken.clear()


def test_readyz_is_503_naming_the_stalled_read_model_and_metrics_count_failures(
        follower: Projector, breakable: Breakable, world: World, database_url: str,
        fresh_schema: str) -> None:
    from fastapi.testclient import TestClient

    from api.app import create_app
    from projections.deployment import Deployment

    runtime = Deployment(url=database_url, schema=fresh_schema, app=world.app,
                         projector=follower)
    secret = "test-secret-of-32-bytes-or-more-" + fresh_schema
    with TestClient(create_app(runtime, secret, follow=False,
                               settings=generous_settings())) as client:
        eventually(lambda: follower.lag() == 0)
        assert client.get("/readyz").status_code == 200
        breakable.broken.set()
        world.submit()
        eventually(lambda: follower.stalled)
        answer = client.get("/readyz")
        assert answer.status_code == 503
        body = answer.json()
        assert body["status"] == "stalled"
        assert body["read_model"] == "report_status"
        assert body["event"] in topics_of(Report.Submitted)
        assert body["notification_id"] == follower.head()
        metrics = client.get("/metrics").text
        assert 'ihanoi_projection_stalled{event="' in metrics
        assert 'ihanoi_projection_failures_total{kind="handler",read_model="report_status"}' \
            in metrics
        breakable.broken.clear()
        eventually(lambda: follower.lag() == 0)
        assert client.get("/readyz").status_code == 200
        assert "ihanoi_projection_failures_in_a_row 0.0" in client.get("/metrics").text


def test_scheduler_job_that_keeps_failing_is_reported_and_retried(
        app: IHanoi, projector: Projector, database_url: str, fresh_schema: str,
        caplog: pytest.LogCaptureFixture) -> None:
    from projections.deployment import Deployment
    from scheduler import Intervals, start_scheduler

    runtime = Deployment(url=database_url, schema=fresh_schema, app=app, projector=projector)
    handle = start_scheduler(runtime, intervals=Intervals.every(0.1))
    broken = threading.Event()
    broken.set()
    original = handle.scheduler.deadlines

    def deadlines(now: Any) -> Any:
        if broken.is_set():
            raise RuntimeError("deadline job broken for the test")
        return original(now)

    handle.scheduler.deadlines = deadlines  # type: ignore[method-assign]
    try:
        with caplog.at_level(logging.WARNING, logger="ihanoi.scheduler"):
            eventually(lambda: handle.leading)
            failing = eventually(lambda: (f := handle.failures.get("deadlines"))
                                 and f.attempts >= 3 and f)
            assert "deadline job broken" in failing.error
            eventually(lambda: any(r.levelno == logging.ERROR and
                                   getattr(r, "job", None) == "deadlines"
                                   for r in caplog.records))
            broken.clear()
            eventually(lambda: "deadlines" not in handle.failures)
            assert handle.leading  # the scheduler went on, still leading
    finally:
        handle.stop()
