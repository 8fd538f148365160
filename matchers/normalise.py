"""Stage 2: one row per identifier value, with its normalised form.

Builds ``vals(rec, ident, raw, norm, valid)``: ``raw`` as written (trimmed;
screening keeps it only where it differs from ``norm``, as ``written``),
``norm`` the form records are matched by, ``valid`` whether the email or phone
library accepted it. Emails and phones go through ``email-validator`` and
``phonenumbers``, called once per *distinct* cleaned value, never per row;
everything else is SQL over whole columns.

Also builds ``recs(rec, updated_at, recency, survival)`` with ``updated_at`` parsed
by the date format that reads most of that column's values.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import phonenumbers
import pyarrow as pa
from email_validator import EmailNotValidError, validate_email

from matchers import columns as column_names
from matchers.config import Config
from matchers.db import Database, lit, q
from matchers.errors import ConfigError
from matchers.identifiers import OTHER_SEPARATOR, UPDATED_AT
from matchers.load import FILE_STRIDE, Source
from matchers.phonesql import settle_international, settle_national
from matchers.workers import map_distinct

#: strptime formats tried for ``updated_at`` besides ISO 8601 (most specific first).
DATE_FORMATS = (
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%d",
    "%d.%m.%Y %H:%M:%S",
    "%d.%m.%Y %H:%M",
    "%d.%m.%Y",
    "%m/%d/%Y %H:%M:%S",
    "%m/%d/%Y %H:%M",
    "%m/%d/%Y",
    "%d/%m/%Y %H:%M:%S",
    "%d/%m/%Y %H:%M",
    "%d/%m/%Y",
    "%d-%m-%Y %H:%M:%S",
    "%d-%m-%Y %H:%M",
    "%d-%m-%Y",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d",
)

#: How many non-blank values of a date column decide its format.
DATE_SAMPLE = 20_000

#: A source-key value already written as ``<file>:<value>`` by an earlier run.
PREFIXED_SOURCE_KEY = r"^[^:]+\.(csv|tsv|txt|parquet|pq|xlsx|xls|zip):"


@dataclass
class NormaliseResult:
    region: str | None
    region_inferred: bool
    phones_without_region: int


def preferred_order(sources: list[Source], prefer: tuple[str, ...]) -> dict[int, int]:
    """Source index -> weight for survivorship (higher survives first; 0: not preferred).

    A name in ``prefer`` matches a source's name, its file name or stem, the
    archive it came from, or the preset it was read as.
    """
    weights: dict[int, int] = {}
    for rank, wanted in enumerate(prefer):
        key = wanted.casefold()
        hits = [
            s
            for s in sources
            if key
            in {
                s.name.casefold(),
                Path(s.name).name.casefold(),
                Path(s.name).stem.casefold(),
                s.name.split("/", 1)[0].casefold(),
                (s.preset or "").casefold(),
            }
        ]
        if not hits:
            names = ", ".join(s.name for s in sources)
            raise ConfigError(f"--prefer {wanted!r} names no input; use a file name ({names}) or a preset name")
        for s in hits:
            weights.setdefault(s.index, len(prefer) - rank)
    return weights


def build_records(db: Database, sources: list[Source], prefer: tuple[str, ...] = ()) -> int:
    """``recs``: one row per input record with its parsed ``updated_at``.

    ``recency`` is MATCHING.md's one order (ownership, ties); ``survival`` is
    the order survivorship takes values in: the same, after the ``prefer``
    sources, which come first.
    """
    weights = preferred_order(sources, prefer)
    parts = []
    filled = 0
    for source in sources:
        position = next((p for p, r in source.roles.items() if r == UPDATED_AT), None)
        if position is None:
            parts.append(
                f"SELECT rec, NULL::TIMESTAMP AS updated_at, {weights.get(source.index, 0)} AS weight "
                f"FROM {q(source.table)}"
            )
            continue
        col = q(source.column(position))
        fmt = _best_date_format(db, source.table, col)
        parsed = _date_expr(col, fmt)
        parts.append(
            f"SELECT rec, {parsed} AS updated_at, {weights.get(source.index, 0)} AS weight FROM {q(source.table)}"
        )
        filled += int(db.one(f"SELECT count(*) FROM {q(source.table)} WHERE trim({col}) <> ''"))
    # recency: the one order of MATCHING.md ("Recency"): dated records are newer
    # than undated ones; ties and missing dates go by input order. With no
    # preferred source, survival is that same order (one sort, not two).
    recency = "row_number() OVER (ORDER BY updated_at ASC NULLS FIRST, rec)"
    survival = (
        "row_number() OVER (ORDER BY weight, updated_at ASC NULLS FIRST, rec)"
        if len({weights.get(s.index, 0) for s in sources}) > 1
        else "recency"
    )
    db.run(
        f"CREATE OR REPLACE TABLE recs AS SELECT * EXCLUDE (weight), {recency} AS recency, {survival} AS survival "
        "FROM (" + " UNION ALL ".join(parts) + ") ORDER BY rec"
    )
    # A date that reads is never blank, so the unreadable ones are the filled cells that did not read.
    return filled - int(db.one("SELECT count(updated_at) FROM recs"))


def _date_expr(col: str, fmt: str | None) -> str:
    iso = f"try_cast(trim({col}) AS TIMESTAMP)"
    epoch = (
        f"CASE WHEN regexp_full_match(trim({col}), '\\d{{10}}') THEN to_timestamp(trim({col})::BIGINT)::TIMESTAMP "
        f"WHEN regexp_full_match(trim({col}), '\\d{{13}}') THEN to_timestamp(trim({col})::BIGINT / 1000)::TIMESTAMP END"
    )
    if fmt is None:
        return f"coalesce({iso}, {epoch})"
    return f"coalesce(try_strptime(trim({col}), {lit(fmt)}), {iso}, {epoch})"


def _best_date_format(db: Database, table: str, col: str) -> str | None:
    """The strptime format that reads most values of a column (None: ISO only; ties: the earlier format).

    Counted over the column's first :data:`DATE_SAMPLE` non-blank values.
    A value that fails a format costs far more than one that reads, so the
    formats are not all tried on every value: a format reads only values that
    hold each of its literal characters (its ``-``, ``:``, ``.`` or ``/``),
    which bounds its count cheaply; formats are counted best bound first,
    until no bound left can beat the best count.
    """
    # The input tables are in record order and DuckDB keeps that order
    # (preserve_insertion_order), so the first values need no sort: with
    # ORDER BY rec, DuckDB read every row of the column (0.36 s against 0.006 s
    # for a 3.3M-record file).
    db.run(
        f"""CREATE OR REPLACE TEMP TABLE date_sample AS SELECT trim({col}) AS v FROM {q(table)}
        WHERE nullif(trim({col}), '') IS NOT NULL LIMIT {DATE_SAMPLE}"""
    )
    bounds = ", ".join(f"count(*) FILTER (WHERE {date_literals_sql('v', f)})" for f in DATE_FORMATS)
    bound = db.rows(f"SELECT {bounds} FROM date_sample")[0]
    best, best_count = None, 0
    for i in sorted(range(len(DATE_FORMATS)), key=lambda i: (-bound[i], i)):
        if bound[i] == 0 or (best is not None and (bound[i], -i) < (best_count, -best)):
            break
        count = int(db.one(f"SELECT count(try_strptime(v, {lit(DATE_FORMATS[i])})) FROM date_sample"))
        if best is None or (count, -i) > (best_count, -best):
            best, best_count = i, count
    db.run("DROP TABLE date_sample")
    return DATE_FORMATS[best] if best is not None and best_count else None


def date_literals_sql(expr: str, fmt: str) -> str:
    """SQL true when ``expr`` holds every literal character of a strptime format other than spaces.

    ``strptime`` matches those characters one for one, so a value without
    them cannot read by the format.
    """
    literals = sorted(set(re.sub("%.", "", fmt)) - {" "})
    return " AND ".join(f"contains({expr}, {lit(c)})" for c in literals) or "true"


def build_values(db: Database, sources: list[Source], config: Config) -> NormaliseResult:
    """``vals``: every identifier value of every record, normalised.

    A view: screening reads it once, adding its columns, and stores the result
    as the ``vals`` table (15M rows at 4.5M records are not written twice).
    One row per record, identifier and normalised value. Most identifiers come
    from one unsplit column per file, where a record holds at most one value,
    so their rows need no grouping; only identifiers with several columns (or
    a split column) are grouped, first by the value as written, then by its
    normalised form.
    """
    cells = _cells(sources)
    _normalise_emails(db, _cells_of(cells, {"email"}), config.gmail_rules)
    region, inferred, without_region = _normalise_phones(db, _cells_of(cells, {"phone"}), config.region)
    rest = {c.ident for c in cells} - {"email", "phone"}
    # Only values of an identifier of kind source_key are per file (prefixed with the file's name).
    source_keys = rest & {i.name for i in config.identifiers if i.kind == "source_key"}
    names = "[" + ", ".join(lit(s.name) for s in sources) + "]"
    selects = []
    for several in (False, True):
        emails = _union(c.sql for c in cells if c.ident == "email" and c.several == several)
        phones = _union(c.sql for c in cells if c.ident == "phone" and c.several == several)
        keys = _union(c.sql for c in cells if c.ident in source_keys and c.several == several)
        others = _union(c.sql for c in cells if c.ident in rest - source_keys and c.several == several)
        parts = []
        if emails:
            parts.append(
                f"""SELECT v.rec, v.ident, coalesce(e.norm, lower(v.raw)) AS norm, v.raw, v.col,
                       coalesce(e.valid, false) AS valid, NULL::VARCHAR AS national
                FROM ({emails}) v LEFT JOIN email_norm e ON e.raw = lower(v.raw)"""
            )
        if phones:
            parts.append(
                f"""SELECT v.rec, v.ident, coalesce(p.norm, v.raw) AS norm, v.raw, v.col,
                       coalesce(p.valid, false) AS valid, p.national
                FROM (SELECT *, {phone_digits_sql("raw")} AS digits FROM ({phones})) v
                LEFT JOIN phone_norm p ON p.clean = {phone_clean_sql("v.raw", "v.digits")}"""
            )
        if keys:
            # A source key is matched within its file: prefixed with the file's name.
            parts.append(
                f"""SELECT rec, ident,
                    CASE WHEN contains(raw, ':') AND regexp_matches(raw, {lit(PREFIXED_SOURCE_KEY)}) THEN raw
                         ELSE {names}[(rec // {FILE_STRIDE}) + 1] || ':' || raw END AS norm,
                    raw, col, true AS valid, NULL::VARCHAR AS national
                FROM ({keys})"""
            )
        if others:
            parts.append(
                f"SELECT rec, ident, raw AS norm, raw, col, true AS valid, NULL::VARCHAR AS national FROM ({others})"
            )
        if not parts:
            continue
        if several:
            # Several writings of one value in one record (two columns) collapse to one row.
            selects.append(
                f"""SELECT rec, ident, norm, arg_min(raw, col) AS raw, min(col) AS col, bool_and(valid) AS valid,
                    any_value(national) AS national
                FROM ({_union(parts)}) GROUP BY rec, ident, norm"""
            )
        else:
            selects.extend(parts)
    # The column a value was read from only picks, above, which writing of a value
    # two columns of a record hold is kept; it is not part of vals (at 4.5M records
    # it took 60 MB of the stored table).
    db.run(f"CREATE OR REPLACE VIEW vals AS SELECT * EXCLUDE (col) FROM ({_union(selects)})")
    return NormaliseResult(region, inferred, without_region)


@dataclass(frozen=True)
class _Cells:
    """SQL of ``(rec, ident, col, raw)``: one identifier's trimmed, non-blank values in one file."""

    ident: str
    sql: str
    #: whether a record can hold several values (several columns, or a split column)
    several: bool


def _cells(sources: list[Source]) -> list[_Cells]:
    """Each file's identifier values, one row per record and value as written (the lowest column)."""
    cells = []
    for source in sources:
        several = several_values(source)
        columns: dict[str, list[str]] = {}
        for position, role in source.roles.items():
            if role != UPDATED_AT:
                columns.setdefault(role, []).append(cell_values(source, position))
        for role, selects in columns.items():
            if role not in several:
                trimmed = f"SELECT rec, ident, col, {trim_sql('raw')} AS raw FROM ({selects[0]})"
                sql = f"SELECT * FROM ({trimmed}) WHERE raw <> ''"
            else:
                sql = f"""SELECT rec, ident, min(col) AS col, trim(raw) AS raw FROM ({_union(selects)})
                    WHERE trim(raw) <> '' GROUP BY rec, ident, trim(raw)"""
            cells.append(_Cells(role, sql, role in several))
    return cells


def several_values(source: Source) -> set[str]:
    """The identifiers of which one record of ``source`` can hold several values:
    those read from several columns, or from a column holding lists."""
    seen: set[str] = set()
    several: set[str] = set()
    for position, role in source.roles.items():
        if role == UPDATED_AT:
            continue
        if role in seen or _separators(source, position):
            several.add(role)
        seen.add(role)
    return several


def _separators(source: Source, position: int) -> str:
    """The characters a column's cells are split at ("" for a column of single values)."""
    separators = source.split.get(position, "")
    if column_names.is_other(source.headers[position]):
        separators += OTHER_SEPARATOR
    return separators


def cell_values(source: Source, position: int) -> str:
    """``SELECT rec, ident, col, raw`` of one identifier column, one row per value as written
    (a cell holding a list gives one row per item, see :func:`several_values`)."""
    col = q(source.column(position))
    separators = _separators(source, position)
    value = col
    if separators:
        pattern = "[" + "".join("\\" + c if c in "\\]^-[" else c for c in dict.fromkeys(separators)) + "]"
        value = f"unnest(string_split_regex({col}, {lit(pattern)}))"
    ident = lit(source.roles[position])
    return f"SELECT rec, {ident} AS ident, {position} AS col, {value} AS raw FROM {q(source.table)}"


def trim_sql(expr: str) -> str:
    """``trim(expr)``, without its cost for values that start and end with no space.

    DuckDB's ``trim`` removes Unicode space separators, decoding every
    character of the value to find the last one; values are mostly ASCII, and
    the only ASCII space separator is the space itself.
    """
    plain = f"strlen({expr}) = length({expr}) AND NOT starts_with({expr}, ' ') AND NOT ends_with({expr}, ' ')"
    return f"(CASE WHEN {plain} THEN {expr} ELSE trim({expr}) END)"


def _cells_of(cells: list[_Cells], idents: set[str]) -> str:
    """SQL of the cells of some identifiers (no rows when there are none)."""
    return _union(c.sql for c in cells if c.ident in idents) or (
        "SELECT NULL::BIGINT AS rec, NULL::VARCHAR AS ident, NULL::INTEGER AS col, NULL::VARCHAR AS raw LIMIT 0"
    )


def _union(selects: Iterable[str]) -> str:
    return " UNION ALL ".join(selects)


def phone_clean_sql(expr: str, digits: str | None = None) -> str:
    """Digits and a leading plus; ``00`` before a country code reads as ``+``.

    ``digits``: an expression already holding :func:`phone_digits_sql` of ``expr``
    (a column computed once, rather than up to three times here).
    """
    digits = digits or phone_digits_sql(expr)
    return (
        f"CASE WHEN starts_with({expr}, '+') THEN '+' || {digits} "
        f"WHEN starts_with({digits}, '00') THEN '+' || substr({digits}, 3) ELSE {digits} END"
    )


def phone_digits_sql(expr: str) -> str:
    """The digits of a written phone number."""
    return f"regexp_replace({expr}, '[^0-9]', '', 'g')"


def _parse_phone(clean: str, region: str | None) -> phonenumbers.PhoneNumber | None:
    try:
        number = phonenumbers.parse(clean, region)
    except phonenumbers.NumberParseException:
        return None
    return number if phonenumbers.is_possible_number(number) else None


def parse_phones(cleans: list[str], region: str | None) -> list[tuple[str | None, str | None, str | None]]:
    """(E.164, national number, region) of each cleaned phone; Nones when not possible."""
    parsed: list[tuple[str | None, str | None, str | None]] = []
    for clean in cleans:
        number = _parse_phone(clean, region) if clean else None
        if number is None:
            parsed.append((None, None, None))
        else:
            parsed.append(
                (
                    phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164),
                    phonenumbers.national_significant_number(number),
                    phonenumbers.region_code_for_number(number),
                )
            )
    return parsed


def _normalise_phones(db: Database, cells: str, region: str | None) -> tuple[str | None, bool, int]:
    """``phone_norm(clean, norm, valid, national)`` for each distinct cleaned phone.

    Numbers written with a country code are read first, with no region; they
    also vote for the default region when none is given (the most common
    country among cells that start with ``+``; ties alphabetical). The rest are
    read with that region. Plain writings are settled in SQL from the
    library's metadata (:mod:`matchers.phonesql`), the rest by ``phonenumbers``
    itself. Returns (region, inferred, numbers left without one).
    """
    db.run(
        f"""CREATE OR REPLACE TABLE phone_cleans AS
        SELECT clean, count(*) FILTER (WHERE starts_with(raw, '+')) AS plus_cells
        FROM (SELECT raw, {phone_clean_sql("raw", "digits")} AS clean
              FROM (SELECT raw, {phone_digits_sql("raw")} AS digits FROM ({cells})))
        WHERE clean <> '' GROUP BY clean"""
    )
    db.run(
        "CREATE OR REPLACE TABLE phone_norm "
        "(clean VARCHAR, norm VARCHAR, valid BOOLEAN, national VARCHAR, region VARCHAR)"
    )
    _settle(db, settle_international(db, "phone_cleans"), "starts_with(clean, '+')", None)
    inferred = False
    if region is None:
        votes = db.rows(
            """SELECT p.region, sum(c.plus_cells) AS votes FROM phone_norm p JOIN phone_cleans c USING (clean)
            WHERE p.valid AND p.region IS NOT NULL AND p.region <> '001'
            GROUP BY p.region HAVING sum(c.plus_cells) > 0 ORDER BY votes DESC, p.region LIMIT 1"""
        )
        if votes:
            region, inferred = votes[0][0], True
    without_region = 0
    national = "NOT starts_with(clean, '+')"
    if region is None:
        without_region = int(db.one(f"SELECT count(*) FROM phone_cleans WHERE {national}"))
        db.run(
            f"""INSERT INTO phone_norm SELECT clean, clean, false, NULL, NULL
            FROM phone_cleans WHERE {national}"""
        )
    else:
        _settle(db, settle_national(db, "phone_cleans", region), national, region)
    db.run("DROP TABLE phone_cleans")
    return region, inferred, without_region


def _settle(db: Database, fast: list[str], which: str, region: str | None) -> None:
    """Add the cleans matching ``which`` to ``phone_norm``: the SQL-settled ones, then the library's."""
    if fast:
        union = " UNION ALL ".join(fast)
        db.run(f"INSERT INTO phone_norm SELECT clean, coalesce(norm, clean), valid, national, region FROM ({union})")
    rest = (
        db.arrow(
            f"""SELECT clean FROM phone_cleans WHERE {which}
            AND clean NOT IN (SELECT clean FROM phone_norm) ORDER BY clean"""
        )
        .column("clean")
        .to_pylist()
    )
    parsed = map_distinct("phone", rest, region)
    db.register(
        "__phone_lib",
        pa.table(
            {
                "clean": pa.array(rest, pa.string()),
                "norm": pa.array([p[0] or c for p, c in zip(parsed, rest, strict=True)], pa.string()),
                "valid": pa.array([p[0] is not None for p in parsed], pa.bool_()),
                "national": pa.array([p[1] for p in parsed], pa.string()),
                "region": pa.array([p[2] for p in parsed], pa.string()),
            }
        ),
    )
    db.run("INSERT INTO phone_norm SELECT clean, norm, valid, national, region FROM __phone_lib")


def canonical_email(raw: str, gmail_rules: bool) -> tuple[str, bool]:
    """The matching form of an email and whether its syntax is valid.

    >>> canonical_email(" J.Smith+news@GoogleMail.com ", True)
    ('jsmith@gmail.com', True)
    """
    text = raw.strip()
    try:
        parsed = validate_email(text, check_deliverability=False)
        local, domain, ok = parsed.local_part.lower(), parsed.ascii_domain.lower(), True
    except EmailNotValidError:
        local, _, domain = text.lower().rpartition("@")
        ok = False
        if not local:
            return text.lower(), False
    if gmail_rules and domain in ("gmail.com", "googlemail.com"):
        domain = "gmail.com"
        local = local.split("+", 1)[0].replace(".", "")
    return f"{local}@{domain}", ok


def canonical_emails(raws: list[str], gmail_rules: bool) -> list[tuple[str, bool]]:
    """:func:`canonical_email` of each value of a list."""
    return [canonical_email(raw, gmail_rules) for raw in raws]


#: An address this plain (ASCII dot-atom local part, LDH domain labels, a
#: letters-only top-level domain that is not special-use) is one that
#: email-validator accepts and normalises to its lower-case form; those are
#: settled in SQL, everything else goes to the library. The test
#: ``test_plain_email_fast_path_agrees_with_the_library`` pins the equivalence.
PLAIN_EMAIL = r"^[a-z0-9_]+([.+-][a-z0-9_]+)*@([a-z0-9]+(-[a-z0-9]+)*\.)+[a-z]{2,24}$"
SPECIAL_USE_TLDS = ("arpa", "invalid", "local", "localhost", "onion", "test")


def plain_email_sql(expr: str) -> str:
    """SQL true when the (lower-cased, trimmed) address may skip the library."""
    tld = f"string_split({expr}, '.')[-1]"
    return (
        f"(regexp_full_match({expr}, {lit(PLAIN_EMAIL)}) AND length({expr}) <= 254 "
        f"AND length(split_part({expr}, '@', 1)) <= 64 "
        f"AND NOT regexp_matches(split_part({expr}, '@', 2), '[a-z0-9-]{{64,}}') "
        f"AND {tld} NOT IN ({', '.join(lit(t) for t in SPECIAL_USE_TLDS)}))"
    )


def gmail_sql(expr: str, gmail_rules: bool) -> str:
    """The gmail rules of :func:`canonical_email`, in SQL, for plain addresses."""
    if not gmail_rules:
        return expr
    local, domain = f"split_part({expr}, '@', 1)", f"split_part({expr}, '@', 2)"
    return (
        f"CASE WHEN {domain} IN ('gmail.com', 'googlemail.com') "
        f"THEN replace(split_part({local}, '+', 1), '.', '') || '@gmail.com' ELSE {expr} END"
    )


def _normalise_emails(db: Database, cells: str, gmail_rules: bool) -> None:
    """``email_norm(raw, norm, valid)`` for each distinct written email (lower-cased).

    ``cells`` is SQL with a ``raw`` column of written emails.
    """
    db.run(
        f"""CREATE OR REPLACE TEMP TABLE email_raws AS
        SELECT raw, {plain_email_sql("raw")} AS plain FROM (SELECT DISTINCT lower(raw) AS raw FROM ({cells}))"""
    )
    db.run(
        f"""CREATE OR REPLACE TABLE email_norm AS
        SELECT raw, {gmail_sql("raw", gmail_rules)} AS norm, true AS valid FROM email_raws WHERE plain"""
    )
    raws = db.arrow("SELECT raw FROM email_raws WHERE NOT plain ORDER BY raw").column("raw").to_pylist()
    db.run("DROP TABLE email_raws")
    pairs = map_distinct("email", raws, gmail_rules)
    db.register(
        "__email_lib",
        pa.table(
            {
                "raw": pa.array(raws, pa.string()),
                "norm": pa.array([p[0] for p in pairs], pa.string()),
                "valid": pa.array([p[1] for p in pairs], pa.bool_()),
            }
        ),
    )
    db.run("INSERT INTO email_norm SELECT raw, norm, valid FROM __email_lib")
