"""Benchmarks (scripts, not tests): ``python -m benchmarks.append`` and
``python -m benchmarks.rebuild``. Shared here: where to run, memory readings, result tables.

Each benchmark works in a fresh schema it drops at the end, on the first server that applies:
DATABASE_URL; else postgres@127.0.0.1:5432 (in a fresh database, dropped too); else the
embedded PostgreSQL of :func:`application.database.resolve_database_url`.
"""

from __future__ import annotations

import json
import os
import resource
import socket
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

import psutil
from rich.console import Console
from rich.table import Table

from application.database import (
    create_database,
    create_schema,
    drop_database,
    drop_schema,
    redact_url,
    resolve_database_url,
)
from application.settings import get_settings

LOCAL_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"

console = Console()


@dataclass(frozen=True)
class Target:
    """Where a benchmark runs: a database URL and a schema of its own."""

    url: str
    schema: str
    where: str


def _local_server_reachable(timeout: float = 1.0) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 5432), timeout=timeout):
            return True
    except OSError:
        return False


@contextmanager
def bench_target(prefix: str, keep: str | None = None,
                 reuse: str | None = None) -> Iterator[Target]:
    """A fresh schema ``<prefix>_<hex>`` (and, on the local server, a fresh database).

    ``reuse``: the target a ``keep`` run left (a JSON file; see :func:`save_kept`), kept
    again. ``keep``: nothing is dropped at the end (the caller saves the target with
    :func:`save_kept`), so that a 1M history is generated once and measured many times.
    """
    if reuse:
        kept = json.loads(Path(reuse).read_text())
        target = Target(kept["url"], kept["schema"], kept["where"])
        console.print(f"[dim]reusing {redact_url(target.url)}, schema {target.schema}[/dim]")
        yield target
        return
    tag = uuid.uuid4().hex[:10]
    schema, database = f"{prefix}_{tag}", f"ihanoi_bench_{tag}"
    own_database = False
    if os.environ.get("DATABASE_URL"):
        url, where = os.environ["DATABASE_URL"], "DATABASE_URL"
    elif _local_server_reachable():
        url, where = create_database(LOCAL_ADMIN_URL, database), "127.0.0.1:5432"
        own_database = True
    else:
        url, where = resolve_database_url(get_settings()), "embedded PostgreSQL"
    create_schema(url, schema)
    console.print(f"[dim]database: {where} ({redact_url(url)}), schema {schema}[/dim]")
    try:
        yield Target(url, schema, where)
    finally:
        if keep:
            console.print(f"[dim]kept: {redact_url(url)}, schema {schema} ({keep})[/dim]")
        elif own_database:
            drop_database(LOCAL_ADMIN_URL, database, force=True)
        else:
            drop_schema(url, schema)


def save_kept(path: str, target: Target, **extra: object) -> None:
    """Record a kept target (and e.g. its cipher key) for a later ``reuse``."""
    Path(path).write_text(json.dumps({**asdict(target), **extra}))


def load_kept(path: str) -> dict[str, object]:
    return dict(json.loads(Path(path).read_text()))


def rss_mb() -> float:
    """Resident memory of this process now, in MiB."""
    return psutil.Process().memory_info().rss / 2**20


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far, in MiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def machine_load() -> str:
    """CPUs and load average: other processes on the machine skew every figure."""
    one, five, _ = os.getloadavg()
    return f"{os.cpu_count()} CPUs, load average {one:.1f} (1 min) / {five:.1f} (5 min)"


def print_table(title: str, columns: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    table = Table(title=title, title_justify="left")
    for i, column in enumerate(columns):
        table.add_column(column, justify="left" if i == 0 else "right")
    for row in rows:
        table.add_row(*(str(cell) for cell in row))
    console.print(table)
