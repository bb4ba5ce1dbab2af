"""Several scheduler instances, one leader (a PostgreSQL advisory lock): every fact is emitted
once, and when the leader dies another instance takes over and misses nothing."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import psycopg
from eventsourcing.utils import get_topic

from application.commands import StartVerification
from application.database import advisory_lock_key
from domain.calendar import BUSINESS_TZ
from domain.report import Report
from projections import notifications
from scheduler.leader import LeaderLock

# A scheduler instance whose clock is the instant written in a file the test moves.
CHILD = """
import logging, os, signal, threading
from datetime import datetime
from pathlib import Path

from application.database import eventsourcing_env
from application.services import IHanoi
from projections.deployment import Deployment
from projections.engine import Projector
from projections.registry import READ_MODELS
from scheduler import Intervals, start_scheduler

logging.basicConfig(level=logging.INFO)
url, schema = os.environ["IHANOI_CHILD_URL"], os.environ["IHANOI_CHILD_SCHEMA"]
clock_file = Path(os.environ["IHANOI_CHILD_CLOCK"])
clock = lambda: datetime.fromisoformat(clock_file.read_text())
app = IHanoi(env=eventsourcing_env(url, cipher_key=os.environ["IHANOI_CHILD_CIPHER_KEY"],
                                   schema=schema), clock=clock)
runtime = Deployment(url=url, schema=schema, app=app,
                     projector=Projector(app, url, READ_MODELS, schema=schema))
handle = start_scheduler(runtime, clock, intervals=Intervals.every(0.2),
                         application_name=os.environ["IHANOI_CHILD_NAME"])
stop = threading.Event()
signal.signal(signal.SIGTERM, lambda *_: stop.set())
stop.wait(120)  # never outlives a broken test
handle.stop()
"""


def _at(*args: int) -> datetime:
    return datetime(*args, tzinfo=BUSINESS_TZ)


def deadline_facts(app) -> list[Any]:
    """Every StageDeadlinePassed in the event store, in the order it was recorded."""
    stored = app.recorder.select_notifications(start=1, limit=10_000,
                                               topics=[get_topic(Report.StageDeadlinePassed)])
    return [app.mapper.to_domain_event(n) for n in stored]


def _wait(condition: Callable[[], bool], timeout: float = 40.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("the scheduler instances did not get there in time")
        time.sleep(0.1)




def _leader(conn: psycopg.Connection[Any], schema: str) -> list[str]:
    """The application names of the sessions holding the scheduler lock of ``schema`` in this
    database (advisory locks are per database; every test's database has the same schema)."""
    key = advisory_lock_key("ihanoi-scheduler:" + schema) & 0xFFFF_FFFF_FFFF_FFFF
    rows = conn.execute(
        "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid"
        " WHERE l.locktype = 'advisory' AND l.granted AND l.classid::bigint = %s"
        " AND l.objid::bigint = %s AND l.objsubid = 1 AND l.database = "
        "(SELECT oid FROM pg_database WHERE datname = current_database())",
        (key >> 32, key & 0xFFFF_FFFF)).fetchall()
    return [name for (name,) in rows]


def test_one_instance_leads_until_it_lets_go(database_url, fresh_schema) -> None:
    first, second = (LeaderLock(database_url, fresh_schema, name) for name in ("a", "b"))
    elsewhere = LeaderLock(database_url, fresh_schema + "_other", "c")
    try:
        assert (first.hold(), second.hold(), first.hold()) == (True, False, True)
        assert elsewhere.hold()  # another deployment has its own leader
        first.release()
        assert second.hold() and not first.hold()
    finally:
        for lock in (first, second, elsewhere):
            lock.release()


def test_two_instances_emit_each_fact_once_and_the_survivor_takes_over_dieu_7_2_d(
        world, projector, clock, conn, database_url, cipher_key, fresh_schema,
        tmp_path: Path) -> None:
    app = world.app
    app.handle(StartVerification(world.submit()), world.receiver)  # Monday 09:00: verification
    clock.set(2026, 3, 2, 13, 0)  # due 14:00, reception Tuesday 09:00
    world.submit()  # reception due Tuesday 12:00
    clock.set(2026, 3, 3, 8, 0)
    world.submit()  # reception due Tuesday 17:00
    clock_file = tmp_path / "clock"

    def move(at: datetime) -> None:
        (tmp_path / "clock.new").write_text(at.isoformat())
        (tmp_path / "clock.new").replace(clock_file)

    def settled(expected: int) -> Callable[[], bool]:
        def check() -> bool:
            rows = notifications.outbox(conn, "deadline:")
            return (len(deadline_facts(app)) >= expected and len(rows) >= expected
                    and all(row["sent_at"] is not None for row in rows))
        return check

    move(_at(2026, 3, 3, 10, 0))  # two deadlines passed
    env = {**os.environ, "IHANOI_CHILD_URL": database_url, "IHANOI_CHILD_SCHEMA": fresh_schema,
           "IHANOI_CHILD_CIPHER_KEY": cipher_key, "IHANOI_CHILD_CLOCK": str(clock_file)}
    children = {}
    for name in ("scheduler-a", "scheduler-b"):
        with open(tmp_path / f"{name}.log", "wb") as log:
            children[name] = subprocess.Popen([sys.executable, "-c", CHILD], stderr=log,
                                              env={**env, "IHANOI_CHILD_NAME": name})
    try:
        _wait(settled(2))
        [leader] = _leader(conn, fresh_schema)
        assert all(child.poll() is None for child in children.values())

        children[leader].send_signal(signal.SIGKILL)
        assert children[leader].wait(timeout=10) == -signal.SIGKILL
        move(_at(2026, 3, 3, 17, 0))  # two more, while the leader is gone
        _wait(settled(4))
        [survivor] = _leader(conn, fresh_schema)
        assert survivor != leader

        time.sleep(1)  # a few more rounds of the survivor: still nothing twice
        facts = Counter((e.originator_id, e.stage.stage, e.at) for e in deadline_facts(app))
        assert sorted(at for _, _, at in facts) == [
            _at(2026, 3, 2, 14, 0), _at(2026, 3, 3, 9, 0), _at(2026, 3, 3, 12, 0),
            _at(2026, 3, 3, 17, 0)]
        assert set(facts.values()) == {1}
        rows = notifications.outbox(conn, "deadline:")
        assert len(rows) == 4 and all(row["sent_at"] is not None for row in rows)
    except BaseException:
        for name in children:
            print(name, (tmp_path / f"{name}.log").read_text()[-3000:])
        raise
    finally:
        for child in children.values():
            if child.poll() is None:
                child.terminate()
        for child in children.values():
            try:
                child.wait(timeout=10)
            except subprocess.TimeoutExpired:
                child.kill()
