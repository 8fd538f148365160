"""The normalise stage's shortcuts give what its plain definitions give.

``vals`` groups only identifiers a record can hold several values of (several
columns, split columns); ``recs`` counts unreadable dates from the table it
built; the date format is found without trying every format on every value.
Each test here checks a shortcut against the definition it replaces.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from matchers.config import Config, load_config
from matchers.db import Database, lit, q
from matchers.identifiers import UPDATED_AT
from matchers.load import FILE_STRIDE, LoadOptions, Source, load_sources
from matchers.normalise import (
    DATE_FORMATS,
    DATE_SAMPLE,
    PREFIXED_SOURCE_KEY,
    _best_date_format,
    _date_expr,
    build_records,
    build_values,
    cell_values,
    date_literals_sql,
    phone_clean_sql,
    trim_sql,
)

A = (
    "External ID,Email,email_other,Phone,phone_other,Contact ID,Cookie,Updated At\n"
    "E1,a@x.com,A@X.com |b@y.com| b@y.com,+380671234567,0671234567|0671234567,S1,c1,2024-01-02 10:00:00\n"
    'E2, B@Y.com ,,0671234567,, a.csv:S2 ,c1,"03.01.2024"\n'
    'E3,"c@x.com;e@x.com, d@x.com",C@x.com,,+380501112233|+380501112233,S3,,1700000000\n'
    "E4,,|  |,  ,,,,not a date\n"
    "E5,weird@@x.com,Weird@@X.com,12,0012,S1,c1,2024-01-05 11:00:00\n"
)
# (No record holds two writings of one value in one column: which of them is
# kept would be arbitrary, for the definition as for the shortcut.)
B = (
    "Email Address,Phone Number,LEID,LAST_CHANGED\n"
    "a@x.com,+380671234567,S1,2024-01-03 10:00:00\n"
    "c.d+z@gmail.com,n/a,b.csv:S1,\n"
    " ,(050) 111-22-33,a.csv:S1,2024-01-04\n"
)
#: A file with no source-key column.
C = "External ID,Email,Cookie\nE1,a@x.com,c1\nE2,,a.csv:c2\n"
CONFIGS = {
    "default": "",
    # Emails split in their own column too; no identifier of kind source_key.
    "split_no_source_key": '[split]\n"Email" = ",;"\n[identifiers.system_id]\nkind = "personal"\n',
}
CASES = [
    ("default", {"a.csv": A, "b.csv": B}),
    ("split_no_source_key", {"a.csv": A, "b.csv": B}),
    ("default", {"c.csv": C}),
    ("split_no_source_key", {"c.csv": C}),
]


def reference_vals(db: Database, sources: list[Source], config: Config) -> list[tuple[object, ...]]:
    """``vals`` by its definition: every value grouped per record twice (as written, then normalised)."""
    parts = []
    for source in sources:
        for position, role in source.roles.items():
            if role != UPDATED_AT:
                parts.append(cell_values(source, position))
    in_list = ", ".join(lit(i.name) for i in config.identifiers if i.kind == "source_key")
    # Only source-key values are prefixed (none when no identifier is of kind source_key).
    per_file = f"ident IN ({in_list})" if in_list else "false"
    names = "[" + ", ".join(lit(s.name) for s in sources) + "]"
    return db.rows(
        f"""WITH vals_raw AS (
            SELECT rec, ident, min(col) AS col, trim(raw) AS raw,
                   CASE WHEN ident = 'phone' THEN {phone_clean_sql("trim(raw)")} END AS clean
            FROM ({" UNION ALL ".join(parts)}) WHERE nullif(trim(raw), '') IS NOT NULL
            GROUP BY rec, ident, trim(raw))
        SELECT rec, ident, norm, arg_min(raw, col) AS raw, bool_and(valid) AS valid,
            any_value(national) AS national
        FROM (
            SELECT v.rec, v.ident, v.col, v.raw, coalesce(e.norm, lower(v.raw)) AS norm,
                   coalesce(e.valid, false) AS valid, NULL::VARCHAR AS national
            FROM vals_raw v LEFT JOIN email_norm e ON e.raw = lower(v.raw) WHERE v.ident = 'email'
            UNION ALL
            SELECT v.rec, v.ident, v.col, v.raw, coalesce(p.norm, v.raw), coalesce(p.valid, false), p.national
            FROM vals_raw v LEFT JOIN phone_norm p ON p.clean = v.clean WHERE v.ident = 'phone'
            UNION ALL
            SELECT rec, ident, col, raw,
                CASE WHEN NOT {per_file} OR regexp_matches(raw, {lit(PREFIXED_SOURCE_KEY)}) THEN raw
                     ELSE {names}[(rec // {FILE_STRIDE}) + 1] || ':' || raw END,
                true, NULL
            FROM vals_raw WHERE ident NOT IN ('email', 'phone')
        )
        GROUP BY rec, ident, norm ORDER BY ALL"""
    )


@pytest.mark.parametrize(("name", "files"), CASES)
def test_vals_and_recs_match_their_definitions(tmp_path: Path, name: str, files: dict[str, str]) -> None:
    for file, text in files.items():
        (tmp_path / file).write_text(text, encoding="utf-8")
    config_path = None
    if CONFIGS[name]:
        config_path = tmp_path / "idmerge.toml"
        config_path.write_text(CONFIGS[name], encoding="utf-8")
    config = load_config(config_path)
    db = Database()
    try:
        sources = load_sources(db, [tmp_path / f for f in files], config, LoadOptions(), tmp_path)
        unreadable = build_records(db, sources)
        build_values(db, sources, config)
        columns = db.rows("SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'vals'")
        assert columns == [
            ("rec", "BIGINT"),
            ("ident", "VARCHAR"),
            ("norm", "VARCHAR"),
            ("raw", "VARCHAR"),
            ("valid", "BOOLEAN"),
            ("national", "VARCHAR"),
        ]
        assert db.rows("SELECT * FROM vals ORDER BY ALL") == reference_vals(db, sources, config)
        recs = db.rows("SELECT recency, survival FROM recs ORDER BY rec")
        assert [r for r, _ in recs] == [s for _, s in recs]
        if "a.csv" not in files:
            return
        # Sanity of the fixture: it holds the shapes the shortcut must not take.
        several = db.rows("SELECT count(*) FROM vals WHERE rec < 100 AND ident = 'email' GROUP BY rec")
        assert max(n for (n,) in several) >= 2
        # Unreadable dates by their definition: filled cells the column's format does not read.
        expected = 0
        for source in sources:
            col = q(source.column(next(p for p, r in source.roles.items() if r == UPDATED_AT)))
            parsed = _date_expr(col, _best_date_format(db, source.table, col))
            expected += db.one(
                f"SELECT count(*) FROM {q(source.table)} WHERE nullif(trim({col}), '') IS NOT NULL AND {parsed} IS NULL"
            )
        assert unreadable == expected == 2  # "03.01.2024" (the column's format is ISO) and "not a date"
    finally:
        db.close()


DATE_TEXT = st.text(alphabet="0123456789-:./ T", max_size=20)
DATE_VALUES = st.lists(
    st.one_of(
        DATE_TEXT,
        st.sampled_from(
            [
                "2024-01-02 10:00:00",
                "2024-01-02 10:00",
                "2024-01-02",
                "02.01.2024 10:00",
                "02.01.2024",
                "01/02/2024",
                "13/02/2024 10:00:00",
                "2024/01/02",
                "02-01-2024",
                "1700000000",
                "2024-01-02T10:00:00",
                " 3.4.2024 ",
                "",
            ]
        ),
    ),
    max_size=40,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(values=DATE_VALUES)
def test_date_format_is_the_one_reading_most_values(values: list[str]) -> None:
    """The bounded search picks what counting every format over every value picks (ties: the earlier)."""
    db = Database()
    try:
        db.run("CREATE TABLE t (rec BIGINT, d VARCHAR)")
        for i, value in enumerate(values):
            db.run("INSERT INTO t VALUES (?, ?)", [i, value])
        counts = ", ".join(f"count(try_strptime(trim(d), {lit(f)}))" for f in DATE_FORMATS)
        row = db.rows(f"SELECT {counts} FROM t WHERE nullif(trim(d), '') IS NOT NULL")[0]
        best = max(range(len(DATE_FORMATS)), key=lambda i: (row[i], -i))
        assert _best_date_format(db, "t", '"d"') == (DATE_FORMATS[best] if row[best] else None)
        # The bound itself: a value that reads by a format holds the format's literal characters.
        for f in DATE_FORMATS:
            missed = db.one(
                f"SELECT count(*) FROM t WHERE try_strptime(trim(d), {lit(f)}) IS NOT NULL "
                f"AND NOT ({date_literals_sql('trim(d)', f)})"
            )
            assert missed == 0
    finally:
        db.close()


SPACES = [" ", "\u00a0", "\u1680", "\u2000", "\u200a", "\u202f", "\u205f", "\u3000"]


@settings(max_examples=100, deadline=None)
@given(values=st.lists(st.text(alphabet=st.one_of(st.characters(codec="utf-8"), st.sampled_from(SPACES))), max_size=30))
def test_trim_sql_is_trim(values: list[str]) -> None:
    ascii_edges = [f"{chr(c)}a{chr(c)}" for c in range(1, 128)]
    db = Database()
    try:
        db.run("CREATE TABLE t (v VARCHAR)")
        for value in [*values, *ascii_edges, *(f"{s}a{s}" for s in SPACES), "", None]:
            db.run("INSERT INTO t VALUES (?)", [value])
        assert db.one(f"SELECT count(*) FROM t WHERE {trim_sql('v')} IS DISTINCT FROM trim(v)") == 0
    finally:
        db.close()


def test_date_format_is_read_from_the_first_values_of_the_file(tmp_path: Path) -> None:
    """Only the first DATE_SAMPLE non-blank dates decide; later ones in another format do not."""
    first, later = DATE_SAMPLE, 2 * DATE_SAMPLE
    rows = (
        ["updated_at,email"]
        + [f"{1 + i % 28:02d}.03.2024 10:00,a{i}@ukr.net" if i % 3 else f",a{i}@ukr.net" for i in range(first * 3 // 2)]
        + [f"03/{1 + i % 28:02d}/2024,b{i}@ukr.net" for i in range(later)]
    )
    src = tmp_path / "people.csv"
    src.write_text("\n".join(rows) + "\n", encoding="utf-8")
    db = Database()
    try:
        (source,) = load_sources(db, [src], load_config(None), LoadOptions(), tmp_path)
        (col,) = [source.column(i) for i, role in source.roles.items() if role == UPDATED_AT]
        assert _best_date_format(db, source.table, col) == "%d.%m.%Y %H:%M"
    finally:
        db.close()
