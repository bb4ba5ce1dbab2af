"""Issue 15 item 2: the API, the projector and the scheduler run as processes of their own
(docs/DEPLOYMENT.md): ``ihanoi serve --no-projector --workers 2``, ``ihanoi projections run``
and ``ihanoi scheduler`` on one database. A report submitted over HTTP to either worker is
read back at once with its store position (the workers learn the projector's progress by
LISTEN), any worker's ``/metrics`` counts every worker's requests, and the scheduler leads
(its advisory lock) and feeds its notification outbox's projector with it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from prometheus_client.parser import text_string_to_metric_families

from api.auth import mint
from application.database import advisory_lock_key
from tests.integration.conftest import World
from tests.network import free_port

START_TIMEOUT = 60.0
REPORT = {"kind": "field", "category": "environment",
          "text": "Cống thoát nước bị tắc trước số 12 Hàng Bài", "latitude": 21.0245,
          "longitude": 105.8522, "address": "12 Hàng Bài"}


def ihanoi(*args: str, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """``ihanoi ARGS`` as a process of its own, its output in ``log``."""
    with log.open("wb") as out:
        return subprocess.Popen([sys.executable, "-c", "from ihanoi.cli import app; app()",
                                 *args], env=env, stdout=out, stderr=subprocess.STDOUT)


def eventually(check: Callable[[], Any], what: str, logs: list[Path],
               timeout: float = START_TIMEOUT) -> Any:
    """``check()``'s first truthy answer; fails naming ``what`` with the processes' logs."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if result := check():
                return result
        except (httpx.HTTPError, psycopg.Error):
            pass
        if time.monotonic() > deadline:
            pytest.fail(f"{what} within {timeout:g} s; logs:\n" + "\n".join(
                f"--- {log.name}\n{log.read_text(errors='replace')[-2000:]}" for log in logs))
        time.sleep(0.2)


@pytest.fixture
def processes(world: World, database_url: str, fresh_schema: str, cipher_key: str,
              tmp_path: Path) -> Iterator[tuple[int, str, list[Path]]]:
    """The three services on the test's database: the API's port, its JWT key, their logs."""
    secret = "test-secret-of-32-bytes-or-more-" + fresh_schema
    env = {k: v for k, v in os.environ.items() if not k.startswith("IHANOI_")}
    env |= {"DATABASE_URL": database_url, "IHANOI_DB_SCHEMA": fresh_schema,
            "IHANOI_CIPHER_KEY": cipher_key, "IHANOI_JWT_SECRET": secret,
            "IHANOI_DATA_DIR": str(tmp_path / "data"), "IHANOI_ENV": "development"}
    port = free_port()
    logs = [tmp_path / name for name in ("serve.log", "projector.log", "scheduler.log")]
    started = [
        ihanoi("serve", "--no-projector", "--workers", "2", "--port", str(port), env=env,
               log=logs[0]),
        ihanoi("projections", "run", env=env, log=logs[1]),
        ihanoi("scheduler", "--retry", "0.5", "--delivery", "0.5", env=env, log=logs[2]),
    ]
    try:
        eventually(lambda: httpx.get(f"http://127.0.0.1:{port}/readyz",
                                     timeout=2).status_code == 200, "the API ready", logs)
        yield port, secret, logs
    finally:
        for process in started:
            process.send_signal(signal.SIGTERM)
        for process in started:
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(5)


def test_separate_api_workers_projector_and_scheduler_serve_a_report(
        processes: tuple[int, str, list[Path]], world: World, database_url: str,
        fresh_schema: str) -> None:
    port, secret, logs = processes
    citizen = {"Authorization": "Bearer " + mint(secret, str(world.reporter_id), "citizen")}
    receiver = world.receiver
    staff = {"Authorization": "Bearer " + mint(secret, receiver.id, receiver.role,
                                               receiver.unit_id)}
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
        # The directory the world recorded before the services started: projected by
        # `ihanoi projections run`, then every worker's token check finds the officer.
        eventually(lambda: client.get(f"/units/{world.district}/officers",
                                      headers=staff).status_code == 200,
                   "the directory projected", logs)
        for attempt in range(4):  # new connections, so both workers likely answer some
            created = client.post("/reports", json={**REPORT, "receiving_unit_id":
                                                    str(world.district)},
                                  headers={**citizen, "Idempotency-Key": f"proc-{attempt}",
                                           "Connection": "close"})
            assert created.status_code == 201, created.text
            read = client.get(created.headers["Location"], headers={
                **staff, "X-Min-Position": created.headers["X-Store-Position"],
                "Connection": "close"})
            assert read.status_code == 200, read.text
            assert read.json()["status"] == "received"
        report_id = created.json()["id"]
        # Whichever worker answers /metrics counts the submissions of both (one metrics
        # directory for the workers of `ihanoi serve`).
        for _ in range(4):
            scraped = client.get("/metrics", headers={"Connection": "close"})
            submissions = [sample.value for family in text_string_to_metric_families(
                scraped.text) for sample in family.samples
                if sample.name == "ihanoi_commands_total"
                and sample.labels == {"command": "/reports", "outcome": "ok"}]
            assert submissions == [4.0]

    key = advisory_lock_key("ihanoi-scheduler:" + fresh_schema)
    with psycopg.connect(database_url, autocommit=True) as conn:
        leader = eventually(lambda: conn.execute(
            "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a USING (pid)"
            " WHERE l.locktype = 'advisory' AND l.granted"
            " AND (l.classid::bigint << 32 | l.objid::bigint) = %s",
            (key,)).fetchone(), "a scheduler leading", logs)
        assert leader == ("ihanoi-scheduler",)
        fed = eventually(lambda: conn.execute(
            f'SELECT reporter_id FROM "{fresh_schema}".notification_reporters'
            " WHERE report_id = %s", (report_id,)).fetchone(),
            "the scheduler's outbox projector fed with the last report", logs)
        assert fed == (world.reporter_id,)
