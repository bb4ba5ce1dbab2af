"""Personal values a read model keeps, sealed with the application's cipher (Điều 4.4, 14.1)."""

from __future__ import annotations

from eventsourcing.cryptography import AESCipher
from eventsourcing.utils import Environment

from application.sealing import Sealer


def _sealer() -> Sealer:
    return Sealer(AESCipher(Environment(env={"CIPHER_KEY": AESCipher.create_key(32)})))


def test_a_sealed_value_is_not_in_clear_and_opens_to_itself_dieu_4_4() -> None:
    sealer = _sealer()
    sealed = sealer.seal("dung@example.vn")
    assert sealed is not None and sealed.startswith("sealed:") and "dung" not in sealed
    assert sealed != sealer.seal("dung@example.vn")  # a fresh nonce each time
    assert sealer.open(sealed) == "dung@example.vn"
    assert sealer.seal(None) is None and sealer.open(None) is None
    assert sealer.open("stored.before@example.vn") == "stored.before@example.vn"


def test_a_digest_recognises_a_value_without_keeping_it_dieu_4_4() -> None:
    sealer, other = _sealer(), _sealer()
    digest = sealer.digest("dung@example.vn")
    assert digest == sealer.digest("dung@example.vn") and "dung" not in digest
    assert digest != other.digest("dung@example.vn")  # keyed: no dictionary across keys
    assert sealer.digest("") == ""


def test_without_a_cipher_values_pass_unchanged() -> None:
    sealer = Sealer(None)
    assert sealer.seal("x@y.vn") == "x@y.vn" == sealer.open("x@y.vn")
