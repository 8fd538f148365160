"""Plain addresses are normalised in SQL; the result must be the library's."""

from __future__ import annotations

import duckdb
from hypothesis import given, settings
from hypothesis import strategies as st

from matchers.normalise import canonical_email, gmail_sql, plain_email_sql

local = st.text(alphabet="abcXYZ019._+-!#é", min_size=0, max_size=12)
label = st.text(alphabet="abz09-_é", min_size=0, max_size=8)
tld = st.sampled_from(["com", "ua", "c", "test", "local", "123", "co", "xn--p1ai", "gmail", "museum"])
domain = st.one_of(
    st.sampled_from(["gmail.com", "googlemail.com", "ukr.net", "Shop.UA", "i.ua"]),
    st.builds(lambda ls, t: ".".join([*ls, t]), st.lists(label, min_size=0, max_size=3), tld),
)
address = st.builds(lambda lo, sep, do: f"{lo}{sep}{do}", local, st.sampled_from(["@", "@", "@@", ""]), domain)


def _fast(values: list[str], gmail_rules: bool) -> dict[str, str]:
    con = duckdb.connect()
    con.execute("CREATE TABLE t (raw VARCHAR)")
    con.executemany("INSERT INTO t VALUES (?)", [[v] for v in values])
    rows = con.execute(
        f"SELECT raw, {gmail_sql('raw', gmail_rules)} FROM (SELECT lower(trim(raw)) AS raw FROM t) "
        f"WHERE {plain_email_sql('raw')}"
    ).fetchall()
    return dict(rows)


@settings(max_examples=100, deadline=None)
@given(st.lists(address, min_size=1, max_size=30), st.booleans())
def test_plain_email_fast_path_agrees_with_the_library(values: list[str], gmail_rules: bool) -> None:
    for raw, norm in _fast(values, gmail_rules).items():
        assert canonical_email(raw, gmail_rules) == (norm, True), raw


def test_fast_path_takes_ordinary_addresses_and_leaves_odd_ones() -> None:
    fast = _fast(
        ["olena.koval+sale@GMail.com", "ivan@ukr.net", "a@b.test", "x@xn--p1ai.com", "é@x.ua", "a..b@x.ua"], True
    )
    assert fast == {"olena.koval+sale@gmail.com": "olenakoval@gmail.com", "ivan@ukr.net": "ivan@ukr.net"}
