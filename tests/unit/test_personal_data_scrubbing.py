"""Personal data is masked before anything is public (Điều 4.4, 14.1; issue 12.2): phone
numbers, e-mail addresses and ID numbers in free Vietnamese text; ordinary numbers stay."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.personal_data import scrub
from tests.budget import examples

LETTERS = ("abcdeghiklmnopqrstuvxyăâđêôơưáàảãạắằẳẵặấầẩẫậéèẻẽẹếềểễệíìỉĩịóòỏõọốồổỗộớờởỡợ"
           "úùủũụứừửữựýỳỷỹỵ")
WORD = st.text(LETTERS, min_size=1, max_size=8)
#: Numbers of ordinary text that are nobody's personal data.
ORDINARY = st.one_of(
    st.integers(1, 999).map(lambda n: f"số {n}"),
    st.tuples(st.integers(1, 200), st.integers(1, 99)).map(lambda t: f"ngõ {t[0]}/{t[1]}"),
    st.dates().map(lambda d: d.strftime("%d/%m/%Y")),
    st.dates().map(lambda d: d.isoformat()),
    st.dates().map(lambda d: d.strftime("%d.%m.%Y")),
    st.tuples(st.integers(0, 23), st.integers(0, 59)).map(lambda t: f"{t[0]}:{t[1]:02d}"),
    st.integers(1, 999).map(lambda n: f"{n}.000.000 đồng"),
    st.dates().map(lambda d: d.strftime("%d/%m/%y")),
    st.integers(1900, 2100).map(lambda n: f"năm {n}"),
)
TEXT = st.lists(st.one_of(WORD, WORD, WORD, ORDINARY), max_size=12).map(" ".join)


#: How people group a national number: (its length, the groups' sizes).
GROUPINGS = {9: [(9,), (3, 3, 3), (2, 3, 4), (3, 2, 2, 2)], 10: [(10,), (2, 4, 4), (3, 3, 4)]}


@st.composite
def phones(draw: st.DrawFn) -> str:
    """A Vietnamese phone number as people write it: 0, 84 or +84, then a mobile (9 digits,
    from 3, 5, 7, 8, 9) or landline (10 digits, area 2x) national number, whole or in groups
    joined by a space, a dot or a hyphen."""
    prefix = draw(st.sampled_from(["0", "+84", "84", "+84 ", "+84."]))
    national = draw(st.one_of(
        st.from_regex(r"[35789][0-9]{8}", fullmatch=True),
        st.from_regex(r"2[0-9]{9}", fullmatch=True)))
    separator = draw(st.sampled_from([" ", ".", "-"]))
    groups, start = [], 0
    for size in draw(st.sampled_from(GROUPINGS[len(national)])):
        groups.append(national[start:start + size])
        start += size
    return prefix + separator.join(groups)


EMAILS = st.tuples(st.from_regex(r"[a-z][a-z0-9._]{0,15}", fullmatch=True),
                   st.from_regex(r"[a-z]{2,10}(\.[a-z]{2,5}){1,2}", fullmatch=True)).map(
    lambda t: f"{t[0]}@{t[1]}")
ID_NUMBERS = st.one_of(st.from_regex(r"[0-9]{12}", fullmatch=True),
                       st.from_regex(r"[0-9]{9}", fullmatch=True))


@given(before=TEXT, after=TEXT, secret=st.one_of(phones(), EMAILS, ID_NUMBERS))
@settings(max_examples=examples(400), deadline=None)
def test_phone_email_and_id_in_any_text_are_masked_dieu_4_4_14_1(
        before: str, after: str, secret: str) -> None:
    scrubbed = scrub(f"{before} {secret}. {after}")
    assert secret not in scrubbed
    digits = re.sub(r"\D", "", secret.split("@")[0])
    if len(digits) >= 9:  # not even the digits survive with other separators
        assert digits[2:-2] not in re.sub(r"\D", "", scrub(secret))
    assert "*" in scrubbed
    # The text around it is left as it was.
    assert scrubbed.startswith(before) and scrubbed.endswith(f". {after}")


@given(TEXT)
@settings(max_examples=examples(400), deadline=None)
def test_ordinary_numbers_are_kept_dieu_14_1(text: str) -> None:
    """House and lane numbers, dates, times, amounts: not personal data, kept as written."""
    assert scrub(text) == text


@pytest.mark.parametrize(("text", "public"), [
    ("Liên hệ 0912345678 nhé", "Liên hệ 09******78 nhé"),
    ("Gọi 0912 345 678 hoặc 0912.345.678", "Gọi 09******78 hoặc 09******78"),
    ("SĐT +84 912 345 678, sđt0987654321", "SĐT +84*******78, sđt09******21"),
    ("Máy bàn 024 3825 1234", "Máy bàn 02*******34"),
    ("CCCD 001099012345, CMND 012345678", "CCCD 00********45, CMND 01*****78"),
    ("Email dung@example.vn.", "Email du**@example.vn."),
    ("Ổ gà trước số 12 ngõ 34/5 Hàng Bài từ ngày 02/03/2026 lúc 8:30",
     "Ổ gà trước số 12 ngõ 34/5 Hàng Bài từ ngày 02/03/2026 lúc 8:30"),
    ("Thiệt hại 1.500.000 đồng, năm 2026", "Thiệt hại 1.500.000 đồng, năm 2026"),
    ("Từ 01/01/84 200.000.000 đồng", "Từ 01/01/84 200.000.000 đồng"),
])
def test_examples_of_masking_dieu_4_4(text: str, public: str) -> None:
    assert scrub(text) == public
    assert scrub(public) == public  # masking twice changes nothing
