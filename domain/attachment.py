"""An uploaded file: the media of a report (Điều 5.2) or the evidence of a result (Điều 12.2,
"tệp đính kèm (ảnh hoặc file)"), a contribution's attachments (Điều 8.2).

The aggregate holds the metadata only; the bytes are in the application's attachment store,
addressed by their SHA-256 (the original, the public copy without EXIF, the thumbnail).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.actors import Actor, Role
from domain.errors import InvalidInput, NotPermitted

#: Content types accepted, checked by content (not by the name or the header sent).
ACCEPTED_TYPES = frozenset({"image/jpeg", "image/png", "image/webp", "application/pdf"})


class Attachment(Aggregate):
    """Điều 5.2, 12.2: one uploaded file, referenced by id from reports, results and
    contributions. Uploaded by a citizen (for his reports) or an officer (for his unit)."""

    class Uploaded(Aggregate.Created):
        by: dict[str, Any]
        at: datetime
        sha256: str
        content_type: str
        size: int
        public_sha256: str
        thumbnail_sha256: str | None
        file_name: str | None

    @event(Uploaded)
    def __init__(self, by: dict[str, Any], at: datetime, sha256: str, content_type: str,
                 size: int, public_sha256: str, thumbnail_sha256: str | None,
                 file_name: str | None) -> None:
        self.by = by
        self.at = at
        self.sha256 = sha256
        self.content_type = content_type
        self.size = size
        self.public_sha256 = public_sha256
        self.thumbnail_sha256 = thumbnail_sha256
        self.file_name = file_name

    @classmethod
    def upload(cls, by: Actor, at: datetime, sha256: str, content_type: str, size: int,
               max_size: int, public_sha256: str, thumbnail_sha256: str | None,
               file_name: str | None) -> Attachment:
        """Điều 5.2, 12.2: record an upload whose content was checked; any authenticated
        citizen or officer may upload (inspectors change nothing)."""
        if by.role in (Role.INSPECTOR, Role.CITY_INSPECTOR, Role.SYSTEM):
            raise NotPermitted("Điều 22, 24", "inspectors read, they do not upload")
        if content_type not in ACCEPTED_TYPES:
            raise InvalidInput("Điều 12.2", f"an attachment is an image or a PDF file, "
                               f"not {content_type}")
        if not 0 < size <= max_size:
            raise InvalidInput("Điều 12.2", f"an attachment has 1 to {max_size} bytes")
        return cls(by=by.ref(), at=at, sha256=sha256, content_type=content_type, size=size,
                   public_sha256=public_sha256, thumbnail_sha256=thumbnail_sha256,
                   file_name=(file_name or "").strip()[:200] or None)

    @property
    def uploader_id(self) -> str:
        return str(self.by["id"])

    @property
    def uploader_unit_id(self) -> UUID | None:
        unit = self.by.get("unit_id")
        return UUID(str(unit)) if unit is not None else None

    def may_be_attached_by(self, actor: Actor) -> bool:
        """Who may reference the file: its uploader, or an officer of the uploader's unit."""
        if actor.id == self.uploader_id:
            return True
        return (actor.role != Role.CITIZEN and actor.unit_id is not None
                and actor.unit_id == self.uploader_unit_id)

    def check_may_be_attached_by(self, actor: Actor, article: str) -> None:
        if not self.may_be_attached_by(actor):
            raise InvalidInput(article, f"attachment {self.id} was not uploaded by you "
                               "or your unit")
