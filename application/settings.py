"""Runtime configuration, read from environment variables.

| Variable            | Field         | Default                                   |
|---------------------|---------------|-------------------------------------------|
| DATABASE_URL        | database_url  | unset: embedded PostgreSQL in data_dir    |
| IHANOI_CIPHER_KEY   | cipher_key    | unset: generated dev key (not production) |
| IHANOI_ENV          | environment   | development                               |
| IHANOI_DATA_DIR     | data_dir      | platformdirs.user_data_dir("ihanoi")      |
| IHANOI_DB_SCHEMA    | schema        | public                                    |
| IHANOI_READ_WAIT_SECONDS | read_wait_seconds | 2 (a query's wait for a store position) |
| IHANOI_SMTP_HOST    | smtp_host     | unset: no e-mail channel                  |
| IHANOI_SMTP_PORT    | smtp_port     | 25                                        |
| IHANOI_SMTP_SECURITY| smtp_security | none (or starttls, tls)                   |
| IHANOI_SMTP_USERNAME / _PASSWORD | smtp_username / smtp_password | unset: no login |
| IHANOI_SMTP_SENDER  | smtp_sender   | iHanoi <no-reply@ihanoi.hanoi.gov.vn>     |
| IHANOI_WEBHOOK_SECRET | webhook_secret | unset: no webhook channel (whsec_<base64>) |
| IHANOI_NOTIFY_ROUTES | notify_routes | {} (JSON: recipient → addresses)          |
| IHANOI_ATTACHMENT_STORE | attachment_store | filesystem (data_dir/attachments), or s3 |
| IHANOI_S3_BUCKET    | s3_bucket     | unset (required with s3)                  |
| IHANOI_S3_ENDPOINT_URL | s3_endpoint_url | unset: AWS; else MinIO, Ceph, moto...   |
| IHANOI_S3_PREFIX    | s3_prefix     | attachments/                              |
| IHANOI_S3_REGION    | s3_region     | unset (boto3's default)                   |

S3 credentials come from boto3's own chain (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, ...).

Empty variables count as unset.
"""

from __future__ import annotations

import base64
import binascii
import os
import tempfile
import warnings
from functools import lru_cache
from pathlib import Path
from typing import Literal

import platformdirs
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from application.attachments import AttachmentStore, FilesystemStore, S3Store

CIPHER_KEY_FILE = "cipher.key"
JWT_KEY_FILE = "jwt.key"
AES_KEY_SIZES = (16, 24, 32)


class ConfigurationError(RuntimeError):
    """The configuration cannot work in this environment (e.g. a missing production key)."""


def _default_data_dir() -> Path:
    return Path(platformdirs.user_data_dir("ihanoi"))


def validate_cipher_key(key: str) -> str:
    """Return ``key`` stripped if it is base64 for a 16, 24 or 32 byte AES key, else raise."""
    key = key.strip()
    try:
        raw = base64.b64decode(key.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError):
        msg = (
            "IHANOI_CIPHER_KEY is not valid base64. Generate a key with: python -c "
            "'from eventsourcing.cipher import AESCipher; print(AESCipher.create_key(32))'"
        )
        raise ValueError(msg) from None
    if len(raw) not in AES_KEY_SIZES:
        msg = (
            f"IHANOI_CIPHER_KEY decodes to {len(raw)} bytes; an AES key must be 16, 24 or "
            "32 bytes. Generate one with: python -c "
            "'from eventsourcing.cipher import AESCipher; print(AESCipher.create_key(32))'"
        )
        raise ValueError(msg)
    return key


# pydantic warns that a field called "schema" shadows the deprecated BaseModel.schema()
# classmethod; the field name is part of our interface, so silence that one warning.
with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message='Field name "schema"', category=UserWarning)

    class Settings(BaseSettings):
        """Application settings (environment variables, no prefix unless noted)."""

        model_config = SettingsConfigDict(
            env_ignore_empty=True,
            populate_by_name=True,
            extra="ignore",
        )

        database_url: str | None = Field(default=None, validation_alias="DATABASE_URL")
        cipher_key: str | None = Field(
            default=None, validation_alias="IHANOI_CIPHER_KEY", repr=False
        )
        environment: Literal["development", "production", "test"] = Field(
            default="development", validation_alias="IHANOI_ENV"
        )
        data_dir: Path = Field(
            default_factory=_default_data_dir, validation_alias="IHANOI_DATA_DIR"
        )
        schema: str = Field(  # type: ignore[assignment]  # shadows pydantic v1's schema()
            default="public", validation_alias="IHANOI_DB_SCHEMA")
        jwt_secret: str | None = Field(
            default=None, validation_alias="IHANOI_JWT_SECRET", repr=False
        )
        read_wait_seconds: float = Field(
            default=2.0, ge=0, le=60, validation_alias="IHANOI_READ_WAIT_SECONDS")

        # Notification channels (scheduler.channels): e-mail over SMTP, signed webhooks, and
        # fixed addresses per recipient, e.g. {"authority:chairman_office":
        # ["mailto:vp@hanoi.gov.vn"], "authority:home_affairs": ["https://snv.example/hooks"]}.
        smtp_host: str | None = Field(default=None, validation_alias="IHANOI_SMTP_HOST")
        smtp_port: int = Field(default=25, validation_alias="IHANOI_SMTP_PORT")
        smtp_security: Literal["none", "starttls", "tls"] = Field(
            default="none", validation_alias="IHANOI_SMTP_SECURITY")
        smtp_username: str | None = Field(default=None, validation_alias="IHANOI_SMTP_USERNAME")
        smtp_password: str | None = Field(default=None, validation_alias="IHANOI_SMTP_PASSWORD",
                                          repr=False)
        smtp_sender: str = Field(default="iHanoi <no-reply@ihanoi.hanoi.gov.vn>",
                                 validation_alias="IHANOI_SMTP_SENDER")
        webhook_secret: str | None = Field(default=None, validation_alias="IHANOI_WEBHOOK_SECRET",
                                           repr=False)
        notify_routes: dict[str, list[str]] = Field(default_factory=dict,
                                                    validation_alias="IHANOI_NOTIFY_ROUTES")

        attachment_store: Literal["filesystem", "s3"] = Field(
            default="filesystem", validation_alias="IHANOI_ATTACHMENT_STORE")
        s3_bucket: str | None = Field(default=None, validation_alias="IHANOI_S3_BUCKET")
        s3_endpoint_url: str | None = Field(default=None,
                                            validation_alias="IHANOI_S3_ENDPOINT_URL")
        s3_prefix: str = Field(default="attachments/", validation_alias="IHANOI_S3_PREFIX")
        s3_region: str | None = Field(default=None, validation_alias="IHANOI_S3_REGION")

        def open_attachment_store(self) -> AttachmentStore:
            """Where attachments' bytes go (encrypted by the application, whichever)."""
            if self.attachment_store == "s3":
                if not self.s3_bucket:
                    raise ConfigurationError("IHANOI_S3_BUCKET is required with "
                                             "IHANOI_ATTACHMENT_STORE=s3")
                return S3Store(self.s3_bucket, self.s3_prefix,
                               endpoint_url=self.s3_endpoint_url, region_name=self.s3_region)
            return FilesystemStore(self.data_dir / "attachments")

        @property
        def is_production(self) -> bool:
            return self.environment == "production"

        @property
        def cipher_key_path(self) -> Path:
            return self.data_dir / CIPHER_KEY_FILE

        def resolve_cipher_key(self) -> str:
            """The base64 AES key that encrypts events at rest.

            IHANOI_CIPHER_KEY if set (validated). In production it is required. Otherwise a
            32-byte key is generated once, stored at ``data_dir/cipher.key`` (mode 0600) and
            reused on later runs, so a development database stays readable across restarts.
            """
            if self.cipher_key:
                return validate_cipher_key(self.cipher_key)
            if self.is_production:
                msg = (
                    "IHANOI_CIPHER_KEY is required in production: personal data is encrypted "
                    "at rest (Điều 4.4, 14.1)"
                )
                raise ConfigurationError(msg)
            return _load_or_create_key_file(self.cipher_key_path)

        def resolve_jwt_secret(self) -> str:
            """The HS256 key that signs bearer tokens (IHANOI_JWT_SECRET); required in
            production, else generated once and kept at ``data_dir/jwt.key`` like the cipher
            key, so demo tokens stay valid across restarts."""
            if self.jwt_secret:
                return self.jwt_secret
            if self.is_production:
                msg = "IHANOI_JWT_SECRET is required in production: it signs access tokens"
                raise ConfigurationError(msg)
            return _load_or_create_key_file(self.data_dir / JWT_KEY_FILE)


def _load_or_create_key_file(path: Path) -> str:
    from eventsourcing.cipher import AESCipher

    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    if not path.exists():
        # Write a complete temp file, then hard-link it into place: link() fails if the
        # name exists, so concurrent first runs agree on one key and never read half a file.
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".cipher-", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="ascii") as f:
                f.write(AESCipher.create_key(32) + "\n")
            os.chmod(tmp, 0o600)
            try:
                os.link(tmp, path)
            except FileExistsError:
                pass
        finally:
            os.unlink(tmp)
    try:
        return validate_cipher_key(path.read_text(encoding="ascii"))
    except ValueError as e:
        msg = f"{path} does not hold a valid cipher key: {e}"
        raise ValueError(msg) from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings (cached; ``get_settings.cache_clear()`` re-reads the env)."""
    return Settings()
