"""Issue 15 item 1: the read models' queries go to streaming replicas
(``IHANOI_READ_DATABASE_URLS``), commands and the projector to the primary, and read your
own writes holds across replicas: a query given a store position is served by a replica whose
read models have it, else, after a bounded wait for one, by the primary.

The cluster (a primary and two asynchronous replicas on free ports, ``tests/cluster.py``) is
the module's own, not the 127.0.0.1:5432 server. A replica "behind" is one whose WAL replay
is paused (``pg_wal_replay_pause``): it streams but applies nothing, whatever the timing."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from eventsourcing.cipher import AESCipher

from application.database import create_database
from application.settings import Settings
from domain.calendar import BUSINESS_TZ
from ihanoi.runtime import open_runtime
from ihanoi.simulation import Clock
from projections.replicas import ReadPools
from tests.cluster import Cluster
from tests.integration.conftest import Api, build_world, generous_settings

REPORT = {"kind": "field", "category": "environment",
          "text": "Nước thải tràn ra vỉa hè phố Hàng Bông", "latitude": 21.0301,
          "longitude": 105.8478, "address": "45 Hàng Bông"}
SECRET = "test-secret-of-32-bytes-or-more-replicas"


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    with Cluster.start(tmp_path_factory.mktemp("cluster"), replicas=2) as started:
        yield started


@pytest.fixture(scope="module")
def api(cluster: Cluster, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    from datetime import datetime

    from fastapi.testclient import TestClient

    from api.app import create_app

    create_database(cluster.primary.url, "ihanoi")
    settings = Settings(database_url=cluster.primary.url_of("ihanoi"), environment="test",
                        data_dir=tmp_path_factory.mktemp("data"),
                        cipher_key=AESCipher.create_key(32),
                        read_database_urls=" ".join(r.url_of("ihanoi")
                                                    for r in cluster.replicas),
                        read_replica_wait_seconds=5.0)
    runtime = open_runtime(settings, clock=Clock(datetime(2026, 3, 2, 9, 0, tzinfo=BUSINESS_TZ)))
    world = build_world(runtime.app)
    app = create_app(runtime, SECRET, follow=True, read_wait=10.0,
                     settings=generous_settings(**settings.model_dump(
                         include={"read_database_urls", "read_replica_wait_seconds"})))
    try:
        with TestClient(app, raise_server_exceptions=False) as client:
            yield Api(client, world, runtime.projector, SECRET)
    finally:
        runtime.close()


def reads(api: Api) -> ReadPools:
    pools: ReadPools = api.client.app.state.reads
    return pools


def served(api: Api) -> list[int]:
    """Connections handed out so far by each read pool: the primary's, then each replica's."""
    pools = reads(api)
    return [p.get_stats().get("requests_num", 0)
            for p in [pools.primary, *(r.pool for r in pools.replicas)]]


def submit(api: Api) -> tuple[str, int]:
    w = api.world
    created = api.client.post("/reports", headers=api.token(w.citizen),
                              json={**REPORT, "receiving_unit_id": str(w.district)})
    assert created.status_code == 201, created.text
    return created.json()["id"], int(created.headers["X-Store-Position"])


def read(api: Api, report_id: str, position: int) -> dict[str, Any]:
    answer = api.client.get(f"/reports/{report_id}", headers={
        **api.token(api.world.receiver), "X-Min-Position": str(position)})
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


@pytest.fixture
def paused(cluster: Cluster) -> Iterator[list[int]]:
    """The replicas (by index) whose replay the test pauses, resumed afterwards."""
    indices: list[int] = []
    yield indices
    for i in indices:
        cluster.replicas[i].execute("SELECT pg_wal_replay_resume()")


def test_queries_without_a_position_take_the_replicas_in_turn(api: Api) -> None:
    receiver = api.token(api.world.receiver)
    before = served(api)
    for _ in range(6):
        assert api.client.get("/reports", headers=receiver).status_code == 200
    after = served(api)
    assert after[0] == before[0], "a query went to the primary"
    assert [a - b for a, b in zip(after[1:], before[1:], strict=True)] == [3, 3]


def test_a_write_is_read_from_a_replica_once_it_has_the_position(api: Api) -> None:
    routed = reads(api).routed
    before = (routed.replica + routed.replica_after_wait, routed.primary_after_wait)
    for _ in range(3):
        report_id, position = submit(api)
        assert read(api, report_id, position)["status"] == "received"
    assert (routed.replica + routed.replica_after_wait, routed.primary_after_wait) == (
        before[0] + 3, before[1])
    metrics = api.client.get("/metrics").text
    assert f'ihanoi_read_routes_total{{route="primary_after_wait"}} {before[1]:.1f}' in metrics
    assert "ihanoi_read_replicas_in_service 2.0" in metrics


def test_a_replica_behind_the_position_is_passed_over_for_one_that_has_it(
        api: Api, cluster: Cluster, paused: list[int]) -> None:
    cluster.replicas[0].execute("SELECT pg_wal_replay_pause()")
    paused.append(0)
    for _ in range(3):
        report_id, position = submit(api)
        before = served(api)
        assert read(api, report_id, position)["status"] == "received"
        after = served(api)
        assert after[2] > before[2], "the replica that has the position did not answer"
    assert reads(api).replicas[0].known < position


def test_with_every_replica_behind_a_write_is_read_from_the_primary_after_a_bounded_wait(
        api: Api, cluster: Cluster, paused: list[int], monkeypatch: pytest.MonkeyPatch
        ) -> None:
    monkeypatch.setattr(reads(api), "wait", 0.2)
    for i in (0, 1):
        cluster.replicas[i].execute("SELECT pg_wal_replay_pause()")
        paused.append(i)
    routed = reads(api).routed
    fallbacks = routed.primary_after_wait
    report_id, position = submit(api)
    assert read(api, report_id, position)["status"] == "received"
    assert routed.primary_after_wait == fallbacks + 1
    assert routed.waited[-1] >= 0.2
    # Replay resumed: the next read of the same position is a replica's again.
    for i in (0, 1):
        cluster.replicas[i].execute("SELECT pg_wal_replay_resume()")
    paused.clear()
    read(api, report_id, position)
    assert routed.primary_after_wait == fallbacks + 1


def test_an_answer_the_read_cache_may_keep_is_read_where_the_read_models_have_its_position(
        api: Api, cluster: Cluster, paused: list[int], monkeypatch: pytest.MonkeyPatch
        ) -> None:
    """api.read_cache keeps an anonymous answer under the position the API knows the read
    models at: with every replica behind it, it is read on the primary; once they have it,
    on a replica."""
    for i in (0, 1):
        cluster.replicas[i].execute("SELECT pg_wal_replay_pause()")
        paused.append(i)
    monkeypatch.setattr(reads(api), "wait", 0.2)
    read(api, *submit(api))  # the API knows the read models have the submission
    before = served(api)
    assert api.client.get("/public/results?limit=7").status_code == 200
    assert served(api)[0] == before[0] + 1
    for i in (0, 1):
        cluster.replicas[i].execute("SELECT pg_wal_replay_resume()")
    paused.clear()
    cluster.wait_replayed()
    before = served(api)
    assert api.client.get("/public/results?limit=8").status_code == 200
    after = served(api)
    assert after[0] == before[0] and sum(after[1:]) > sum(before[1:])


def test_a_replica_that_is_down_is_left_aside_and_the_others_serve(
        api: Api, cluster: Cluster) -> None:
    """Stopped, a replica costs at most one failed read (503, within the pool's timeout);
    then it is left aside and the queries go to the other one."""
    receiver = api.token(api.world.receiver)
    down = cluster.replicas[1]
    down.stop()
    try:
        statuses = [api.client.get("/reports", headers=receiver).status_code
                    for _ in range(6)]
        assert set(statuses) <= {200, 503} and statuses.count(503) <= 1, statuses
        assert statuses[-4:] == [200] * 4
        before = served(api)
        assert api.client.get("/reports", headers=receiver).status_code == 200
        assert served(api)[1] == before[1] + 1
    finally:
        down.start()
