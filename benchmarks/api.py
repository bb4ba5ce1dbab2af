"""Read API benchmark (issue 5): requests/s and p50/p99 of the public results list, the
overdue list and the ranking, against a bare ASGI endpoint returning the same bytes.

    .venv/bin/python -m benchmarks.api --events 1000000

1. Generates a history with the rebuild benchmark's generator (``--events``, real aggregates,
   encrypted events), builds every read model and runs ``VACUUM ANALYZE`` on them: the steady
   state autovacuum keeps a live database in (a rebuild leaves a dead row per update and no
   planner statistics; the overdue list's index scan then wades through them).
2. Serves the real API (``ihanoi serve``, one uvicorn process) and a bare ASGI app (one
   uvicorn process, same settings) that answers each path with the bytes the real API gave.
3. Loads each endpoint of both — and ``/healthz``, which reads nothing: the framework's own
   floor — over loopback for ``--seconds`` with ``wrk`` when installed (``apt-get install
   wrk``), else with a keep-alive HTTP client in ``--clients`` processes, and prints
   requests/s, p50, p99 and the ratio real/bare (target ≥ 0.5×, p99 < 25 ms).

Before serving, it times the read models' query functions behind the three endpoints
in-process (one connection, no HTTP): the part of a request that is not the framework.
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing as mp
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
from eventsourcing.cipher import AESCipher
from psycopg import sql

from api.auth import mint
from application.database import eventsourcing_env
from application.migrations import upgrade
from application.services import IHanoi
from benchmarks import (
    Target,
    bench_target,
    console,
    load_kept,
    machine_load,
    print_table,
    save_kept,
)
from benchmarks.rebuild import START, build_directory, write_history
from domain.calendar import BUSINESS_TZ
from domain.policy import DEFAULT_POLICY
from projections import (
    monthly_statistics,
    overdue,
    public_results,
    repeat_dissatisfaction,
    unit_directory,
    unit_monthly_lateness,
)
from projections.engine import Projector
from projections.registry import READ_MODELS

SECRET = "benchmark-secret-of-at-least-32-bytes!"
MONTH = (START + timedelta(days=30 * 17)).date().replace(day=1)  # in the history's last quarter


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_listening(port: int, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"nothing listens on port {port}")


def fetch(port: int, path: str, headers: dict[str, str]) -> tuple[int, bytes, str]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", path, headers=headers)
    response = conn.getresponse()
    return response.status, response.read(), response.getheader("content-type") or ""


def vacuum(target: Target) -> None:
    """``VACUUM ANALYZE`` every table of the benchmark's schema."""
    with psycopg.connect(target.url, autocommit=True) as conn:
        tables = conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = %s",
                              (target.schema,)).fetchall()
        for (table,) in tables:
            conn.execute(sql.SQL("VACUUM ANALYZE {}.{}").format(sql.Identifier(target.schema),
                                                                sql.Identifier(table)))


def query_costs(target: Target, repeat: int = 200) -> None:
    """Milliseconds per call of the query functions behind the endpoints (best of 3 rounds
    of ``repeat`` calls or ~1 s)."""
    now = datetime.now(BUSINESS_TZ)
    calendar = DEFAULT_POLICY.calendar

    def ranking(conn: psycopg.Connection[Any]) -> Any:
        rows = unit_monthly_lateness.ranking(conn, MONTH, now)
        return unit_directory.names(conn, [r["unit_id"] for r in rows])

    queries = {"public results, a page of 20": lambda conn: public_results.search(conn, limit=20),
               "overdue, a page of 100 (+1)": lambda conn: overdue.overdue(
                   conn, now, calendar, limit=101),
               "ranking and unit names": ranking,
               "statistics": lambda conn: monthly_statistics.figures(conn, MONTH),
               "repeat dissatisfaction": lambda conn: repeat_dissatisfaction.tally(conn, MONTH)}
    rows = []
    with psycopg.connect(target.url, autocommit=True) as conn:
        conn.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(target.schema)))
        for name, query in queries.items():
            query(conn)
            rounds = []
            for _ in range(3):  # each round: up to `repeat` calls, at most ~1 s
                started, calls = time.perf_counter(), 0
                while calls < repeat and (calls == 0 or time.perf_counter() - started < 1):
                    query(conn)
                    calls += 1
                rounds.append((time.perf_counter() - started) / calls)
            rows.append([name, f"{min(rounds) * 1000:.2f}"])
    print_table(f"Read-model queries in-process ({machine_load()})", ["query", "ms per call"],
                rows)


# ------------------------------------------------------------------ the bare ASGI endpoint

def bare_app(answers_file: str) -> Any:
    """An ASGI app answering each known path with fixed bytes: the floor a framework adds to."""
    answers = {path: (bytes.fromhex(body), kind)
               for path, (body, kind) in json.loads(Path(answers_file).read_text()).items()}

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        path = scope["path"] + ("?" + scope["query_string"].decode()
                                if scope["query_string"] else "")
        body, kind = answers.get(path, (b"{}", "application/json"))
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", kind.encode()),
                                (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})

    return app


# ------------------------------------------------------------------ load generation

def _client(port: int, path: str, headers: dict[str, str], seconds: float,
            out: Any) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    latencies = []
    end = time.perf_counter() + seconds
    while (now := time.perf_counter()) < end:
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        response.read()
        latencies.append(time.perf_counter() - now)
    out.put(latencies)


def load_python(port: int, path: str, headers: dict[str, str], seconds: float,
                clients: int) -> tuple[float, float, float]:
    ctx = mp.get_context("fork")
    out = ctx.Queue()
    workers = [ctx.Process(target=_client, args=(port, path, headers, seconds, out))
               for _ in range(clients)]
    for worker in workers:
        worker.start()
    latencies = sorted(x for _ in workers for x in out.get())
    for worker in workers:
        worker.join()
    return (len(latencies) / seconds, latencies[len(latencies) // 2] * 1000,
            latencies[int(len(latencies) * 0.99)] * 1000)


def load_wrk(port: int, path: str, headers: dict[str, str], seconds: float,
             clients: int) -> tuple[float, float, float]:
    command = ["wrk", "-t2", f"-c{clients}", f"-d{int(seconds)}s", "--latency"]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    output = subprocess.run([*command, f"http://127.0.0.1:{port}{path}"], check=True,
                            capture_output=True, text=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))  # type: ignore[union-attr]

    def percentile(p: str) -> float:
        value, unit = re.search(rf"\s{p}%\s+([\d.]+)(us|ms|s)", output).groups()  # type: ignore[union-attr]
        return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]

    return rps, percentile("50"), percentile("99")


# ------------------------------------------------------------------ main

def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--workers", type=int, default=2, help="history generator processes")
    parser.add_argument("--seconds", type=float, default=10.0, help="load per endpoint")
    parser.add_argument("--clients", type=int, default=8, help="concurrent connections")
    parser.add_argument("--keep", metavar="FILE",
                        help="keep the database and write where it is (and its key) to FILE")
    parser.add_argument("--reuse", metavar="FILE",
                        help="measure the database a --keep run left (migrations applied, "
                             "read models caught up, VACUUM ANALYZE); nothing is generated")
    parser.add_argument("--only", nargs="*", help="load only the endpoints whose name starts "
                        "so (e.g. ranking overdue); /healthz is always loaded")
    parser.add_argument("--bare", help=argparse.SUPPRESS)  # internal: serve the bare app
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.bare:
        import uvicorn

        uvicorn.run(bare_app(args.bare), host="127.0.0.1", port=args.port, log_level="warning",
                    access_log=False)
        return
    with bench_target("bench_api", keep=args.keep, reuse=args.reuse) as target:
        upgrade(target.url, target.schema)
        if args.reuse:
            key = str(load_kept(args.reuse)["key"])
            catch_up(target, key)
        else:
            key = generate_and_build(target, args)
        if args.keep:
            save_kept(args.keep, target, key=key)
        query_costs(target)
        run(target, key, args)


def generate_and_build(target: Target, args: argparse.Namespace) -> str:
    """The history, every read model built and vacuumed; returns the cipher key."""
    key = AESCipher.create_key(32)
    env = eventsourcing_env(target.url, cipher_key=key, schema=target.schema)
    directory_clock = START - timedelta(days=60)
    app = IHanoi(env=env, clock=lambda: directory_clock)
    try:
        directory = build_directory(app)
        stored = write_history(target, env, directory, args.events, args.workers, seed=5)
        projector = Projector(app, target.url, READ_MODELS, schema=target.schema)
        projector.ensure_tracking()
        started = time.perf_counter()
        projector.rebuild()
        built = time.perf_counter()
        vacuum(target)
        console.print(f"{stored:,} events; read models built in {built - started:.0f} s, "
                      f"vacuumed in {time.perf_counter() - built:.0f} s")
    finally:
        app.close()
    return key


def catch_up(target: Target, key: str) -> None:
    """A kept database brought to the code now: read models new or changed since are built
    (what ``ihanoi serve`` would do on start), then ``VACUUM ANALYZE``."""
    env = eventsourcing_env(target.url, cipher_key=key, schema=target.schema)
    app = IHanoi(env=env)
    try:
        projector = Projector(app, target.url, READ_MODELS, schema=target.schema)
        projector.ensure_tracking()
        started = time.perf_counter()
        projector.catch_up()
        console.print(f"read models caught up in {time.perf_counter() - started:.0f} s")
    finally:
        app.close()
    vacuum(target)


def run(target: Any, key: str, args: argparse.Namespace) -> None:
    # One client address sends the whole load: the rate limits (README "Security") are off.
    env = {**os.environ, "DATABASE_URL": target.url, "IHANOI_DB_SCHEMA": target.schema,
           "IHANOI_CIPHER_KEY": key, "IHANOI_JWT_SECRET": SECRET,
           **{f"IHANOI_RATE_LIMIT_{name}": "off"
              for name in ("ANONYMOUS", "REGISTRATIONS", "SUBMISSIONS", "AUTH_FAILURES")}}
    real_port, bare_port = free_port(), free_port()
    with psycopg.connect(target.url) as conn:  # Điều 25: a token names an officer
        conn.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(target.schema)))
        found = conn.execute("SELECT officer_id, unit_id FROM directory_officers"
                             " WHERE role = 'inspector' AND active LIMIT 1").fetchone()
        report = conn.execute("SELECT report_id FROM public_results"
                              " ORDER BY published_at DESC LIMIT 1 OFFSET 1000").fetchone()
    assert found, "the benchmark's city has a Home Affairs inspector (city_plan overseers)"
    assert report, "the history has over 1,000 published results"
    inspector = {"Authorization": "Bearer " + mint(SECRET, str(found[0]), "inspector",
                                                   found[1])}
    paths = {"public results": ("/public/results?limit=20", {}),
             "overdue list": ("/overdue?limit=100", inspector),
             "a report (staff view)": (f"/reports/{report[0]}", inspector),
             "a report (public result)": (f"/public/results/{report[0]}", {}),
             "ranking": (f"/public/rankings?month={MONTH:%Y-%m}", {}),
             "statistics": (f"/public/statistics?month={MONTH:%Y-%m}", {}),
             "repeat dissatisfaction": (f"/public/repeat-dissatisfaction?month={MONTH:%Y-%m}",
                                        {}),
             "floor: /healthz": ("/healthz", {})}
    real = subprocess.Popen([sys.executable, "-c", "from ihanoi.cli import app; app()",
                             "serve", "--port", str(real_port)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    bare = None
    try:
        wait_listening(real_port)
        answers = {}
        for path, headers in paths.values():
            status, body, kind = fetch(real_port, path, headers)
            if status != 200:
                raise SystemExit(f"{path}: {status} {body[:200]!r}")
            answers[path] = (body.hex(), kind)
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
            json.dump(answers, f)
        bare = subprocess.Popen([sys.executable, "-m", "benchmarks.api", "--bare", f.name,
                                 "--port", str(bare_port)], env=env)
        wait_listening(bare_port)
        load = load_wrk if shutil.which("wrk") else load_python
        console.print(f"load: {'wrk' if load is load_wrk else 'python keep-alive clients'}, "
                      f"{args.clients} connections, {args.seconds:.0f} s per endpoint; "
                      f"{machine_load()}")
        rows = []
        floor = load(real_port, "/healthz", {}, args.seconds, args.clients)[0]
        for name, (path, headers) in paths.items():
            if args.only and not name.startswith(("floor", *args.only)):
                continue
            size = len(bytes.fromhex(answers[path][0]))
            r_rps, r_p50, r_p99 = load(real_port, path, headers, args.seconds, args.clients)
            b_rps, b_p50, b_p99 = load(bare_port, path, headers, args.seconds, args.clients)
            rows.append([f"{name} ({size:,} B)", f"{r_rps:,.0f}", f"{r_p50:.1f}",
                         f"{r_p99:.1f}", f"{b_rps:,.0f}", f"{b_p50:.1f}", f"{b_p99:.1f}",
                         f"{r_rps / b_rps:.2f}×", f"{r_rps / floor:.2f}×"])
        print_table(f"Read API at {datetime.now(BUSINESS_TZ):%Y-%m-%d %H:%M} (real vs bare ASGI;"
                    " issue 16: ≥ 0.5× /healthz, p99 < 50 ms)",
                    ["endpoint", "req/s", "p50 ms", "p99 ms", "bare req/s", "bare p50",
                     "bare p99", "× bare", "× /healthz"], rows)
    finally:
        for process in (real, bare):
            if process is not None:
                process.terminate()
                process.wait(timeout=10)


if __name__ == "__main__":
    main()
