"""Attachments' bytes (Điều 5.2 media, Điều 12.2 evidence): checked by content, stored
content-addressed (SHA-256 of the plain bytes) and encrypted at rest with the application's
cipher, behind a small :class:`AttachmentStore` interface — the filesystem under the data
directory by default, an S3-compatible bucket by configuration.

An image is decoded with Pillow; its public copy is re-encoded without EXIF (the location a
phone records stays in the original, for staff only) and a thumbnail is made. A PDF is known
by its ``%PDF-`` signature and is its own public copy. Anything else is refused.
"""

from __future__ import annotations

import hashlib
import io
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Protocol

from domain.errors import InvalidInput

THUMBNAIL_SIZE = (320, 320)
_IMAGE_FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
_MAX_PIXELS = 50_000_000  # a decompression bomb is refused, not decoded


class AttachmentStore(Protocol):
    """Bytes by key (a SHA-256 in hex). Keys are content addresses: a put of a key that
    exists may be skipped."""

    def put(self, key: str, data: bytes) -> None: ...

    def get(self, key: str) -> bytes:
        """The bytes stored under ``key``; KeyError when there are none."""
        ...

    def exists(self, key: str) -> bool: ...


class MemoryStore:
    """In memory (tests, and the in-memory event store)."""

    def __init__(self) -> None:
        self.blobs: dict[str, bytes] = {}

    def put(self, key: str, data: bytes) -> None:
        self.blobs[key] = data

    def get(self, key: str) -> bytes:
        return self.blobs[key]

    def exists(self, key: str) -> bool:
        return key in self.blobs


class FilesystemStore:
    """Files under ``root``/ab/cd/<sha256>, written whole then renamed into place."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def _path(self, key: str) -> Path:
        if len(key) != 64 or any(ch not in "0123456789abcdef" for ch in key):
            raise KeyError(key)
        return self.root / key[:2] / key[2:4] / key

    def put(self, key: str, data: bytes) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def get(self, key: str) -> bytes:
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError:
            raise KeyError(key) from None

    def exists(self, key: str) -> bool:
        try:
            return self._path(key).exists()
        except KeyError:
            return False


class S3Store:
    """An S3-compatible bucket through boto3 (``endpoint_url`` for MinIO, Ceph, moto...)."""

    def __init__(self, bucket: str, prefix: str = "attachments/", **client: Any) -> None:
        import boto3  # type: ignore[import-untyped]

        self.bucket = bucket
        self.prefix = prefix
        self.client: Any = boto3.client("s3", **{k: v for k, v in client.items()
                                                 if v is not None})

    def put(self, key: str, data: bytes) -> None:
        self.client.put_object(Bucket=self.bucket, Key=self.prefix + key, Body=data)

    def get(self, key: str) -> bytes:
        try:
            answer = self.client.get_object(Bucket=self.bucket, Key=self.prefix + key)
        except self.client.exceptions.NoSuchKey:
            raise KeyError(key) from None
        return bytes(answer["Body"].read())

    def exists(self, key: str) -> bool:
        from botocore.exceptions import ClientError  # type: ignore[import-untyped]

        try:
            self.client.head_object(Bucket=self.bucket, Key=self.prefix + key)
        except ClientError as e:
            if e.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return False
            raise
        return True


class EncryptedStore:
    """Encrypts at rest with the application's cipher (AES-GCM, the key of the events):
    the store below only ever holds ciphertext. The key stays the plain bytes' SHA-256."""

    def __init__(self, inner: AttachmentStore, cipher: Any) -> None:
        self.inner = inner
        self.cipher = cipher

    def put(self, key: str, data: bytes) -> None:
        if not self.inner.exists(key):
            self.inner.put(key, self.cipher.encrypt(data))

    def get(self, key: str) -> bytes:
        return bytes(self.cipher.decrypt(self.inner.get(key)))

    def exists(self, key: str) -> bool:
        return self.inner.exists(key)


@dataclass(frozen=True)
class Checked:
    """An upload whose content was checked: its type, and the copies to store."""

    content_type: str
    original: bytes
    public: bytes
    thumbnail: bytes | None

    @property
    def sha256(self) -> str:
        return sha256(self.original)

    @property
    def public_sha256(self) -> str:
        return sha256(self.public)

    @property
    def thumbnail_sha256(self) -> str | None:
        return sha256(self.thumbnail) if self.thumbnail is not None else None


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def check_content(source: IO[bytes]) -> Checked:
    """Điều 5.2, 12.2: an image (decoded by Pillow) or a PDF (by its signature); else
    :class:`UnsupportedContent`."""
    source.seek(0)
    data = source.read()
    if data.startswith(b"%PDF-"):
        return Checked("application/pdf", data, data, None)
    from PIL import Image, ImageOps

    Image.MAX_IMAGE_PIXELS = _MAX_PIXELS
    try:
        with Image.open(io.BytesIO(data)) as probe:
            kind = probe.format or ""
            probe.verify()  # the whole file, not only the header
        if kind not in _IMAGE_FORMATS:
            raise UnsupportedContent(f"{kind or 'this'} content is not accepted")
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            upright = ImageOps.exif_transpose(image)
            public = _encode_without_metadata(upright, kind)
            thumb = upright.copy()
            thumb.thumbnail(THUMBNAIL_SIZE)
            thumbnail = _encode_without_metadata(thumb, "JPEG" if kind == "JPEG" else "PNG")
    except UnsupportedContent:
        raise
    except Exception as e:  # Pillow's many ways of saying "not an image I can read"
        raise UnsupportedContent("an attachment is an image or a PDF file") from e
    return Checked(_IMAGE_FORMATS[kind], data, public, thumbnail)


def _encode_without_metadata(image: Any, kind: str) -> bytes:
    """Re-encode the pixels only: no EXIF (GPS location, device), no XMP, no comments."""
    from PIL import Image

    out = io.BytesIO()
    if kind == "JPEG":
        pixels = image.convert("RGB") if image.mode not in ("RGB", "L") else image
        clean = Image.new(pixels.mode, pixels.size)
        clean.paste(pixels)
        clean.save(out, "JPEG", quality=88)
    else:
        mode = image.mode if image.mode in ("RGB", "RGBA", "L", "LA") else "RGBA"
        clean = Image.new(mode, image.size)
        clean.paste(image.convert(mode))
        clean.save(out, "WEBP" if kind == "WEBP" else "PNG")
    return out.getvalue()


class UnsupportedContent(InvalidInput):
    """Điều 5.2, 12.2: the content is neither an image nor a PDF."""

    def __init__(self, detail: str) -> None:
        super().__init__("Điều 5.2, 12.2", detail)


def store_checked(store: AttachmentStore, checked: Checked) -> None:
    """Put the original, the public copy and the thumbnail (each once: content-addressed)."""
    for data in (checked.original, checked.public, checked.thumbnail):
        if data is not None:
            key = sha256(data)
            if not store.exists(key):
                store.put(key, data)
