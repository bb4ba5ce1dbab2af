"""An idempotency key stands for one request: a retry with the same payload is answered from
the first, the same key with another payload is refused (IETF httpapi "The Idempotency-Key
HTTP Header Field", Error Scenarios: 422)."""

from __future__ import annotations

from typing import Any

from application.commands import Accept
from tests.integration.conftest import Api, World


def _events(world: World) -> int:
    return world.app.recorder.max_notification_id() or 0


# --------------------------------------------------------------------------- over HTTP


def _is_problem(response: Any, status: int) -> bool:
    return (response.status_code == status
            and response.headers["content-type"].startswith("application/problem+json"))


def test_an_idempotency_key_reused_with_another_body_is_a_422_problem(api: Api) -> None:
    w = api.world
    report_id = w.submit()
    w.app.handle(Accept(report_id), w.receiver)
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
