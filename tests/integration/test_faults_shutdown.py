"""Issue 12 item 9: ``ihanoi serve`` on the embedded PostgreSQL shuts down cleanly on SIGTERM
and SIGINT — the process exits and so does the embedded server it started (its pid no longer
in the handle list, the postmaster gone)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import psutil
import pytest

from application.database import EMBEDDED_PGDATA

START_TIMEOUT = 120.0  # initdb on first start, then migrations
STOP_TIMEOUT = 30.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One data directory for the module: the second test reuses the first one's initdb."""
    return tmp_path_factory.mktemp("serve-data")


def postmaster_pid(pgdata: Path) -> int | None:
    try:
        return int((pgdata / "postmaster.pid").read_text().splitlines()[0])
    except (FileNotFoundError, IndexError, ValueError):
        return None


@pytest.fixture
def serve(data_dir: Path) -> Iterator[tuple[subprocess.Popen[bytes], int]]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "IHANOI_ENV")}
    env |= {"IHANOI_DATA_DIR": str(data_dir), "IHANOI_ENV": "development"}
    process = subprocess.Popen(
        [sys.executable, "-c", "from ihanoi.cli import app; app()", "serve",
         "--port", str(port)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            assert process.poll() is None, process.stderr.read().decode()[-3000:] \
                if process.stderr else "serve exited"
            try:
                if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "serve never became ready"
            time.sleep(0.3)
        yield process, port
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(10)
        pid = postmaster_pid(data_dir / EMBEDDED_PGDATA)
        if pid and psutil.pid_exists(pid):  # never leave a server behind a failed test
            psutil.Process(pid).terminate()


def assert_stops_with_its_embedded_postgres(process: subprocess.Popen[bytes], data_dir: Path,
                                            signum: int) -> None:
    pgdata = data_dir / EMBEDDED_PGDATA
    pid = postmaster_pid(pgdata)
    assert pid is not None and psutil.pid_exists(pid)
    assert process.pid in json.loads((pgdata / ".handle_pids.json").read_text())
    process.send_signal(signum)
    try:
        process.wait(STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        pytest.fail(f"serve still running {STOP_TIMEOUT}s after signal {signum}")
    deadline = time.monotonic() + 10
    while psutil.pid_exists(pid) and psutil.Process(pid).status() != psutil.STATUS_ZOMBIE:
        assert time.monotonic() < deadline, "the embedded postgres outlived serve"
        time.sleep(0.1)
    assert process.pid not in json.loads((pgdata / ".handle_pids.json").read_text())
    assert process.returncode == 0


def test_sigterm_stops_serve_and_its_embedded_postgres(
        serve: tuple[subprocess.Popen[bytes], int], data_dir: Path) -> None:
    assert_stops_with_its_embedded_postgres(serve[0], data_dir, signal.SIGTERM)


def test_sigint_stops_serve_and_its_embedded_postgres(
        serve: tuple[subprocess.Popen[bytes], int], data_dir: Path) -> None:
    assert_stops_with_its_embedded_postgres(serve[0], data_dir, signal.SIGINT)
