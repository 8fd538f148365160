"""Look at input files before a run: what was detected in them, and what looks wrong.

:func:`inspect` loads each file exactly as ``idmerge run`` does
(:func:`matchers.load.load_sources` with the same config and
:class:`~matchers.load.LoadOptions`, so the two can never disagree on the
mapping) and profiles every column with whole-column SQL: fill rate, distinct
values, a few masked samples, and problems such as an ``Email`` column that
holds dates, cells holding several emails, junk and invalid values (screened
by :func:`matchers.screen.screen_values`, the run's own screen), unreadable
subscription statuses and identifier-looking columns that nothing maps.

:func:`write_config` turns an inspection into a commented ``idmerge.toml``
that maps the files exactly as detection did, so
``idmerge run --config idmerge.toml FILES`` gives the same result as
``idmerge run FILES``, and the mapping can be edited from there.

Email and phone libraries are called once per distinct value, on at most
:data:`LIBRARY_SAMPLE` distinct values per column (a deterministic sample,
by hash, when there are more; the column says so).
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import tempfile
from collections import Counter
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal

import pyarrow as pa

from matchers import __version__
from matchers import columns as column_names
from matchers.check import mask
from matchers.config import Config, load_config
from matchers.consent import FALSE_WORDS, TRUE_WORDS, VOCABULARY, cell_statuses, vocabulary_table
from matchers.db import Database, lit, q
from matchers.errors import InputError, OutputError
from matchers.identifiers import DEFAULT_IDENTIFIERS, DEFAULT_LIMITS, DEFAULT_OTHER_LIMIT, OTHER_SEPARATOR, UPDATED_AT
from matchers.load import OWN_ID_COLUMN, LoadOptions, Source, load_sources
from matchers.normalise import gmail_sql, phone_clean_sql, plain_email_sql
from matchers.preset import ConsentColumn, Preset, get_preset
from matchers.screen import placeholder_expr, screen_values
from matchers.workers import map_distinct

Severity = Literal["error", "warning"]

#: Sample values shown per column.
SAMPLE_VALUES = 3
#: Most distinct values per column given to the email and phone libraries.
LIBRARY_SAMPLE = 50_000
#: "Mostly": more than this share of a column's non-placeholder cells.
MOSTLY = 0.5
#: Words in a header that make an all-unique column look like some other thing's id.
_NOT_PERSON_IDS = ("company", "campaign", "list", "owner", "organization", "account", "deal", "order", "segment")
_EMAIL_LIKE = r"^[^@\s]+@[^@\s]+\.[^@\s.]+$"
_PHONE_LIKE = r"^\+?[0-9][0-9 ().-]{8,22}[0-9]$"
_DATE_LIKE = r"\d{1,4}[-./]\d{1,2}[-./]\d{1,4}([ T].*)?"


@dataclass(frozen=True)
class InspectOptions:
    """What ``idmerge inspect`` and ``idmerge init`` take besides the files."""

    config: Path | None = None
    region: str | None = None
    preset: str | None = None
    encoding: str | None = None
    delimiter: str | None = None
    #: Show values unmasked in samples and problems.
    show_values: bool = False


@dataclass(frozen=True)
class Problem:
    """Something in a file or column that will make a run go wrong or lose values."""

    severity: Severity
    code: str
    message: str
    #: cells (values, for a split column) the problem concerns
    cells: int | None = None
    #: ``cells`` as a share of the column's non-blank cells
    rate: float | None = None
    #: a config line that would fix it, e.g. ``[split] "Emails" = ",;"``
    suggestion: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "severity": self.severity,
            "code": self.code,
            "message": self.message,
            "cells": self.cells,
            "rate": self.rate,
            "suggestion": self.suggestion,
        }


@dataclass(frozen=True)
class ColumnProfile:
    """One input column: what it was mapped to and what is in it."""

    position: int
    header: str
    #: identifier name or ``updated_at`` (None: not an identifier)
    identifier: str | None
    #: ``first_name`` or ``last_name``
    field: str | None
    consent: ConsentColumn | None
    #: characters separating several values in one cell
    split: str | None
    #: the config or the preset says ``ignore`` (or idmerge's own ``contact_id``)
    ignored: bool
    filled: int
    fill_rate: float
    distinct: int
    samples: tuple[str, ...]
    #: placeholder or junk values (identifier columns: as the run screens them)
    junk: int
    #: values the email or phone library rejects (None: not an email or phone column)
    invalid: int | None
    #: distinct values screened (None: not an identifier column)
    checked: int | None
    #: the screened values are a sample of the column's distinct values
    sampled: bool
    #: the identifier an unmapped column seems to hold
    suggested: str | None
    problems: tuple[Problem, ...]

    @property
    def role(self) -> str | None:
        """What the run does with the column, in a word: an identifier, a field, ``consent:CHANNEL``."""
        if self.identifier:
            return self.identifier
        if self.field:
            return self.field
        if self.consent:
            return f"consent:{self.consent.channel}"
        return None

    def as_dict(self) -> dict[str, Any]:
        return {
            "position": self.position,
            "header": self.header,
            "identifier": self.identifier,
            "field": self.field,
            "consent": {"channel": self.consent.channel, "read": self.consent.read} if self.consent else None,
            "split": self.split,
            "ignored": self.ignored,
            "filled": self.filled,
            "fill_rate": round(self.fill_rate, 4),
            "distinct": self.distinct,
            "samples": list(self.samples),
            "junk": self.junk,
            "invalid": self.invalid,
            "checked": self.checked,
            "sampled": self.sampled,
            "suggested": self.suggested,
            "problems": [p.as_dict() for p in self.problems],
        }


@dataclass(frozen=True)
class FileProfile:
    """One source (a zip's member is a source of its own)."""

    name: str
    path: Path
    format: str
    encoding: str | None
    delimiter: str | None
    sheet: str | None
    preset: str | None
    preset_title: str | None
    layout_sources: tuple[str, ...]
    records: int
    rejected: int
    columns: tuple[ColumnProfile, ...]
    problems: tuple[Problem, ...]

    @property
    def all_problems(self) -> list[Problem]:
        return [*self.problems, *(p for c in self.columns for p in c.problems)]

    def as_dict(self) -> dict[str, Any]:
        return {
            "file": self.name,
            "path": str(self.path),
            "format": self.format,
            "encoding": self.encoding,
            "delimiter": self.delimiter,
            "sheet": self.sheet,
            "preset": self.preset,
            "layout_sources": list(self.layout_sources),
            "records": self.records,
            "rejected": self.rejected,
            "problems": [p.as_dict() for p in self.problems],
            "columns": [c.as_dict() for c in self.columns],
        }


@dataclass(frozen=True)
class Inspection:
    """Every file's profile, and the settings it was made with."""

    files: tuple[FileProfile, ...]
    config: Config
    #: the default phone region: given, or inferred as the run infers it (None: neither)
    region: str | None
    region_inferred: bool
    #: the region was inferred from a sample of the numbers written with ``+``
    region_sampled: bool
    masked: bool

    def count(self, severity: Severity) -> int:
        return sum(p.severity == severity for f in self.files for p in f.all_problems)

    def as_dict(self) -> dict[str, Any]:
        """The ``--json`` document (keys documented in docs/inspect.md)."""
        return {
            "tool": "idmerge",
            "version": __version__,
            "masked": self.masked,
            "region": self.region,
            "region_inferred": self.region_inferred,
            "library_sample": LIBRARY_SAMPLE,
            "errors": self.count("error"),
            "warnings": self.count("warning"),
            "files": [f.as_dict() for f in self.files],
        }


# --- loading -----------------------------------------------------------------------------------


def _load(
    db: Database, path: Path, config: Config, options: LoadOptions, workdir: Path
) -> tuple[list[Source], str | None]:
    """The sources of one input path, and the reason ``idmerge run`` would refuse its mapping (if so)."""
    workdir.mkdir(parents=True, exist_ok=True)
    sources = load_sources(db, [path], config, replace(options, require_identifier=False), workdir)
    return sources, next((s.problem for s in sources if s.problem), None)


def _labels(paths: list[Path]) -> list[str]:
    """Sources are named as the run names them: the file name, or the path when names repeat."""
    names = [p.name for p in paths]
    return names if len(set(names)) == len(names) else [str(p) for p in paths]


# --- profiling ---------------------------------------------------------------------------------


@dataclass
class _Column:
    """A column's figures while the files are being profiled."""

    position: int
    header: str
    identifier: str | None
    field: str | None
    consent: ConsentColumn | None
    split: str | None
    ignored: bool
    filled: int = 0
    distinct: int = 0
    samples: list[str] = dataclasses.field(default_factory=list)
    junk: int = 0
    invalid: int | None = None
    checked: int | None = None
    sampled: bool = False
    suggested: str | None = None
    problems: list[Problem] = dataclasses.field(default_factory=list)
    #: phone columns: (clean, value cells) of the distinct values to parse once the region is known
    phones: list[tuple[str, int]] = dataclasses.field(default_factory=list)


@dataclass
class _File:
    source: Source
    db: Database
    preset: Preset | None
    columns: list[_Column]
    problems: list[Problem]
    #: phone clean -> cells written with '+' (as the run counts them for the region vote)
    plus_cells: Counter[str] = dataclasses.field(default_factory=Counter)


def _share(part: int, whole: int) -> float:
    return part / whole if whole else 0.0


def _percent(rate: float) -> str:
    if 0 < rate < 0.0005:
        return "<0.1%"
    return f"{rate * 100:.1f}".rstrip("0").rstrip(".") + "%"


def _of(part: int, whole: int) -> str:
    return f"{part:,} of {whole:,} ({_percent(_share(part, whole))})"


def _toml_string(text: str) -> str:
    """A TOML basic string (JSON's escapes are TOML's, but for DEL)."""
    return json.dumps(text, ensure_ascii=False).replace("\x7f", "\\u007f")


def _value_expr(source: Source, position: int) -> str:
    """The values of a column as the run reads them: split into several where the config says so."""
    col = q(source.column(position))
    separators = source.split.get(position, "")
    if column_names.is_other(source.headers[position]):
        separators += OTHER_SEPARATOR
    if not separators:
        return col
    pattern = "[" + "".join("\\" + c if c in "\\]^-[" else c for c in dict.fromkeys(separators)) + "]"
    return f"unnest(string_split_regex({col}, {lit(pattern)}))"


def _ignored(header: str, config: Config, preset: Preset | None) -> bool:
    if header == OWN_ID_COLUMN:
        return True
    role = config.columns.get(header)
    if role is None and preset is not None:
        role = preset.columns.get(column_names.fold(header))
    return role == "ignore"


def _profile_file(db: Database, source: Source, config: Config, show_values: bool, refused: str | None) -> _File:
    preset = get_preset(source.preset, "preset") if source.preset else None
    columns = [
        _Column(
            position,
            header,
            source.roles.get(position),
            source.fields.get(position),
            source.consent.get(position),
            source.split.get(position),
            _ignored(header, config, preset),
        )
        for position, header in enumerate(source.headers)
    ]
    profile = _File(source, db, preset, columns, [])
    table = q(source.table)
    if columns:
        aggregates = ", ".join(
            f"count(nullif(trim({q(source.column(c.position))}), '')), "
            f"count(DISTINCT nullif(trim({q(source.column(c.position))}), ''))"
            for c in columns
        )
        figures = db.rows(f"SELECT {aggregates} FROM {table}")[0]
        for n, column in enumerate(columns):
            column.filled, column.distinct = int(figures[2 * n]), int(figures[2 * n + 1])
    for column in columns:
        _samples(db, source, column)
        if column.filled == 0:
            continue
        if column.identifier and column.identifier != UPDATED_AT:
            _content_checks(db, source, column)
            _distinct_values(db, source, column, profile)
        else:
            column.junk = int(
                db.one(
                    f"SELECT count(*) FILTER (WHERE {placeholder_expr()}) FROM "
                    f"(SELECT trim({q(source.column(column.position))}) AS raw FROM {table}) "
                    "WHERE raw <> ''"
                )
            )
            if column.consent is not None:
                _consent_check(db, source, column, show_values)
            elif column.identifier is None and column.field is None and not column.ignored:
                _unmapped_check(db, source, column)
    if refused is not None:
        hint = next(
            (f'; e.g. [columns] "{c.header}" = "{c.suggested}"' for c in columns if c.suggested),
            '; map one in the config, e.g. [columns] "Mail" = "email"',
        )
        profile.problems.append(
            Problem("error", "no_identifier_column", f"no identifier column: idmerge run stops on this file{hint}")
        )
    if source.rejected:
        profile.problems.append(
            Problem(
                "error",
                "malformed_rows",
                f"{source.rejected:,} malformed record(s) (too few or too many fields): idmerge run stops on "
                "them unless --skip-bad-rows sets them aside",
                cells=source.rejected,
            )
        )
    return profile


def _shown(column: _Column, value: str, show_values: bool) -> str:
    if show_values or column.identifier == UPDATED_AT:
        return value
    if column.consent is not None and _status_word(value) in _KNOWN_WORDS:
        return value
    return mask(column.identifier or column.suggested or "value", value)


_KNOWN_WORDS = {*VOCABULARY, *TRUE_WORDS, *FALSE_WORDS}


def _status_word(value: str) -> str:
    return re.sub(r"[\W_]+", "_", value.strip().casefold()).strip("_")


def _samples(db: Database, source: Source, column: _Column) -> None:
    col = q(source.column(column.position))
    rows = db.rows(
        f"""SELECT v FROM (SELECT trim({col}) AS v, min(rec) AS first FROM {q(source.table)}
            WHERE nullif(trim({col}), '') IS NOT NULL GROUP BY 1) ORDER BY first LIMIT {SAMPLE_VALUES}"""
    )
    column.samples = [row[0] for row in rows]


def _content_checks(db: Database, source: Source, column: _Column) -> None:
    """Whole-column checks of an email or phone column: dates, the wrong kind of value, several values."""
    ident = column.identifier
    if ident not in ("email", "phone"):
        return
    col = "raw"
    several = (
        f"len(list_filter(string_split_regex({col}, '[,;|\\s]+'), "
        f"lambda x: regexp_full_match(x, {lit(_EMAIL_LIKE)}))) >= 2"
        if ident == "email"
        else f"len(list_filter(string_split_regex({col}, '[,;|/\\n]'), "
        "lambda x: length(regexp_replace(x, '[^0-9]', '', 'g')) >= 7)) >= 2"
    )
    separators = [",", ";", "|", "/", " ", "\n"] if ident == "phone" else [",", ";", "|", " ", "\n"]
    seen = ", ".join(f"count(*) FILTER (WHERE {several} AND contains({col}, {lit(s)}))" for s in separators)
    row = db.rows(
        f"""SELECT count(*),
            count(*) FILTER (WHERE try_cast({col} AS TIMESTAMP) IS NOT NULL
                             OR regexp_full_match({col}, {lit(_DATE_LIKE)})),
            count(*) FILTER (WHERE contains({col}, '@')),
            count(*) FILTER (WHERE {several}), {seen}
        FROM (SELECT trim({q(source.column(column.position))}) AS raw FROM {q(source.table)})
        WHERE raw <> '' AND NOT {placeholder_expr()}"""
    )[0]
    cells, dates, ats, multi = (int(v) for v in row[:4])
    by_separator = dict(zip(separators, (int(v) for v in row[4:]), strict=True))
    header = column.header
    if cells and dates > MOSTLY * cells:
        column.problems.append(
            Problem(
                "error",
                "holds_dates",
                f"column {header!r} holds dates ({_of(dates, cells)} values), not {ident}s; map the right "
                f'column, or [columns] "{header}" = "ignore"',
                dates,
                _share(dates, cells),
            )
        )
    elif ident == "email" and cells and cells - ats > MOSTLY * cells:
        column.problems.append(
            Problem(
                "error",
                "not_emails",
                f"column {header!r} holds mostly values that are not emails ({_of(cells - ats, cells)} have no "
                "'@'); check the mapping",
                cells - ats,
                _share(cells - ats, cells),
            )
        )
    elif ident == "phone" and cells and ats > MOSTLY * cells:
        column.problems.append(
            Problem(
                "error",
                "holds_emails",
                f"column {header!r} holds emails ({_of(ats, cells)} values), not phones; "
                f'[columns] "{header}" = "email"',
                ats,
                _share(ats, cells),
                f'[columns] "{header}" = "email"',
            )
        )
    if multi and column.split is None:
        chars = "".join(s for s in separators if by_separator[s] and s not in " \n") or ","
        shown = " ".join(repr(s) for s in separators if by_separator[s])
        suggestion = f"[split] {_toml_string(header)} = {_toml_string(chars)}"
        column.problems.append(
            Problem(
                "warning",
                "several_values",
                f"column {header!r}: {_of(multi, column.filled)} cells hold several {ident}s (separated by {shown}); "
                f"add {suggestion} to read each",
                multi,
                _share(multi, column.filled),
                suggestion,
            )
        )


def _distinct_values(db: Database, source: Source, column: _Column, profile: _File) -> None:
    """``iv_<position>(raw, cells, plus)``: the column's distinct values, sampled, for the libraries and the screen."""
    table = f"iv_{column.position}"
    value = _value_expr(source, column.position)
    db.run(
        f"""CREATE OR REPLACE TABLE {q(table + "_all")} AS
        SELECT raw, count(*) AS cells FROM (SELECT trim(v) AS raw FROM (SELECT {value} AS v FROM {q(source.table)}))
        WHERE raw <> '' GROUP BY raw"""
    )
    total = int(db.one(f"SELECT count(*) FROM {q(table + '_all')}"))
    column.sampled = total > LIBRARY_SAMPLE
    db.run(
        f"""CREATE OR REPLACE TABLE {q(table)} AS SELECT raw, cells FROM {q(table + "_all")}
        ORDER BY hash(raw), raw LIMIT {LIBRARY_SAMPLE}"""
    )
    db.run(f"DROP TABLE {q(table + '_all')}")
    column.checked = min(total, LIBRARY_SAMPLE)
    if column.identifier == "phone":
        rows = db.rows(f"SELECT {phone_clean_sql('raw')} AS clean, sum(cells) FROM {q(table)} GROUP BY 1 ORDER BY 1")
        column.phones = [(str(clean), int(cells)) for clean, cells in rows]
        # The region vote counts each (record, value) once over all phone columns, as the run does.
        if not profile.plus_cells:
            phones = [p for p, r in source.roles.items() if r == "phone"]
            union = " UNION ALL ".join(
                f"SELECT rec, {_value_expr(source, p)} AS v FROM {q(source.table)}" for p in phones
            )
            for clean, plus in db.rows(
                f"""SELECT {phone_clean_sql("raw")}, count(*) FROM (SELECT DISTINCT rec, trim(v) AS raw FROM ({union}))
                WHERE starts_with(raw, '+') GROUP BY 1"""
            ):
                profile.plus_cells[str(clean)] = int(plus)


def _consent_check(db: Database, source: Source, column: _Column, show_values: bool) -> None:
    assert column.consent is not None
    vocabulary_table(db)
    rows = db.rows(
        f"""SELECT cell AS v, count(*) AS n, min(rec) AS first
        FROM ({cell_statuses(source, column.position, column.consent)})
        WHERE status = 'unknown' AND lower(cell) <> 'unknown'
        GROUP BY 1 ORDER BY first"""
    )
    if not rows:
        return
    cells = sum(int(r[1]) for r in rows)
    words = ", ".join(repr(_shown(column, r[0], show_values)) for r in rows[:SAMPLE_VALUES])
    more = " ..." if len(rows) > SAMPLE_VALUES else ""
    column.problems.append(
        Problem(
            "warning",
            "unreadable_status",
            f"column {column.header!r}: {_of(cells, column.filled)} statuses cannot be read ({words}{more}); "
            "they count as unknown",
            cells,
            _share(cells, column.filled),
        )
    )


def _unmapped_check(db: Database, source: Source, column: _Column) -> None:
    """A column no role was given to whose values look like emails, phones or a person's id."""
    col = f"trim({q(source.column(column.position))})"
    digits = f"length(regexp_replace({col}, '[^0-9]', '', 'g'))"
    emails, phones = db.rows(
        f"""SELECT count(*) FILTER (WHERE regexp_full_match({col}, {lit(_EMAIL_LIKE)})),
            count(*) FILTER (WHERE regexp_full_match({col}, {lit(_PHONE_LIKE)}) AND {digits} BETWEEN 10 AND 15
                             AND (starts_with({col}, '+') OR regexp_matches({col}, '[ ()-]')))
        FROM {q(source.table)} WHERE {col} <> ''"""
    )[0]
    header = column.header
    words = column_names.fold(header).split()
    if emails > MOSTLY * column.filled:
        column.suggested, what = "email", "emails"
    elif phones > MOSTLY * column.filled:
        column.suggested, what = "phone", "phone numbers"
    elif (
        words
        and words[-1] in ("id", "uuid", "guid")
        and not any(w in _NOT_PERSON_IDS for w in words)
        and column.distinct == column.filled > 1
        and column.filled > MOSTLY * source.records
    ):
        column.suggested, what = "system_id", "a unique id per record"
    else:
        return
    suggestion = f"[columns] {_toml_string(header)} = {_toml_string(column.suggested)}"
    column.problems.append(
        Problem(
            "warning",
            "unmapped_identifier",
            f"column {header!r} looks like {what} but is not mapped; if it identifies a person, add {suggestion}",
            suggestion=suggestion,
        )
    )


# --- emails, phones and the screen -------------------------------------------------------------


def _emails(db: Database, column: _Column, gmail_rules: bool) -> str:
    """SQL rows (raw, norm, valid, national, cells) of an email column's sampled values."""
    table = q(f"iv_{column.position}")
    low = "lower(raw)"
    lows = [r[0] for r in db.rows(f"SELECT DISTINCT {low} FROM {table} WHERE NOT {plain_email_sql(low)} ORDER BY 1")]
    pairs = map_distinct("email", lows, gmail_rules)
    name = f"iv_{column.position}_lib"
    db.table_from_arrow(
        name,
        pa.table(
            {
                "low": pa.array(lows, pa.string()),
                "norm": pa.array([p[0] for p in pairs], pa.string()),
                "valid": pa.array([bool(p[1]) for p in pairs], pa.bool_()),
            }
        ),
    )
    return f"""SELECT v.raw, CASE WHEN {plain_email_sql(low)} THEN {gmail_sql(low, gmail_rules)}
                             ELSE coalesce(l.norm, {low}) END AS norm,
               {plain_email_sql(low)} OR coalesce(l.valid, false) AS valid, NULL::VARCHAR AS national, v.cells
        FROM {table} v LEFT JOIN {q(name)} l ON l.low = {low}"""


def _phones(db: Database, column: _Column, parsed: dict[str, tuple[str | None, str | None, str | None]]) -> str:
    table = q(f"iv_{column.position}")
    cleans = [c for c, _ in column.phones]
    name = f"iv_{column.position}_lib"
    db.table_from_arrow(
        name,
        pa.table(
            {
                "clean": pa.array(cleans, pa.string()),
                "norm": pa.array([(parsed.get(c) or (None,))[0] or c or None for c in cleans], pa.string()),
                "valid": pa.array([(parsed.get(c) or (None,))[0] is not None for c in cleans], pa.bool_()),
                "national": pa.array([(parsed.get(c) or (None, None))[1] for c in cleans], pa.string()),
            }
        ),
    )
    return f"""SELECT v.raw, coalesce(p.norm, v.raw) AS norm, coalesce(p.valid, false) AS valid, p.national, v.cells
        FROM {table} v LEFT JOIN {q(name)} p ON p.clean = {phone_clean_sql("v.raw")}"""


def _parse_phones(files: list[_File], region: str | None) -> tuple[dict[str, Any], str | None, bool, bool]:
    """Parse every phone column's sampled values; infer the region as the run does when none is given.

    Numbers written with a country code are parsed first; the most common
    country among cells written with ``+`` is the default region for the
    rest (ties alphabetical). Returns (parsed, region, inferred, sampled).
    """
    cleans = sorted({c for f in files for col in f.columns for c, _ in col.phones})
    plus: Counter[str] = Counter()
    for f in files:
        plus.update(f.plus_cells)
    international = sorted(c for c in {*cleans, *plus} if c.startswith("+"))
    sampled = len(international) > LIBRARY_SAMPLE
    if sampled:
        voters = sorted(plus, key=lambda c: (-plus[c], c))[:LIBRARY_SAMPLE]
        international = sorted({*voters, *(c for c in cleans if c.startswith("+"))})
    parsed = dict(zip(international, map_distinct("phone", international, None), strict=True))
    inferred = False
    if region is None:
        votes: Counter[str] = Counter()
        for clean in international:
            number, _, country = parsed[clean]
            if country and country != "001" and number is not None and plus[clean] > 0:
                votes[country] += plus[clean]
        if votes:
            region = min(votes, key=lambda r: (-votes[r], r))
            inferred = True
    national = [c for c in cleans if not c.startswith("+") and c]
    if region is not None:
        parsed.update(zip(national, map_distinct("phone", national, region), strict=True))
    return parsed, region, inferred, sampled and inferred


def _screen(profile: _File, config: Config, parsed: dict[str, Any], region: str | None) -> None:
    """Run the run's own screen over each identifier column's sampled values."""
    db = profile.db
    parts = []
    for column in profile.columns:
        if column.checked is None:
            continue
        if column.identifier == "email":
            rows = _emails(db, column, config.gmail_rules)
        elif column.identifier == "phone":
            rows = _phones(db, column, parsed)
        else:
            table = q(f"iv_{column.position}")
            rows = f"SELECT raw, raw AS norm, true AS valid, NULL::VARCHAR AS national, cells FROM {table}"
        parts.append(
            f"SELECT NULL::BIGINT AS rec, {lit(column.identifier or '')} AS ident, {column.position} AS col, * "
            f"FROM ({rows})"
        )
    if not parts:
        return
    # screen_values works on the run's ``vals`` table; with no records (rec is NULL) it marks
    # blocked and invalid values only, never over-shared ones.
    db.run("CREATE OR REPLACE TABLE vals AS " + " UNION ALL ".join(parts))
    screen_values(db, config)
    figures = _screen_figures(db)
    for column in profile.columns:
        if column.checked is None:
            continue
        junk, invalid, unplaced, values = figures.get(column.position, (0, 0, 0, 0))
        column.junk = junk
        if column.identifier in ("email", "phone"):
            column.invalid = invalid
        sample = " (in a sample of the column's distinct values)" if column.sampled else ""
        if junk:
            column.problems.append(
                Problem(
                    "warning",
                    "junk_values",
                    f"column {column.header!r}: {_of(junk, values)} values are placeholders or junk{sample}; "
                    "they never link records",
                    junk,
                    _share(junk, values),
                )
            )
        if invalid and column.identifier in ("email", "phone"):
            column.problems.append(
                Problem(
                    "warning",
                    "invalid_values",
                    f"column {column.header!r}: {_of(invalid, values)} values are not valid "
                    f"{column.identifier}s{sample}; they never link records",
                    invalid,
                    _share(invalid, values),
                )
            )
        if unplaced and region is None and column.identifier == "phone":
            column.problems.append(
                Problem(
                    "warning",
                    "no_region",
                    f"column {column.header!r}: {unplaced:,} numbers have no country code and no region was "
                    "given or inferred; pass --region (e.g. UA)",
                    unplaced,
                    _share(unplaced, values),
                )
            )


def _screen_figures(db: Database) -> dict[int, tuple[int, int, int, int]]:
    """col -> (junk, invalid, invalid phones with no country code, values) from the screened ``vals``."""
    rows = db.rows(
        """SELECT col, coalesce(sum(cells) FILTER (WHERE status = 'blocked'), 0),
                  coalesce(sum(cells) FILTER (WHERE status = 'invalid'), 0),
                  coalesce(sum(cells) FILTER (WHERE ident = 'phone' AND status = 'invalid'
                                              AND NOT starts_with(coalesce(written, norm), '+')
                                              AND NOT starts_with(coalesce(written, norm), '00')), 0),
                  sum(cells)
        FROM vals GROUP BY col"""
    )
    return {int(r[0]): (int(r[1]), int(r[2]), int(r[3]), int(r[4])) for r in rows}


# --- the public calls --------------------------------------------------------------------------


def inspect(paths: list[Path], options: InspectOptions) -> Inspection:
    """Profile each input file as ``idmerge run`` would read it; nothing is written.

    A file ``idmerge run`` would refuse for its content (no identifier column,
    malformed rows) is profiled and the reason reported as an ``error``
    problem; a file that cannot be read at all raises :class:`InputError`.

    >>> report = inspect([Path("sample_data/esputnik_export.csv")], InspectOptions())  # doctest: +SKIP
    >>> report.files[0].preset, report.files[0].records  # doctest: +SKIP
    ('esputnik', 40)
    """
    if not paths:
        raise InputError("no input files given; name one or more CSV, Excel, Parquet or zip exports")
    config = load_config(options.config, region=options.region, preset=options.preset)
    load_options = LoadOptions(options.encoding, options.delimiter, skip_bad_rows=True)
    files: list[_File] = []
    databases: list[Database] = []
    try:
        with tempfile.TemporaryDirectory(prefix="idmerge-inspect-") as workdir:
            for number, (path, label) in enumerate(zip(paths, _labels(paths), strict=True)):
                db = Database()
                databases.append(db)
                sources, refused = _load(db, path, config, load_options, Path(workdir) / str(number))
                for source in sources:
                    source.name = label + source.name[len(path.name) :]
                    files.append(_profile_file(db, source, config, options.show_values, refused))
            parsed, region, inferred, sampled = _parse_phones(files, config.region)
            for profile in files:
                _screen(profile, config, parsed, region)
    finally:
        for db in databases:
            db.close()
    return Inspection(
        files=tuple(_finish(f, options.show_values) for f in files),
        config=config,
        region=region,
        region_inferred=inferred,
        region_sampled=sampled,
        masked=not options.show_values,
    )


def _finish(profile: _File, show_values: bool) -> FileProfile:
    source = profile.source
    columns = tuple(
        ColumnProfile(
            position=c.position,
            header=c.header,
            identifier=c.identifier,
            field=c.field,
            consent=c.consent,
            split=c.split,
            ignored=c.ignored,
            filled=c.filled,
            fill_rate=_share(c.filled, source.records),
            distinct=c.distinct,
            samples=tuple(_shown(c, v, show_values) for v in c.samples),
            junk=c.junk,
            invalid=c.invalid,
            checked=c.checked,
            sampled=c.sampled,
            suggested=c.suggested,
            problems=tuple(c.problems),
        )
        for c in profile.columns
    )
    return FileProfile(
        name=source.name,
        path=source.path,
        format=source.format,
        encoding=source.encoding,
        delimiter=source.delimiter,
        sheet=source.sheet,
        preset=source.preset,
        preset_title=profile.preset.title if profile.preset else None,
        layout_sources=profile.preset.layout_sources if profile.preset else (),
        records=source.records,
        rejected=source.rejected,
        columns=columns,
        problems=tuple(profile.problems),
    )


# --- init ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class InitResult:
    path: Path
    text: str
    inspection: Inspection
    #: headers two files map differently (the first file's mapping was kept)
    disagreements: tuple[str, ...]


def init(paths: list[Path], options: InspectOptions, output: Path, *, force: bool = False) -> InitResult:
    """Inspect the files and write ``output``: a commented config with the detected mapping.

    The file is checked with the config loader before it replaces anything, and
    written atomically; an existing file is kept unless ``force``.
    """
    check_output(output, force=force)
    inspection = inspect(paths, replace(options, show_values=False))
    text, disagreements = config_text(inspection, options)
    _write_atomic(output, text)
    return InitResult(output, text, inspection, tuple(disagreements))


def check_output(output: Path, *, force: bool) -> None:
    """Refuse an existing config file (without ``force``) or a missing folder before any work."""
    if output.is_dir():
        raise OutputError(f"{output}: is a folder; name the config file to write, e.g. -o idmerge.toml")
    if output.exists() and not force:
        raise OutputError(f"{output}: already exists; pass --force to replace it, or -o to write another file")
    if not output.parent.is_dir():
        raise OutputError(f"{output.parent}: no such folder; create it or write the config elsewhere with -o")


def _write_atomic(output: Path, text: str) -> None:
    fd, name = tempfile.mkstemp(prefix=f".{output.name}.", suffix=".tmp", dir=output.parent)
    temporary = Path(name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
        load_config(temporary)  # the loader must accept what init writes
        os.replace(temporary, output)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


@dataclass
class _Entry:
    """A header's mapping in the config being written, and where it came from."""

    table: Literal["columns", "consent"]
    value: str
    file: str
    split: str | None


def _consent_value(spec: ConsentColumn) -> str:
    parts = [f"channel = {_toml_string(spec.channel)}", f"read = {_toml_string(spec.read)}"]
    if spec.values:
        words = ", ".join(f"{_toml_string(k)} = {_toml_string(v)}" for k, v in spec.values)
        parts.append(f"values = {{ {words} }}")
    return "{ " + ", ".join(parts) + " }"


def _describe(entry: tuple[str, str] | None) -> str:
    if entry is None:
        return "not mapped"
    table, value = entry
    return f"consent {value}" if table == "consent" else str(json.loads(value))


def config_text(inspection: Inspection, options: InspectOptions) -> tuple[str, list[str]]:
    """The text of an ``idmerge.toml`` that maps the inspected files as detection did.

    Every mapped header is written out; a header two files map differently
    keeps the first file's mapping and gets a comment (returned too). Unmapped
    headers are listed as comments.
    """
    config = inspection.config
    files = inspection.files
    mapped: dict[str, _Entry] = {}
    columns: list[str] = []
    consent: list[str] = []
    split_lines: list[str] = []
    disagreements: list[str] = []
    listed: set[str] = set()
    #: header -> the first file that leaves it unmapped
    unmapped: dict[str, str] = {}

    for profile in files:
        columns.append(f"# {profile.name}")
        for column in profile.columns:
            header = column.header
            key = _toml_string(header)
            mine: tuple[str, str] | None = None
            if column.consent is not None:
                mine = ("consent", _consent_value(column.consent))
            elif column.identifier or column.field:
                mine = ("columns", _toml_string(column.identifier or column.field or ""))
            first = mapped.get(header)
            if first is not None and mine is not None and first.split != column.split:
                note = (
                    f"{header!r}: split on {first.split!r} in {first.file}, "
                    f"split on {column.split!r} in {profile.name}; the first is kept"
                )
                disagreements.append(note)
                split_lines.append(f"# NOTE {note}")
            if first is not None:
                if mine is None or (first.table, first.value) != mine:
                    note = (
                        f"{header!r}: {_describe((first.table, first.value))} in {first.file}, "
                        f"{_describe(mine)} in {profile.name}; the first is kept, for both files"
                    )
                    disagreements.append(note)
                    columns.append(f"# NOTE {note}")
                continue
            if header in unmapped:
                if mine is not None:
                    note = (
                        f"{header!r}: not mapped in {unmapped[header]}, {_describe(mine)} in {profile.name}; "
                        "no line is written, so each file keeps the mapping detected in it"
                    )
                    disagreements.append(note)
                    columns.append(f"# NOTE {note}")
                continue
            if mine is None:
                unmapped.setdefault(header, profile.name)
                if header not in listed and header != OWN_ID_COLUMN:
                    listed.add(header)
                    if column.suggested:
                        columns.append(f"# {key} = {_toml_string(column.suggested)}   # looks like {column.suggested}")
                    else:
                        columns.append(f'# {key} = "ignore"')
                continue
            mapped[header] = _Entry(mine[0], mine[1], profile.name, column.split)  # type: ignore[arg-type]
            listed.add(header)
            if mine[0] == "consent":
                consent.append(f"{key} = {mine[1]}   # {profile.name}")
            else:
                columns.append(f"{key} = {mine[1]}")
            if column.split:
                split_lines.append(f"{key} = {_toml_string(column.split)}   # {profile.name}")
        for column in profile.columns:
            for problem in column.problems:
                if problem.code == "several_values" and problem.suggestion and not column.split:
                    line = problem.suggestion.removeprefix("[split] ")
                    why = problem.message.split(": ", 1)[1].split("; add", 1)[0]
                    split_lines.append(f"# {line}   # suggested by inspect: {why}")

    lines = _header_lines(inspection, options)
    lines += ["", "[columns]    # header -> identifier, updated_at, first_name, last_name or ignore", *columns]
    lines += ["", "[split]      # header -> characters separating several values in one cell", *split_lines]
    lines += ["", "[consent]    # header -> subscription status of a channel", *consent]
    lines += _identifier_lines(inspection)
    if config.check is not None:
        lines += ["", "# The [check] table of the given config is not copied; add it back if you use idmerge check."]
    return "\n".join(lines) + "\n", disagreements


def _header_lines(inspection: Inspection, options: InspectOptions) -> list[str]:
    config = inspection.config
    files = inspection.files
    lines = [
        f"# idmerge.toml written by `idmerge init` (idmerge {__version__}) from {len(files)} "
        f"file{'s' if len(files) != 1 else ''}.",
        "# `idmerge run --config THIS_FILE FILE...` maps these files as `idmerge run FILE...` detects them;",
        "# edit it to change the mapping. Every key is optional; an unknown key is an error.",
        "#",
    ]
    for profile in files:
        if profile.preset:
            lines.append(f"# {profile.name}: preset {profile.preset} ({profile.preset_title}); layout from:")
            lines += [f"#     {source}" for source in profile.layout_sources]
        else:
            lines.append(f"# {profile.name}: no preset; columns recognised by their headers")
        for problem in profile.problems:
            lines.append(f"#   {problem.severity.upper()}: {problem.message}")
    lines.append("")
    if config.region and not inspection.region_inferred:
        lines.append(f"region = {_toml_string(config.region)}")
    elif inspection.region and not inspection.region_sampled:
        lines.append(
            f"region = {_toml_string(inspection.region)}"
            "   # inferred: the most common country among numbers written with +"
        )
    elif inspection.region:
        lines.append(
            f"# region = {_toml_string(inspection.region)}   # the most common country in a sample of numbers "
            "written with +; the run infers it from all of them"
        )
    else:
        lines.append('# region = "UA"   # none could be inferred: no phone number is written with +')
    presets = {f.preset for f in files}
    if config.preset:
        lines.append(f"preset = {_toml_string(config.preset)}")
    elif len(presets) == 1 and None not in presets:
        lines.append(f'# preset = "{files[0].preset}"   # every file was read as this preset; uncomment to force it')
    if config.prefer:
        lines.append(f"prefer = [{', '.join(_toml_string(p) for p in config.prefer)}]")
    lines.append(
        f"{'' if config.over_shared != 20 else '# '}over_shared = {config.over_shared}"
        "   # a value on records of more customers than this is a hub"
    )
    lines.append(f"{'' if not config.gmail_rules else '# '}gmail_rules = {str(config.gmail_rules).lower()}")
    lines.append(f"priority = [{', '.join(_toml_string(n) for n in config.names)}]   # highest first")
    return lines


def _identifier_lines(inspection: Inspection) -> list[str]:
    config = inspection.config
    present = {c.identifier for f in inspection.files for c in f.columns if c.identifier}
    lines: list[str] = []
    for ident in config.identifiers:
        default_kind = DEFAULT_IDENTIFIERS.get(ident.name)
        default_limit = DEFAULT_LIMITS.get(ident.name, DEFAULT_OTHER_LIMIT)
        customised = (
            ident.kind != default_kind or ident.limit != default_limit or ident.blocked or ident.blocked_patterns
        )
        if ident.name not in present and not customised:
            continue
        lines += ["", f"[identifiers.{ident.name}]"]
        lines.append(f"{'' if ident.kind != default_kind else '# '}kind = {_toml_string(ident.kind)}")
        lines.append(f"{'' if ident.limit != default_limit else '# '}limit = {ident.limit}")
        if ident.blocked:
            lines.append(f"blocked = [{', '.join(_toml_string(b) for b in ident.blocked)}]")
        if ident.blocked_patterns:
            lines.append(f"blocked_patterns = [{', '.join(_toml_string(b) for b in ident.blocked_patterns)}]")
    return lines
