"""The seeded simulation behind the demo, the benchmarks and the test world."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from application.database import eventsourcing_env
from application.services import IHanoi
from domain.calendar import BUSINESS_TZ
from ihanoi.simulation import Clock, History, build_directory, city_plan
from tests.conftest import TemplateDatabase

START = datetime(2026, 1, 5, 8, 0, tzinfo=BUSINESS_TZ)


def _played(template: TemplateDatabase, cipher_key: str, seed: int) -> list[tuple[Any, ...]]:
    """The stored history of 40 reports over 30 days, as (topic, version, business instant)."""
    env = eventsourcing_env(template.copy(), cipher_key=cipher_key, schema=template.schema)
    app = IHanoi(env=env, clock=Clock(START - timedelta(days=1)))
    try:
        directory = build_directory(app, city_plan(["Hoàn Kiếm", "Ba Đình"], ["Sở Xây dựng"]))
        history = History(app, directory, seed=seed, start=START, end=START + timedelta(days=30))
        history.register_reporters(10)
        history.play(40)
        events = [app.mapper.to_domain_event(n)
                  for n in app.recorder.select_notifications(start=1, limit=100_000)]
    finally:
        app.close()
    return [(type(e).__qualname__, e.originator_version, getattr(e, "at", None))
            for e in events]


def test_the_same_seed_plays_the_same_history(template_database: TemplateDatabase,
                                              cipher_key: str) -> None:
    first = _played(template_database, cipher_key, seed=7)
    assert first == _played(template_database, cipher_key, seed=7)
    assert first != _played(template_database, cipher_key, seed=8)
    kinds = {name for name, _, _ in first}
    assert {"Report.Submitted", "Report.Published", "Reporter.Registered"} <= kinds


def test_the_clock_stands_still_until_moved_then_follows_real_time() -> None:
    clock = Clock(START)
    assert clock() == clock() == START
    assert clock.advance(hours=2) == START + timedelta(hours=2) == clock()
    assert clock.set(2026, 2, 17, 9) == datetime(2026, 2, 17, 9, tzinfo=BUSINESS_TZ)
    ticking = Clock(START, tick=timedelta(seconds=20))
    assert (ticking(), ticking()) == (START + timedelta(seconds=20), START + timedelta(seconds=40))
    clock.release()
    assert abs(clock() - datetime.now(BUSINESS_TZ)) < timedelta(seconds=5)
