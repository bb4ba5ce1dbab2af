"""An idempotency key stands for one request: a retry with the same payload is answered from
the first, the same key with another payload is refused (IETF httpapi "The Idempotency-Key
HTTP Header Field", Error Scenarios: 422)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from application.services import CommandReceipt, CommandResult, IdempotencyKeyReused
from domain.report import Report
from tests.integration.conftest import Api, World


def _events(world: World) -> int:
    return world.app.recorder.max_notification_id() or 0


def test_a_key_reused_with_other_arguments_is_refused_and_changes_nothing(world: World) -> None:
    app = world.app
    report_id = world.submit()
    app.accept(world.receiver, report_id)
    first = app.classify(world.head, report_id, "normal", command_id="classify-1")
    before = _events(world)
    with pytest.raises(IdempotencyKeyReused, match="other arguments"):
        app.classify(world.head, report_id, "urgent", command_id="classify-1")
    assert _events(world) == before
    assert app.load(report_id, Report).urgency == "normal"
    again = app.classify(world.head, report_id, "normal", command_id="classify-1")
    assert again == CommandResult(first.aggregate_id, first.version, replayed=True)


def test_a_submission_retried_with_another_text_is_refused(world: World) -> None:
    first = world.submit(command_id="submit-9")
    assert world.submit(command_id="submit-9") == first
    with pytest.raises(IdempotencyKeyReused):
        world.submit(command_id="submit-9", text="Cây đổ chắn ngang phố Hàng Bài")


def test_a_retry_by_the_same_officer_after_his_transfer_is_still_a_replay(world: World) -> None:
    """Who sends the command is not its payload: only the arguments are fingerprinted."""
    app = world.app
    report_id = world.submit()
    first = app.accept(world.receiver, report_id, command_id="accept-1")
    moved = replace(world.receiver, unit_id=world.other_district)
    assert app.accept(moved, report_id, command_id="accept-1").replayed
    assert app.load(report_id, Report).version == first.version


def test_a_receipt_stored_before_fingerprints_still_replays(world: World) -> None:
    """Receipts saved by earlier versions carry no fingerprint: compared on the command and
    the aggregate only, as then."""
    app = world.app
    report_id = world.submit()
    app.accept(world.receiver, report_id)
    receipt = CommandReceipt(command_id="legacy-1", command="classify", aggregate_id=report_id,
                             version=2)
    object.__delattr__(receipt.pending_events[0], "fingerprint")  # the old event's shape
    app.save(receipt)
    assert app.repository.get(receipt.id).fingerprint is None
    replay = app.classify(world.head, report_id, "urgent", command_id="legacy-1")
    assert replay == CommandResult(report_id, 2, replayed=True)


# --------------------------------------------------------------------------- over HTTP


def _is_problem(response: Any, status: int) -> bool:
    return (response.status_code == status
            and response.headers["content-type"].startswith("application/problem+json"))


def test_an_idempotency_key_reused_with_another_body_is_a_422_problem(api: Api) -> None:
    w = api.world
    report_id = w.submit()
    w.app.accept(w.receiver, report_id)
    headers = {**api.token(w.head), "Idempotency-Key": "classify-5"}
    url = f"/reports/{report_id}/classification"
    first = api.client.post(url, json={"urgency": "normal"}, headers=headers)
    assert first.status_code == 200 and first.json()["replayed"] is False
    before = _events(w)
    reused = api.client.post(url, json={"urgency": "urgent"}, headers=headers)
    assert _is_problem(reused, 422), reused.text
    assert reused.json()["type"].endswith("/idempotency-key-reused")
    assert _events(w) == before
    retry = api.client.post(url, json={"urgency": "normal"}, headers=headers)
    assert retry.status_code == 200 and retry.json()["replayed"] is True
    assert retry.json()["urgency"] == "normal" and retry.json()["version"] == 3


def test_a_submission_reposted_with_another_body_is_a_422_problem(api: Api) -> None:
    w = api.world
    headers = {**api.token(w.citizen), "Idempotency-Key": "submit-2"}
    body = {"kind": "field", "category": "environment",
            "text": "Nước thải tràn ra vỉa hè phố Hàng Bông", "latitude": 21.0301,
            "longitude": 105.8478, "address": "45 Hàng Bông", "receiving_unit_id": str(w.district)}
    assert api.client.post("/reports", json=body, headers=headers).status_code == 201
    reused = api.client.post("/reports", json={**body, "address": "47 Hàng Bông"},
                             headers=headers)
    assert _is_problem(reused, 422), reused.text
    assert api.client.post("/reports", json=body, headers=headers).json()["replayed"] is True
