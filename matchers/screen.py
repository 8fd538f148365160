"""Stage 3: decide which values may link records (MATCHING.md, "Values that
must never link records").

Adds to ``vals``: ``iid``, the identifier's priority (0 highest); ``vid``, a
number for the value (a hash of identifier and normalised value, checked for
clashes, see :func:`number_values`); and ``status``: ``ok``, ``blocked``
(placeholder or known junk), ``invalid`` (failed email/phone validation) or
``over_shared`` (carried by records with more distinct key values than the
configured number). Blocked wins over invalid, so ``a@b.test`` reads as junk,
not as a typo. All SQL.

The stored table is ``vals(rec, ident, norm, written, valid, vid, iid,
status)``: ``ident`` and ``status`` are enums, and ``raw`` becomes ``written``,
the value as written only where it differs from ``norm`` (NULL: written as
normalised; ``coalesce(written, norm)`` is the value as written). That keeps
the largest table of a run small: at 4.5M records it holds 15M rows.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from matchers.config import Config
from matchers.db import Database, lit, q, ranges
from matchers.normalise import phone_digits_sql

PLACEHOLDERS = (
    "",
    "null",
    "none",
    "nil",
    "nan",
    "n/a",
    "na",
    "-",
    "--",
    "0",
    "unknown",
    "undefined",
    "test",
)
JUNK_EMAIL_LOCALS = (
    "test",
    "noemail",
    "no-email",
    "no_email",
    "nomail",
    "noreply",
    "no-reply",
    "none",
    "null",
)
JUNK_EMAIL_DOMAINS = ("example.com", "example.org", "example.net", "test.com")
JUNK_EMAIL_TLDS = ("example", "test", "invalid")


def _one_of(words: tuple[str, ...]) -> str:
    return "(?:" + "|".join(re.escape(w) for w in words) + ")"


#: An email is junk when the part before its first "@" is a junk local part, the
#: part after its last "@" a junk domain, or that part's last label a junk
#: top-level domain (domains compared without case). None of these words holds
#: "@", and no top-level domain holds ".", so one regular expression anchored at
#: the ends tells all three: at 4.5M records 1.2 s against 2.5 s for splitting
#: every email into lists (``test_junk_email_pattern_agrees_with_splitting``).
JUNK_EMAIL_PATTERN = (
    f"^{_one_of(JUNK_EMAIL_LOCALS)}(?:@|$)"
    f"|(?i:(?:^|@){_one_of(JUNK_EMAIL_DOMAINS)}$)"
    f"|(?i:(?:^|[@.]){_one_of(JUNK_EMAIL_TLDS)}$)"
)
#: A phone whose digits run up or down like these (six digits or more) is junk.
ASCENDING = "01234567890123456789"
DESCENDING = "98765432109876543210"


def _sql_list(values: tuple[str, ...] | list[str]) -> str:
    return "(" + ", ".join(lit(v) for v in values) + ")" if values else "(NULL)"


#: A value's number: DuckDB's 64-bit ``hash()`` of identifier and value. It is fast but
#: not strong: structured strings share a number far more often than chance (at 10M
#: records, five pairs such as ``oleksii_zakharchenko1970@ukr.net`` and
#: ``oleksii.zakharchenko1979@ukr.net``), so :func:`number_values` checks every number
#: carried by several rows for two values, exactly, and renumbers those.
VALUE_NUMBER = "hash(ident, coalesce(norm, ''))"


#: A value's statuses, in the order of their enum (alphabetical, so enum and text sort alike).
STATUSES = ["blocked", "invalid", "ok", "over_shared"]


def _enum(values: list[str]) -> str:
    """An enum type of ``values`` (sorted, so that it sorts as their text does)."""
    return "ENUM(" + ", ".join(lit(v) for v in values) + ")"


def _sql_array(values: list[str]) -> str:
    return "[" + ", ".join(lit(v) for v in values) + "]"


def _alnum(expr: str) -> str:
    return f"lower(regexp_replace({expr}, '[^\\p{{L}}\\p{{N}}]', '', 'g'))"


def _repeated(alnum: str) -> str:
    """Four or more letters/digits, all the same (case-insensitive), once the rest is removed."""
    return f"(length({alnum}) >= 4 AND {alnum} = repeat(left({alnum}, 1), length({alnum})))"


def _sequential(digits: str) -> str:
    return (
        f"(length({digits}) >= 6 AND (strpos({lit(ASCENDING)}, {digits}) > 0 "
        f"OR strpos({lit(DESCENDING)}, {digits}) > 0))"
    )


def _ascii_alnum(code: str) -> str:
    """SQL true for a character code (``ascii()``) of an ASCII digit or letter
    (``| 32`` lower-cases an ASCII letter and leaves a digit as it is)."""
    return f"(({code} | 32) BETWEEN 97 AND 122 OR {code} BETWEEN 48 AND 57)"


def _mixed(first: str, last: str, digits: str) -> str:
    """SQL true for a value that surely holds two different letters or digits, so it cannot
    be one repeated character; told without the regular expression of :func:`_alnum`.

    Either its first and last characters (``first``, ``last``: their codes,
    :data:`END_CODES`) are different ASCII letters or digits
    (case-insensitively), or its digits (``digits``: only ASCII digits, or NULL)
    are not all one. Both stay in the letters-and-digits form, lower-cased
    apart, whatever else the value holds. False only means "not told".

    The ends are compared by their character codes, each worked out once
    beforehand: with ``left``, ``right``, ``lower`` and ``contains`` on text,
    this took 0.4 s more of screening at 4.5M records, and with the codes
    worked out in place (several times over) 0.45 s more.
    """
    ends = f"({_ascii_alnum(first)} AND {_ascii_alnum(last)} AND ({first} | 32) <> ({last} | 32))"
    return f"({ends} OR coalesce(ltrim({digits}, left({digits}, 1)) <> '', false))"


#: The codes of a value's first and last characters, as :func:`_mixed` reads them.
END_CODES = "ascii(raw) AS first_code, ascii(raw[-1]) AS last_code"


def _placeholder_word(raw: str) -> str:
    """SQL true for a value that is one of :data:`PLACEHOLDERS`, any case.

    Lower-casing keeps the number of characters, so only short values can be
    placeholders: told first, that halves the test's time (at 4.5M records
    0.19 s against 0.36 s)."""
    return (
        f"CASE WHEN length({raw}) <= {max(map(len, PLACEHOLDERS))} "
        f"THEN lower({raw}) IN {_sql_list(PLACEHOLDERS)} ELSE false END"
    )


def placeholder_expr() -> str:
    """SQL true for a ``vals`` row whose value is a placeholder (reported lower-cased)."""
    return f"({_placeholder_word('raw')} OR {_repeated(_alnum('raw'))})"


def blocked_expr(config: Config) -> str:
    """SQL that is true for a ``vals`` row whose value is a placeholder or junk."""
    generic = f"({_placeholder_word('raw')} OR coalesce({_repeated('alnum')}, false))"
    email = f"(ident = 'email' AND regexp_matches(norm, {lit(JUNK_EMAIL_PATTERN)}))"
    # A number whose subscriber part is one repeated digit (+380 00 000 00 00)
    # is as much a placeholder as 0000000000, so the national part is checked too.
    phone = (
        f"(ident = 'phone' AND ({_sequential('digits')} OR coalesce({_sequential('national')}, false) "
        f"OR coalesce({_repeated('national')}, false)))"
    )
    users = []
    for ident in config.identifiers:
        if ident.blocked:
            lowered = [v.strip().lower() for v in ident.blocked]
            users.append(
                f"(ident = {lit(ident.name)} AND (lower(norm) IN {_sql_list(lowered)} "
                f"OR lower(raw) IN {_sql_list(lowered)}))"
            )
        for pattern in ident.blocked_patterns:
            users.append(
                f"(ident = {lit(ident.name)} AND (regexp_matches(norm, {lit(pattern)}, 'i') "
                f"OR regexp_matches(raw, {lit(pattern)}, 'i')))"
            )
    return " OR ".join([generic, email, phone, *users])


def screen_values(db: Database, config: Config, *, free: Sequence[str] = ()) -> None:
    """Store ``vals`` (normalise's view, or any table of its columns) as a table
    with ``vid``, ``iid`` and ``status`` for every value, and the counts linking
    starts from (:func:`count_values`). The tables ``free`` names (what the
    view read) are dropped as soon as that table is made."""
    # The digits-only form is computed once per row; the letters-and-digits form
    # (a regular expression, the costliest part) only where _mixed cannot tell.
    #
    # The table is narrow (15M rows at 4.5M records, most of a run's memory):
    # identifier and status are enums of one byte, not strings, and the value as
    # written is kept only where it differs from the normalised one.
    db.run(
        f"""CREATE OR REPLACE TABLE screened AS
        SELECT rec, ident::{_enum(sorted(config.names))} AS ident, norm,
            CASE WHEN raw IS DISTINCT FROM norm THEN raw END AS written,
            * EXCLUDE (rec, ident, norm, raw, national, alnum, digits, first_code, last_code), {VALUE_NUMBER} AS vid,
            (list_position({_sql_array(config.names)}, ident) - 1)::SMALLINT AS iid,
            (CASE WHEN {blocked_expr(config)} THEN 'blocked'
                 WHEN NOT valid THEN 'invalid'
                 ELSE 'ok' END)::{_enum(STATUSES)} AS status
        FROM (
            SELECT *, CASE WHEN NOT {_mixed("first_code", "last_code", "digits")} THEN {_alnum("raw")} END AS alnum
            FROM (
                SELECT *, CASE WHEN ident = 'phone' THEN {phone_digits_sql("raw")} END AS digits, {END_CODES}
                FROM vals
            )
        )"""
    )
    db.replace("vals", "screened")
    for table in free:
        db.run(f"DROP TABLE IF EXISTS {q(table)}")
    number_values(db)
    key = config.key
    if key is None:
        return
    # Key values are counted by their numbers, one per value once number_values is done
    # (at 4.5M records 0.8-1.0 s against 1.0-1.3 s counting their texts).
    db.run(
        """CREATE OR REPLACE TABLE hubs AS
        WITH keys AS (SELECT rec, vid AS k FROM vals WHERE ident = ? AND status = 'ok')
        SELECT v.vid FROM vals v JOIN keys USING (rec)
        WHERE v.ident <> ? AND v.status = 'ok'
        GROUP BY v.vid HAVING count(DISTINCT keys.k) > ?""",
        [key, key, config.over_shared],
    )
    db.run("UPDATE vals SET status = 'over_shared' FROM hubs WHERE vals.vid = hubs.vid")
    # Every hub was a value usable rows carried (more than one), and is usable no more.
    db.run("DELETE FROM shared_vids WHERE vid IN (SELECT vid FROM hubs)")
    # (Their identifiers are looked up here: with any_value(iid) beside its count(DISTINCT),
    # the statement finding the hubs took 0.45 s more at 4.5M records.)
    db.run(
        """INSERT INTO value_parts SELECT iid, 0, -count(*)
        FROM (SELECT DISTINCT vid, iid FROM vals SEMI JOIN hubs USING (vid)) GROUP BY iid"""
    )


#: How many rows of ``vals`` are grouped by ``vid`` in one statement, at most (see :func:`value_ranges`).
VALUES_PER_GROUPING = 4_000_000


def value_ranges(db: Database) -> list[str]:
    """Conditions cutting ``vals`` into ranges of ``vid`` of about :data:`VALUES_PER_GROUPING` rows.

    A value's rows are all in one range, so a grouping by ``vid`` can be done a
    range at a time, holding a part of its hash table: at 4.5M records (15M
    rows, 10M values) one grouping of them all took about 0.6 GB. The numbers
    are hashes, spread evenly, so the ranges are equal slices of the 64 bits.
    """
    parts = max(1, -(-int(db.one("SELECT count(*) FROM vals")) // VALUES_PER_GROUPING))
    return ranges("vid", [f"{(k << 64) // parts}::UBIGINT" for k in range(1, parts)])


def number_values(db: Database, *, exact: bool = False) -> None:
    """Make ``vals.vid`` one number per (identifier, normalised value), and no number for two;
    and count the values for linking (:func:`count_values`).

    The later stages join and group on ``vid`` instead of on strings. The
    number is a 64-bit hash (:data:`VALUE_NUMBER`). Two values can only share
    a number that several rows carry, so only those rows are compared, by
    their strings: the values of a number that holds two get new numbers from
    a range no other value uses. ``exact`` numbers every value by sorting them
    instead (slower; the tests compare the two).

    The grouping of every row by its number that finds the numbers several
    rows carry also counts, for linking, the values of each identifier and the
    numbers two or more usable rows carry: a second grouping of every row in
    linking took 1.4 s at 4.5M records (3.3 s at 10M).
    """
    if not exact:
        for n, within in enumerate(value_ranges(db)):
            _hold(db, within)
            clashes = f"""SELECT vid FROM vals SEMI JOIN (SELECT vid FROM holders WHERE n > 1) USING (vid)
                WHERE {within} GROUP BY vid
                HAVING min(ident) <> max(ident) OR min(coalesce(norm, '')) <> max(coalesce(norm, ''))"""
            db.run(f"CREATE OR REPLACE TEMP TABLE clash AS {clashes}" if n == 0 else f"INSERT INTO clash {clashes}")
            # A number two values share is counted once they have numbers of their own (below).
            _count_holders(db, first=n == 0, where="vid NOT IN (SELECT vid FROM clash)")
        db.run("DROP TABLE holders")
        if not db.one("SELECT count(*) FROM clash"):
            return
        db.run(
            """CREATE OR REPLACE TEMP TABLE renumber AS
            SELECT vid, ident, norm, dense_rank() OVER (ORDER BY ident, norm) - 1 AS k
            FROM (SELECT DISTINCT vid, ident, norm FROM vals WHERE vid IN (SELECT vid FROM clash))"""
        )
        count = int(db.one("SELECT count(*) FROM renumber"))
        for base in (0, 2**62, 2**63):
            if not db.one("SELECT count(*) FROM vals WHERE vid >= ? AND vid < ?", [base, base + count]):
                db.run(
                    f"""UPDATE vals SET vid = {base} + r.k FROM renumber r
                    WHERE vals.vid = r.vid AND vals.ident = r.ident AND vals.norm IS NOT DISTINCT FROM r.norm"""
                )
                _hold(db, f"vid >= {base} AND vid < {base + count}")
                _count_holders(db, first=False, where="true")
                db.run("DROP TABLE holders")
                return
    db.run(
        """UPDATE vals SET vid = d.n FROM (
            SELECT ident, norm, dense_rank() OVER (ORDER BY ident, norm)::UBIGINT AS n
            FROM (SELECT DISTINCT ident, norm FROM vals)
        ) d
        WHERE vals.ident = d.ident AND vals.norm IS NOT DISTINCT FROM d.norm"""
    )
    count_values(db)


def count_values(db: Database) -> None:
    """``value_parts(iid, n, ok)``: values of each identifier, and usable ones (to be summed
    by identifier); ``shared_vids(vid)``: the numbers of values two or more usable rows carry.

    What linking starts from (:func:`matchers.graph.prepare`); :func:`number_values`
    makes them as it numbers the values, and :func:`screen_values` takes the
    over-shared values out. Grouped a range of numbers at a time, so that no
    statement holds a hash table of every value.
    """
    for n, within in enumerate(value_ranges(db)):
        _hold(db, within)
        _count_holders(db, first=n == 0, where="true")
    db.run("DROP TABLE holders")


def _hold(db: Database, within: str) -> None:
    """``holders(vid, iid, n, ok)``: the values of the rows ``within`` meets, with their rows and usable rows."""
    db.run(
        f"""CREATE OR REPLACE TEMP TABLE holders AS
        SELECT vid, any_value(iid) AS iid, count(*) AS n, count(*) FILTER (WHERE status = 'ok') AS ok
        FROM vals WHERE {within} GROUP BY vid"""
    )


def _count_holders(db: Database, *, first: bool, where: str) -> None:
    """Add the values of ``holders(vid, iid, n, ok)`` that meet ``where`` to ``value_parts`` and ``shared_vids``."""
    for table, rows in (
        (
            "value_parts",
            f"SELECT iid, count(*) AS n, count(*) FILTER (WHERE ok > 0) AS ok FROM holders WHERE {where} GROUP BY iid",
        ),
        ("shared_vids", f"SELECT vid FROM holders WHERE ok > 1 AND {where}"),
    ):
        db.run(f"CREATE OR REPLACE TEMP TABLE {table} AS {rows}" if first else f"INSERT INTO {table} {rows}")
