"""Attachments over HTTP (Điều 5.2 media, Điều 8.2 contributions, Điều 12.2 evidence).

``POST /attachments`` takes one file as ``multipart/form-data`` (field ``file``), read as it
streams: past the policy's ``attachment_max_bytes`` it stops reading and answers 413. The
content decides the type (an image Pillow decodes, or a PDF by its ``%PDF-`` signature);
anything else is a 415. The answer's ``id`` is what reports, results and contributions then
reference.

``GET /attachments/{id}`` (and ``/thumbnail``) serves the original — with its EXIF location —
to its uploader, to staff who may see a report referencing it, and to the reporter of a report
whose clarification answer (Điều 13) carries it; ``GET
/public/attachments/{id}`` (and ``/thumbnail``) serves the copy without EXIF of a published,
non-confidential report's media or result evidence, to anyone. Everything else is a 404.
"""

from __future__ import annotations

import tempfile
from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.concurrency import run_in_threadpool

from api import consistency
from api import schemas as s
from api.access import check_works_on_reports, may_see
from api.auth import Caller, CheckedInThread
from api.commands import Cmd
from api.consistency import written
from api.errors import problem
from application.attachments import UnsupportedContent
from application.services import IHanoi, NotFound
from domain.actors import Role
from domain.attachment import Attachment
from projections import report_attachments, report_status

router = APIRouter(tags=["attachments"])
reads = APIRouter(tags=["attachments"], route_class=CheckedInThread)

#: Room for the multipart envelope around the file (boundaries, part headers).
_ENVELOPE = 16 * 1024
_FILE_TYPES = {"image/jpeg": {}, "image/png": {}, "image/webp": {}, "application/pdf": {}}
_BYTES: dict[int | str, dict[str, Any]] = {
    200: {"description": "The file's bytes", "content": _FILE_TYPES}}
_UPLOAD_BODY = {"requestBody": {"required": True, "content": {"multipart/form-data": {
    "schema": {"type": "object", "required": ["file"], "properties": {
        "file": {"type": "string", "format": "binary",
                 "description": "an image (JPEG, PNG, WebP) or a PDF file"}}}}}}}


class _TooLarge(Exception):
    pass


class _Upload:
    """The ``file`` part of a multipart body, spooled to a temporary file as it arrives."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.file = tempfile.SpooledTemporaryFile(max_size=1024 * 1024)  # noqa: SIM115
        self.size = 0
        self.file_name: str | None = None
        self.found = False
        self._in_file = False
        self._field = b""
        self._value = b""
        self._headers: dict[bytes, bytes] = {}

    def callbacks(self) -> dict[str, Any]:
        return {"on_part_begin": self._begin, "on_header_field": self._header_field,
                "on_header_value": self._header_value, "on_header_end": self._header_end,
                "on_headers_finished": self._headers_done, "on_part_data": self._data,
                "on_part_end": self._end}

    def _begin(self) -> None:
        self._headers, self._in_file = {}, False

    def _header_field(self, data: bytes, start: int, end: int) -> None:
        self._field += data[start:end]

    def _header_value(self, data: bytes, start: int, end: int) -> None:
        self._value += data[start:end]

    def _header_end(self) -> None:
        self._headers[self._field.lower()] = self._value
        self._field = self._value = b""

    def _headers_done(self) -> None:
        _, options = parse_options_header(self._headers.get(b"content-disposition", b""))
        if options.get(b"name") == b"file" and not self.found:
            self._in_file = self.found = True
            name = options.get(b"filename")
            self.file_name = name.decode("utf-8", "replace") if name else None

    def _data(self, data: bytes, start: int, end: int) -> None:
        if not self._in_file:
            return
        self.size += end - start
        if self.size > self.limit:
            raise _TooLarge
        self.file.write(data[start:end])

    def _end(self) -> None:
        self._in_file = False


def _too_large(request: Request, limit: int) -> JSONResponse:
    return problem(413, "attachment-too-large", "Attachment too large",
                   f"an attachment has at most {limit} bytes (policy attachment_max_bytes)",
                   request, rule="Điều 12.2")


@router.post("/attachments", status_code=201, response_model=s.AttachmentState,
             openapi_extra=_UPLOAD_BODY)
async def upload(request: Request, cmd: Cmd) -> Response:
    """Điều 5.2, 12.2: upload one file (multipart field ``file``): an image or a PDF, at most
    the policy's ``attachment_max_bytes``; its id is what reports, results and contributions
    reference. Any citizen or officer may upload; the file is then his (or his unit's) to
    attach."""
    app: IHanoi = cmd.app
    limit = app.policy().attachment_max_bytes
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit + _ENVELOPE:
        return _too_large(request, limit)  # refused before a byte of it is read
    content_type, options = parse_options_header(request.headers.get("content-type", ""))
    boundary = options.get(b"boundary")
    if content_type != b"multipart/form-data" or not boundary:
        return problem(415, "not-multipart", "Unsupported media type",
                       "send the file as multipart/form-data, in the field 'file'", request)
    upload = _Upload(limit)
    parser = MultipartParser(boundary, upload.callbacks())  # type: ignore[arg-type]
    try:
        async for chunk in request.stream():
            parser.write(chunk)
        parser.finalize()
    except _TooLarge:
        return _too_large(request, limit)
    except FormParserError:  # a malformed body
        return problem(400, "malformed-multipart", "Malformed body",
                       "the multipart body cannot be parsed", request)
    if not upload.found or upload.size == 0:
        return problem(422, "no-file", "No file", "the multipart field 'file' is missing or "
                       "empty", request, rule="Điều 12.2")
    try:
        result = await run_in_threadpool(
            lambda: app.upload_attachment(upload.file, cmd.actor, upload.file_name,
                                          command_id=cmd.command_id))
    except UnsupportedContent as error:
        return problem(415, "unsupported-attachment", "Unsupported attachment", error.detail,
                       request, rule=error.rule)
    finally:
        upload.file.close()
    attachment = app.attachment(result.aggregate_id)
    written(request, result, f"/attachments/{attachment.id}")
    return JSONResponse(_state(attachment, result.replayed).model_dump(mode="json"),
                        status_code=200 if result.replayed else 201)


def _state(a: Attachment, replayed: bool = False) -> s.AttachmentState:
    return s.AttachmentState(id=a.id, sha256=a.sha256, content_type=a.content_type,
                             size=a.size, file_name=a.file_name, uploaded_at=a.at,
                             has_thumbnail=a.thumbnail_sha256 is not None, replayed=replayed)


def _attachment(app: IHanoi, attachment_id: UUID) -> Attachment:
    try:
        return app.attachment(attachment_id)
    except NotFound:
        raise NotFound(f"no attachment {attachment_id}") from None


def _may_read_original(request: Request, caller: Any, attachment: Attachment) -> bool:
    """Its uploader; staff who may see one of the reports referencing it; the reporter of a
    report whose clarification answer carries it (Điều 13: the answer is addressed to him)."""
    if caller.subject == attachment.uploader_id:
        return True
    if caller.role == Role.CITIZEN:
        with consistency.connection(request) as conn:
            return any(
                row is not None and may_see(caller, row)
                for row in (report_status.get(conn, report_id) for report_id in
                            report_attachments.reports_of_reporter_uses(conn, attachment.id)))
    check_works_on_reports(caller)  # an administrator: 403
    with consistency.connection(request) as conn:
        for report_id in report_attachments.reports_of(conn, attachment.id):
            row = report_status.get(conn, report_id)
            if row is not None and may_see(caller, row):
                return True
    return False


def _bytes(app: IHanoi, key: str, content_type: str, public: bool) -> Response:
    data = app.attachment_store.get(key)
    return Response(data, media_type=content_type, headers={
        "Cache-Control": "public, max-age=86400" if public else "private, no-store",
        "X-Content-Type-Options": "nosniff",
        "Content-Disposition": "inline"})


def _thumbnail_type(a: Attachment) -> str:
    return "image/jpeg" if a.content_type == "image/jpeg" else "image/png"


@reads.get("/attachments/{attachment_id}", response_class=Response, responses=_BYTES)
def original(attachment_id: UUID, request: Request, caller: Caller) -> Response:
    """The original file, EXIF location included: for its uploader, for staff who may see a
    report referencing it, and for the reporter of a report whose clarification answer carries
    it (Điều 13); else 404."""
    app: IHanoi = request.app.state.runtime.app
    attachment = _attachment(app, attachment_id)
    if not _may_read_original(request, caller, attachment):
        raise NotFound(f"no attachment {attachment_id}")
    return _bytes(app, attachment.sha256, attachment.content_type, public=False)


@reads.get("/attachments/{attachment_id}/thumbnail", response_class=Response,
           responses=_BYTES)
def thumbnail(attachment_id: UUID, request: Request, caller: Caller) -> Response:
    """An image's thumbnail (no metadata), for those who may read the original."""
    app: IHanoi = request.app.state.runtime.app
    attachment = _attachment(app, attachment_id)
    if attachment.thumbnail_sha256 is None or not _may_read_original(request, caller, attachment):
        raise NotFound(f"no thumbnail of attachment {attachment_id}")
    return _bytes(app, attachment.thumbnail_sha256, _thumbnail_type(attachment), public=False)


def _public(request: Request, attachment_id: UUID) -> Attachment:
    app: IHanoi = request.app.state.runtime.app
    attachment = _attachment(app, attachment_id)
    with consistency.connection(request) as conn:
        if not report_attachments.is_public(conn, attachment_id):
            raise NotFound(f"no public attachment {attachment_id}")
    return attachment


@reads.get("/public/attachments/{attachment_id}", response_class=Response, responses=_BYTES)
def public_copy(attachment_id: UUID, request: Request) -> Response:
    """Điều 12.3, 14.1, 14.2: the public copy (re-encoded without EXIF: no location, no
    device) of a published report's media or result evidence; never of a confidential or
    hidden report (404)."""
    attachment = _public(request, attachment_id)
    app: IHanoi = request.app.state.runtime.app
    return _bytes(app, attachment.public_sha256, attachment.content_type, public=True)


@reads.get("/public/attachments/{attachment_id}/thumbnail", response_class=Response,
           responses=_BYTES)
def public_thumbnail(attachment_id: UUID, request: Request) -> Response:
    """The thumbnail of a public image (no metadata)."""
    attachment = _public(request, attachment_id)
    if attachment.thumbnail_sha256 is None:
        raise NotFound(f"no thumbnail of attachment {attachment_id}")
    app: IHanoi = request.app.state.runtime.app
    return _bytes(app, attachment.thumbnail_sha256, _thumbnail_type(attachment), public=True)
