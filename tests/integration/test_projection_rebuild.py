"""The rebuild machinery (issue 4): statements sent in pipeline mode keep a batch whole, and a
rebuild killed midway leaves nothing behind for long."""

from __future__ import annotations

import itertools
import os
import random
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg import sql

from application.services import IHanoi
from domain.report import Report
from projections.engine import Projector, ReadModel
from tests.integration.conftest import Clock, World
from tests.integration.test_projection_engine import build_city, drive

CHILD = Path(__file__).with_name("_rebuild_child.py")


def probe(database_url: str, schema: str) -> ReadModel:
    """A read model of submitted reports, one row each, that also counts what it has seen."""
    with psycopg.connect(database_url) as conn:
        conn.execute(sql.SQL("CREATE TABLE {} (report_id uuid PRIMARY KEY, seen int NOT NULL)"
                             ).format(sql.Identifier(schema, "probe")))
    model = ReadModel("probe", tables=("probe",))

    @model.on(Report.Submitted)
    def _submitted(cur: Any, e: Any, nid: int) -> None:
        (seen,) = cur.execute("SELECT count(*) FROM probe").fetchone()
        cur.execute("INSERT INTO probe (report_id, seen) VALUES (%s, %s)",
                    (e.originator_id, seen))

    return model


def rows(projector: Projector) -> list[tuple[Any, ...]]:
    with projector.connect() as conn:
        return conn.execute(sql.SQL("SELECT seen FROM {} ORDER BY seen").format(
            sql.Identifier(projector.schema, "probe"))).fetchall()


def test_a_handler_reads_what_its_batch_wrote_before_it(
        app: IHanoi, world: World, database_url: str, fresh_schema: str) -> None:
    """Statements are queued, not yet run, when ``execute`` returns: a handler that reads a
    result still sees every statement queued before it in the same batch."""
    projector = Projector(app, database_url, [probe(database_url, fresh_schema)],
                          schema=fresh_schema)
    projector.ensure_tracking()
    for _ in range(3):
        world.submit()
    assert projector.run_once() == 3  # in one batch
    assert rows(projector) == [(0,), (1,), (2,)]


def test_a_statement_failing_on_the_server_rolls_back_its_whole_batch(
        app: IHanoi, world: World, database_url: str, fresh_schema: str) -> None:
    """Exactly once: an SQL error in the middle of a batch raises the server's error and
    leaves neither the batch's earlier statements nor a moved tracking position."""
    model = probe(database_url, fresh_schema)
    first = world.submit()
    world.submit()
    submitted = model.handlers.pop(next(iter(model.handlers)))

    @model.on(Report.Submitted)
    def _twice(cur: Any, e: Any, nid: int) -> None:
        submitted(cur, e, nid)
        if e.originator_id != first:
            cur.execute("INSERT INTO probe (report_id, seen) VALUES (%s, 0)", (first,))

    projector = Projector(app, database_url, [model], schema=fresh_schema)
    projector.ensure_tracking()
    with pytest.raises(psycopg.errors.UniqueViolation):
        projector.run_once()
    assert rows(projector) == []
    assert projector.positions(projector.connect()) == {"probe": 0}


def test_the_next_build_drops_the_staging_schema_a_killed_rebuild_left(
        app: IHanoi, clock: Clock, projector: Projector, database_url: str,
        cipher_key: str) -> None:
    """A rebuild SIGKILLed while replaying leaves its staging schema behind: the next rebuild
    or as-of build drops it — but never the staging schema of a rebuild still running."""
    clock.set(2026, 6, 1, 9, 0)
    drive(build_city(app), clock, random.Random(5), reports=4)
    env = {**os.environ, "IHANOI_CHILD_URL": database_url,
           "IHANOI_CHILD_SCHEMA": projector.schema, "IHANOI_CHILD_CIPHER_KEY": cipher_key}

    def staging() -> set[str]:
        with projector.connect() as conn:
            return {name for (name,) in conn.execute(
                "SELECT nspname FROM pg_namespace WHERE obj_description(oid, 'pg_namespace')"
                " = %s", (f"staging of {projector.schema}",)).fetchall()}

    children: list[subprocess.Popen[bytes]] = []

    def replaying() -> subprocess.Popen[bytes]:
        child = subprocess.Popen([sys.executable, str(CHILD)], env=env,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        children.append(child)
        line = child.stdout.readline() if child.stdout else b""
        assert line == b"replaying\n", (child.kill(), child.communicate()[1].decode())
        return child

    def kill(child: subprocess.Popen[bytes]) -> None:
        child.kill()
        child.communicate()

    try:
        first = replaying()
        left = staging()
        second = replaying()
        running = staging() - left
        assert len(left) == 1 and len(running) == 1 and left <= staging()  # both kept
        kill(first)
        # Until the server has noticed the killed child, its schema's lock is still held.
        deadline = time.monotonic() + 30
        while staging() != running:
            assert time.monotonic() < deadline, "the killed rebuild's schema was never dropped"
            projector.rebuild()
            assert running <= staging()  # the running rebuild's schema is kept
        kill(second)
        deadline = time.monotonic() + 30
        for minutes in itertools.count(1):
            projector.as_of(clock.now - timedelta(minutes=minutes), ["report_status"])
            if not staging():
                break
            assert time.monotonic() < deadline, "the killed rebuild's schema was never dropped"
    finally:
        for child in children:
            kill(child)
