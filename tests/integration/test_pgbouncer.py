"""Issue 15 item 3: commands and queries through a real pgbouncer in transaction mode; what
needs a session of its own — the projector, the API's LISTEN for the projector's progress,
the scheduler's advisory-lock leadership — over IHANOI_DIRECT_DATABASE_URL
(docs/DEPLOYMENT.md). pgbouncer is Debian's package, started here on a free port in front of
the test's server; the test is skipped without it, except in CI (``.ci/run`` installs it)."""

from __future__ import annotations

import configparser
import os
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg import sql

from application.database import parse_url, with_dbname
from tests.integration.conftest import Api, build_world, generous_settings
from tests.network import free_port

PGBOUNCER = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"
DEPLOYED_INI = Path(__file__).resolve().parents[2] / "deploy" / "pgbouncer" / "pgbouncer.ini"
REPORT = {"kind": "field", "category": "environment",
          "text": "Đèn chiếu sáng hỏng cả dãy phố Tràng Thi", "latitude": 21.0268,
          "longitude": 105.8469, "address": "Tràng Thi"}


@pytest.fixture
def pgbouncer(database_url: str, tmp_path: Path) -> Iterator[str]:
    """pgbouncer as deployed, in front of the test's database, with a pool of 3 server
    connections so that the app's many client connections share them: its URL."""
    if not os.access(PGBOUNCER, os.X_OK):
        if os.environ.get("CI"):
            pytest.fail(f"{PGBOUNCER} is missing: .ci/run installs the pgbouncer package")
        pytest.skip("pgbouncer is not installed (apt-get install pgbouncer)")
    server = parse_url(database_url)
    user = server.get("user", "postgres")
    (tmp_path / "userlist.txt").write_text(f'"{user}" ""\n')
    # deploy/pgbouncer/pgbouncer.ini (transaction mode), on a free port in front of the test's
    # server, trusting its user, and with a pool of 3 server connections.
    ini = configparser.ConfigParser(interpolation=None)
    ini.read(DEPLOYED_INI)
    assert ini["pgbouncer"]["pool_mode"] == "transaction"
    ini["databases"] = {"*": f"host={server.get('host', '127.0.0.1')} "
                             f"port={server.get('port', '5432')}"}
    port = free_port()
    ini["pgbouncer"].update({
        "listen_addr": "127.0.0.1", "listen_port": str(port), "unix_socket_dir": "",
        "auth_type": "trust", "auth_file": str(tmp_path / "userlist.txt"),
        "default_pool_size": "3", "admin_users": user})
    with (tmp_path / "pgbouncer.ini").open("w") as out:
        ini.write(out)
    # pgbouncer refuses to run as root; it reads its files before it switches user.
    as_user = ["-u", "nobody"] if os.geteuid() == 0 else []
    log = tmp_path / "pgbouncer.log"
    with log.open("wb") as out:
        process = subprocess.Popen([PGBOUNCER, *as_user, str(tmp_path / "pgbouncer.ini")],
                                   stdout=out, stderr=subprocess.STDOUT)
    url = f"postgresql://{user}@127.0.0.1:{port}/{server['dbname']}"
    try:
        deadline = time.monotonic() + 10
        while True:
            try:  # its console: no server connection opened before the test's settings
                psycopg.connect(with_dbname(url, "pgbouncer"), connect_timeout=2).close()
                break
            except psycopg.OperationalError:
                assert process.poll() is None, log.read_text()
                assert time.monotonic() < deadline, log.read_text()
                time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait(10)


def pooled_server_ports(pgbouncer_url: str) -> set[int]:
    """The local ports of pgbouncer's server connections (its admin console's SHOW SERVERS,
    which speaks the simple query protocol only: a client-side-binding cursor)."""
    admin = with_dbname(pgbouncer_url, "pgbouncer")
    with psycopg.connect(admin, autocommit=True, cursor_factory=psycopg.ClientCursor) as conn:
        cur = conn.execute("SHOW SERVERS")
        columns = [c.name for c in cur.description or ()]
        return {int(row[columns.index("local_port")]) for row in cur.fetchall()}


def test_commands_and_queries_through_pgbouncer_the_projector_and_leader_lock_direct(
        pgbouncer: str, database_url: str, fresh_schema: str, cipher_key: str,
        tmp_path: Path) -> None:
    """Commands (a directory of units and officers, submissions, an acceptance) and queries
    (read your own writes) through pgbouncer with a pool smaller than the app's connections;
    the projector, the API's LISTEN and the scheduler's leader lock on the database itself."""
    from fastapi.testclient import TestClient

    from api.app import create_app
    from ihanoi.runtime import open_runtime
    from scheduler import Intervals, start_scheduler

    with psycopg.connect(database_url, autocommit=True) as conn:
        # The read models' schema is the role's search path: pgbouncer keeps no session SET.
        conn.execute(sql.SQL("ALTER DATABASE {} SET search_path TO {}").format(
            sql.Identifier(parse_url(database_url)["dbname"]), sql.Identifier(fresh_schema)))
    settings = generous_settings(database_url=pgbouncer, direct_database_url=database_url,
                                 schema=fresh_schema, cipher_key=cipher_key,
                                 data_dir=tmp_path / "data")
    runtime = open_runtime(settings, migrate=False)
    assert runtime.pooled and runtime.projector.conninfo == database_url
    world = build_world(runtime.app)  # dozens of commands, the same statements again and again
    stop = threading.Event()
    projector = threading.Thread(target=runtime.projector.run_forever, args=(stop,),
                                 daemon=True)
    projector.start()
    scheduler = start_scheduler(runtime, intervals=Intervals(0.2, 60, 60, 600))
    secret = "test-secret-of-32-bytes-or-more-" + fresh_schema
    try:
        with TestClient(create_app(runtime, secret, follow=False, settings=settings),
                        raise_server_exceptions=False) as client:
            api = Api(client, world, runtime.projector, secret)
            citizen, receiver = api.token(world.citizen), api.token(world.receiver)
            for attempt in range(6):
                created = client.post("/reports", json={**REPORT, "receiving_unit_id":
                                                        str(world.district)},
                                      headers={**citizen, "Idempotency-Key": f"pgb-{attempt}"})
                assert created.status_code == 201, created.text
                read = client.get(created.headers["Location"], headers={
                    **receiver, "X-Min-Position": created.headers["X-Store-Position"]})
                assert (read.status_code, read.json()["status"]) == (200, "received"), read.text
            accepted = client.post(f"{created.headers['Location']}/acceptance", json={},
                                   headers=receiver)
            assert accepted.status_code == 200, accepted.text
            read = client.get(created.headers["Location"], headers={
                **receiver, "X-Min-Position": accepted.headers["X-Store-Position"]})
            assert read.json()["status"] == "accepted"
            # The read pool's sessions through pgbouncer: the business time zone (a tracked
            # parameter pgbouncer carries to every server connection) and the schema.
            for _ in range(10):
                with client.app.state.reads.connection() as conn:
                    assert conn.execute("SELECT current_setting('TimeZone'),"
                                        " (current_schemas(false))[1]").fetchone() \
                        == ("Asia/Ho_Chi_Minh", fresh_schema)
        deadline = time.monotonic() + 10
        while not scheduler.leading:
            assert time.monotonic() < deadline, "the scheduler never led"
            time.sleep(0.1)
        with psycopg.connect(database_url, autocommit=True) as conn:
            holders = conn.execute(
                "SELECT a.client_port FROM pg_locks l JOIN pg_stat_activity a USING (pid)"
                " WHERE l.locktype = 'advisory' AND l.granted AND a.datname = current_database()"
            ).fetchall()
        assert holders and not {port for (port,) in holders} & pooled_server_ports(pgbouncer)
    finally:
        scheduler.stop()
        stop.set()
        projector.join(10)
        runtime.close()


def test_a_session_advisory_lock_through_pgbouncer_outlives_its_client(pgbouncer: str) -> None:
    """Why the leader lock bypasses pgbouncer: in transaction mode a session lock stays with
    the server connection, not with the client that took it — after that client has gone,
    the lock is still held, so a standby could never take over."""
    key = 15_3_2026
    with psycopg.connect(pgbouncer, autocommit=True) as leader:
        assert leader.execute("SELECT pg_try_advisory_lock(%s)", (key,)).fetchone() == (True,)
    with psycopg.connect(pgbouncer, autocommit=True) as other:
        holders: list[Any] = other.execute(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted"
            " AND objid = %s", (key,)).fetchall()
    assert holders == [(1,)]


def test_a_schema_not_on_the_roles_search_path_is_refused_through_pgbouncer(
        pgbouncer: str, database_url: str, fresh_schema: str, cipher_key: str,
        tmp_path: Path) -> None:
    """A session's ``SET search_path`` does not last through pgbouncer: the runtime refuses
    to start until the schema is the role's own search path, and says how."""
    from application.settings import ConfigurationError
    from ihanoi.runtime import open_runtime

    settings = generous_settings(database_url=pgbouncer, direct_database_url=database_url,
                                 schema=fresh_schema, cipher_key=cipher_key,
                                 data_dir=tmp_path / "data")
    with pytest.raises(ConfigurationError, match="ALTER ROLE .* SET search_path TO"):
        open_runtime(settings, migrate=False)
