"""As of an instant from checkpoints (issue 16): a build from the nearest checkpoint plus the
tail equals the full replay up to the instant, over random histories, before and after
retention dropped checkpoints; a checkpoint being copied from is not dropped; a checkpoint
builder killed anywhere leaves the live models and the other checkpoints intact; a checkpoint
made under other migrations is never used."""

from __future__ import annotations

import itertools
import os
import random
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from psycopg import sql
from rich.console import Console
from typer.testing import CliRunner

from application.database import drop_schema
from application.services import IHanoi
from domain.calendar import BUSINESS_TZ
from ihanoi import cli
from projections import checkpoints as module
from projections.checkpoints import (
    Retention,
    checkpoints,
    drop_checkpoints,
    make_checkpoints,
    migration_heads,
    month_end_at_or_after,
    start_point,
)
from projections.deployment import Deployment
from projections.engine import Projector
from tests.conftest import TemplateDatabase
from tests.integration.conftest import Clock, World
from tests.integration.test_projection_engine import (
    NEAR_HOLIDAYS,
    Snapshot,
    build_city,
    drive,
    projector_on,
    snapshot,
    tracking,
)

CHILD = Path(__file__).with_name("_checkpoint_child.py")
KEEP_ALL = Retention(months=10_000, latest=1_000_000)


class Borrowed(Deployment):
    """The test's own deployment, lent to the CLI: its write side stays open after."""

    def close(self) -> None:
        pass


def borrow_for_cli(monkeypatch: pytest.MonkeyPatch, url: str, schema: str, app: IHanoi,
                   projector: Projector) -> None:
    """``ihanoi`` commands run in the test on its application and projector."""
    monkeypatch.setattr(cli, "_runtime", lambda: Borrowed(
        url=url, schema=schema, app=app, projector=projector))
    monkeypatch.setattr(cli, "console", Console(width=400))


def as_of_snapshots(projector: Projector, instants: list[datetime]) -> list[Snapshot]:
    """Every read model as of each instant, each built afresh (and dropped)."""
    tables = []
    for instant in instants:
        schema = projector.as_of(instant)
        try:
            tables.append(snapshot(projector, schema))
        finally:
            drop_schema(projector.conninfo, schema)
    return tables


def assert_checkpoints_change_nothing(projector: Projector, instants: list[datetime]) -> None:
    """As of each instant, the build from checkpoints equals the full replay."""
    from_checkpoints = as_of_snapshots(projector, instants)
    drop_checkpoints(projector)
    full = as_of_snapshots(projector, instants)
    for instant, built, replayed in zip(instants, from_checkpoints, full, strict=True):
        for table, rows in replayed.items():
            assert built[table] == rows, f"{table} as of {instant}: checkpoint + tail differs"


@settings(max_examples=5, deadline=None)
@given(rng=st.randoms(use_true_random=False), reports=st.integers(3, 6),
       # every: at most 15, fewer than the smallest history stores (the city and 3 reports,
       # over 20 events), so the first run cuts at least one checkpoint.
       every=st.integers(5, 15), span=st.integers(1, 25), months=st.integers(0, 2),
       latest=st.integers(0, 2))
def test_as_of_from_a_checkpoint_and_its_tail_equals_the_full_replay_after_retention(
        template_database: TemplateDatabase, cipher_key: str, rng: random.Random, reports: int,
        every: int, span: int, months: int, latest: int) -> None:
    """Issue 16: checkpoints cut at month ends and every ``every`` events (ranges of ``span``
    events), then more events and the next run, which drops those ``Retention(months,
    latest)`` does not keep: as of any instant — random, a checkpoint's own (kept or
    dropped), a month end — the read models built from the nearest remaining checkpoint equal
    those replayed from scratch."""
    clock = Clock(rng.choice(NEAR_HOLIDAYS))
    with projector_on(template_database.copy(), template_database.schema, cipher_key, clock,
                      500) as (app, projector):
        start = clock.now
        city = build_city(app)
        drive(city, clock, rng, reports)
        clock.advance(hours=1)
        made = make_checkpoints(projector, every=every, span=span, keep=KEEP_ALL)
        assert made == checkpoints(projector) and made
        assert all(a.position < b.position for a, b in itertools.pairwise(made))
        for c in made:  # a month-end checkpoint stands for its month end
            assert c.month_end is None or c.covers <= c.month_end
        drive(city, clock, rng, reports=2)  # the tail reaches past the last checkpoint
        end = clock.now
        clock.advance(days=rng.choice([0, 40]))
        made += make_checkpoints(projector, every=every, span=span,
                                 keep=Retention(months, latest))
        kept = checkpoints(projector)
        assert set(kept) <= set(made) and kept[-1] == made[-1]
        month_ends = sorted({month_end_at_or_after(c.covers) for c in made})
        instants = sorted({start + (end - start) * rng.random() for _ in range(2)}
                          | {c.covers for c in rng.sample(made, min(3, len(made)))}
                          | {e for e in month_ends if e < clock.now}
                          | {start - timedelta(minutes=1), end})
        assert any(start_point(projector, projector.models, t)[0] for t in instants)
        assert_checkpoints_change_nothing(projector, instants)


def test_retention_drops_no_checkpoint_being_copied_from_and_checkpoints_keep_no_index(
        app: IHanoi, clock: Clock, projector: Projector, database_url: str, fresh_schema: str,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 16: a checkpoint holds its tables' rows alone (no key, no index: it is only
    copied whole); retention leaves a checkpoint while a copy from it runs (its lock held
    shared) and drops it at the next run (``ihanoi projections checkpoint --keep-months
    --keep-latest``); an as-of whose checkpoint was dropped after it chose it starts from
    another, equal to the full replay."""
    clock.set(2026, 2, 20, 9, 0)
    city = build_city(app)
    drive(city, clock, random.Random(7), reports=3)
    clock.set(2026, 3, 10, 9, 0)
    drive(city, clock, random.Random(8), reports=3)
    clock.set(2026, 4, 2, 9, 0)
    old = make_checkpoints(projector, every=1_000_000, span=10, keep=KEEP_ALL)
    assert [c.month_end for c in old] == [datetime(2026, m, 1, tzinfo=BUSINESS_TZ)
                                          for m in (3, 4)]
    with projector.connect() as conn:
        assert conn.execute(
            "SELECT count(*) FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid"
            " JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = ANY(%s)",
            ([c.schema for c in old],)).fetchone() == (0,)
    drive(city, clock, random.Random(9), reports=1)
    clock.set(2026, 5, 2, 9, 0)
    with projector.connect() as copying, copying.transaction():
        copying.execute("SELECT pg_advisory_xact_lock_shared(%s)", (module._copy_key(old[0]),))
        made = make_checkpoints(projector, every=1_000_000, span=10,
                                keep=Retention(months=0, latest=0))
        assert checkpoints(projector) == [old[0], *made]  # old[1]: dropped; old[0]: copied
    assert made and made[0].month_end == datetime(2026, 5, 1, tzinfo=BUSINESS_TZ)

    borrow_for_cli(monkeypatch, database_url, fresh_schema, app, projector)
    run = CliRunner().invoke(cli.app, ["projections", "checkpoint", "--every", "1000000",
                                       "--keep-months", "0", "--keep-latest", "0"])
    assert run.exit_code == 0, run.output
    assert checkpoints(projector) == made and old[0].schema not in run.output
    assert f"{len(made)} checkpoints take" in run.output  # and each one's MB

    real, stale = module.start_point, [old[1]]

    def chosen_then_dropped(*args: object) -> tuple[module.Checkpoint | None, int]:
        base, stop = real(*args)  # type: ignore[arg-type]
        return (stale.pop(), stop) if stale else (base, stop)

    monkeypatch.setattr(module, "start_point", chosen_then_dropped)
    instant = datetime(2026, 5, 1, tzinfo=BUSINESS_TZ)
    assert real(projector, projector.models, instant)[0] == made[0]
    assert_checkpoints_change_nothing(projector, [instant])
    assert not stale


def test_a_killed_checkpoint_build_leaves_live_models_and_other_checkpoints_intact(
        app: IHanoi, clock: Clock, projector: Projector, database_url: str,
        cipher_key: str) -> None:
    """Issue 16: a checkpoint builder SIGKILLed while replaying leaves no half checkpoint (only
    complete ones are listed), the live models and their positions untouched; the next run
    drops its staging schema and cuts the checkpoints still due, equal to a full replay."""
    clock.set(2026, 4, 20, 9, 0)
    rng = random.Random(16)
    city = build_city(app)
    drive(city, clock, rng, reports=8)
    projector.catch_up()
    clock.advance(hours=2)
    live, positions = snapshot(projector), tracking(projector)
    env = {**os.environ, "IHANOI_CHILD_URL": database_url,
           "IHANOI_CHILD_SCHEMA": projector.schema, "IHANOI_CHILD_CIPHER_KEY": cipher_key,
           "IHANOI_CHILD_NOW": clock.now.isoformat()}
    child = subprocess.Popen([sys.executable, str(CHILD)], env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE)
    try:
        line = child.stdout.readline() if child.stdout else b""
        assert line == b"replaying\n", child.communicate()[1].decode()
        kept = checkpoints(projector)
        assert len(kept) == 1  # the second one was being built
    finally:
        child.kill()
        child.communicate()

    def staging() -> set[str]:
        with projector.connect() as conn:
            return {name for (name,) in conn.execute(
                "SELECT nspname FROM pg_namespace WHERE obj_description(oid, 'pg_namespace')"
                " = %s", (f"staging of {projector.schema}",)).fetchall()}

    assert staging(), "the killed builder's staging schema is left behind until the next run"
    assert checkpoints(projector) == kept
    assert snapshot(projector) == live and tracking(projector) == positions
    made = make_checkpoints(projector, every=10, span=5, keep=KEEP_ALL)
    assert made and checkpoints(projector) == kept + made
    assert not staging()
    assert snapshot(projector) == live and tracking(projector) == positions
    assert_checkpoints_change_nothing(projector, [c.covers for c in made] + [clock.now])


def test_a_checkpoint_of_other_migrations_is_never_used(
        app: IHanoi, clock: Clock, projector: Projector, database_url: str, fresh_schema: str,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 16: a checkpoint records the migration heads of the live schema it was made
    under; once the schema has moved on, as-of builds ignore it and the next run of
    checkpoints drops it and cuts new ones. ``ihanoi projections checkpoint --reset`` drops
    them all and cuts them again."""
    clock.set(2026, 3, 27, 9, 0)
    drive(build_city(app), clock, random.Random(3), reports=4)
    clock.set(2026, 4, 2, 9, 0)
    old = make_checkpoints(projector, every=1_000_000, span=10)
    month_end = datetime(2026, 4, 1, tzinfo=BUSINESS_TZ)
    assert [c.month_end for c in old] == [month_end]
    assert start_point(projector, projector.models, month_end)[0] == old[0]
    version = sql.Identifier(projector.schema, "alembic_version")
    with projector.connect() as conn:
        conn.execute(sql.SQL("INSERT INTO {} VALUES ('9999z')").format(version))
    try:
        assert start_point(projector, projector.models, month_end)[0] is None
        new = make_checkpoints(projector, every=1_000_000, span=10)
        assert checkpoints(projector) == new and [c.month_end for c in new] == [month_end]
        assert "9999z" in new[0].heads and "9999z" not in old[0].heads
        assert start_point(projector, projector.models, month_end)[0] == new[0]
    finally:
        with projector.connect() as conn:
            conn.execute(sql.SQL("DELETE FROM {} WHERE version_num = '9999z'").format(version))

    borrow_for_cli(monkeypatch, database_url, fresh_schema, app, projector)
    made = CliRunner().invoke(cli.app, ["projections", "checkpoint", "--reset", "--every",
                                        "1000000"])
    assert made.exit_code == 0, made.output
    (again,) = checkpoints(projector)
    assert again.heads == migration_heads(projector) and again.month_end == month_end
    assert "dropped 1 checkpoints" in made.output and again.schema in made.output


def test_the_scheduler_cuts_each_month_end_checkpoint_once(
        app: IHanoi, clock: Clock, world: World, projector: Projector, database_url: str,
        fresh_schema: str) -> None:
    """Issue 16: the scheduler's checkpoints job cuts the checkpoint of a month end once it
    has passed, once."""
    from scheduler import Scheduler

    clock.set(2026, 3, 30, 9, 0)
    world.submit()
    scheduler = Scheduler(Deployment(url=database_url, schema=fresh_schema, app=app,
                                     projector=projector), clock)
    assert scheduler.checkpoint(clock.now) == 0  # March has not ended
    clock.set(2026, 4, 1, 0, 1)
    assert scheduler.checkpoint(clock.now) == 1
    assert scheduler.checkpoint(clock.now) == 0
    (made,) = checkpoints(projector)
    assert made.month_end == datetime(2026, 4, 1, tzinfo=BUSINESS_TZ)


def test_an_as_of_schema_is_an_unlogged_cache_with_the_live_keys_and_is_rebuilt_after_a_restart(
        app: IHanoi, clock: Clock, projector: Projector) -> None:
    """Issue 16: an as-of schema seeded from a checkpoint holds unlogged tables (a cache, no
    WAL) with the live tables' keys and indexes, same names and definitions (built after the
    copy); one built before the server last started, which crash recovery may have emptied,
    is not reused but built again."""
    clock.set(2026, 3, 27, 9, 0)
    drive(build_city(app), clock, random.Random(5), reports=4)
    clock.set(2026, 4, 2, 9, 0)
    (made,) = make_checkpoints(projector, every=1_000_000, span=10)
    month_end = datetime(2026, 4, 1, tzinfo=BUSINESS_TZ)
    assert start_point(projector, projector.models, month_end)[0] == made
    tables = [t for m in projector.models for t in m.tables]

    def layout(schema: str) -> tuple[set[tuple[str, str]], set[str]]:
        with projector.connect() as conn:
            indexes = conn.execute(
                "SELECT c.relname, pg_get_indexdef(i.indexrelid) FROM pg_index i"
                " JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_class t ON t.oid = i.indrelid"
                " JOIN pg_namespace n ON n.oid = t.relnamespace"
                " WHERE n.nspname = %s AND t.relname = ANY(%s)", (schema, tables)).fetchall()
            persistence = conn.execute(
                "SELECT DISTINCT c.relpersistence FROM pg_class c JOIN pg_namespace n"
                " ON n.oid = c.relnamespace WHERE n.nspname = %s AND c.relname = ANY(%s)",
                (schema, tables)).fetchall()
        return ({(name, definition.replace(f" {schema}.", " ")) for name, definition in indexes},
                {p for (p,) in persistence})

    schema = projector.as_of(month_end)
    try:
        built = snapshot(projector, schema)
        indexes, persistence = layout(schema)
        assert persistence == {"u"} and layout(projector.schema) == (indexes, {"p"})
        with projector.connect() as conn:
            conn.execute(sql.SQL("COMMENT ON SCHEMA {} IS {}").format(
                sql.Identifier(schema), sql.Literal(
                    f"as-of of {projector.schema} built 2000-01-01T00:00:00+00:00")))
            conn.execute(sql.SQL("TRUNCATE {}").format(sql.Identifier(schema, "report_status")))
        assert projector.as_of(month_end) == schema
        assert snapshot(projector, schema) == built and built["report_status"]
    finally:
        drop_schema(projector.conninfo, schema)
