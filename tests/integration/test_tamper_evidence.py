"""Tamper evidence (Điều 22, Home Affairs inspections): a hash chain over the event store,
sealed daily; rows changed, removed or inserted by SQL are named by the verifier."""

from __future__ import annotations

import csv
import io
import itertools
import json
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg import sql

from application.commands import Accept
from domain.calendar import BUSINESS_TZ
from projections.deployment import Deployment
from projections.event_chain import GENESIS, SEAL_TOPIC, EventChain, chain_hash
from scheduler.jobs import Scheduler

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "verify_audit_export.py"


@pytest.fixture
def chain(world, database_url: str, fresh_schema: str) -> EventChain:
    return EventChain(world.app, database_url, schema=fresh_schema)


def _history(world, clock) -> list[Any]:
    reports = [world.submit() for _ in range(3)]
    clock.advance(hours=1)
    world.app.handle(Accept(reports[0]), world.receiver)
    return reports


def _sql(chain: EventChain, statement: str, *params: Any) -> Any:
    """A DBA's statement on the events table (``{events}``) or the chain (``{chain}``)."""
    with psycopg.connect(chain.conninfo, autocommit=True) as conn:
        cur = conn.execute(sql.SQL(statement).format(events=chain._events, chain=chain._chain),
                           params)
        return cur.fetchall() if cur.description else None


def _event(chain: EventChain, index: int) -> tuple[int, Any, int, str]:
    """The ``index``-th stored event: notification id, aggregate, version, topic."""
    return _sql(chain, "SELECT notification_id, originator_id, originator_version, topic"
                       " FROM {events} ORDER BY notification_id OFFSET %s LIMIT 1", index)[0]


def test_an_untouched_store_verifies_dieu_22(world, clock, chain: EventChain) -> None:
    _history(world, clock)
    assert chain.extend() > 0 and chain.extend() == 0
    result = chain.verify()
    assert result.ok, result.findings
    assert result.events == chain.head()[2] and result.pending == 0
    _, head, count = chain.head()
    rows = _sql(chain, "SELECT previous_hash, event_digest, hash FROM {chain}"
                       " ORDER BY notification_id")
    assert rows[0][0] == GENESIS and count == len(rows) and rows[-1][2] == head
    assert all(h == chain_hash(p, d) for p, d, h in rows)
    assert all(rows[i][0] == rows[i - 1][2] for i in range(1, len(rows)))


def test_a_changed_event_is_named_by_the_verifier_dieu_22(world, clock,
                                                          chain: EventChain) -> None:
    _history(world, clock)
    chain.extend()
    nid, originator_id, version, _ = _event(chain, 5)
    _sql(chain, "UPDATE {events} SET state = set_byte(state, 20, get_byte(state, 20) # 1)"
                " WHERE notification_id = %s", nid)
    result = chain.verify()
    assert result.first is not None
    assert (result.first.kind, result.first.notification_id) == ("changed", nid)
    assert f"event #{nid}" in result.first.message and str(originator_id) in result.first.message
    assert f"version {version}" in result.first.message


def test_a_removed_event_is_named_by_the_verifier_dieu_22(world, clock,
                                                          chain: EventChain) -> None:
    _history(world, clock)
    chain.extend()
    nid, originator_id, _, _ = _event(chain, 3)
    _sql(chain, "DELETE FROM {events} WHERE notification_id = %s", nid)
    first = chain.verify().first
    assert first is not None and (first.kind, first.notification_id) == ("removed", nid)
    assert str(originator_id) in first.message


def test_an_inserted_event_is_named_by_the_verifier_dieu_22(world, clock,
                                                            chain: EventChain) -> None:
    world.submit()
    # A gap in the notification ids, as a failed append leaves (the sequence moves on).
    _sql(chain, "SELECT nextval(pg_get_serial_sequence(%s, 'notification_id'))",
         f"{chain.schema}.{world.app.recorder.events_table_name}")
    world.submit()
    chain.extend()
    ids = [row[0] for row in _sql(chain, "SELECT notification_id FROM {events}"
                                         " ORDER BY notification_id")]
    gap = next(a + 1 for a, b in itertools.pairwise(ids) if b != a + 1)
    nid, originator_id, version, _ = _event(chain, 0)
    # A DBA slips a copy of the first event, as a later version, into the gap.
    _sql(chain, "INSERT INTO {events} (notification_id, originator_id, originator_version,"
                " topic, state) SELECT %s, originator_id, originator_version + 100, topic, state"
                " FROM {events} WHERE notification_id = %s", gap, nid)
    first = chain.verify().first
    assert first is not None and (first.kind, first.notification_id) == ("inserted", gap)
    assert str(originator_id) in first.message and f"version {version + 100}" in first.message


def test_a_rewrite_of_events_and_chain_shows_against_the_daily_seal_dieu_22(
        world, clock, chain: EventChain, database_url: str, fresh_schema: str,
        projector) -> None:
    """The threat model: a DBA who changes an event and recomputes the chain table is caught by
    the day's seal (an encrypted event he cannot forge without the cipher key), and by the
    head the inspector printed; the change lies between the last seal that still matches and
    the first that does not."""
    _history(world, clock)
    scheduler = Scheduler(Deployment(url=database_url, schema=fresh_schema, app=world.app,
                                     projector=projector), clock)
    clock.advance(days=1)
    yesterday = (clock().astimezone(BUSINESS_TZ).date() - timedelta(days=1)).isoformat()
    assert scheduler.seal_previous_day(clock()) == yesterday
    assert scheduler.seal_previous_day(clock()) is None  # once a day
    world.submit()
    clock.advance(days=1)
    assert scheduler.seal_previous_day(clock()) is not None
    first_seal, second_seal = chain.seals()
    assert first_seal.day == yesterday
    assert (second_seal.head_notification_id, second_seal.head_hash) == chain.head()[:2]
    kept = {second_seal.head_notification_id: second_seal.head_hash}
    assert chain.verify(kept).ok
    # A DBA changes an event stored between the two seals and recomputes the chain table.
    nid = first_seal.head_notification_id + 2
    _sql(chain, "UPDATE {events} SET state = set_byte(state, 20, get_byte(state, 20) # 1)"
                " WHERE notification_id = %s", nid)
    _sql(chain, "DELETE FROM {chain}")
    chain.extend()
    result = chain.verify(kept)
    assert {f.kind for f in result.findings} == {"seal-mismatch", "head-mismatch"}
    assert {f.notification_id for f in result.findings} == {second_seal.head_notification_id}
    first = result.first
    assert first is not None and (
        f"after #{first_seal.head_notification_id} and at or before "
        f"#{second_seal.head_notification_id}") in first.message


def test_a_changed_chain_row_is_found_dieu_22(world, clock, chain: EventChain) -> None:
    _history(world, clock)
    chain.extend()
    nid = _event(chain, 4)[0]
    _sql(chain, "UPDATE {chain} SET hash = %s WHERE notification_id = %s", "f" * 64, nid)
    first = chain.verify().first
    assert first is not None and first.notification_id == nid


def test_audit_verify_on_the_command_line_names_the_event_dieu_22(
        world, clock, chain: EventChain, projector, database_url: str, fresh_schema: str,
        monkeypatch, tmp_path: Path) -> None:
    """``ihanoi audit verify`` exits 0 on an untouched store and 1 naming the changed event;
    ``ihanoi audit seals`` prints the heads; ``export-chain`` writes what the offline script
    verifies against a kept head."""
    from rich.console import Console
    from typer.testing import CliRunner

    from ihanoi import cli

    class Borrowed(Deployment):
        def close(self) -> None:  # the test's write side stays open
            pass

    _history(world, clock)
    clock.advance(days=1)
    scheduler = Scheduler(Deployment(url=database_url, schema=fresh_schema, app=world.app,
                                     projector=projector), clock)
    assert scheduler.tick().sealed is not None
    monkeypatch.setattr(cli, "_runtime", lambda: Borrowed(
        url=database_url, schema=fresh_schema, app=world.app, projector=projector))
    monkeypatch.setattr(cli, "console", Console(width=400))
    runner = CliRunner()
    (seal,) = chain.seals()
    kept = f"{seal.head_notification_id}:{seal.head_hash}"
    ok = runner.invoke(cli.app, ["audit", "verify", "--head", kept])
    assert ok.exit_code == 0, ok.output
    printed = runner.invoke(cli.app, ["audit", "seals"])
    assert printed.exit_code == 0 and f"{seal.day} {kept}" in printed.output, printed.output
    exported = tmp_path / "chain.csv"
    assert runner.invoke(cli.app, ["audit", "export-chain", str(exported)]).exit_code == 0
    offline = subprocess.run([sys.executable, str(SCRIPT), "--chain", str(exported),
                              "--head", kept], capture_output=True, text=True, check=False)
    assert offline.returncode == 0, offline.stdout + offline.stderr

    nid = _event(chain, 1)[0]
    _sql(chain, "UPDATE {events} SET state = set_byte(state, 20, get_byte(state, 20) # 1)"
                " WHERE notification_id = %s", nid)
    bad = runner.invoke(cli.app, ["audit", "verify"])
    assert bad.exit_code == 1
    assert f"first discrepancy (changed): event #{nid}" in bad.output, bad.output


def test_the_offline_script_finds_an_edited_export_dieu_22(world, clock, chain: EventChain,
                                                          tmp_path: Path) -> None:
    _history(world, clock)
    chain.extend()
    head, hash_, _ = chain.head()
    rows = list(csv.reader(io.StringIO(b"".join(chain.export_csv()).decode())))
    rows[4][1] = "0" * 64  # an event's digest edited in the export
    edited = tmp_path / "chain.csv"
    with edited.open("w", newline="") as out:
        csv.writer(out).writerows(rows)
    offline = subprocess.run([sys.executable, str(SCRIPT), "--chain", str(edited),
                              "--head", f"{head}:{hash_}"], capture_output=True, text=True,
                             check=False)
    assert offline.returncode == 1
    assert f"#{rows[4][0]}" in offline.stdout


def test_an_inspector_verifies_the_audit_export_offline_against_the_printed_seal_dieu_22(
        api, world, clock, projector, database_url: str, fresh_schema: str,
        tmp_path: Path) -> None:
    """The inspector's procedure: the day's seal is in the audit trail (he prints and keeps
    its head); later he downloads ``/audit.csv`` and ``/audit/chain.csv`` and checks them with
    the script, which names an event whose hash was edited in the export."""
    from domain.actors import Actor, Role

    _history(world, clock)
    clock.advance(days=1)
    scheduler = Scheduler(Deployment(url=database_url, schema=fresh_schema, app=world.app,
                                     projector=projector), clock)
    day = scheduler.tick().sealed
    world.submit()
    scheduler.follow()
    inspector = api.token(Actor(id="inspector-1", role=Role.INSPECTOR))
    trail = list(csv.DictReader(io.StringIO(api.client.get("/audit.csv",
                                                           headers=inspector).text)))
    (seal,) = [row for row in trail if row["event_type"] == "Sealed"]
    details = json.loads(seal["details"])
    assert details["day"] == day
    kept = f"{details['head_notification_id']}:{details['head_hash']}"
    assert all(row["event_hash"] for row in trail)
    audit_file, chain_file = tmp_path / "audit.csv", tmp_path / "chain.csv"
    audit_file.write_text(api.client.get("/audit.csv", headers=inspector).text)
    exported = api.client.get("/audit/chain.csv", headers=inspector)
    assert exported.status_code == 200 and "originator_id" not in exported.text
    chain_file.write_text(exported.text)

    def offline(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, str(SCRIPT), *args], capture_output=True,
                              text=True, check=False)

    good = offline("--chain", str(chain_file), "--audit", str(audit_file), "--head", kept)
    assert good.returncode == 0, good.stdout + good.stderr
    rows = list(csv.DictReader(io.StringIO(audit_file.read_text())))
    rows[2]["event_digest"] = "0" * 64
    with audit_file.open("w", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    bad = offline("--chain", str(chain_file), "--audit", str(audit_file), "--head", kept)
    assert bad.returncode == 1 and f"#{rows[2]['notification_id']}" in bad.stdout
    assert offline("--chain", str(chain_file), "--head",
                   f"{details['head_notification_id']}:{'e' * 64}").returncode == 1


def test_two_followers_extend_the_chain_once_dieu_22(world, clock, chain: EventChain,
                                                      database_url: str,
                                                      fresh_schema: str) -> None:
    """Followers in two processes (scheduler instances) never chain an event twice or out of
    order: each extension holds an advisory lock."""
    from concurrent.futures import ThreadPoolExecutor

    for _ in range(4):
        _history(world, clock)
    followers = [EventChain(world.app, database_url, schema=fresh_schema, batch_size=7)
                 for _ in range(3)]
    with ThreadPoolExecutor(3) as pool:
        counts = list(pool.map(lambda f: f.extend(), followers))
    stored = _sql(chain, "SELECT count(*) FROM {events}")[0][0]
    assert sum(counts) == stored == chain.head()[2]
    assert chain.verify().ok


def test_a_removed_seal_shows_as_a_day_without_seal_dieu_22(
        world, clock, chain: EventChain, database_url: str, fresh_schema: str,
        projector) -> None:
    """Without the cipher key a DBA cannot forge a seal, but he can delete the ones after his
    change and rewrite the chain: the days without a seal are reported."""
    scheduler = Scheduler(Deployment(url=database_url, schema=fresh_schema, app=world.app,
                                     projector=projector), clock)
    days = []
    for _ in range(3):
        world.submit()
        clock.advance(days=1)
        days.append(scheduler.seal_previous_day(clock()))
    today = clock().astimezone(BUSINESS_TZ).date()
    assert chain.verify(today=today).ok
    first = next(s for s in chain.seals() if s.day == days[0])
    # A change after the first seal, the later seals removed, the chain recomputed.
    _sql(chain, "UPDATE {events} SET state = set_byte(state, 20, get_byte(state, 20) # 1)"
                " WHERE notification_id = %s", first.notification_id + 1)
    _sql(chain, "DELETE FROM {events} WHERE topic = %s AND notification_id > %s",
         SEAL_TOPIC, first.notification_id)
    _sql(chain, "DELETE FROM {chain}")
    chain.extend()
    result = chain.verify(today=today)
    # Yesterday's seal may be still to come; the day before had one.
    assert [(f.kind, days[1] in f.message) for f in result.findings] == [("seal-missing", True)]
    clock.advance(days=3)
    late = chain.verify(today=clock().astimezone(BUSINESS_TZ).date())
    assert [f.kind for f in late.findings] == ["seal-missing"] * 4
