"""Issue 16: as-of only for instants already passed (API, CLI, ``Projector.as_of``), never
cached for an instant still to come; anonymous callers only at published month ends (Điều 18.4;
seed 000 Điều 2.2.c), staff at any past instant."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from api.queries import PUBLISHED_FIGURES
from domain.calendar import BUSINESS_TZ
from projections.deployment import Deployment
from projections.engine import AS_OF_PAST, FutureInstant, Projector

PUBLIC = ["/public/results", "/public/rankings", "/public/statistics",
          "/public/repeat-dissatisfaction", "/public/rankings.csv", "/public/rankings.xlsx",
          "/public/statistics.csv", "/public/statistics.xlsx"]


def _as_of_schemas(projector: Projector) -> int:
    with projector.connect() as conn:
        row = conn.execute("SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'asof%%'"
                           ).fetchone()
    return row[0] if row else 0


def _get(api, path: str, at: datetime, headers: dict[str, str] | None = None, **params):
    return api.client.get(path, params={"month": "2026-03", "as_of": at.isoformat(), **params},
                          headers=headers or {})


def test_as_of_a_future_instant_is_refused_everywhere(
        world, clock, projector: Projector, api, database_url, fresh_schema,
        monkeypatch) -> None:
    from rich.console import Console
    from typer.testing import CliRunner

    from ihanoi import cli

    world.submit()
    projector.catch_up()
    future = clock.now + timedelta(hours=1)
    before = _as_of_schemas(projector)

    with pytest.raises(FutureInstant) as refused:
        projector.as_of(future, ["report_status"])
    assert refused.value.rule == AS_OF_PAST

    staff = api.token(world.head)
    explain = {"metric": "received", "unit_id": str(world.district)}
    for path, headers, params in [("/public/rankings", staff, {}),
                                  ("/public/statistics", None, {}),
                                  ("/explain/statistics", staff, explain)]:
        answer = _get(api, path, future, headers, **params)
        assert answer.status_code == 422, answer.text
        assert answer.headers["content-type"].startswith("application/problem+json")
        assert answer.json()["rule"] == AS_OF_PAST
    # "Now" itself has not passed either, through the API.
    assert _get(api, "/public/rankings", clock.now, staff).status_code == 422

    class Borrowed(Deployment):
        def close(self) -> None:  # the test's write side stays open
            pass

    monkeypatch.setattr(cli, "_runtime", lambda: Borrowed(
        url=database_url, schema=fresh_schema, app=world.app, projector=projector))
    monkeypatch.setattr(cli, "console", Console(width=400))
    runner = CliRunner()
    built = runner.invoke(cli.app, ["projections", "as-of", future.isoformat(),
                                    "report_status"])
    assert built.exit_code == 2, built.output
    assert "not passed yet" in built.output and AS_OF_PAST in built.output
    report = runner.invoke(cli.app, ["report", "2026-03", "--as-of", future.isoformat()])
    assert report.exit_code == 2, report.output
    assert _as_of_schemas(projector) == before  # nothing built, nothing kept


def test_a_future_as_of_is_never_cached_stale(world, clock, projector: Projector) -> None:
    world.submit()
    projector.catch_up()
    later = clock.now + timedelta(hours=1)
    with pytest.raises(FutureInstant):
        projector.as_of(later, ["report_status"])
    clock.advance(minutes=30)
    world.submit()  # recorded before ``later``: an as-of at ``later`` must show it
    clock.advance(hours=1)
    projector.catch_up()
    schema = projector.as_of(later, ["report_status"])
    with projector.connect() as conn:
        row = conn.execute(f'SELECT count(*) FROM "{schema}".report_status').fetchone()
    assert row is not None and row[0] == 2


def test_anonymous_as_of_only_at_published_month_ends_dieu_18_4_seed_000_2_2_c(
        world, clock, projector: Projector, api, database_url, fresh_schema) -> None:
    from scheduler import Scheduler

    world.submit()
    clock.set(2026, 3, 25, 17, 0)
    runtime = Deployment(url=database_url, schema=fresh_schema, app=world.app,
                         projector=projector)
    assert Scheduler(runtime, clock).tick().statistics == ("2026-03",)
    clock.set(2026, 4, 2, 9, 0)
    projector.catch_up()
    frozen = datetime(2026, 3, 25, 17, 0, tzinfo=BUSINESS_TZ)
    month_end = datetime(2026, 4, 1, 0, 0, tzinfo=BUSINESS_TZ)
    any_past = datetime(2026, 3, 20, 12, 0, tzinfo=BUSINESS_TZ)
    february_end = datetime(2026, 3, 1, 0, 0, tzinfo=BUSINESS_TZ)  # February: not published

    for path in PUBLIC:
        for at in (frozen, month_end):
            assert _get(api, path, at).status_code == 200, (path, at)
        for at, headers in [(any_past, None), (february_end, None),
                            (any_past, api.token(world.citizen))]:
            answer = _get(api, path, at, headers)
            assert answer.status_code == 403, (path, at, answer.text)
            assert answer.headers["content-type"].startswith("application/problem+json")
            assert answer.json()["rule"] == PUBLISHED_FIGURES
        # Staff: any past instant.
        assert _get(api, path, any_past, api.token(world.head)).status_code == 200, path
    earliest = datetime(1, 1, 1, tzinfo=UTC)  # no month before it: still a 403, never a 500
    assert _get(api, "/public/statistics", earliest).status_code == 403
    figures = _get(api, "/public/statistics", frozen).json()["items"]
    assert figures and all(f["received"] == 1 for f in figures)
