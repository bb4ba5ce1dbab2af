"""Events stored by earlier versions of the code keep loading (eventsourcing upcasting).

``tests/fixtures/report_events_v1.json`` holds the Report events as stored before events were
versioned (``opened``/``closed`` one stage as a dict, a list in duplicate markings, or absent),
with each report's state as that code replayed it; the current code must replay them to the
same state, every stage a :class:`StageRecord`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from eventsourcing.persistence import StoredEvent

from application.transcodings import TypedEventsApplication
from domain.policy import DEFAULT_POLICY, Stage
from domain.report import ClosedStage, Report, StageRecord, Status
from tests.fixtures.record_report_events import plain, state

FIXTURE = json.loads((Path(__file__).parent.parent / "fixtures" / "report_events_v1.json")
                     .read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def app() -> TypedEventsApplication:
    """A fresh in-memory event store holding the version-1 events, as they were stored."""
    app = TypedEventsApplication(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    app.recorder.insert_events([
        StoredEvent(originator_id=UUID(e["originator_id"]),
                    originator_version=e["originator_version"], topic=e["topic"],
                    state=e["state"].encode()) for e in FIXTURE["events"]])
    return app


def _stages(event: Any) -> list[Any]:
    extra = [event.stage] if hasattr(event, "stage") else []
    for key in ("suspended", "restored"):
        if hasattr(event, key):
            extra += [s for s in (getattr(event, key)["stage"],
                                  getattr(event, key)["verification"]) if s is not None]
    return [*event.opened, *event.closed, *extra]


def test_version_1_reports_replay_to_the_state_they_had(app: TypedEventsApplication) -> None:
    for report_id, expected in FIXTURE["expected"].items():
        report = app.repository.get(UUID(report_id))
        assert isinstance(report, Report)
        assert state(report) == expected
        for stage in (report.stage, report.verification, report.clarification):
            assert stage is None or type(stage) is StageRecord


def test_version_1_events_have_opened_and_closed_as_lists_of_stage_records(
        app: TypedEventsApplication) -> None:
    events = [app.mapper.to_domain_event(n) for n in app.recorder.select_notifications(1, 1000)]
    assert len(events) == len(FIXTURE["events"])
    for event in events:
        assert isinstance(event, Report.Event)
        assert isinstance(event.opened, list) and isinstance(event.closed, list)
        assert all(type(s) is StageRecord for s in event.opened)
        assert all(type(s) is ClosedStage for s in event.closed)
        assert all(isinstance(s, StageRecord) for s in _stages(event))
    names = {type(e).__name__ for e in events}
    assert {"MarkedDuplicate", "DuplicateUnmarked", "StageDeadlinePassed", "Reassigned"} <= names
    assert len(next(e for e in events if type(e).__name__ == "MarkedDuplicate"
                    and e.suspended["verification"] is not None).closed) == 2


def test_version_1_stage_dicts_become_the_same_stage_records(
        app: TypedEventsApplication) -> None:
    """Field for field: what was a dict is now a record with the same values."""
    events = [app.mapper.to_domain_event(n) for n in app.recorder.select_notifications(1, 1000)]
    for stored, event in zip(FIXTURE["events"], events, strict=True):
        raw = json.loads(stored["state"])
        for key in ("opened", "closed"):
            was = raw.get(key)
            was = [] if was is None else was if isinstance(was, list) else [was]
            assert [plain(s) for s in getattr(event, key)] == [_plain_v1(s) for s in was]


def test_events_written_now_are_version_2_and_read_back_equal(
        app: TypedEventsApplication) -> None:
    """Version 2 for every Report event; 3 for a clarification answer (its attachments)."""
    events = [app.mapper.to_domain_event(n) for n in app.recorder.select_notifications(1, 1000)]
    for event in events:
        stored = app.mapper.to_stored_event(event)
        expected = 3 if isinstance(event, Report.ClarificationAnswered) else 2
        assert json.loads(stored.state)["class_version"] == expected
        assert app.mapper.to_domain_event(stored) == event


def test_a_clarification_answer_stored_without_attachments_replays_dieu_13(
        app: TypedEventsApplication) -> None:
    """Answers stored before they could carry files (version 1, and version 2 as the code
    before attachments wrote it) read back with no ``evidence``; the report replays."""
    events = [app.mapper.to_domain_event(n) for n in app.recorder.select_notifications(1, 1000)]
    (answered,) = [e for e in events if isinstance(e, Report.ClarificationAnswered)]
    assert answered.evidence == [] and answered.answer == "Tuần sau"
    assert [type(s) for s in answered.closed] == [ClosedStage]
    stored = app.mapper.to_stored_event(answered)
    version_2 = json.loads(stored.state)
    del version_2["evidence"]
    version_2["class_version"] = 2
    again = app.mapper.to_domain_event(StoredEvent(
        originator_id=stored.originator_id, originator_version=stored.originator_version,
        topic=stored.topic, state=json.dumps(version_2).encode()))
    assert again == answered
    report = app.repository.get(answered.originator_id)
    assert isinstance(report, Report) and report.clarification is None


def _plain_v1(value: Any) -> Any:
    """A version-1 stage dict as JSON values (its UUIDs and instants were tagged)."""
    if isinstance(value, dict) and set(value) == {"_type_", "_data_"}:
        data = value["_data_"]
        return str(UUID(data)) if value["_type_"] == "uuid_hex" else data
    if isinstance(value, dict):
        return {k: _plain_v1(v) for k, v in value.items()}
    return value


# --------------------------------------------------------------------------- Điều 12.2's new step


def _proposed_before_the_update_step() -> tuple[TypedEventsApplication, UUID, Any, Any]:
    """A report whose proposal was recorded by the code before the result-update step: its
    ``ResultProposed`` opened the publication stage (1 working day from the proposal)."""
    from tests.unit.test_report_rules import HEAD, OFFICER, POLICY, RESULT, at, handling

    report = handling(when=at(2026, 3, 2, 9))
    assert report.stage is not None and report.handling_unit_id is not None
    publication = StageRecord(stage=Stage.PUBLICATION, unit_id=report.handling_unit_id,
                              started_at=at(2026, 3, 2, 10), due=at(2026, 3, 3, 10),
                              policy_version=POLICY.version)
    report._result_proposed(by=OFFICER.ref(), at=at(2026, 3, 2, 10), text=RESULT,
                            evidence=["bien-ban.pdf"],
                            closed=[report.stage.closing(at(2026, 3, 2, 10))],
                            opened=[publication])
    app = TypedEventsApplication(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    app.save(report)
    return app, report.id, HEAD, at


@pytest.mark.parametrize("approved_before", [True, False])
def test_a_result_proposed_before_the_update_step_is_still_published_dieu_12_3(
        approved_before: bool) -> None:
    """Stored reports awaiting approval, or approved, under the earlier flow keep it: the
    approval leaves the publication stage (due from the proposal) open and the head publishes
    without an update; a report proposed after the change goes through the update."""
    app, report_id, head, at = _proposed_before_the_update_step()
    if approved_before:  # the approval too was recorded by the earlier code: nothing opened
        report = app.repository.get(report_id)
        report._approved(by=head.ref(), at=at(2026, 3, 2, 11), closed=[], opened=[])
    else:
        report = app.repository.get(report_id)
        report.approve_result(head, at(2026, 3, 2, 11), DEFAULT_POLICY)
        assert list(report.pending_events[-1].opened) == []
    app.save(report)
    report = app.repository.get(report_id)
    assert report.status == Status.APPROVED and report.stage.stage == "publication"
    report.publish(head, at(2026, 3, 3, 9))
    (closed,) = report.pending_events[-1].closed
    assert (closed.stage, closed.due, closed.on_time) == ("publication", at(2026, 3, 3, 10), True)
    app.save(report)
    assert app.repository.get(report_id).status == Status.PUBLISHED
