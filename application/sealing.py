"""Personal values that a read model must keep, sealed with the application's cipher
(Điều 4.4, 14.1; issue 12.1).

Read models hold no identity in plaintext. Where one needs an address to act on (the e-mail a
notification goes to), the column holds it encrypted with the cipher the event store uses
(AES-GCM, ``IHANOI_CIPHER_KEY``), as text ``sealed:<base64>``, opened only by the code that
delivers; where it only needs to recognise a value again (an address already delivered to), a
keyed digest (HMAC-SHA256 with the same key) stands in for it.
"""

from __future__ import annotations

import hashlib
import hmac
from base64 import b64decode, b64encode
from typing import Any

from eventsourcing.persistence import Cipher

PREFIX = "sealed:"


class Sealer:
    """Seals and opens column values with ``cipher`` (none: values pass unchanged, as in an
    application without encryption)."""

    def __init__(self, cipher: Cipher | None) -> None:
        self.cipher = cipher
        key = getattr(cipher, "key", None)
        self._key: bytes | None = key if isinstance(key, bytes) else None

    @classmethod
    def of(cls, mapper: Any) -> Sealer:
        """The sealer of an application's mapper (``app.mapper``)."""
        return cls(getattr(mapper, "cipher", None))

    def seal(self, value: str | None) -> str | None:
        """``value`` encrypted (None stays None)."""
        if value is None or self.cipher is None:
            return value
        return PREFIX + b64encode(self.cipher.encrypt(value.encode())).decode("ascii")

    def open(self, value: str | None) -> str | None:
        """A sealed value in clear; a value stored before sealing existed, as it is."""
        if value is None or not value.startswith(PREFIX) or self.cipher is None:
            return value
        return self.cipher.decrypt(b64decode(value[len(PREFIX):])).decode()

    def digest(self, value: str) -> str:
        """A keyed digest of ``value``, to recognise it without keeping it."""
        if not value:
            return value
        if self._key is None:
            return "sha256:" + hashlib.sha256(value.encode()).hexdigest()
        return "hmac:" + hmac.new(self._key, value.encode(), hashlib.sha256).hexdigest()


def sealer_of(cur: Any) -> Sealer:
    """The sealer a projection handler's cursor carries (``projections.engine.Statements``);
    a plain cursor carries none."""
    sealer = getattr(cur, "sealer", None)
    return sealer if isinstance(sealer, Sealer) else Sealer(None)
