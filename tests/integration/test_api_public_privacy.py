"""No public route ever shows personal data (issue 11; Điều 5.7, 14.1, 14.2): a hypothesis
property over every ``/public/…`` and Open311 GET, whatever the reporters and however far
their reports went, confidential or not."""

from __future__ import annotations

import string
from string import Formatter
from uuid import UUID, uuid4

from fastapi.routing import APIRoute, iter_route_contexts
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from application.commands import (
    Accept,
    RegisterReporter,
    Reject,
    RequestClarification,
)
from application.commands import Rate as RateResult
from tests.budget import examples
from tests.integration.conftest import Api

LETTERS = string.ascii_letters + "ăâđêôơưĂÂĐÊÔƠƯáàảãạéèẻẽẹ"
# A reporter: a name, phone, e-mail and citizen ID unlikely to occur anywhere by chance.
REPORTER = st.fixed_dictionaries({
    "name": st.text(LETTERS, min_size=10, max_size=20).map(lambda s: f"Công dân {s}"),
    "phone": st.from_regex(r"09[0-9]{8}", fullmatch=True),
    "email": st.text(string.ascii_lowercase, min_size=10, max_size=16).map(
        lambda s: f"{s}@example.vn"),
    "national_id": st.from_regex(r"0[0-9]{11}", fullmatch=True),
})
HOW_FAR = st.sampled_from(["received", "accepted", "rejected", "handling", "published",
                           "clarified", "rated"])


def public_gets(api: Api) -> list[str]:
    """Every public GET route of the app (``/public/…`` and Open311), as path templates."""
    return sorted({r.path for r in iter_route_contexts(api.client.app.routes)
                   if isinstance(r.original_route, APIRoute) and "GET" in (r.methods or ())
                   and r.path.startswith(("/public", "/open311"))})


def _fill(template: str, values: dict[str, str]) -> str:
    """The route with its path parameters filled (one not in ``values``: an unknown id)."""
    names = {name for _, name, _, _ in Formatter().parse(template) if name}
    return template.format(**{k: values.get(k, str(uuid4())) for k in names})


def test_no_public_route_shows_a_reporters_personal_data_dieu_5_7_14_1(api: Api) -> None:
    w = api.world
    routes = public_gets(api)
    assert "/public/reports/{report_id}/timeline" in routes
    assert "/open311/v2/requests.json" in routes and len(routes) >= 12

    @given(reporters=st.lists(st.tuples(REPORTER, st.booleans(), HOW_FAR), min_size=1,
                              max_size=3))
    @settings(max_examples=examples(8), deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    def property_(reporters: list[tuple[dict[str, str], bool, str]]) -> None:
        personal: list[str] = []
        reports: list[UUID] = []
        for identity, confidential, how_far in reporters:
            reporter_id = w.app.handle(RegisterReporter(**identity)).aggregate_id
            citizen = w.app.citizen_actor(reporter_id)
            personal += [*identity.values(), str(reporter_id)]
            report_id = w.submit(reporter_id=reporter_id, confidential=confidential)
            reports.append(report_id)
            if how_far == "accepted":
                w.app.handle(Accept(report_id), w.receiver)
            elif how_far == "rejected":
                w.app.handle(Reject(report_id, "a", "Thiếu vị trí"), w.receiver)
            elif how_far == "handling":
                w.to_handling(report_id)
            elif how_far in ("published", "clarified", "rated"):
                w.to_published(report_id)
                if how_far == "clarified":
                    w.app.handle(RequestClarification(report_id, "Khi nào xong hẳn?"), citizen)
                if how_far == "rated":
                    w.app.handle(RateResult(report_id, "unsatisfied", "Chưa ổn"), citizen)
        api.sync()
        month = w.app.now().strftime("%Y-%m")
        answers = []
        for report_id in reports:
            values = {"report_id": str(report_id), "service_request_id": str(report_id),
                      "token": str(report_id),
                      "unit_id": str(w.district), "service_code": "field.urban_order"}
            for route in routes:
                response = api.client.get(_fill(route, values), params={
                    "month": month, "area_unit_id": str(w.ward)})
                assert response.status_code < 500, (route, response.text)
                if route == "/public/reports/{report_id}/timeline":
                    assert response.status_code == 200, response.text
                answers.append((route, response.text))
        for route, text in answers:
            leaked = [p for p in personal if p in text]
            assert not leaked, f"{route} shows {leaked}"

    property_()
