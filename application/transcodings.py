"""How the domain's value objects are stored inside events: eventsourcing's JSON transcoder
learns each of them (a stage record is stored as its fields, tagged with its kind)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.persistence import JSONTranscoder, Transcoding

from domain.report import ClosedStage, StageRecord


class StageRecordAsDict(Transcoding):
    """A timed stage as its fields (:class:`domain.report.StageRecord`, or a closed one)."""

    def __init__(self, kind: type[StageRecord], name: str) -> None:
        self.type = kind
        self.name = name

    def encode(self, obj: StageRecord) -> dict[str, Any]:
        return obj.as_dict()

    def decode(self, data: dict[str, Any]) -> StageRecord:
        return StageRecord.from_dict(data)


class TypedEventsApplication(Application[UUID]):
    """An eventsourcing application whose events may hold the domain's value objects."""

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        transcoder.register(StageRecordAsDict(StageRecord, "stage_record"))
        transcoder.register(StageRecordAsDict(ClosedStage, "closed_stage"))
