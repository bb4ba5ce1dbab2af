"""Runtime configuration, read from environment variables.

| Variable            | Field         | Default                                   |
|---------------------|---------------|-------------------------------------------|
| DATABASE_URL        | database_url  | unset: embedded PostgreSQL in data_dir    |
| IHANOI_DIRECT_DATABASE_URL | direct_database_url | unset: DATABASE_URL (no pooler in front) |
| IHANOI_CIPHER_KEY   | cipher_key    | unset: generated dev key (not production) |
| IHANOI_ENV          | environment   | development                               |
| IHANOI_DATA_DIR     | data_dir      | platformdirs.user_data_dir("ihanoi")      |
| IHANOI_DB_SCHEMA    | schema        | public                                    |
| IHANOI_READ_WAIT_SECONDS | read_wait_seconds | 2 (a query's wait for a store position) |
| IHANOI_READ_CACHE_ENTRIES | read_cache_entries | 256 (public answers kept while they stand, api.read_cache; 0: none) |
| IHANOI_CHECKPOINT_EVERY | checkpoint_every | 100000 (events between two read-model checkpoints) |
| IHANOI_CHECKPOINT_KEEP_MONTHS | checkpoint_keep_months | 12 (month-end checkpoints kept: those of the last N months) |
| IHANOI_CHECKPOINT_KEEP_LATEST | checkpoint_keep_latest | 2 (checkpoints cut every N events kept besides: the last K) |
| IHANOI_READ_DATABASE_URLS | read_database_urls | unset: reads on the primary (else replicas' URLs, space-separated) |
| IHANOI_READ_REPLICA_WAIT_SECONDS | read_replica_wait_seconds | 0.5 (a query's wait for a replica to have its position, then the primary) |
| IHANOI_DB_TIMEOUT_SECONDS | db_timeout_seconds | 3 (connecting, or waiting for a pooled connection) |
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
| IHANOI_JWT_SECRET   | jwt_secret    | unset: generated dev key (production: required, ≥ 32 bytes) |
| IHANOI_RATE_LIMIT_* | rate_limit_*  | anonymous 300/minute, registrations 10/minute, submissions 30/minute, auth failures 20/minute |
| IHANOI_RATE_LIMIT_STORAGE | rate_limit_storage | memory:// (this process) |
| IHANOI_MAX_BODY_BYTES | max_body_bytes | 1 MiB |
| IHANOI_CORS_ORIGINS | cors_origins  | none |
| IHANOI_DOCS, IHANOI_METRICS | docs, metrics | on; off in production |

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
MIN_JWT_SECRET_BYTES = 32  # HS256: a key at least as long as the hash (RFC 7518 §3.2)
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
        #: The primary itself when DATABASE_URL goes through pgbouncer in transaction mode:
        #: what needs a session of its own (LISTEN, advisory locks, the projector,
        #: migrations) connects here (docs/DEPLOYMENT.md).
        direct_database_url: str | None = Field(
            default=None, validation_alias="IHANOI_DIRECT_DATABASE_URL")
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
        read_cache_entries: int = Field(
            default=256, ge=0, validation_alias="IHANOI_READ_CACHE_ENTRIES")
        checkpoint_every: int = Field(
            default=100_000, ge=1, validation_alias="IHANOI_CHECKPOINT_EVERY")
        checkpoint_keep_months: int = Field(
            default=12, ge=0, validation_alias="IHANOI_CHECKPOINT_KEEP_MONTHS")
        checkpoint_keep_latest: int = Field(
            default=2, ge=0, validation_alias="IHANOI_CHECKPOINT_KEEP_LATEST")
        # Issue 15.1: streaming replicas serving the API's reads of the read models.
        read_database_urls: str = Field(default="",
                                        validation_alias="IHANOI_READ_DATABASE_URLS")
        read_replica_wait_seconds: float = Field(
            default=0.5, ge=0, le=60, validation_alias="IHANOI_READ_REPLICA_WAIT_SECONDS")

        @property
        def read_database_url_list(self) -> list[str]:
            """IHANOI_READ_DATABASE_URLS, space-separated (a URL may hold commas: a host
            list)."""
            return self.read_database_urls.split()
        # The HTTP edge (README "Security"). Rate limits per client IP, in the `limits`
        # notation ("10/minute", "100 per hour") or "off".
        rate_limit_anonymous: str = Field(
            default="300/minute", validation_alias="IHANOI_RATE_LIMIT_ANONYMOUS")
        rate_limit_registrations: str = Field(
            default="10/minute", validation_alias="IHANOI_RATE_LIMIT_REGISTRATIONS")
        rate_limit_submissions: str = Field(
            default="30/minute", validation_alias="IHANOI_RATE_LIMIT_SUBMISSIONS")
        rate_limit_auth_failures: str = Field(
            default="20/minute", validation_alias="IHANOI_RATE_LIMIT_AUTH_FAILURES")
        rate_limit_storage: str = Field(
            default="memory://", validation_alias="IHANOI_RATE_LIMIT_STORAGE", repr=False)
        max_body_bytes: int = Field(
            default=1_048_576, ge=1024, validation_alias="IHANOI_MAX_BODY_BYTES")
        cors_origins: str = Field(default="", validation_alias="IHANOI_CORS_ORIGINS")
        docs: Literal["on", "staff", "off"] | None = Field(
            default=None, validation_alias="IHANOI_DOCS")
        metrics: Literal["on", "staff", "off"] | None = Field(
            default=None, validation_alias="IHANOI_METRICS")

        @property
        def cors_origin_list(self) -> list[str]:
            """IHANOI_CORS_ORIGINS, comma-separated; none by default (no CORS at all)."""
            return [o.strip() for o in self.cors_origins.split(",") if o.strip()]

        @property
        def docs_exposure(self) -> Literal["on", "staff", "off"]:
            """/docs, /redoc and /openapi.json: on, except in production (off)."""
            return self.docs or ("off" if self.is_production else "on")

        @property
        def metrics_exposure(self) -> Literal["on", "staff", "off"]:
            """/metrics: on, except in production (off)."""
            return self.metrics or ("off" if self.is_production else "on")

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
        #: Issue 12 item 8: how long any connection of the API, the projector or the
        #: scheduler waits for PostgreSQL to accept it (libpq ``connect_timeout``) or for a
        #: free connection of a pool, before the request fails (503 with Retry-After).
        db_timeout_seconds: int = Field(
            default=3, ge=2, le=60, validation_alias="IHANOI_DB_TIMEOUT_SECONDS")

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
            production and at least :data:`MIN_JWT_SECRET_BYTES` long there (RFC 7518 §3.2:
            a key of at least the hash's size), else generated once and kept at ``data_dir/jwt.key`` like the cipher
            key, so demo tokens stay valid across restarts."""
            if self.jwt_secret:
                return check_jwt_secret(self.jwt_secret, self.is_production)
            if self.is_production:
                msg = "IHANOI_JWT_SECRET is required in production: it signs access tokens"
                raise ConfigurationError(msg)
            return _load_or_create_key_file(self.data_dir / JWT_KEY_FILE)


def check_jwt_secret(secret: str, production: bool) -> str:
    """``secret`` if it may sign tokens here: in production at least
    :data:`MIN_JWT_SECRET_BYTES` bytes (RFC 7518 §3.2 for HS256), else a
    :class:`ConfigurationError`; any non-empty secret elsewhere."""
    if production and len(secret.encode("utf-8")) < MIN_JWT_SECRET_BYTES:
        msg = (f"IHANOI_JWT_SECRET is {len(secret.encode('utf-8'))} bytes; production needs "
               f"at least {MIN_JWT_SECRET_BYTES} (RFC 7518 §3.2). Generate one with: "
               "python -c 'import secrets; print(secrets.token_urlsafe(48))'")
        raise ConfigurationError(msg)
    return secret


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
