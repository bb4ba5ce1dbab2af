"""An idempotency key stands for one request (the write side, in memory): a retry with the same payload is answered from
the first, the same key with another payload is refused (IETF httpapi "The Idempotency-Key
HTTP Header Field", Error Scenarios: 422)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from application.commands import Accept, Classify
from application.idempotency import CommandReceipt, CommandResult, IdempotencyKeyReused
from domain.report import Report
from tests.integration.conftest import World


def _events(world: World) -> int:
    return world.app.recorder.max_notification_id() or 0


def test_a_key_reused_with_other_arguments_is_refused_and_changes_nothing(world: World) -> None:
    app = world.app
    report_id = world.submit()
    app.handle(Accept(report_id), world.receiver)
    first = app.handle(Classify(report_id, "normal"), world.head, command_id="classify-1")
    before = _events(world)
    with pytest.raises(IdempotencyKeyReused, match="other arguments"):
        app.handle(Classify(report_id, "urgent"), world.head, command_id="classify-1")
    assert _events(world) == before
    assert app.load(report_id, Report).urgency == "normal"
    again = app.handle(Classify(report_id, "normal"), world.head, command_id="classify-1")
    assert again == CommandResult(first.aggregate_id, first.version, replayed=True)


def test_a_submission_retried_with_another_text_is_refused(world: World) -> None:
    first = world.submit(command_id="submit-9")
    assert world.submit(command_id="submit-9") == first
    with pytest.raises(IdempotencyKeyReused):
        world.submit(command_id="submit-9", text="Cây đổ chắn ngang phố Hàng Bài")


def test_a_retry_by_the_same_officer_after_his_transfer_is_still_a_replay(world: World) -> None:
    """Who sends the command is not its payload: only the message is fingerprinted."""
    app = world.app
    report_id = world.submit()
    first = app.handle(Accept(report_id), world.receiver, command_id="accept-1")
    moved = replace(world.receiver, unit_id=world.other_district)
    assert app.handle(Accept(report_id), moved, command_id="accept-1").replayed
    assert app.load(report_id, Report).version == first.version


def test_a_receipt_stored_before_fingerprints_still_replays(world: World) -> None:
    """Receipts saved by earlier versions carry no fingerprint: compared on the command and
    the aggregate only, as then."""
    app = world.app
    report_id = world.submit()
    app.handle(Accept(report_id), world.receiver)
    receipt = CommandReceipt(command_id="legacy-1", command="classify", aggregate_id=report_id,
                             version=2)
    object.__delattr__(receipt.pending_events[0], "fingerprint")  # the old event's shape
    app.save(receipt)
    assert app.repository.get(receipt.id).fingerprint is None
    replay = app.handle(Classify(report_id, "urgent"), world.head, command_id="legacy-1")
    assert replay == CommandResult(report_id, 2, replayed=True)
