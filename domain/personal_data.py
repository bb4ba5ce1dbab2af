"""Personal data in free text, masked before anything is public (Điều 4.4, 14.1).

Citizens write phone numbers, e-mail addresses and ID numbers into their reports and rating
comments, and officers sometimes into results. :func:`scrub` masks them — keeping the first and
last two characters, like ``09******78`` — in what the public reads (public results, Open311,
the public timeline); the originals stay in the event store and in the staff views, for the
report's moderator (Điều 14.1). Pure: no I/O, the same text gives the same answer.

What counts (Vietnamese usage):

- an e-mail address: ``local@domain.tld`` (the local part is masked, the domain kept);
- a phone number: ``0``, ``84`` (joined) or ``+84`` then a national number of 9 digits (mobile, from
  3, 5, 7, 8 or 9: ``0912 345 678``) or 10 (landline, from 2: ``024 3825 1234``), whole or in
  groups of 2 to 4 digits joined by one kind of separator (a space, a dot or a hyphen);
- an ID number: 9 digits (chứng minh nhân dân) or 12 (căn cước công dân) standing alone.

Ordinary numbers stay: house and lane numbers (``số 12``, ``ngõ 34/5``), dates (``02/03/2026``,
``2026-03-02``), times, amounts written with dots (``1.500.000 đồng``).
"""

from __future__ import annotations

import re

_EMAIL = re.compile(r"(?<![\w.+-])([A-Za-z0-9][A-Za-z0-9._%+-]*)@([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*"
                    r"\.[A-Za-z]{2,})")
#: The prefix (a bare ``84`` only joined to the number: ``84 200.000.000`` is a year and an
#: amount), then the national number (mobile 3/5/7/8/9, landline 2) whole or in groups of 2 to
#: 4 digits joined by one kind of separator; its length (9 or 10) is checked on the match.
_PHONE = re.compile(r"(?<![\d+*/])(?P<prefix>\+84[ .-]?|84|0)(?P<national>(?=[235789])"
                    r"(?:\d{9,10}|\d{2,4}(?P<sep>[ .-])\d{2,4}(?:(?P=sep)\d{2,4}){0,3}))"
                    r"(?![\d*])")
_ID_NUMBER = re.compile(r"(?<![\d*])(?:\d{12}|\d{9})(?![\d*])")
MASK = "*"


def mask_number(value: str) -> str:
    """``0912 345 678`` → ``09******78``: its digits with all but the first and last two
    masked (a leading ``+`` kept), separators dropped."""
    digits = re.sub(r"\D", "", value)
    keep = 2 if len(digits) > 4 else 1
    return ("+" if value.startswith("+") else "") + (
        digits[:keep] + MASK * (len(digits) - 2 * keep) + digits[-keep:])


def mask_email(local: str, domain: str) -> str:
    """``dung.nguyen@example.vn`` → ``du*********@example.vn``."""
    keep = min(2, len(local) - 1)
    return local[:keep] + MASK * (len(local) - keep) + "@" + domain


def _phone(match: re.Match[str]) -> str:
    national = re.sub(r"\D", "", match.group("national"))
    return mask_number(match.group(0)) if len(national) in (9, 10) else match.group(0)


def scrub(text: str) -> str:
    """``text`` with every e-mail address, phone number and ID number masked."""
    if not text:
        return text
    text = _EMAIL.sub(lambda m: mask_email(m.group(1), m.group(2)), text)
    text = _PHONE.sub(_phone, text)
    return _ID_NUMBER.sub(lambda m: mask_number(m.group(0)), text)


def scrub_optional(text: str | None) -> str | None:
    """:func:`scrub`, passing ``None`` through."""
    return None if text is None else scrub(text)
