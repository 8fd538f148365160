"""Screening skips the letters-and-digits regular expression for values it can tell apart
from their ends or digits; that shortcut must never change which values are blocked."""

from __future__ import annotations

import duckdb
from hypothesis import given, settings
from hypothesis import strategies as st

from matchers.normalise import phone_digits_sql
from matchers.screen import _alnum, _mixed, _repeated

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
        f"""SELECT raw, {_mixed("raw", "digits")}, coalesce({_repeated(_alnum("raw"))}, false)
        FROM (SELECT raw, {phone_digits_sql("raw")} AS digits FROM t)"""
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
