"""The SQL phone fast path gives exactly the library's answer for every number it settles."""

from __future__ import annotations

import random

import phonenumbers
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from matchers.db import Database
from matchers.normalise import parse_phones
from matchers.phonesql import plan_for_code, settle_international, settle_national

REGIONS = sorted(phonenumbers.SUPPORTED_REGIONS)
COMMON = ["UA", "RU", "KZ", "PL", "US", "GB", "DE", "IT", "FR", "BR", "IN", "TR", "ES", "CZ", "MD", "BY", "GE", "IL"]


def _writings(region: str, rng: random.Random) -> list[str]:
    """Cleaned phones of a region as exports write them, plus near misses."""
    code = str(phonenumbers.country_code_for_region(region))
    meta = phonenumbers.PhoneMetadata.metadata_for_region(region)
    prefix = (meta.national_prefix_for_parsing or "") if meta else ""
    prefix = prefix if prefix.isdigit() else ""
    examples = []
    for kind in (phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE):
        number = phonenumbers.example_number_for_type(region, kind)
        if number is not None:
            examples.append(phonenumbers.national_significant_number(number))
    examples.append("".join(rng.choice("0123456789") for _ in range(rng.randint(1, 15))))
    out = []
    for national in examples:
        for digits in (national, national[:-1], national + "7", national[:-2] + "00"):
            out += [
                digits,
                prefix + digits,
                code + digits,
                code + prefix + digits,
                "+" + code + digits,
                "+" + code + prefix + digits,
                "00" + code + digits,
            ]
    return [w for w in out if len(w.lstrip("+")) >= 1]


def _compare(cleans: list[str], region: str) -> int:
    db = Database()
    try:
        db.table_from_arrow("cleans", pa.table({"clean": pa.array(sorted(set(cleans)), pa.string())}))
        selects = settle_international(db, "cleans") + settle_national(db, "cleans", region)
        if not selects:
            return 0
        rows = db.rows(" UNION ALL ".join(selects))
    finally:
        db.close()
    settled = {row[0]: row[1:] for row in rows}
    assert len(settled) == len(rows), "a number was settled twice"
    for clean, (norm, valid, national, got_region) in settled.items():
        international = clean.startswith("+")
        expected = parse_phones([clean], None if international else region)[0]
        # Only numbers written with '+' vote for the region, so only theirs is needed.
        assert (norm, national, got_region if international else expected[2]) == expected, (region, clean)
        assert valid == (expected[0] is not None)
    return len(settled)


@pytest.mark.parametrize("region", COMMON)
def test_phone_fast_path_agrees_with_the_library(region: str) -> None:
    rng = random.Random(region)
    cleans = [c for r in (region, rng.choice(REGIONS), rng.choice(REGIONS)) for c in _writings(r, rng)]
    settled = _compare(cleans, region)
    plan = plan_for_code(phonenumbers.country_code_for_region(region))
    if plan is not None and plan.region == region:  # a plain region: most of its numbers settle in SQL
        assert settled > len(cleans) // 4


@settings(max_examples=60, deadline=None)
@given(region=st.sampled_from(REGIONS), seed=st.integers(0, 10**6))
def test_phone_fast_path_agrees_with_the_library_in_any_region(region: str, seed: int) -> None:
    rng = random.Random(seed)
    _compare(_writings(region, rng) + _writings(rng.choice(REGIONS), rng), region)


def test_bench_formats_are_all_settled_in_sql() -> None:
    writings = ["+380671234567", "0671234567", "380671234567", "+38067", "+380000000000", "1234567890"]
    assert _compare(writings, "UA") == len(writings)
