"""Append benchmark (issue 3): lifecycle events through the application service vs raw INSERTs.

    .venv/bin/python -m benchmarks.append --events 20000

Phase 1 drives reports through their whole life with :class:`IHanoi` commands — submit,
accept, classify, assign, propose, approve, update, publish, rate: 9 events per report, each
command its own transaction (read what it needs, decide, save encrypted and compressed, lock
the table, NOTIFY). Phase 2 appends the same number of events, one per call, through the application's
recorder alone (the store's protocol: lock, NOTIFY, INSERT in one autocommit statement). Phase 3
inserts the same number of rows, one per autocommit transaction, with plain psycopg into a
table of the same shape as the event store. Phases 2 and 3 use the topics of phase 1 and
payloads of the average stored size measured there. All run single-threaded in the same run;
target: service rate ≥ 0.5 × raw rate.
"""

from __future__ import annotations

import argparse
import itertools
import os
import time
import uuid
from datetime import datetime, timedelta
from uuid import UUID

import psycopg
from eventsourcing.cipher import AESCipher
from eventsourcing.persistence import StoredEvent
from psycopg import sql

from application.commands import (
    Accept,
    ApproveResult,
    Assign,
    Classify,
    ProposeResult,
    Publish,
    Rate,
    RegisterReporter,
    SubmitReport,
    UpdateResult,
)
from application.database import eventsourcing_env
from application.services import IHanoi
from benchmarks import (
    Target,
    bench_target,
    console,
    machine_load,
    peak_rss_mb,
    print_table,
    rss_mb,
)
from domain.calendar import BUSINESS_TZ
from ihanoi.simulation import Clock, build_directory, city_plan

EVENTS_PER_REPORT = 9


def run_service(app: IHanoi, reports: int) -> tuple[int, float]:
    """Play ``reports`` full lifecycles; return (events stored, seconds)."""
    district = build_directory(app, city_plan(["Hoàn Kiếm"], [], wards=0)).districts[0]
    head, receiver = district.head, district.receivers[0]
    division = district.teams[0].unit_id
    officer = district.teams[0].officers[0]
    officer_id = UUID(officer.id)
    citizens = []
    for i in range(50):
        reporter_id = app.handle(
            RegisterReporter(f"Công dân {i + 1}", phone=f"09{i:08d}",
                             email=f"citizen{i + 1}@example.vn",
                             national_id=f"0010990{i:05d}")).aggregate_id
        citizens.append((reporter_id, app.citizen_actor(reporter_id)))

    before = app.recorder.max_notification_id() or 0
    started = time.perf_counter()
    for n, (reporter_id, citizen) in zip(range(reports), itertools.cycle(citizens)):
        report_id = app.handle(
            SubmitReport(reporter_id, kind="field", category="urban_order",
                         text=f"Lấn chiếm vỉa hè bán hàng trước số {n % 200 + 1} phố Hàng Bài, "
                         "người đi bộ phải xuống lòng đường rất nguy hiểm",
                         latitude=21.0245, longitude=105.8532, address=f"{n % 200 + 1} Hàng Bài, Hoàn Kiếm",
                         receiving_unit_id=district.unit_id, media=[f"media/{n}.jpg"])).aggregate_id
        app.handle(Accept(report_id), receiver)
        app.handle(Classify(report_id, "normal"), head)
        app.handle(Assign(report_id, division, officer_id), head)
        app.handle(ProposeResult(report_id, "Đã kiểm tra, yêu cầu tháo dỡ, lập biên bản xử lý",
                                 ["bien-ban.pdf", "anh-hien-truong.jpg"]), officer)
        app.handle(ApproveResult(report_id), head)
        app.handle(UpdateResult(report_id, ["anh-sau-xu-ly.jpg"]), officer)
        app.handle(Publish(report_id), head)
        app.handle(Rate(report_id, "satisfied", "Cảm ơn cơ quan chức năng"), citizen)
    seconds = time.perf_counter() - started
    return (app.recorder.max_notification_id() or 0) - before, seconds


def stored_sample(target: Target, after: int) -> tuple[list[str], float]:
    """Topics (in order) and average ``state`` length of the events stored after ``after``."""
    with psycopg.connect(target.url) as conn:
        rows = conn.execute(sql.SQL(
            "SELECT topic, length(state) FROM {}.ihanoi_events WHERE notification_id > %s "
            "ORDER BY notification_id").format(sql.Identifier(target.schema)), (after,)).fetchall()
    return [topic for topic, _ in rows], sum(size for _, size in rows) / len(rows)


def event_rows(topics: list[str], payload_size: int) -> list[tuple[uuid.UUID, int, str, bytes]]:
    """(originator, version, topic, payload) per topic: EVENTS_PER_REPORT events per originator,
    random payloads of ``payload_size`` bytes (ciphertext does not compress)."""
    payloads = [os.urandom(payload_size) for _ in range(64)]
    rows, originator = [], uuid.uuid4()
    for n, topic in enumerate(topics):
        version = n % EVENTS_PER_REPORT + 1
        if version == 1:
            originator = uuid.uuid4()
        rows.append((originator, version, topic, payloads[n % 64]))
    return rows


def run_store(app: IHanoi, topics: list[str], payload_size: int) -> float:
    """Append one event per call through the application's recorder; return seconds."""
    rows = event_rows(topics, payload_size)
    started = time.perf_counter()
    for row in rows:
        app.recorder.insert_events([StoredEvent(*row)])
    return time.perf_counter() - started


def run_raw(target: Target, topics: list[str], payload_size: int) -> float:
    """Insert one row per autocommit transaction; return seconds."""
    table = sql.Identifier(target.schema, "raw_events")
    rows = event_rows(topics, payload_size)
    with psycopg.connect(target.url, autocommit=True) as conn:
        conn.execute(sql.SQL(
            "CREATE TABLE {} (originator_id uuid NOT NULL, originator_version integer NOT NULL,"
            " topic text, state bytea, id bigserial UNIQUE,"
            " PRIMARY KEY (originator_id, originator_version))").format(table))
        insert = sql.SQL("INSERT INTO {} (originator_id, originator_version, topic, state) "
                         "VALUES (%s, %s, %s, %s)").format(table)
        started = time.perf_counter()
        for row in rows:
            conn.execute(insert, row, prepare=True)
        return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=20_000,
                        help="lifecycle events to append (9 per report)")
    args = parser.parse_args()
    reports = max(1, -(-args.events // EVENTS_PER_REPORT))
    with bench_target("bench_append") as target:
        env = eventsourcing_env(target.url, cipher_key=AESCipher.create_key(32),
                                schema=target.schema)
        app = IHanoi(env=env, clock=Clock(datetime(2026, 3, 2, 8, 0, tzinfo=BUSINESS_TZ),
                                         tick=timedelta(seconds=20)))
        try:
            console.print(f"service: {reports} reports × {EVENTS_PER_REPORT} commands …")
            events, service_s = run_service(app, reports)
            head = app.recorder.max_notification_id() or 0
            topics, average = stored_sample(target, head - events)  # the lifecycle events only
            console.print(f"store: {len(topics)} appends of one event …")
            store_s = run_store(app, topics, round(average))
        finally:
            app.close()
        console.print(f"raw: {len(topics)} single-row INSERT transactions of {average:.0f} "
                      "bytes …")
        raw_s = run_raw(target, topics, round(average))
    service_rate, raw_rate = events / service_s, len(topics) / raw_s
    store_rate = len(topics) / store_s
    print_table(
        f"Append: {events} events, payload {average:.0f} bytes (state, encrypted+compressed)",
        ["path", "events", "seconds", "events/s", "× raw"],
        [["IHanoi commands (1 command = 1 transaction)", events, f"{service_s:.2f}",
          f"{service_rate:,.0f}", f"{service_rate / raw_rate:.2f}"],
         ["recorder alone (lock + NOTIFY + INSERT, autocommit)", len(topics), f"{store_s:.2f}",
          f"{store_rate:,.0f}", f"{store_rate / raw_rate:.2f}"],
         ["raw psycopg single-row INSERT (autocommit)", len(topics), f"{raw_s:.2f}",
          f"{raw_rate:,.0f}", "1.00"]])
    ratio = service_rate / raw_rate
    verdict = "[green]meets[/green]" if ratio >= 0.5 else "[red]below[/red]"
    console.print(f"ratio service/raw = [bold]{ratio:.2f}×[/bold] ({verdict} the 0.5× target)")
    console.print(f"RSS now {rss_mb():.0f} MiB, peak {peak_rss_mb():.0f} MiB; {machine_load()}")


if __name__ == "__main__":
    main()
