"""The ``ihanoi`` command line: demo, migrations and the read side's operations."""

from __future__ import annotations

import json
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

import psycopg
import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TaskProgressColumn,
    TextColumn,
    TimeRemainingColumn,
)
from rich.table import Table
from rich.text import Text

from application.database import redact_url
from application.settings import get_settings
from domain.calendar import BUSINESS_TZ
from ihanoi.runtime import open_runtime
from projections.deployment import Deployment

app = typer.Typer(help="iHanoi citizen-report backend.", no_args_is_help=True)
projections_cli = typer.Typer(help="Read models: follow, rebuild, checkpoint, answer as of an "
                                   "instant.",
                              no_args_is_help=True)
app.add_typer(projections_cli, name="projections")
app.add_typer(projections_cli, name="project", hidden=True)
audit_cli = typer.Typer(help="Tamper evidence (Điều 22): verify the event store's hash chain, "
                             "print the daily seals, export the chain.", no_args_is_help=True)
app.add_typer(audit_cli, name="audit")
console = Console()


class PerSecond(ProgressColumn):
    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text(f"{speed:,.0f}/s" if speed else "-/s", style="cyan")


@contextmanager
def _events_progress(description: str) -> Iterator[Any]:
    """A rich progress bar counting events, with events/s and ETA."""
    columns = (TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
               TaskProgressColumn(), PerSecond(),
               TimeRemainingColumn())
    with Progress(*columns, console=console, transient=False) as progress:
        task = progress.add_task(description, total=None)

        def update(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        yield update


def _runtime() -> Deployment:
    runtime = open_runtime()
    console.print(f"database: {redact_url(runtime.url)} (schema {runtime.schema})")
    return runtime


@app.command()
def migrate() -> None:
    """Create or upgrade the read-model tables (alembic upgrade heads)."""
    _runtime().close()
    console.print("[green]read models migrated")


@app.command()
def demo(
    reports: Annotated[int, typer.Option(help="Sample reports to play on first run.")] = 300,
    seed: Annotated[int, typer.Option(help="Random seed of the sample history.")] = 2026,
    serve: Annotated[bool, typer.Option(help="Serve the API once the data is ready.")] = True,
    host: Annotated[str, typer.Option()] = "127.0.0.1",
    port: Annotated[int, typer.Option()] = 8000,
) -> None:
    """Embedded PostgreSQL (unless DATABASE_URL), migrations, a sample unit tree and reports
    played over the past weeks, the read models built, then the API with ready-made tokens.
    Refused in production (IHANOI_ENV=production): it would seed fake reports and print
    tokens into a real store."""
    from ihanoi.simulation import Clock, History, build_directory, city_plan

    if get_settings().is_production:
        console.print("[bold red]ihanoi demo is refused in production (IHANOI_ENV=production):"
                      " it seeds sample reports and officers and prints bearer tokens")
        raise typer.Exit(code=2)

    now = datetime.now(BUSINESS_TZ)
    clock = Clock(now - timedelta(days=45))
    runtime = open_runtime(clock=clock)
    console.print(f"database: {redact_url(runtime.url)} (schema {runtime.schema})")
    if runtime.projector.head() == 0:
        plan = city_plan(["Hoàn Kiếm", "Ba Đình", "Cầu Giấy"],
                         ["Sở Xây dựng", "Sở Nông nghiệp và Môi trường"], codes=True,
                         overseers=True)
        history = History(runtime.app, build_directory(runtime.app, plan), seed=seed,
                          start=clock.now, end=now)
        history.register_reporters(20)
        with _events_progress("sample reports") as update:
            history.play(reports, progress=update)
    else:
        console.print("sample data already present: kept as it is")
    clock.release()
    with _events_progress("read models") as update:
        total = runtime.projector.lag()
        done = 0
        while n := runtime.projector.run_once():
            done += n
            update(done, max(total, done))
    _print_summary(runtime)
    if serve:
        from scheduler import start_scheduler

        _print_tokens(runtime)
        scheduler = start_scheduler(runtime)  # leads unless `ihanoi scheduler` already does
        try:
            _serve(runtime, host, port)
        finally:
            scheduler.stop()
            runtime.close()
    runtime.close()


TOKENS_FILE = "demo-tokens.json"


def demo_tokens(runtime: Deployment, secret: str) -> list[dict[str, str | None]]:
    """Ready-made tokens for the sample city's people who work one report together — the
    receiving officer and head of a district, the handling officer of its division, the
    leader of one of its communes — plus the service centre, a department head, a citizen, an
    inspector, the city inspectorate and an administrator:
    role, who (unit or citizen), subject, unit id and the ``Authorization`` header value,
    every id in full. Any other directory: one officer per role."""
    from api.auth import mint

    with runtime.projector.connect() as conn:
        conn.execute(f'SET search_path TO "{runtime.schema}"')
        officers = conn.execute(
            "SELECT o.officer_id, o.role, o.unit_id, u.name, u.level, u.parent_id"
            " FROM directory_officers o JOIN directory_units u USING (unit_id)"
            " WHERE o.active AND u.active ORDER BY u.name, o.name, o.officer_id").fetchall()
        citizen = conn.execute("SELECT reporter_id FROM report_status ORDER BY submitted_at"
                               " LIMIT 1").fetchone()

    def entry(role: str, who: str, subject: str, unit_id: Any = None
              ) -> dict[str, str | None]:
        return {"role": role, "who": who, "subject": subject,
                "unit_id": str(unit_id) if unit_id else None,
                "authorization": "Bearer " + mint(secret, subject, role.split(" ")[0], unit_id)}

    def first(role: str, level: str, parent: Any = None) -> Any:
        return next((o for o in officers if o[1] == role and o[4] == level
                     and (parent is None or o[5] == parent)), None)

    chosen: list[Any] = []
    for district in dict.fromkeys(o[2] for o in officers if o[4] == "district"):
        head = next((o for o in officers if o[2] == district and o[1] == "unit_head"), None)
        receiver = next((o for o in officers if o[2] == district
                         and o[1] == "receiving_officer"), None)
        handler = first("handling_officer", "division", district)
        if head and receiver and handler:
            chosen = [receiver, head, handler]
            # Điều 8.1.c: a commune's leader assigns the commune officer of a report the
            # district's head coordinated to the commune.
            leader = first("unit_head", "commune", district)
            if leader is not None:
                chosen.append((leader[0], "unit_head (commune)", *leader[2:]))
            break
    chosen += [o for o in (first("receiving_officer", "service_centre"),
                           first("unit_head", "department")) if o is not None]
    if not chosen:  # another directory: one officer per role
        chosen = list({o[1]: o for o in reversed(officers)}.values())
    tokens = [entry(role, name, str(officer_id), unit_id)
              for officer_id, role, unit_id, name, _, _ in chosen]
    if citizen:
        tokens.append(entry("citizen", f"citizen {citizen[0]}", str(citizen[0])))
    # Điều 25: every staff token names an officer of the directory, these three too.
    for role in ("inspector", "city_inspector", "administrator"):
        overseer = next((o for o in officers if o[1] == role), None)
        if overseer is not None and all(t["role"] != role for t in tokens):
            tokens.append(entry(role, overseer[3], str(overseer[0]), overseer[2]))
    return tokens


def show_tokens(tokens: list[dict[str, str | None]], out: Console, path: Path) -> None:
    """Write ``tokens`` to ``path`` (JSON, mode 0600) and print them whole: each header on a
    line of its own, never wrapped nor cut, whatever the terminal's width or a pipe (a table
    would truncate them to ``Bearer eyJhbGciOi…``)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600, exist_ok=True)
    path.chmod(0o600)
    path.write_text(json.dumps(tokens, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    out.print("[bold]Demo tokens (12 hours)[/]", soft_wrap=True)
    for token in tokens:
        unit = f" unit {token['unit_id']}" if token["unit_id"] else ""
        out.print(Text(f"{token['role']}: {token['who']} (subject {token['subject']}{unit})"),
                  soft_wrap=True, crop=False)
        out.print(Text(f"Authorization: {token['authorization']}"), soft_wrap=True,
                  crop=False)
    out.print(Text(f"also written to {path}"), soft_wrap=True, crop=False)


def _print_tokens(runtime: Deployment) -> None:
    """The demo's tokens, printed whole and kept in the data directory."""
    settings = get_settings()
    show_tokens(demo_tokens(runtime, settings.resolve_jwt_secret()), console,
                settings.data_dir / TOKENS_FILE)


def _exit_on_signals() -> None:
    """SIGTERM and SIGINT end the process normally (``SystemExit(0)``), so that ``finally``
    blocks and ``atexit`` handlers run — among them the embedded PostgreSQL's, which stops the
    server when its last user leaves (issue 12 item 9). uvicorn shuts down gracefully on
    either signal and then raises it again for the handler it found: this one."""
    def leave(signum: int, frame: object) -> None:
        raise SystemExit(0)

    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, leave)


def _serve(runtime: Deployment, host: str, port: int) -> None:
    import uvicorn

    from api.app import create_app
    from api.operations import configure_logging

    configure_logging()
    _exit_on_signals()
    console.print(f"[bold green]API docs: http://{host}:{port}/docs[/]  public pages: "
                  f"http://{host}:{port}/cong-khai/  (Ctrl-C to stop)")
    # No "server: uvicorn" banner (README "Security"); the Date header stays.
    uvicorn.run(create_app(runtime, get_settings().resolve_jwt_secret()), host=host, port=port,
                log_level="warning", server_header=False)


@app.command()
def serve(
    host: Annotated[str, typer.Option()] = "127.0.0.1",
    port: Annotated[int, typer.Option()] = 8000,
    projector: Annotated[bool, typer.Option(
        help="Follow the read models in this process; --no-projector when `ihanoi "
             "projections run` keeps them.")] = True,
    workers: Annotated[int, typer.Option(
        min=1, help="API worker processes (more than one needs --no-projector).")] = 1,
) -> None:
    """Serve the HTTP API until SIGTERM or Ctrl-C: with the read models followed in-process,
    or (--no-projector) as worker processes following `ihanoi projections run`."""
    if projector and workers > 1:
        console.print("[bold red]--workers above 1 needs --no-projector: run `ihanoi "
                      "projections run` as a process of its own (docs/DEPLOYMENT.md)")
        raise typer.Exit(code=2)
    _check_secret()
    runtime = _runtime()  # migrations and tables, once, before any worker starts
    if not projector:
        runtime.close()
        _serve_workers(host, port, workers)
        return
    try:
        _serve(runtime, host, port)
    finally:
        runtime.close()


def _serve_workers(host: str, port: int, workers: int) -> None:
    """uvicorn's worker processes, each building the API from the environment
    (``ihanoi.asgi.create_api``). Their metrics are shared through files in a directory of
    this run (``PROMETHEUS_MULTIPROC_DIR``, unless set), so any worker's ``/metrics`` counts
    every worker's requests."""
    import os
    import shutil
    import tempfile

    import uvicorn

    from ihanoi.asgi import run_workers

    own_directory = None
    if workers > 1 and not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        own_directory = tempfile.mkdtemp(prefix="ihanoi-metrics-")
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = own_directory  # before any worker starts
    from api.operations import configure_logging

    configure_logging()
    console.print(f"[bold green]API docs: http://{host}:{port}/docs[/]  public pages: "
                  f"http://{host}:{port}/cong-khai/  ({workers} worker"
                  f"{'s' if workers > 1 else ''}; Ctrl-C to stop)")
    try:
        if workers > 1:
            run_workers(workers, host, port)
        else:
            uvicorn.run("ihanoi.asgi:create_api", factory=True, host=host, port=port,
                        log_level="warning", server_header=False)
    finally:
        if own_directory is not None:
            shutil.rmtree(own_directory, ignore_errors=True)


def _check_secret() -> None:
    """Refuse to start on a missing or weak IHANOI_JWT_SECRET in production, before anything
    else is opened."""
    from application.settings import ConfigurationError

    try:
        get_settings().resolve_jwt_secret()
    except ConfigurationError as error:
        console.print(f"[bold red]{error}", soft_wrap=True)
        raise typer.Exit(code=2) from None


@app.command("appoint-administrator")
def appoint_administrator(
    name: Annotated[str, typer.Option(help="the administrator's full name")],
    city: Annotated[str, typer.Option(help="the city unit's name, created if the store has "
                                           "none")] = "UBND Thành phố Hà Nội",
) -> None:
    """Appoint an administrator at the city (Điều 25, 28.1): how a new store gets its first
    one, since every staff token, an administrator's too, must name an officer of the
    directory. Prints his officer id and unit id, the claims of his token."""
    from application.commands import AppointOfficer, CreateUnit
    from domain.actors import Actor, Role
    from projections import unit_directory

    runtime = _runtime()
    operator = Actor(id="ihanoi-cli", role=Role.ADMINISTRATOR)  # the composition root
    try:
        runtime.projector.catch_up()
        with runtime.projector.connect() as conn:
            conn.execute(f'SET search_path TO "{runtime.schema}"')
            cities = unit_directory.of_level(conn, "city")
        city_id = (cities[0]["unit_id"] if cities else
                   runtime.app.handle(CreateUnit(city, "city", None), operator).aggregate_id)
        officer_id = runtime.app.handle(AppointOfficer(name, city_id, "administrator"),
                                        operator).aggregate_id
        runtime.projector.catch_up()
    finally:
        runtime.close()
    console.print(f"administrator {name}: subject {officer_id} unit {city_id}", soft_wrap=True)


@app.command()
def token(
    role: Annotated[str, typer.Option(help="citizen, receiving_officer, handling_officer, "
                                           "unit_head, inspector, city_inspector or "
                                           "administrator")],
    subject: Annotated[str, typer.Option(help="officer or reporter id")],
    unit: Annotated[str | None, typer.Option(help="the officer's unit id")] = None,
    hours: Annotated[int, typer.Option(help="lifetime")] = 12,
) -> None:
    """Mint a bearer token signed with IHANOI_JWT_SECRET (demo and tests)."""
    from uuid import UUID

    from api.auth import mint

    print(mint(get_settings().resolve_jwt_secret(), subject, role,
               UUID(unit) if unit else None, timedelta(hours=hours)))


def _print_summary(runtime: Deployment) -> None:
    with psycopg.connect(runtime.session_url) as conn:
        conn.execute(f'SET search_path TO "{runtime.schema}"')
        rows = conn.execute("SELECT status, count(*) FROM report_status GROUP BY status "
                            "ORDER BY count(*) DESC").fetchall()
        late = conn.execute("SELECT count(*) FROM report_status WHERE stage_due < now()"
                            ).fetchone()
    table = Table("status", "reports", title="Reports by status (report_status)")
    for status, count in rows:
        table.add_row(status, str(count))
    console.print(table)
    console.print(f"open stages past their due instant now: [bold red]{late[0] if late else 0}")


@projections_cli.command("run")
def run_projections(
    poll: Annotated[float, typer.Option(help="Seconds between polls when idle.")] = 0.2,
) -> None:
    """Follow the event store and keep every read model up to date (until Ctrl-C)."""
    runtime = _runtime()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    console.print(f"following {len(runtime.projector.models)} read models; Ctrl-C to stop")
    try:
        runtime.projector.run_forever(stop, poll_interval=poll)
    except KeyboardInterrupt:
        stop.set()
    runtime.close()


@projections_cli.command()
def rebuild(
    name: Annotated[list[str] | None, typer.Argument(help="Read models to rebuild.")] = None,
    all_models: Annotated[bool, typer.Option("--all", help="Rebuild every read model.")] = False,
) -> None:
    """Replay the whole history into fresh tables and swap them in atomically."""
    if not name and not all_models:
        raise typer.BadParameter("name read models to rebuild, or pass --all")
    runtime = _runtime()
    with _events_progress("rebuilding") as update:
        position = runtime.projector.rebuild(None if all_models else name, progress=update)
    console.print(f"[green]rebuilt up to event {position}")
    runtime.close()


def _built_as_of(runtime: Deployment, at: datetime, names: list[str]) -> str:
    """``Projector.as_of`` with its progress bar; an instant not yet passed (by the
    application's clock) is refused with exit code 2, nothing built nor kept."""
    from projections.engine import FutureInstant

    try:
        with _events_progress("as of " + at.isoformat()) as update:
            return runtime.projector.as_of(at, names, progress=update)
    except FutureInstant as error:
        console.print(f"[bold red]refused: {error}", soft_wrap=True)
        runtime.close()
        raise typer.Exit(code=2) from None


@projections_cli.command("as-of")
def as_of(
    instant: Annotated[str, typer.Argument(help="e.g. 2026-06-30T17:00+07:00")],
    name: Annotated[list[str], typer.Argument(help="Read models to build.")],
) -> None:
    """Build read models as they stood at INSTANT, into a schema of their own, and show them."""
    at = datetime.fromisoformat(instant)
    if at.tzinfo is None:
        raise typer.BadParameter("give the instant with its offset, e.g. +07:00")
    runtime = _runtime()
    schema = _built_as_of(runtime, at, name)
    with psycopg.connect(runtime.session_url) as conn:
        for model in name:
            for table in runtime.projector.model(model).tables:
                count = conn.execute(f'SELECT count(*) FROM "{schema}"."{table}"').fetchone()
                console.print(f"{schema}.{table}: {count[0] if count else 0} rows")
    console.print(f'query it with: SET search_path TO "{schema}", "{runtime.schema}";')
    runtime.close()


@projections_cli.command()
def checkpoint(
    every: Annotated[int | None, typer.Option(
        min=1, help="Events between two checkpoints (default: IHANOI_CHECKPOINT_EVERY).")] = None,
    reset: Annotated[bool, typer.Option(
        "--reset", help="Drop every checkpoint first (after a change to a handler's code).")
    ] = False,
    keep_months: Annotated[int | None, typer.Option(
        min=0, help="Keep the month-end checkpoints of the last N months (default: "
                    "IHANOI_CHECKPOINT_KEEP_MONTHS).")] = None,
    keep_latest: Annotated[int | None, typer.Option(
        min=0, help="Keep the last K checkpoints cut every N events (default: "
                    "IHANOI_CHECKPOINT_KEEP_LATEST).")] = None,
) -> None:
    """Cut the read models' checkpoints due (each month end passed, every N events) that
    as-of builds start from, drop those no longer kept, and list them. Kept: the month ends
    of the last --keep-months months, the last --keep-latest cut every N events, the last
    one, and of the others as many as leave at most N events between two kept ones (an
    as-of before a dropped one starts from the one before). One being copied from is left
    to the next run."""
    from projections import checkpoints

    runtime = _runtime()
    settings = get_settings()
    if reset:
        console.print(f"dropped {checkpoints.drop_checkpoints(runtime.projector)} checkpoints")
    keep = checkpoints.Retention(
        settings.checkpoint_keep_months if keep_months is None else keep_months,
        settings.checkpoint_keep_latest if keep_latest is None else keep_latest)
    with _events_progress("checkpoints") as update:
        made = checkpoints.make_checkpoints(
            runtime.projector, every or settings.checkpoint_every, progress=update, keep=keep)
    console.print(f"[green]{len(made)} checkpoints made")
    table = Table("schema", "position", "stands for instants from", "month end", "current",
                  "MB", title="checkpoints")
    heads = checkpoints.migration_heads(runtime.projector)
    kept = checkpoints.checkpoints(runtime.projector)
    size = checkpoints.disk_bytes(runtime.projector, kept)
    for c in kept:
        table.add_row(c.schema, str(c.position), c.covers.astimezone(BUSINESS_TZ).isoformat(),
                      c.month_end.astimezone(BUSINESS_TZ).isoformat() if c.month_end else "",
                      "yes" if c.heads == heads else "no (other migrations)",
                      f"{size.get(c.schema, 0) / 2**20:,.0f}")
    console.print(table)
    console.print(f"{len(kept)} checkpoints take {sum(size.values()) / 2**20:,.0f} MB")
    runtime.close()


@projections_cli.command()
def status() -> None:
    """Each read model's position and how far behind the event store it is."""
    runtime = _runtime()
    head = runtime.projector.head()
    with runtime.projector.connect() as conn:
        positions = runtime.projector.positions(conn)
    table = Table("read model", "position", "behind", title=f"event store head: {head}")
    for model in runtime.projector.models:
        position = positions.get(model.name, 0)
        table.add_row(model.name, str(position), str(head - position))
    console.print(table)
    runtime.close()


@app.command("report")
def periodic_report(
    period: Annotated[str, typer.Argument(
        help="2026-03 (monthly), 2026-Q1 (quarterly), 2026 (yearly) or "
             "2026-03-01..2026-03-15 (ad hoc, both days included)")],
    unit: Annotated[str | None, typer.Option(help="only this unit's figures")] = None,
    explain: Annotated[str | None, typer.Option(
        help="the reports and events behind one figure of --unit (e.g. received)")] = None,
    heads: Annotated[bool, typer.Option(
        help="the month's figures per head of unit (monthly periods)")] = False,
    at: Annotated[str | None, typer.Option(
        "--as-of", help="as the events stood at this instant, e.g. 2026-06-30T17:00+07:00")
    ] = None,
) -> None:
    """Điều 18.3.b, 25.4: the periodic report (reception and handling per unit, alerts sent,
    initiatives received and answered), a figure's events, or the figures per head of unit
    (seed 000 Điều 2.4)."""
    from uuid import UUID

    from projections import periodic_reports, unit_directory

    try:
        kind, first, last = periodic_reports.period(period)
    except ValueError as error:
        raise typer.BadParameter(str(error)) from None
    instant = datetime.fromisoformat(at) if at else None
    if instant is not None and instant.tzinfo is None:
        raise typer.BadParameter("give the instant with its offset, e.g. +07:00")
    if explain and not unit:
        raise typer.BadParameter("--explain needs --unit")
    if heads and kind != "monthly":
        raise typer.BadParameter("--heads needs a month, e.g. 2026-03")
    unit_id = UUID(unit) if unit else None
    runtime = _runtime()
    schema = runtime.schema
    if instant is not None:
        schema = _built_as_of(runtime, instant, ["periodic_reports"])
    with psycopg.connect(runtime.session_url, autocommit=True) as conn:
        conn.execute(f'SET search_path TO "{schema}", "{runtime.schema}"')
        if explain:
            assert unit_id is not None
            start, end = periodic_reports.bounds(first, last)
            explained = periodic_reports.explain(conn, unit_id, start, end, explain)
            console.print(f"{explain} of {unit} over {period}: [bold]{explained['value']}")
            console.print("subjects: " + ", ".join(map(str, explained["subject_ids"])))
            console.print("events: " + ", ".join(map(str, explained["notification_ids"])))
        elif heads:
            rows = periodic_reports.heads(conn, first, unit_id)
            names = unit_directory.names(conn, (r["unit_id"] for r in rows))
            table = Table("head", "unit", "from", "to", *periodic_reports.METRICS,
                          title=f"Figures per head of unit, {period} (seed 000 Điều 2.4)")
            for r in rows:
                table.add_row(r["name"], names.get(r["unit_id"], str(r["unit_id"])),
                              f"{r['from_at'].astimezone(BUSINESS_TZ):%d/%m %H:%M}",
                              f"{r['to_at'].astimezone(BUSINESS_TZ):%d/%m %H:%M}",
                              *(str(r["figures"][m]) for m in periodic_reports.METRICS))
            console.print(table)
        else:
            report = periodic_reports.report(conn, period, unit_id)
            names = unit_directory.names(conn, (r["unit_id"] for r in report["units"]))
            table = Table("unit", *periodic_reports.METRICS,
                          title=f"Report {period} ({kind}, {first:%d/%m/%Y}–{last:%d/%m/%Y};"
                                f" Điều 18.3.b)")
            for r in report["units"]:
                table.add_row(names.get(r["unit_id"], str(r["unit_id"])),
                              *(str(r[m]) for m in periodic_reports.METRICS))
            table.add_row("[bold]city (distinct)",
                          *(str(report["totals"][m]) for m in periodic_reports.METRICS))
            console.print(table)
    runtime.close()


@app.command("scheduler")
def run_scheduler(
    retry: Annotated[float, typer.Option(help="Seconds between a standby's tries to lead.")] = 5.0,
    deadlines: Annotated[float, typer.Option(help="Seconds between deadline runs.")] = 30.0,
    delivery: Annotated[float, typer.Option(help="Seconds between outbox deliveries.")] = 10.0,
    housekeeping: Annotated[float, typer.Option(
        help="Seconds between statistics, lock and alert-cadence runs.")] = 300.0,
) -> None:
    """Run the scheduler (deadlines, statistics on the 25th, lock expiry, alert cadence,
    notifications) until Ctrl-C; of several instances, one leads at a time."""
    import logging

    from scheduler import Intervals, start_scheduler

    runtime = _runtime()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s "
                                                   "%(message)s")
    logging.getLogger("apscheduler").setLevel(logging.WARNING)  # not every run of every job
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    handle = start_scheduler(runtime, intervals=Intervals(retry, deadlines, delivery,
                                                          housekeeping))
    console.print("scheduler started (leads when no other instance does); Ctrl-C to stop")
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    handle.stop()
    runtime.close()


def _chain(runtime: Deployment) -> Any:
    from projections.event_chain import EventChain

    return EventChain(runtime.app, runtime.session_url, schema=runtime.schema)


def _kept_head(text: str) -> tuple[int, str]:
    """``NID:HASH`` (or ``#NID HASH`` as printed by ``ihanoi audit seals``)."""
    nid, _, hash_ = text.strip().lstrip("#").replace(" ", ":").partition(":")
    if not nid.isdigit() or len(hash_) != 64:
        raise typer.BadParameter(f"expected NOTIFICATION_ID:HASH, got {text!r}")
    return int(nid), hash_.lower()


@audit_cli.command("verify")
def audit_verify(
    head: Annotated[list[str] | None, typer.Option(
        "--head", help="a head kept by the inspector, NOTIFICATION_ID:HASH (repeatable)")
    ] = None,
) -> None:
    """Điều 22: recompute the hash chain from the stored events and compare it with the chain,
    the daily seals and the heads given; name the first event changed, removed or inserted.
    Exits 1 when anything differs."""
    kept = dict(_kept_head(h) for h in head or [])
    runtime = _runtime()
    try:
        chain = _chain(runtime)
        chain.extend()
        with _events_progress("verifying") as update:
            result = chain.verify(kept, progress=update,
                                  today=runtime.app.now().astimezone(BUSINESS_TZ).date())
    finally:
        runtime.close()
    console.print(f"{result.events} events checked up to #{result.chained_up_to}, "
                  f"{len(result.seals)} daily seals, {len(kept)} kept heads; "
                  f"{result.pending} events stored since, not chained yet")
    if result.ok:
        console.print("[green]the event store matches its hash chain and every seal")
        return
    first = result.first
    assert first is not None
    console.print(f"[bold red]first discrepancy ({first.kind}):[/] {first.message}",
                  soft_wrap=True)
    for finding in result.findings:
        console.print(f"  #{finding.notification_id} {finding.kind}: {finding.message}",
                      soft_wrap=True)
    raise typer.Exit(1)


@audit_cli.command("seals")
def audit_seals() -> None:
    """Điều 22: each day's sealed head of the hash chain (day, event, hash), for the
    inspector to print and keep."""
    runtime = _runtime()
    try:
        seals = _chain(runtime).seals()
    finally:
        runtime.close()
    table = Table("day", "head event", "hash (SHA-256)", "events",
                  title="Daily seals of the event store (Điều 22)")
    for seal in seals:
        table.add_row(seal.day, f"#{seal.head_notification_id}", seal.head_hash,
                      str(seal.events))
    console.print(table, soft_wrap=True)
    for seal in seals:  # as `ihanoi audit verify --head` and the offline script take them
        console.print(seal.printed(), soft_wrap=True, highlight=False)


@audit_cli.command("export-chain")
def audit_export_chain(
    path: Annotated[Path, typer.Argument(help="CSV file to write")],
) -> None:
    """The whole hash chain as CSV, for ``scripts/verify_audit_export.py --chain``."""
    runtime = _runtime()
    try:
        chain = _chain(runtime)
        chain.extend()
        with path.open("wb") as out:
            for block in chain.export_csv():
                out.write(block)
    finally:
        runtime.close()
    console.print(f"[green]chain written to {path}")
