"""What a report carries and the bounds of each field at submission (Điều 5, 6.1, 18.4).

Every field the citizen sends is recorded as sent (trimmed) in the Submitted event and on the
aggregate; every length and place rule is checked on both sides of its bound.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from domain.errors import InvalidInput, InvalidState
from domain.policy import Kind
from domain.report import Location, Report, Status
from tests.unit.test_report_rules import (
    CENTRE,
    DISTRICT,
    DIVISION,
    EVIDENCE,
    HEAD,
    MONDAY,
    OFFICER,
    POLICY,
    RECEIVER,
    REPORTER_ID,
    RESULT,
    last,
    published,
    submit,
)

REPORTER = {"name": "Phạm Thị Dung", "phone": "0912345678"}


def refused_submission(rule: str, **overrides: Any) -> None:
    with pytest.raises(InvalidInput) as caught:
        submit(**overrides)
    assert caught.value.rule == rule


def test_the_submitted_event_carries_every_field_as_sent_trimmed_dieu_5_6_1() -> None:
    media = ["photo-1.jpg", "video-2.mp4"]
    report = submit(category="  urban_order ", text="  Ổ gà lớn giữa phố Hàng Bài, rất nguy hiểm \n",
                    address=" 12 Hàng Bài, Hoàn Kiếm ", occurred_at=MONDAY - timedelta(hours=2),
                    media=media, confidential=True)
    event = last(report)
    assert (event.kind, event.category) == ("field", "urban_order")
    assert event.text == "Ổ gà lớn giữa phố Hàng Bài, rất nguy hiểm"
    assert event.location == {"latitude": 21.0245, "longitude": 105.8532,
                              "address": "12 Hàng Bài, Hoàn Kiếm"}
    assert event.occurred_at == MONDAY - timedelta(hours=2) and event.at == MONDAY
    assert event.media == media and event.media is not media  # a copy: the caller's list is his
    assert event.confidential is True
    assert (event.reporter_id, event.reporter) == (REPORTER_ID, REPORTER)
    assert event.receiving_unit_id == DISTRICT
    assert (event.matter_id, event.re_report_of) == (None, None)


def test_a_submitted_report_is_received_and_nothing_else_yet_dieu_5_7() -> None:
    report = submit(confidential=True, occurred_at=MONDAY - timedelta(days=1))
    assert report.kind is Kind.FIELD and report.category == "urban_order"
    assert report.text == "Ổ gà lớn giữa phố Hàng Bài, rất nguy hiểm"
    assert report.location == last(report).location and report.media == ["photo-1.jpg"]
    assert report.confidential is True and report.occurred_at == MONDAY - timedelta(days=1)
    assert (report.reporter_id, report.reporter) == (REPORTER_ID, REPORTER)
    assert report.receiving_unit_id == DISTRICT and report.submitted_at == MONDAY
    assert report.status == Status.RECEIVED and [report.stage] == last(report).opened
    assert report.open_stages() == last(report).opened
    assert (report.handling_unit_id, report.verification, report.urgency, report.department_id,
            report.officer_id, report.assigned_at, report.result, report.published_at,
            report.clarification, report.rating, report.duplicate_of, report.suspended,
            report.re_report_of, report.matter_id) == (None,) * 14
    assert report.failed_verifications == 0 and report.violation is False
    assert report.coordination == {} and report.hidden == set()
    assert report.deadlines_recorded == set()
    assert report.matter == report.id  # a first report starts its own matter (Điều 18.4)


def test_a_report_that_is_not_confidential_says_so_dieu_5_7() -> None:
    report = submit(confidential=False)
    assert last(report).confidential is False and report.confidential is False


@pytest.mark.parametrize("kind", [k.value for k in Kind if k != Kind.INITIATIVE])
def test_every_kind_of_report_is_received_dieu_1_2(kind: str) -> None:
    assert submit(kind=kind).kind == kind


# --------------------------------------------------------------------------- content (Điều 5.1)


@pytest.mark.parametrize("text", ["a" * 10, "  " + "a" * 10 + "  ", "a" * 5000])
def test_content_of_10_to_5000_characters_is_received_dieu_5_1(text: str) -> None:
    assert submit(text=text).text == text.strip()


@pytest.mark.parametrize("text", ["", "a" * 9, "   " + "a" * 9 + "   ", "a" * 5001],
                         ids=["empty", "9", "9_padded", "5001"])
def test_content_shorter_than_10_or_longer_than_5000_characters_is_refused_dieu_5_1(
        text: str) -> None:
    refused_submission("Điều 5.1", text=text)


@pytest.mark.parametrize("category", ["", "   "])
def test_a_report_without_a_category_is_refused_dieu_6_1(category: str) -> None:
    refused_submission("Điều 6.1", category=category)


# --------------------------------------------------------------------------- place (Điều 6.1)


@pytest.mark.parametrize(("latitude", "longitude"), [
    (20.4, 105.8532), (21.5, 105.8532), (21.0245, 105.2), (21.0245, 106.1)],
    ids=["south_edge", "north_edge", "west_edge", "east_edge"])
def test_a_place_on_the_edge_of_ha_noi_is_received_dieu_6_1(latitude: float,
                                                            longitude: float) -> None:
    location = last(submit(latitude=latitude, longitude=longitude)).location
    assert (location["latitude"], location["longitude"]) == (latitude, longitude)


@pytest.mark.parametrize(("latitude", "longitude"), [
    (20.39, 105.8532), (21.51, 105.8532), (21.0245, 105.19), (21.0245, 106.11),
    (10.7769, 105.8532), (21.0245, 108.2022)],
    ids=["south", "north", "west", "east", "latitude_of_hcmc", "longitude_of_da_nang"])
def test_a_place_with_only_its_latitude_or_its_longitude_in_ha_noi_is_refused_dieu_6_1(
        latitude: float, longitude: float) -> None:
    refused_submission("Điều 6.1", latitude=latitude, longitude=longitude)


@pytest.mark.parametrize("address", ["", "   "])
def test_a_place_without_coordinates_or_address_is_refused_dieu_6_1(address: str) -> None:
    refused_submission("Điều 6.1", latitude=None, longitude=None, address=address)


def test_a_location_needs_coordinates_or_an_address_dieu_6_1() -> None:
    """Điều 6.1 read with Open311 GeoReport v2: coordinates in Hà Nội, or an address, or
    both make the place exact; neither, half a pair, or coordinates outside are refused."""
    assert Location(None, None, " 12 Hàng Bài ") == Location(None, None, "12 Hàng Bài")
    assert Location(21.0245, 105.8532).address == ""
    assert Location(21.0245, 105.8532, "12 Hàng Bài").latitude == 21.0245
    for latitude, longitude, address in [(None, None, ""), (None, None, "  "),
                                         (21.0245, None, "12 Hàng Bài"),
                                         (None, 105.8532, ""), (10.7769, 106.7009, ""),
                                         (10.7769, 106.7009, "Quận 1")]:
        with pytest.raises(InvalidInput) as caught:
            Location(latitude, longitude, address)
        assert caught.value.rule == "Điều 6.1"


def test_an_address_alone_is_received_dieu_6_1() -> None:
    location = last(submit(latitude=None, longitude=None, address=" 12 Hàng Bài ")).location
    assert location == {"latitude": None, "longitude": None, "address": "12 Hàng Bài"}


def test_coordinates_alone_are_received_dieu_6_1() -> None:
    location = last(submit(address="")).location
    assert location == {"latitude": 21.0245, "longitude": 105.8532, "address": ""}


def test_a_capital_initiative_needs_no_place_dieu_9() -> None:
    report = submit(kind="capital_initiative", receiving_unit_id=CENTRE, latitude=0.0,
                    longitude=0.0, address="")
    assert report.kind is Kind.INITIATIVE
    assert report.location == {"latitude": 0.0, "longitude": 0.0, "address": ""}


# --------------------------------------------------------------------------- time (Điều 6.1)


def test_the_event_may_have_occurred_up_to_the_moment_of_submission_dieu_6_1() -> None:
    assert submit(occurred_at=MONDAY).occurred_at == MONDAY
    refused_submission("Điều 6.1", occurred_at=MONDAY + timedelta(seconds=1))


# --------------------------------------------------------------------------- media (Điều 5.4)


@pytest.mark.parametrize("media", [[], ["a"], ["m" * 500], [f"photo-{i}.jpg" for i in range(20)]],
                         ids=["none", "1_char", "500_chars", "20_references"])
def test_up_to_20_media_references_of_1_to_500_characters_are_received_dieu_5_4(
        media: list[str]) -> None:
    assert submit(media=media).media == media


@pytest.mark.parametrize("media", [[""], ["photo.jpg", ""], ["m" * 501],
                                   [f"photo-{i}.jpg" for i in range(21)]],
                         ids=["empty", "one_empty", "501_chars", "21_references"])
def test_more_than_20_media_or_an_empty_or_overlong_reference_is_refused_dieu_5_4(
        media: list[str]) -> None:
    refused_submission("Điều 5.4", media=media)


# --------------------------------------------------------------------------- re-reports (Điều 18.4)


def see_through(report: Report) -> Report:
    """Accept, classify, assign, answer, approve and publish ``report`` on Monday."""
    report.accept(RECEIVER, DISTRICT, MONDAY, POLICY)
    report.classify(HEAD, "normal", MONDAY, POLICY)
    report.assign(HEAD, DIVISION, DISTRICT, OFFICER, MONDAY, POLICY)
    report.propose_result(OFFICER, RESULT, EVIDENCE, MONDAY, POLICY)
    report.approve_result(HEAD, MONDAY, POLICY)
    report.update_result(OFFICER, None, EVIDENCE, MONDAY, POLICY)
    report.publish(HEAD, MONDAY)
    return report


def test_a_re_report_joins_the_matter_of_the_published_report_it_follows_dieu_18_4() -> None:
    first = published()
    again = submit(re_report_of=first)
    event = last(again)
    assert (event.matter_id, event.re_report_of) == (first.id, first.id)
    assert (again.matter, again.re_report_of) == (first.id, first.id)


def test_a_re_report_of_a_re_report_stays_in_the_first_report_s_matter_dieu_18_4() -> None:
    first = published()
    again = see_through(submit(re_report_of=first))
    third = submit(re_report_of=again)
    assert (last(third).matter_id, last(third).re_report_of) == (first.id, again.id)
    assert (third.matter, third.re_report_of) == (first.id, again.id)


def test_a_re_report_of_an_open_report_is_refused_as_a_duplicate_instead_dieu_18_4() -> None:
    with pytest.raises(InvalidState) as caught:
        submit(re_report_of=submit())
    assert caught.value.rule == "Điều 18.4"
