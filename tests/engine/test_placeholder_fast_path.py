"""Screening skips the letters-and-digits regular expression for values it can tell apart
from their ends or digits, and tells junk emails with one regular expression; neither
shortcut may change which values are blocked."""

from __future__ import annotations

import duckdb
from hypothesis import given, settings
from hypothesis import strategies as st

from matchers.db import lit
from matchers.normalise import phone_digits_sql
from matchers.screen import (
    END_CODES,
    JUNK_EMAIL_DOMAINS,
    JUNK_EMAIL_LOCALS,
    JUNK_EMAIL_PATTERN,
    JUNK_EMAIL_TLDS,
    _alnum,
    _mixed,
    _repeated,
    _sql_list,
)

# ASCII in both cases, separators, and characters whose case or class is not ASCII's:
# the Kelvin sign lower-cases to "k", the dotted capital I to "i", a fullwidth digit is a digit.
ALPHABET = "aAbB07 +-.()@_\u212a\u0130\uff11\u0430\u0410\u0301\U0001f600"
value = st.text(alphabet=ALPHABET, min_size=0, max_size=10)


def _screened(values: list[str]) -> list[tuple[str, bool, bool]]:
    """(value, told mixed, one repeated character) for each value, as screening computes them."""
    con = duckdb.connect()
    con.execute("CREATE TABLE t (raw VARCHAR)")
    con.executemany("INSERT INTO t VALUES (?)", [[v] for v in values])
    return con.execute(
        f"""SELECT raw, {_mixed("first_code", "last_code", "digits")}, coalesce({_repeated(_alnum("raw"))}, false)
        FROM (SELECT raw, {phone_digits_sql("raw")} AS digits, {END_CODES} FROM t)"""
    ).fetchall()


@settings(max_examples=200, deadline=None)
@given(st.lists(value, min_size=1, max_size=40))
def test_a_value_told_mixed_is_never_one_repeated_character(values: list[str]) -> None:
    for raw, mixed, repeated in _screened(values):
        assert not (mixed and repeated), raw


def test_the_shortcut_tells_ordinary_values_and_leaves_the_rest() -> None:
    rows = {
        raw: (mixed, repeated)
        for raw, mixed, repeated in _screened(
            [
                "ann@x.com",  # a ... m
                "+380671234567",  # digits differ
                "maria@x.com",  # m ... m: not told, and not repeated
                "+7 777 777 77 77",
                "0000000000",
                "aAaA",
                "\u212a\u212akK",  # Kelvin signs and k: one letter once lower-cased
                "a-a-a-a",
            ]
        )
    }
    assert rows == {
        "ann@x.com": (True, False),
        "+380671234567": (True, False),
        "maria@x.com": (False, False),
        "+7 777 777 77 77": (False, True),
        "0000000000": (False, True),
        "aAaA": (False, True),
        "\u212a\u212akK": (False, True),
        "a-a-a-a": (False, True),
    }


def _split_reference(norm: str) -> str:
    """The junk-email test as it was written before JUNK_EMAIL_PATTERN: by splitting the value."""
    domain = f"lower(string_split({norm}, '@')[-1])"
    return (
        f"(split_part({norm}, '@', 1) IN {_sql_list(JUNK_EMAIL_LOCALS)} "
        f"OR {domain} IN {_sql_list(JUNK_EMAIL_DOMAINS)} "
        f"OR string_split({domain}, '.')[-1] IN {_sql_list(JUNK_EMAIL_TLDS)})"
    )


JUNK_EDGES = [
    "test",
    "test@shop.ua",
    "Test@shop.ua",  # a local part is compared as written (emails are lower-cased before)
    "atest@shop.ua",
    "testa@shop.ua",
    "no-reply@shop.ua",
    "no.reply@shop.ua",
    "null@",
    "a@example.com",
    "a@EXAMPLE.com",
    "a@b@example.com",
    "a@example.com@b.ua",
    "example.com",
    "a@sub.example.com",
    "a@example.comx",
    "a@xexample.com",
    "a@test",
    "a@mail.test",
    "a@mail.TEST",
    "a@mailtest",
    "a.test@mail.ua",
    "a@b.test.ua",
    "invalid",
    "a@b.invalid",
    "a@b.example",
    "a@b.examples",
    "",
    "@",
    "a@shop.ua",
]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(JUNK_EDGES) | st.text(alphabet="atesx@.-_nolmcEXAMPLE", max_size=14), max_size=40))
def test_junk_email_pattern_agrees_with_splitting(values: list[str]) -> None:
    con = duckdb.connect()
    con.execute("CREATE TABLE t (norm VARCHAR)")
    con.executemany("INSERT INTO t VALUES (?)", [[v] for v in [*JUNK_EDGES, *values]])
    rows = con.execute(
        f"SELECT norm, regexp_matches(norm, {lit(JUNK_EMAIL_PATTERN)}), {_split_reference('norm')} FROM t"
    ).fetchall()
    assert [r for r in rows if r[1] != r[2]] == []
    junk = {r[0] for r in rows if r[1]}
    assert junk >= {"test@shop.ua", "a@EXAMPLE.com", "a@b@example.com", "a@mail.TEST", "invalid", "a@b.example"}
    assert not junk & {"Test@shop.ua", "atest@shop.ua", "a@sub.example.com", "a@mailtest", "a.test@mail.ua"}
