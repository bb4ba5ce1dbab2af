"""Issue 15 item 4: a failover under load loses no acknowledged command when the replica is
synchronous, and the API, the projector and the scheduler follow the new primary by
themselves.

The cluster is a primary and one synchronous streaming replica of its own
(``tests/cluster.py``). Every component connects with one libpq host list,
``postgresql://…@primary,replica/ihanoi?target_session_attrs=read-write``, so each new
connection goes to whichever server accepts writes. Under a stream of report submissions
the primary's postmaster and processes are SIGKILLed (a crashed machine) and the replica is
promoted (``pg_ctl promote``, what Patroni would do); then every submission that was answered
201 must be in the new primary's event store and read models."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar
from uuid import UUID

import pytest
from eventsourcing.cipher import AESCipher

from application.database import create_database
from application.settings import Settings
from domain.calendar import BUSINESS_TZ
from ihanoi.runtime import open_runtime
from ihanoi.simulation import Clock
from projections.deployment import Deployment
from tests.cluster import Cluster
from tests.integration.conftest import Api, build_world, generous_settings

REPORT = {"kind": "field", "category": "environment",
          "text": "Nước thải tràn ra vỉa hè phố Hàng Bông", "latitude": 21.0301,
          "longitude": 105.8478, "address": "45 Hàng Bông"}
SECRET = "test-secret-of-32-bytes-or-more-failover"
T = TypeVar("T")


def eventually(check: Callable[[], T], within: float = 30.0, what: str = "") -> T:
    deadline = time.monotonic() + within
    while not (result := check()):
        assert time.monotonic() < deadline, f"not within {within}s: {what}"
        time.sleep(0.2)
    return result


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[Cluster]:
    with Cluster.start(tmp_path / "cluster", replicas=1, synchronous=True) as started:
        yield started


@pytest.fixture
def runtime(cluster: Cluster, tmp_path: Path) -> Iterator[Deployment]:
    create_database(cluster.primary.url, "ihanoi")
    settings = Settings(database_url=cluster.failover_url("ihanoi"), environment="test",
                        data_dir=tmp_path / "data", cipher_key=AESCipher.create_key(32))
    deployment = open_runtime(settings, clock=Clock(datetime(2026, 3, 2, 9, 0,
                                                             tzinfo=BUSINESS_TZ)))
    deployment.projector.retry_initial, deployment.projector.retry_max = 0.1, 1.0
    yield deployment
    deployment.close()


@dataclass
class Submissions:
    """Report submissions sent without pause; the ids of those answered 201."""

    api: Api
    stop: threading.Event = field(default_factory=threading.Event)
    acknowledged: list[tuple[float, str, int]] = field(default_factory=list)
    statuses: list[tuple[float, int]] = field(default_factory=list)

    def run(self) -> None:
        w = self.api.world
        while not self.stop.is_set():
            answer = self.api.client.post("/reports", headers=self.api.token(w.citizen), json={
                **REPORT, "receiving_unit_id": str(w.district)})
            self.statuses.append((time.monotonic(), answer.status_code))
            if answer.status_code == 201:
                self.acknowledged.append((time.monotonic(), answer.json()["id"],
                                          int(answer.headers["X-Store-Position"])))

    def acknowledged_after(self, instant: float) -> int:
        return sum(1 for at, _, _ in self.acknowledged if at > instant)


def test_failover_to_a_synchronous_replica_loses_no_acknowledged_command(
        cluster: Cluster, runtime: Deployment) -> None:
    from fastapi.testclient import TestClient

    from api.app import create_app
    from scheduler import Intervals, start_scheduler

    replica = cluster.replicas[0]
    assert cluster.primary.execute("SELECT sync_state FROM pg_stat_replication") == [("sync",)]
    world = build_world(runtime.app)
    app = create_app(runtime, SECRET, follow=True, read_wait=10.0, settings=generous_settings())
    scheduler = start_scheduler(runtime, intervals=Intervals.every(0.2))
    try:
        with TestClient(app, raise_server_exceptions=False) as client:
            api = Api(client, world, runtime.projector, SECRET)
            load = Submissions(api)
            threads = [threading.Thread(target=load.run, daemon=True) for _ in range(2)]
            for thread in threads:
                thread.start()
            eventually(lambda: len(load.acknowledged) >= 10 and scheduler.leading,
                       what="submissions before the crash")
            cluster.primary.kill()
            crashed = time.monotonic()
            replica.promote()
            eventually(lambda: load.acknowledged_after(time.monotonic() - 1) >= 5,
                       what="the API writing to the new primary")
            load.stop.set()
            for thread in threads:
                thread.join(15)
            before = sum(1 for at, _, _ in load.acknowledged if at < crashed)
            assert before >= 10 and load.acknowledged_after(crashed) >= 5
            assert {status for _, status in load.statuses} <= {201, 503}

            # Every acknowledged submission is in the new primary's event store ...
            with runtime.projector.connect() as conn:
                assert conn.info.port == replica.port
                assert not conn.execute("SELECT pg_is_in_recovery()").fetchone()[0]
            for _, report_id, _ in load.acknowledged:
                assert runtime.app.repository.get(UUID(report_id)).version >= 1
            # ... and, once the projector has caught up there, in its read models (read
            # through the API, which asks for the last acknowledged position).
            last = max(position for _, _, position in load.acknowledged)
            receiver = api.token(world.receiver)
            def read(report_id: str) -> Any:
                return client.get(f"/reports/{report_id}",
                                  headers={**receiver, "X-Min-Position": str(last)})

            # The read pool's connections to the dead server fail one request (503).
            eventually(lambda: read(load.acknowledged[0][1]).status_code == 200,
                       what="the API reading on the new primary")
            for _, report_id, _ in load.acknowledged:
                assert read(report_id).status_code == 200, report_id
            eventually(lambda: runtime.projector.failure is None
                       and runtime.projector.lag() == 0, what="the projector resuming")
            # The scheduler leads again, now on the new primary, and its jobs work there.
            eventually(lambda: replica.execute(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted",
                "ihanoi")[0][0] == 1, what="the scheduler's lock on the new primary")
            eventually(lambda: scheduler.leading and not scheduler.failures,
                       what="the scheduler's jobs working again")
    finally:
        scheduler.stop()
