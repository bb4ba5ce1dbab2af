"""The attachment stores behind :class:`application.attachments.AttachmentStore`: the
filesystem (the default, under the data directory) and an S3-compatible bucket through boto3,
tested against moto's standalone S3 server started here; both hold only ciphertext."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from eventsourcing.cipher import AESCipher
from eventsourcing.utils import Environment

from application.attachments import (
    AttachmentStore,
    EncryptedStore,
    FilesystemStore,
    S3Store,
    sha256,
)
from application.settings import Settings

DATA = b"%PDF-1.4 bien ban nghiem thu\n%%EOF\n"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


@pytest.fixture
def s3_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")


def _cipher() -> AESCipher:
    return AESCipher(Environment(env={"CIPHER_KEY": AESCipher.create_key(32)}))


def _round_trip(store: AttachmentStore, inner: AttachmentStore) -> None:
    key = sha256(DATA)
    assert not store.exists(key)
    store.put(key, DATA)
    assert store.exists(key) and store.get(key) == DATA
    assert inner.get(key) != DATA and b"bien ban" not in inner.get(key)  # ciphertext at rest
    store.put(key, DATA)  # content-addressed: a second put of the same bytes changes nothing
    with pytest.raises(KeyError):
        store.get(sha256(b"never stored"))


def test_the_filesystem_store_keeps_ciphertext_under_the_content_address(tmp_path: Path
                                                                         ) -> None:
    inner = FilesystemStore(tmp_path / "attachments")
    _round_trip(EncryptedStore(inner, _cipher()), inner)
    key = sha256(DATA)
    assert (tmp_path / "attachments" / key[:2] / key[2:4] / key).is_file()


def test_the_s3_store_against_a_local_s3_compatible_server(s3_endpoint: str,
                                                           s3_credentials: None) -> None:
    import boto3

    boto3.client("s3", endpoint_url=s3_endpoint).create_bucket(Bucket="ihanoi-test")
    settings = Settings(IHANOI_ATTACHMENT_STORE="s3", IHANOI_S3_BUCKET="ihanoi-test",
                        IHANOI_S3_ENDPOINT_URL=s3_endpoint)
    inner = settings.open_attachment_store()
    assert isinstance(inner, S3Store)
    _round_trip(EncryptedStore(inner, _cipher()), inner)
    listed = boto3.client("s3", endpoint_url=s3_endpoint).list_objects_v2(Bucket="ihanoi-test")
    assert [o["Key"] for o in listed["Contents"]] == [f"attachments/{sha256(DATA)}"]


def test_the_filesystem_is_the_default_store_under_the_data_directory(tmp_path: Path) -> None:
    store = Settings(IHANOI_DATA_DIR=str(tmp_path)).open_attachment_store()
    assert isinstance(store, FilesystemStore) and store.root == tmp_path / "attachments"
