"""Random command sequences against a Report keep the lifecycle's invariants (Điều 7–13, 27).

Right and wrong actors, valid and invalid inputs and time moving on (across Tết 2026, 30/4–1/5,
2/9 and the 2025-04-26 swapped Saturday) drive one report; after every step the recorded events
must tell a coherent story.
"""

from __future__ import annotations

import copy
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from domain.actors import SYSTEM, Actor, Role, UnitLevel
from domain.calendar import BUSINESS_TZ
from domain.errors import DomainError
from domain.policy import DEFAULT_POLICY
from domain.report import Report, StageRecord
from tests.budget import examples

POLICY = DEFAULT_POLICY
CALENDAR = POLICY.calendar

CITY, CENTRE, DEPARTMENT, DISTRICT, OTHER_DISTRICT = (uuid4() for _ in range(5))
DIVISION, WARD, OTHER_DIVISION, DEPARTMENT_DIVISION, CITY_DIVISION = (uuid4() for _ in range(5))
PARENT = {CENTRE: CITY, DEPARTMENT: CITY, DISTRICT: CITY, OTHER_DISTRICT: CITY,
          DIVISION: DISTRICT, WARD: DISTRICT, OTHER_DIVISION: OTHER_DISTRICT,
          DEPARTMENT_DIVISION: DEPARTMENT, CITY_DIVISION: CITY}
LEVEL = {CITY: UnitLevel.CITY, CENTRE: UnitLevel.SERVICE_CENTRE, DEPARTMENT: UnitLevel.DEPARTMENT,
         DISTRICT: UnitLevel.DISTRICT, OTHER_DISTRICT: UnitLevel.DISTRICT,
         DIVISION: UnitLevel.DIVISION, WARD: UnitLevel.COMMUNE,
         OTHER_DIVISION: UnitLevel.DIVISION, DEPARTMENT_DIVISION: UnitLevel.DIVISION,
         CITY_DIVISION: UnitLevel.DIVISION}
REPORTER_ID = uuid4()


def staff(role: Role, unit_id: UUID, person: str | None = None) -> Actor:
    return Actor(id=person or str(uuid4()), role=role, unit_id=unit_id, unit_level=LEVEL[unit_id])


UNITS_WITH_HEADS = (CITY, CENTRE, DEPARTMENT, DISTRICT, OTHER_DISTRICT, WARD)
RECEIVERS = {unit: staff(Role.RECEIVING_OFFICER, unit) for unit in UNITS_WITH_HEADS}
HEADS = {unit: staff(Role.UNIT_HEAD, unit) for unit in UNITS_WITH_HEADS}
OFFICERS = {unit: staff(Role.HANDLING_OFFICER, unit)
            for unit in (DIVISION, WARD, OTHER_DIVISION, DEPARTMENT_DIVISION, CITY_DIVISION)}
# The division's officer after a transfer to another district: same person, other unit.
TRANSFERRED = staff(Role.HANDLING_OFFICER, OTHER_DIVISION, OFFICERS[DIVISION].id)
CITIZEN = Actor(id=str(REPORTER_ID), role=Role.CITIZEN)
OTHER_CITIZEN = Actor(id=str(uuid4()), role=Role.CITIZEN)
EVERYONE = [*RECEIVERS.values(), *HEADS.values(), *OFFICERS.values(), TRANSFERRED, CITIZEN,
            OTHER_CITIZEN]

# (division or commune, its parent, an officer): the four right ones first, then wrong ones.
PLACES = [(DIVISION, DISTRICT, OFFICERS[DIVISION]), (WARD, DISTRICT, OFFICERS[WARD]),
          (DEPARTMENT_DIVISION, DEPARTMENT, OFFICERS[DEPARTMENT_DIVISION]),
          (CITY_DIVISION, CITY, OFFICERS[CITY_DIVISION]),
          (OTHER_DIVISION, OTHER_DISTRICT, OFFICERS[OTHER_DIVISION]),
          (DIVISION, DISTRICT, OFFICERS[WARD]), (DIVISION, DISTRICT, TRANSFERRED)]

STARTS = [datetime(2026, 2, 13, 15, tzinfo=BUSINESS_TZ),  # the Friday before Tết 2026
          datetime(2026, 4, 24, 10, tzinfo=BUSINESS_TZ),  # before 27/4, 30/4 and 1/5 2026
          datetime(2025, 4, 25, 15, tzinfo=BUSINESS_TZ),  # before the worked Saturday 26/4
          datetime(2026, 8, 28, 16, tzinfo=BUSINESS_TZ),  # before 31/8, 1/9 and 2/9 2026
          datetime(2026, 3, 7, 22, tzinfo=BUSINESS_TZ)]  # a Saturday night

AFTER_PUBLICATION = {"ClarificationRequested", "ClarificationAnswered", "Rated", "ViolationMarked",
                     # time passing, and moderation and matter linking (Điều 14.1, 18.4)
                     "StageDeadlinePassed", "Hidden", "Redacted", "LinkedToMatter"}
SETTLED = {"Published", "InitiativeAnswered"}
PARALLEL_STAGES = {"verification", "clarification"}
ANSWER = "Đã xử lý xong, đường thông thoáng"

COMMANDS = ["start_verification", "complete_verification", "reject", "escalate", "accept",
            "classify", "assign", "coordinate_to_commune", "assign_commune_officer",
            "request_coordination", "contribute", "grant_extension",
            "propose_result", "return_result", "approve_result", "update_result", "publish",
            "respond_to_initiative", "request_clarification", "answer_clarification", "rate",
            "mark_violation", "reroute"]
#: The commands a report in each status waits for, drawn more often so that runs get far.
EXPECTED = {
    "received": ["accept", "accept", "start_verification", "complete_verification", "reject",
                 "escalate", "reroute"],
    "accepted": ["classify", "assign", "coordinate_to_commune", "request_coordination"],
    "in_handling": ["propose_result", "request_coordination", "contribute", "grant_extension",
                    "respond_to_initiative", "reroute", "assign_commune_officer"],
    "awaiting_approval": ["approve_result", "return_result"],
    "in_rework": ["propose_result", "contribute"],
    "approved": ["update_result", "publish"],
    "result_updated": ["publish"],
    "published": ["request_clarification", "answer_clarification", "rate", "mark_violation"],
}

#: "right" (about 2 in 3) picks the actor the command means; an index picks anyone.
WHO = st.sampled_from(["right"] * 2 * len(EVERYONE) + list(range(len(EVERYONE))))


def ancestors(unit_id: UUID) -> list[UUID]:
    chain = []
    while unit_id in PARENT:
        unit_id = PARENT[unit_id]
        chain.append(unit_id)
    return chain


def snapshot(report: Report) -> dict[str, Any]:
    """Everything a command could change, events excepted."""
    return copy.deepcopy({k: v for k, v in vars(report).items() if k != "_pending_events"})


class ReportLifecycle(RuleBasedStateMachine):
    report: Report
    now: datetime

    @initialize(kind=st.sampled_from(["field", "field", "waste_behaviour", "capital_initiative"]),
                start=st.sampled_from(STARTS), receiving=st.sampled_from([DISTRICT, CENTRE]))
    def submit(self, kind: str, start: datetime, receiving: UUID) -> None:
        if kind == "capital_initiative":
            receiving = CENTRE  # Điều 9: received by the service centre only
        self.now = start
        self.report = Report.submit(
            kind=kind, category=next(iter(POLICY.categories[kind])),
            text="Cây đổ chắn ngang đường Láng",
            latitude=21.01, longitude=105.80, address="Đường Láng, Đống Đa", occurred_at=None,
            media=["anh.jpg"], confidential=False, reporter_id=REPORTER_ID,
            reporter={"name": "Nguyễn Văn An"}, receiving_unit_id=receiving, at=start,
            policy=POLICY, receiving_unit_level=LEVEL[receiving])

    # ------------------------------------------------------------------ helpers

    def actor(self, data: st.DataObject, right: Actor | None) -> Actor:
        """Mostly the actor the command means, otherwise anyone (most of them wrong)."""
        choice = data.draw(WHO, label="who")
        if choice == "right" and right is not None:
            return right
        return EVERYONE[0 if choice == "right" else int(choice)]

    def receiver(self) -> Actor:
        return RECEIVERS[self.report.receiving_unit_id]

    def head(self) -> Actor | None:
        return HEADS.get(self.report.handling_unit_id)  # type: ignore[arg-type]

    def officer(self) -> Actor | None:
        return next((a for a in EVERYONE if a.id == self.report.officer_id
                     and a.unit_id == self.report.department_id), None)

    def coordinator(self) -> Actor | None:
        pending = [UUID(u) for u, done in self.report.coordination.items() if not done]
        return HEADS.get(pending[0]) if pending else None

    def pick(self, data: st.DataObject, options: list[Any], label: str) -> Any:
        return data.draw(st.sampled_from(options), label=label)

    # ------------------------------------------------------------------ rules

    @rule(data=st.data())
    def step(self, data: st.DataObject) -> None:
        """Time passes or one command runs, likelier those the report's status expects; a
        refused command changes nothing, and any error other than a DomainError is a bug."""
        expected = EXPECTED.get(str(self.report.status), [])
        name = self.pick(data, ["time_passes"] * 4 + COMMANDS + expected * 12, "command")
        before = snapshot(self.report), len(self.report.pending_events)
        try:
            getattr(self, name)(data)
        except DomainError:
            assert (snapshot(self.report), len(self.report.pending_events)) == before

    # ------------------------------------------------------------------ commands (Điều 6–13, 27)

    def time_passes(self, d: st.DataObject) -> None:
        self.now += timedelta(hours=self.pick(d, [0.25, 1, 3, 8, 24, 72, 24 * 9, 24 * 40],
                                              "hours"))

    def start_verification(self, d: st.DataObject) -> None:
        self.report.start_verification(self.actor(d, self.receiver()), self.now, POLICY)

    def complete_verification(self, d: st.DataObject) -> None:
        self.report.complete_verification(self.actor(d, self.receiver()),
                                          d.draw(st.booleans(), label="passed"), "Đã gọi",
                                          self.now)

    def reject(self, d: st.DataObject) -> None:
        self.report.reject(self.actor(d, self.receiver()),
                           self.pick(d, ["a", "b", "c", "d", "đ", "e", "z"], "reason"),
                           self.pick(d, ["Ảnh bị chỉnh sửa", ""], "note"), self.now)

    def escalate(self, d: st.DataObject) -> None:
        """Điều 7.2.c upwards; Điều 5.9 from a district to a department."""
        to = self.pick(d, [CITY, DEPARTMENT, OTHER_DISTRICT, WARD, DISTRICT], "to")
        self.report.escalate(self.actor(d, self.receiver()), to,
                             to in ancestors(self.report.receiving_unit_id), "Vượt thẩm quyền",
                             self.now, POLICY, to_unit_level=LEVEL[to])

    def accept(self, d: st.DataObject) -> None:
        """Điều 7.2.b; Điều 8.2.a: sometimes with coordinating units, asked by the head."""
        unit = self.pick(d, [DISTRICT, DEPARTMENT, CITY, None], "unit")
        units = self.pick(d, [[]] * 3 + [[OTHER_DISTRICT], [DEPARTMENT, WARD]], "coordinating")
        right = (HEADS.get(self.report.receiving_unit_id) if units else self.receiver())
        self.report.accept(self.actor(d, right), unit or self.report.receiving_unit_id,
                           self.now, POLICY, coordinating_unit_ids=units,
                           units_of_other_level=self.of_other_level(unit, units))

    def of_other_level(self, lead: UUID | None, units: list[UUID]) -> list[UUID]:
        lead_level = LEVEL[lead or self.report.handling_unit_id or self.report.receiving_unit_id]
        return [u for u in units if not POLICY.same_or_equivalent_level(lead_level, LEVEL[u])]

    def classify(self, d: st.DataObject) -> None:
        self.report.classify(self.actor(d, self.head()),
                             self.pick(d, ["urgent", "normal", "complex", "later"], "urgency"),
                             self.now, POLICY)

    def assign(self, d: st.DataObject) -> None:
        right = [p for p in PLACES[:4] if self.report.handling_unit_id in p[:2]]
        department, parent, officer = self.pick(d, PLACES + right * len(PLACES), "place")
        self.report.assign(self.actor(d, self.head()), department, parent, officer, self.now,
                           POLICY)

    def coordinate_to_commune(self, d: st.DataObject) -> None:
        """Điều 8.1.b: to a commune under the handling unit (or, wrongly, elsewhere)."""
        commune = self.pick(d, [WARD, WARD, DIVISION, OTHER_DIVISION], "commune")
        self.report.coordinate_to_commune(self.actor(d, self.head()), commune, PARENT[commune],
                                          LEVEL[commune], self.now, POLICY)

    def assign_commune_officer(self, d: st.DataObject) -> None:
        """Điều 8.1.c: the commune's leader assigns one of its officers."""
        officer = self.pick(d, [OFFICERS[WARD], OFFICERS[WARD], OFFICERS[DIVISION]], "officer")
        self.report.assign_commune_officer(self.actor(d, HEADS[WARD]), officer, self.now)

    def request_coordination(self, d: st.DataObject) -> None:
        units = d.draw(st.lists(st.sampled_from([OTHER_DISTRICT, DEPARTMENT, DISTRICT, WARD]),
                                min_size=1, max_size=2), label="units")
        self.report.request_coordination(self.actor(d, self.head()), units, self.now,
                                         self.of_other_level(None, units))

    def contribute(self, d: st.DataObject) -> None:
        self.report.contribute(self.actor(d, self.coordinator()), "Ý kiến phối hợp", [],
                               self.now)

    def grant_extension(self, d: st.DataObject) -> None:
        self.report.grant_extension(self.actor(d, self.head()),
                                    d.draw(st.integers(-1, 20), label="days"),
                                    "Thủ tục thu hồi đất", self.now, POLICY)

    def propose_result(self, d: st.DataObject) -> None:
        self.report.propose_result(self.actor(d, self.officer()), ANSWER,
                                   self.pick(d, [["bien-ban.pdf"], []], "evidence"), self.now,
                                   POLICY)

    def return_result(self, d: st.DataObject) -> None:
        self.report.return_result(self.actor(d, self.head()), "Thiếu ảnh", self.now, POLICY)

    def approve_result(self, d: st.DataObject) -> None:
        self.report.approve_result(self.actor(d, self.head()), self.now, POLICY)

    def update_result(self, d: st.DataObject) -> None:
        self.report.update_result(self.actor(d, self.officer()),
                                  self.pick(d, [None, ANSWER, "ngắn"], "text"),
                                  self.pick(d, [["anh-sau.jpg"], [], [" "]], "evidence"),
                                  self.now, POLICY)

    def publish(self, d: st.DataObject) -> None:
        self.report.publish(self.actor(d, self.head()), self.now)

    def respond_to_initiative(self, d: st.DataObject) -> None:
        self.report.respond_to_initiative(self.actor(d, self.head()), ANSWER, [], self.now)

    def request_clarification(self, d: st.DataObject) -> None:
        self.report.request_clarification(self.actor(d, CITIZEN), "Khi nào xong hẳn?", self.now,
                                          POLICY)

    def answer_clarification(self, d: st.DataObject) -> None:
        self.report.answer_clarification(self.actor(d, self.head()), "Tuần sau", self.now)

    def rate(self, d: st.DataObject) -> None:
        self.report.rate(self.actor(d, CITIZEN),
                         self.pick(d, ["satisfied", "acceptable", "unsatisfied", "meh"],
                                   "rating"), "", self.now)

    def mark_violation(self, d: st.DataObject) -> None:
        self.report.mark_violation(self.actor(d, self.receiver()), "Nội dung sai sự thật",
                                   self.now)

    def reroute(self, d: st.DataObject) -> None:
        """Điều 28.1: a unit merged into another hands its open work on the report over."""
        held = [u for u in (self.report.receiving_unit_id, self.report.handling_unit_id,
                            self.report.department_id) if u is not None]
        merged = self.pick(d, held * 3 + [DISTRICT, DIVISION, WARD, DEPARTMENT], "merged")
        into = self.pick(d, [OTHER_DISTRICT, DEPARTMENT, WARD], "into")  # units with staff
        self.report.reroute(self.actor(d, SYSTEM), merged, into, self.now)

    # ------------------------------------------------------------------ invariants

    def names(self) -> list[str]:
        return [type(e).__name__ for e in self.report.pending_events]

    @invariant()
    def version_counts_the_events(self) -> None:
        assert self.report.version == len(self.report.pending_events)

    @invariant()
    def after_publication_only_clarification_rating_or_violation_dieu_13(self) -> None:
        names = self.names()
        settled = next((i for i, n in enumerate(names) if n in SETTLED), None)
        if settled is not None:
            assert set(names[settled + 1:]) <= AFTER_PUBLICATION

    @invariant()
    def a_rejected_report_takes_no_further_handling_dieu_7_2_a(self) -> None:
        names = self.names()
        if "Rejected" in names:
            assert set(names[names.index("Rejected") + 1:]) <= {"ViolationMarked"}

    @invariant()
    def rated_at_most_once_dieu_13(self) -> None:
        assert self.names().count("Rated") <= 1

    @invariant()
    def every_due_instant_is_inside_working_time(self) -> None:
        for e in self.report.pending_events:
            for due in [*(s.due for s in e.opened), getattr(e, "due", None)]:
                assert due is None or CALENDAR.is_working_time(due), (type(e).__name__, due)

    @invariant()
    def verification_is_due_4_working_hours_from_receipt_dieu_6_2_d(self) -> None:
        """Every verification, a repeat included, is due 4 working hours after the report
        reached the unit now receiving it (its submission or escalation)."""
        received_at = None
        for e in self.report.pending_events:
            name = type(e).__name__
            if name in ("Submitted", "Escalated"):
                received_at = e.opened[0].started_at
            if name == "VerificationStarted":
                assert received_at is not None
                assert e.opened[0].due == POLICY.due(self.report.kind, "verification",
                                                     received_at)

    @invariant()
    def publication_follows_the_result_updated_with_evidence_dieu_12_1_12_3(self) -> None:
        """Proposal → approval (12.1) → update with evidence (12.2) → publication within 1
        working day of the update (12.3): only the update opens the publication stage."""
        last_step = None
        for e in self.report.pending_events:
            name = type(e).__name__
            if any(s.stage == "publication" for s in e.opened):
                assert name == "ResultUpdated" and e.evidence
                assert e.opened[0].due == POLICY.due(self.report.kind, "publication", e.at)
            if name in ("ResultProposed", "ResultReturned", "ResultApproved", "ResultUpdated"):
                assert (last_step, name) in {
                    (None, "ResultProposed"), ("ResultReturned", "ResultProposed"),
                    ("ResultProposed", "ResultReturned"), ("ResultProposed", "ResultApproved"),
                    ("ResultApproved", "ResultUpdated")}, (last_step, name)
                last_step = name
            if name == "Published":
                assert last_step == "ResultUpdated"

    @invariant()
    def clarification_is_asked_by_24h_of_the_second_day_after_dieu_13(self) -> None:
        published_at = None
        for e in self.report.pending_events:
            if type(e).__name__ in SETTLED:
                published_at = e.at
            if type(e).__name__ == "ClarificationRequested":
                assert published_at is not None
                assert e.at < POLICY.clarification_ends(published_at)

    @invariant()
    def every_opened_stage_is_closed_once_by_its_own_record(self) -> None:
        """Timed stages nest properly, so lateness can be computed from the events alone."""
        open_stages: dict[str, StageRecord] = {}
        for e in self.report.pending_events:
            for closed in e.closed:
                stage = open_stages.pop(closed.stage)
                assert {k: v for k, v in vars(closed).items() if k in vars(stage)} == vars(stage)
                assert closed.on_time == (stage.due is None or e.at <= stage.due)
            if type(e).__name__ == "Rerouted":  # Điều 28.1: only the unit changes
                for name, stage in open_stages.items():
                    if stage.unit_id == e.from_unit_id:
                        open_stages[name] = replace(stage, unit_id=e.to_unit_id)
            if type(e).__name__ == "CommuneOfficerAssigned":  # Điều 8.1.c: the officer only
                assert {k: v for k, v in vars(e.stage).items() if k != "officer_id"} == {
                    k: v for k, v in vars(open_stages[e.stage.stage]).items() if k != "officer_id"}
                open_stages[e.stage.stage] = e.stage
            if type(e).__name__ == "ExtensionGranted":
                assert open_stages["handling"].due == e.previous_due < e.due
                open_stages["handling"] = replace(open_stages["handling"], due=e.due)
            for opened in e.opened:
                assert opened.stage not in open_stages
                assert opened.policy_version == POLICY.version
                open_stages[opened.stage] = opened
        main = {k: v for k, v in open_stages.items() if k not in PARALLEL_STAGES}
        assert list(main.values()) == ([self.report.stage] if self.report.stage else [])
        if self.report.status in ("rejected", "published"):
            assert not main and "verification" not in open_stages


ReportLifecycle.TestCase.settings = settings(max_examples=examples(60), stateful_step_count=40,
                                             deadline=None)
test_report_lifecycle_invariants = ReportLifecycle.TestCase
