"""``idmerge check``: a data-quality gate over a resolution, for CI pipelines.

The inputs are resolved exactly as by ``idmerge run`` (nothing is written),
then each *check* compares one figure of the result with its thresholds:

===========================  =====================================================  ==================
check                        figure                                                 default
===========================  =====================================================  ==================
``duplicate_rate``           records that merge into another contact / records      error above 0
``duplicates``               records that merge into another contact                off
``invalid_email_rate``       records with an invalid email / records with an email  warning above 0
``invalid_phone_rate``       records with an invalid phone / records with a phone   warning above 0
``junk_values``              distinct blocked (placeholder or junk) values          warning above 0
``conflicts``                distinct values shared by contacts kept apart          warning above 0
``moved_devices``            device or anonymous values moved to a newer owner      warning above 0
``over_shared_values``       values carried by records of too many customers        warning above 0
``required_column:NAME``     input files with no column for identifier NAME         when asked
``fill_rate:NAME``           records with a NAME value that is not junk / records   when asked
===========================  =====================================================  ==================

A check has a warning threshold, an error threshold, both or neither (then it
is only measured: status ``skip``). Its status is ``fail`` past the error
threshold, else ``warn`` past the warning one, else ``pass``. With a baseline
(the JSON of an earlier check), a check that is no worse than its baseline
figure passes: only regressions fail.

Everything printed or written shows identifier values masked
(``j***@example.com``, ``+38067*****67``) unless asked otherwise, because CI
logs are widely readable. :mod:`matchers.check_formats` writes the JSON,
JUnit XML and GitHub outputs; the CLI renders the terminal table.
"""

from __future__ import annotations

import json
import math
import re
import time
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from matchers import __version__
from matchers.config import load_config
from matchers.errors import ConfigError
from matchers.normalise import PREFIXED_SOURCE_KEY
from matchers.pipeline import Progress, Resolution, RunOptions, no_progress, resolve
from matchers.screen import PLACEHOLDERS

Level = Literal["warn", "error"]
Status = Literal["pass", "warn", "fail", "skip"]
FailOn = Literal["error", "warn"]
Unit = Literal["rate", "count", "files"]
Direction = Literal["max", "min"]

LEVELS: tuple[Level, ...] = ("warn", "error")
FAIL_ON: tuple[FailOn, ...] = ("error", "warn")
#: Offending values or records shown per check.
MAX_EXAMPLES = 5
#: Rows listed per duplicate contact in an example.
MAX_ROWS = 10
REQUIRED = "required_column"
#: How a value is shown: masked, or as it is with --show-values.
Show = Callable[[str | None, str], str]
FILL_RATE = "fill_rate"


# --- the threshold model -----------------------------------------------------------------------


@dataclass(frozen=True)
class Threshold:
    """Where a check starts to warn and to fail; ``None`` is never.

    For a ``max`` check a figure *above* the threshold trips it, for a ``min``
    check a figure *below* it, so ``Threshold(error=0)`` on ``duplicate_rate``
    fails on the first duplicate.
    """

    warn: float | None = None
    error: float | None = None

    @property
    def off(self) -> bool:
        return self.warn is None and self.error is None


@dataclass(frozen=True)
class Metric:
    """One file-wide check: its name, unit and default threshold."""

    name: str
    unit: Unit
    default: Threshold
    meaning: str

    @property
    def key(self) -> str:
        """The key in the config's ``[check]`` table."""
        return f"max_{self.name}"

    @property
    def option(self) -> str:
        """The command-line option."""
        return "--" + self.key.replace("_", "-")


ANY_IS_ERROR = Threshold(error=0)
ANY_IS_WARNING = Threshold(warn=0)

METRICS: tuple[Metric, ...] = (
    Metric("duplicate_rate", "rate", ANY_IS_ERROR, "records that merge into another contact, over all records"),
    Metric("duplicates", "count", Threshold(), "records that merge into another contact"),
    Metric("invalid_email_rate", "rate", ANY_IS_WARNING, "records with an invalid email, over records with an email"),
    Metric("invalid_phone_rate", "rate", ANY_IS_WARNING, "records with an invalid phone, over records with a phone"),
    Metric("junk_values", "count", ANY_IS_WARNING, "distinct placeholder or junk values (blocked)"),
    Metric("conflicts", "count", ANY_IS_WARNING, "distinct values shared by contacts that are kept apart"),
    Metric("moved_devices", "count", ANY_IS_WARNING, "device or anonymous values moved to a newer owner"),
    Metric("over_shared_values", "count", ANY_IS_WARNING, "values carried by records of too many customers"),
)
METRIC_BY_NAME = {m.name: m for m in METRICS}
#: Keys of the config's ``[check]`` table.
TABLE_KEYS = {"fail_on", "require_columns", "min_fill_rate", *(m.key for m in METRICS)}


@dataclass(frozen=True)
class CheckSettings:
    """The thresholds in force: defaults, then the config's ``[check]``, then options."""

    thresholds: Mapping[str, Threshold] = field(default_factory=dict)
    required: Mapping[str, Level] = field(default_factory=dict)
    fill_rates: Mapping[str, Threshold] = field(default_factory=dict)
    fail_on: FailOn = "error"

    def threshold(self, metric: Metric) -> Threshold:
        return self.thresholds.get(metric.name, metric.default)


@dataclass(frozen=True)
class CheckOptions:
    """What the command line asks for, as typed; :func:`apply_options` parses it.

    ``thresholds`` maps a metric name to a threshold spec such as ``0.02``,
    ``warn:0.02``, ``warn:0.01,error:0.05`` or ``off``.
    """

    thresholds: Mapping[str, str] = field(default_factory=dict)
    require_columns: tuple[str, ...] = ()
    min_fill_rates: tuple[str, ...] = ()
    fail_on: FailOn | None = None
    baseline: Path | None = None
    show_values: bool = False


def _number(text: str, unit: Unit, where: str) -> float:
    """A rate (0..1, or ``N%``) or a count (a whole number) written in an option or config."""
    raw = text.strip()
    if unit == "rate":
        try:
            value = float(raw[:-1]) / 100 if raw.endswith("%") else float(raw)
        except ValueError:
            value = math.nan
        if not 0 <= value <= 1:
            raise ConfigError(f"{where}: {text!r} is not a rate; give a fraction between 0 and 1 such as 0.02 (or 2%)")
        return value
    if not re.fullmatch(r"[0-9]+", raw):
        raise ConfigError(f"{where}: {text!r} is not a count; give a whole number such as 10")
    return float(int(raw))


def _ordered(threshold: Threshold, direction: Direction, where: str) -> Threshold:
    """Refuse a warning threshold that could never fire before the error one."""
    warn, error = threshold.warn, threshold.error
    if warn is not None and error is not None:
        if direction == "max" and warn > error:
            raise ConfigError(f"{where}: the warning threshold must not be above the error threshold")
        if direction == "min" and warn < error:
            raise ConfigError(f"{where}: the warning threshold must not be below the error threshold")
    return threshold


def parse_threshold(text: str, unit: Unit, where: str, direction: Direction = "max") -> Threshold:
    """A threshold from its written form.

    >>> parse_threshold("0.02", "rate", "--max-duplicate-rate")
    Threshold(warn=None, error=0.02)
    >>> parse_threshold("warn:1%,error:5%", "rate", "--max-invalid-email-rate")
    Threshold(warn=0.01, error=0.05)
    """
    if text.strip().lower() == "off":
        return Threshold()
    levels: dict[str, float] = {}
    for piece in text.split(","):
        level, _, number = piece.strip().rpartition(":")
        level = level.strip().lower() or "error"
        if level not in LEVELS:
            raise ConfigError(
                f"{where}: {piece.strip()!r}: the level must be warn or error, as in warn:{number.strip()}"
            )
        if level in levels:
            raise ConfigError(f"{where}: {level} is given twice; write warn:VALUE,error:VALUE")
        levels[level] = _number(number, unit, where)
    return _ordered(Threshold(levels.get("warn"), levels.get("error")), direction, where)


def _toml_threshold(value: Any, unit: Unit, where: str, direction: Direction) -> Threshold:
    """A threshold from the config: a number (an error threshold), a spec string or ``{warn, error}``."""
    if isinstance(value, str):
        return parse_threshold(value, unit, where, direction)
    if isinstance(value, dict):
        extra = sorted(set(value) - set(LEVELS))
        if extra or not value:
            raise ConfigError(
                f"{where}: a threshold table takes warn and/or error, e.g. {{ warn = 0.01, error = 0.05 }}"
            )
        levels = {level: _toml_number(v, unit, f"{where}.{level}") for level, v in value.items()}
        return _ordered(Threshold(levels.get("warn"), levels.get("error")), direction, where)
    return Threshold(error=_toml_number(value, unit, where))


def _toml_number(value: Any, unit: Unit, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        example = "0.02" if unit == "rate" else "10"
        raise ConfigError(f'{where}: give a number such as {example}, "warn:{example}" or "off"')
    if unit == "count" and isinstance(value, float):
        raise ConfigError(f"{where}: {value} is not a count; give a whole number such as 10")
    return _number(str(value), unit, where)


def _identifier(name: str, known: list[str], where: str) -> str:
    if name not in known:
        raise ConfigError(f"{where}: unknown identifier {name!r}; known: {', '.join(known)}")
    return name


def _level_and_name(text: str, where: str) -> tuple[Level, str]:
    """``warn:phone`` -> (warn, phone); ``email`` -> (error, email)."""
    level, _, name = text.strip().rpartition(":")
    level = level.strip().lower() or "error"
    if level not in LEVELS:
        raise ConfigError(f"{where}: {text!r}: the level must be warn or error, as in warn:{name}")
    return ("warn" if level == "warn" else "error"), name.strip()


def parse_check_table(table: Any, path: Path | str, known: list[str]) -> CheckSettings:
    """The config's ``[check]`` table; every message starts with the config's ``path``.

    Example::

        [check]
        fail_on = "warn"
        max_duplicate_rate = 0.02                           # error above 2%
        max_invalid_email_rate = { warn = 0.01, error = 0.05 }
        max_moved_devices = "off"
        require_columns = ["email"]                         # or { error = [...], warn = [...] }

        [check.min_fill_rate]
        email = 0.9
        phone = { warn = 0.5 }
    """
    where = f"{path}: [check]"
    if not isinstance(table, dict):
        raise ConfigError(f"{where} must be a table of thresholds")
    extra = sorted(set(table) - TABLE_KEYS)
    if extra:
        raise ConfigError(f"{path}: unknown key {extra[0]!r} in [check]; allowed keys: {', '.join(sorted(TABLE_KEYS))}")
    thresholds = {
        m.name: _toml_threshold(table[m.key], m.unit, f"{where} {m.key}", "max") for m in METRICS if m.key in table
    }
    fail_on = table.get("fail_on", "error")
    if fail_on not in FAIL_ON:
        raise ConfigError(f'{where} fail_on must be "error" or "warn"')
    required: dict[str, Level] = {}
    spec = table.get("require_columns", [])
    groups = spec if isinstance(spec, dict) else {"error": spec}
    for level, names in groups.items():
        if level not in LEVELS or not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            raise ConfigError(
                f'{where} require_columns must be a list of identifiers, or {{ error = [...], warn = ["phone"] }}'
            )
        for name in names:
            required[_identifier(name, known, f"{where} require_columns")] = "warn" if level == "warn" else "error"
    rates = table.get("min_fill_rate", {})
    if not isinstance(rates, dict):
        raise ConfigError(f"{where} min_fill_rate must be a table of identifier = rate, as [check.min_fill_rate]")
    fill_rates = {
        _identifier(name, known, f"{where} min_fill_rate"): _toml_threshold(
            value, "rate", f"{where} min_fill_rate.{name}", "min"
        )
        for name, value in rates.items()
    }
    return CheckSettings(thresholds, required, fill_rates, "warn" if fail_on == "warn" else "error")


def apply_options(settings: CheckSettings, options: CheckOptions, known: list[str]) -> CheckSettings:
    """The settings with the command line's thresholds on top (each replaces that check's setting)."""
    thresholds = dict(settings.thresholds)
    for name, text in options.thresholds.items():
        metric = METRIC_BY_NAME[name]
        thresholds[name] = parse_threshold(text, metric.unit, metric.option, "max")
    required = dict(settings.required)
    for text in options.require_columns:
        level, name = _level_and_name(text, "--require-column")
        required[_identifier(name, known, "--require-column")] = level
    fill_rates = dict(settings.fill_rates)
    for text in options.min_fill_rates:
        name, sep, spec = text.partition("=")
        if not sep:
            raise ConfigError(f"--min-fill-rate: {text!r} needs the form IDENTIFIER=RATE, e.g. email=0.9")
        name = _identifier(name.strip(), known, "--min-fill-rate")
        fill_rates[name] = parse_threshold(spec, "rate", f"--min-fill-rate {name}", "min")
    return CheckSettings(thresholds, required, fill_rates, options.fail_on or settings.fail_on)


# --- masking -----------------------------------------------------------------------------------

_NOT_ALNUM = re.compile(r"[\W_]+")


def is_placeholder(value: str) -> bool:
    """True for a value that carries no personal data: ``n/a``, ``null``, ``0000000000``…"""
    low = value.strip().lower()
    alnum = _NOT_ALNUM.sub("", low)
    return low in PLACEHOLDERS or (len(alnum) >= 4 and alnum == alnum[0] * len(alnum))


def printable(text: str, *, escape: bool = False) -> str:
    """Control characters and line breaks replaced, so a value can neither break a line of a
    CI log (and start a workflow command there) nor make the XML invalid. With ``escape``
    each is written as its escape instead (``\\n``, ``\\u2028``), for tables people read."""
    return "".join(
        (c.encode("unicode_escape").decode("ascii") if escape else "\ufffd")
        if unicodedata.category(c) in ("Cc", "Cs", "Zl", "Zp")
        else c
        for c in text
    )


def mask(identifier: str | None, value: str) -> str:
    """A value as it may appear in CI logs.

    >>> mask("email", "jane.doe@example.com"), mask("phone", "+380671234567"), mask("email", "n/a")
    ('j***@example.com', '+38067*****67', 'n/a')
    """
    if identifier is None or is_placeholder(value):
        return value
    if identifier == "email":
        local, at, domain = value.rpartition("@")
        return f"{local[:1]}***@{domain}" if at else _mask_other(value)
    if identifier == "phone":
        # At least five characters hidden, at most eight shown, the end two of them.
        n = len(value)
        keep = max(0, min(8, n - 5))
        tail = min(2, keep // 2)
        return value[: keep - tail] + "*" * (n - keep) + value[n - tail :]
    return _mask_other(value)


def _mask_other(value: str) -> str:
    prefix = re.match(PREFIXED_SOURCE_KEY, value)
    head, rest = (value[: prefix.end()], value[prefix.end() :]) if prefix else ("", value)
    if len(rest) <= 4:
        return head + "***"
    keep = 1 if len(rest) < 8 else 2
    return f"{head}{rest[:keep]}***{rest[-keep:]}"


# --- measuring ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Figure:
    """One measured figure, what it means in words, and a few of the records or values behind it."""

    value: float
    numerator: int | None = None
    denominator: int | None = None
    text: str = ""
    examples: tuple[str, ...] = ()


@dataclass(frozen=True)
class Measurements:
    """Every figure a check can compare, by check name."""

    files: tuple[str, ...]
    records: int
    contacts: int
    identifiers: tuple[str, ...]
    figures: Mapping[str, Figure]
    masked: bool


def percent(rate: float) -> str:
    """``0.30769`` -> ``30.77%``; a non-zero rate never reads as 0%."""
    if 0 < rate < 0.00005:
        return "<0.01%"
    return f"{rate * 100:.2f}".rstrip("0").rstrip(".") + "%"


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}" if n == 1 else f"{n:,} {word}s"


def measure(resolution: Resolution, *, show_values: bool = False, examples: bool = True) -> Measurements:
    """Every figure of :data:`METRICS`, and column presence and fill rate of every identifier.

    ``examples=False`` skips the queries that only feed the printed examples
    (``run`` keeps the figures in report.json and prints no examples).
    """
    db, summary, config = resolution.db, resolution.summary, resolution.config
    show: Show = (lambda ident, value: value) if show_values else mask
    records, contacts = summary.records, summary.contacts
    duplicates = records - contacts
    groups = _duplicate_examples(resolution) if examples else ()
    figures: dict[str, Figure] = {
        "duplicate_rate": Figure(
            duplicates / records if records else 0.0,
            duplicates,
            records,
            f"{duplicates:,} of {_plural(records, 'record')} ({percent(duplicates / records if records else 0)}) "
            "merge into another contact",
            groups,
        ),
        "duplicates": Figure(
            float(duplicates), text=f"{duplicates:,} records merge into another contact", examples=groups
        ),
    }

    shown = _finding_examples(resolution, show) if examples else {}
    # fill: per identifier and file, records with an invalid value and with any (made by summarise).
    rows = db.rows(
        "SELECT ident, sum(invalid), sum(records) FROM fill WHERE ident IN ('email', 'phone') GROUP BY ident"
    )
    invalid = {ident: (int(bad), int(n)) for ident, bad, n in rows}
    for ident in ("email", "phone"):
        bad, n = invalid.get(ident, (0, 0))
        text = (
            f"{bad:,} of {_plural(n, 'record')} with {'an email' if ident == 'email' else 'a phone'} "
            f"({percent(bad / n)}) have an invalid one"
            if n
            else f"no {ident} values"
        )
        if ident == "phone" and summary.phones_without_region:
            text += f"; {summary.phones_without_region:,} phones have no country code: pass --region"
        figures[f"invalid_{ident}_rate"] = Figure(
            bad / n if n else 0.0, bad, n, text, shown.get(("invalid", ident), ())
        )

    by_kind = summary.findings_by_kind
    for name, kind, before, after in (
        ("junk_values", "blocked", "junk or placeholder ", ""),
        ("conflicts", "conflict", "", " shared by contacts kept apart"),
        ("moved_devices", "moved", "device or anonymous ", " moved to a newer owner"),
        ("over_shared_values", "over_shared", "", f" on records of more than {config.over_shared} customers"),
    ):
        count, on = by_kind[kind]["values"], by_kind[kind]["records"]
        text = f"{count:,} {before}{'value' if count == 1 else 'values'}{after}"
        if count:
            text += f" ({_plural(on, 'record')})"
        figures[name] = Figure(float(count), text=text, examples=shown.get((kind, None), ()))

    files = tuple(s.name for s in resolution.sources)
    for ident in config.names:
        missing = tuple(printable(s.name) for s in resolution.sources if ident not in s.roles.values())
        text = (
            f"every file has a column for {ident}"
            if not missing
            else f"no column for {ident} in "
            + (missing[0] if len(files) == 1 else f"{len(missing)} of {len(files)} files")
        )
        figures[f"{REQUIRED}:{ident}"] = Figure(float(len(missing)), len(missing), len(files), text, missing)
    figures.update(_fill_rates(resolution))
    return Measurements(files, records, contacts, tuple(config.names), figures, masked=not show_values)


def _duplicate_examples(resolution: Resolution) -> tuple[str, ...]:
    """The biggest contacts made of several records, as ``file: rows 1, 37; file2: rows 5 (by email)``."""
    rows = resolution.db.rows(
        f"""WITH dup AS (
            SELECT contact_id, count(*) AS n, min(rec) AS first FROM membership
            GROUP BY contact_id HAVING count(*) > 1 ORDER BY n DESC, first LIMIT {MAX_EXAMPLES}
        )
        SELECT d.first, d.n, m.source, count(*) AS in_source,
               list_slice(list(m."row" ORDER BY m.rec), 1, {MAX_ROWS}) AS rows,
               list(DISTINCT m.matched_by) FILTER (WHERE m.matched_by IS NOT NULL) AS linked_by
        FROM dup d JOIN membership m USING (contact_id)
        GROUP BY d.first, d.n, m.source ORDER BY d.n DESC, d.first, min(m.rec)"""
    )
    priority = resolution.config.names
    groups: dict[int, tuple[int, list[str], set[str]]] = {}
    for first, n, source, in_source, listed, linked_by in rows:
        _, parts, by = groups.setdefault(first, (n, [], set()))
        more = f" and {in_source - len(listed):,} more" if in_source > len(listed) else ""
        label = "row" if in_source == 1 else "rows"
        parts.append(f"{printable(source)}: {label} {', '.join(str(r) for r in listed)}{more}")
        by.update(linked_by or ())
    return tuple(
        f"{n:,} records, {'; '.join(parts)} (by {', '.join(sorted(by, key=priority.index))})"
        for n, parts, by in groups.values()
    )


def _finding_examples(resolution: Resolution, show: Show) -> dict[tuple[str, str | None], tuple[str, ...]]:
    """The most widespread findings of each kind (invalid ones per identifier), values masked."""
    rows = resolution.db.rows(
        f"""SELECT kind, identifier, value, records, contact_count FROM findings
        WHERE kind IN ('invalid', 'blocked', 'conflict', 'moved', 'over_shared')
        QUALIFY row_number() OVER (
            PARTITION BY kind, CASE WHEN kind = 'invalid' THEN identifier END
            ORDER BY records DESC, identifier, value) <= {MAX_EXAMPLES}
        ORDER BY kind, CASE WHEN kind = 'invalid' THEN identifier END, records DESC, identifier, value"""
    )
    examples: dict[tuple[str, str | None], list[str]] = {}
    for kind, ident, value, records, contact_count in rows:
        shown = printable(show(ident, value))
        on = _plural(int(records), "record")
        if kind in ("conflict", "over_shared"):
            on += f", {_plural(int(contact_count), 'contact')}"
        key = (kind, ident if kind == "invalid" else None)
        text = f"{shown} ({on})" if kind == "invalid" else f"{ident} {shown} ({on})"
        examples.setdefault(key, []).append(text)
    return {k: tuple(v) for k, v in examples.items()}


def _fill_rates(resolution: Resolution) -> dict[str, Figure]:
    """Share of records with a value that is not blank and not junk, per identifier (and per file)."""
    names = {s.index: s.name for s in resolution.sources}
    per_file: dict[str, dict[str, int]] = {}
    # fill (made by summarise): per identifier and file, records with a value that is not blocked.
    for ident, file, filled in resolution.db.rows("SELECT ident, file, filled FROM fill ORDER BY ident, file"):
        counts = per_file.setdefault(ident, {})
        counts[names[file]] = counts.get(names[file], 0) + int(filled)
    sizes = {s.name: s.records for s in resolution.sources}
    records = resolution.summary.records
    figures = {}
    for ident in resolution.config.names:
        counts = per_file.get(ident, {})
        filled = sum(counts.values())
        rate = filled / records if records else 0.0
        examples = (
            tuple(f"{printable(name)}: {percent(counts.get(name, 0) / n)}" for name, n in sizes.items() if n)
            if len(sizes) > 1
            else ()
        )
        figures[f"{FILL_RATE}:{ident}"] = Figure(
            rate, filled, records, f"{ident} filled on {percent(rate)} of records ({filled:,} of {records:,})", examples
        )
    return figures


# --- evaluating --------------------------------------------------------------------------------


@dataclass(frozen=True)
class CheckResult:
    """One check: its threshold, the measured figure and the verdict."""

    name: str
    meaning: str
    unit: Unit
    direction: Direction
    threshold: Threshold
    figure: Figure
    status: Status
    message: str
    baseline: float | None = None

    @property
    def measured(self) -> float:
        return self.figure.value


def _worse(value: float, than: float, direction: Direction) -> bool:
    # Rates are exact quotients of whole numbers and thresholds are typed
    # decimals: a hair of tolerance keeps 2/100 from counting as above 0.02.
    tolerance = 1e-12
    return value > than + tolerance if direction == "max" else value < than - tolerance


def _verdict(value: float, threshold: Threshold, direction: Direction) -> Status:
    if threshold.off:
        return "skip"
    if threshold.error is not None and _worse(value, threshold.error, direction):
        return "fail"
    if threshold.warn is not None and _worse(value, threshold.warn, direction):
        return "warn"
    return "pass"


def format_value(value: float, unit: Unit) -> str:
    return percent(value) if unit == "rate" else f"{int(value):,}"


def format_measured(result: CheckResult) -> str:
    """The measured figure as the table shows it: ``30.77% (20 of 65)``, ``15``, ``missing in 1 of 2 files``."""
    figure = result.figure
    if result.unit == "files":
        return f"missing in {figure.numerator} of {figure.denominator} files" if figure.value else "present"
    if result.unit == "rate" and figure.denominator:
        return f"{percent(figure.value)} ({figure.numerator:,} of {figure.denominator:,})"
    return format_value(figure.value, result.unit)


def describe_threshold(threshold: Threshold, unit: Unit, direction: Direction) -> str:
    """``error if above 0%``, ``warn if below 90%``, ``error if missing``, or ``off``."""
    parts = []
    for level in LEVELS:
        limit = getattr(threshold, level)
        if limit is None:
            continue
        if unit == "files":
            parts.append(f"{level} if missing")
        else:
            parts.append(f"{level} if {'above' if direction == 'max' else 'below'} {format_value(limit, unit)}")
    return ", ".join(parts) or "off"


def evaluate(
    measurements: Measurements, settings: CheckSettings, baseline: Mapping[str, float] | None = None
) -> list[CheckResult]:
    """Compare each figure with its thresholds, and, for a check that trips, with its baseline.

    Checks come in a fixed order: the file-wide metrics, then required columns
    and fill rates in identifier priority order. A tripped check whose figure
    is no worse than the baseline's passes, and says so.
    """
    plan: list[tuple[str, str, Unit, Direction, Threshold]] = [
        (m.name, m.meaning, m.unit, "max", settings.threshold(m)) for m in METRICS
    ]
    for ident in measurements.identifiers:
        if ident in settings.required:
            missing = Threshold(warn=0) if settings.required[ident] == "warn" else Threshold(error=0)
            plan.append((f"{REQUIRED}:{ident}", f"input files with no column for {ident}", "files", "max", missing))
    for ident in measurements.identifiers:
        if ident in settings.fill_rates:
            meaning = f"records with a {ident} value that is not blank or junk, over all records"
            plan.append((f"{FILL_RATE}:{ident}", meaning, "rate", "min", settings.fill_rates[ident]))
    results = []
    for name, meaning, unit, direction, threshold in plan:
        figure = measurements.figures[name]
        status = _verdict(figure.value, threshold, direction)
        message = figure.text
        before = (baseline or {}).get(name)
        if before is not None and status in ("warn", "fail"):
            if _worse(figure.value, before, direction):
                message += f"; worse than the baseline ({format_value(before, unit)})"
            else:
                status = "pass"
                message += f"; no worse than the baseline ({format_value(before, unit)})"
        results.append(CheckResult(name, meaning, unit, direction, threshold, figure, status, message, before))
    return results


# --- the whole check ---------------------------------------------------------------------------


@dataclass(frozen=True)
class CheckReport:
    """The outcome of ``idmerge check``."""

    inputs: tuple[str, ...]
    records: int
    contacts: int
    results: tuple[CheckResult, ...]
    fail_on: FailOn
    masked: bool
    baseline: str | None
    seconds: float
    started_at: str = ""
    version: str = __version__

    def count(self, status: Status) -> int:
        return sum(1 for r in self.results if r.status == status)

    @property
    def failing(self) -> list[CheckResult]:
        """Checks that make the gate fail: errors, and warnings under ``fail_on = "warn"``."""
        trips = ("fail", "warn") if self.fail_on == "warn" else ("fail",)
        return [r for r in self.results if r.status in trips]

    @property
    def passed(self) -> bool:
        return not self.failing

    @property
    def outcome(self) -> Literal["pass", "warn", "fail"]:
        if self.failing:
            return "fail"
        return "warn" if self.count("warn") else "pass"


def load_baseline(path: Path) -> dict[str, float]:
    """The measured figure of every check in the JSON of an earlier ``idmerge check --json``,
    or in the ``report.json`` of an earlier ``idmerge run``."""
    how = f"create one with idmerge check FILE... --json {path}"
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: baseline not found; {how}") from None
    except IsADirectoryError:
        raise ConfigError(f"{path}: is a folder; give --baseline the JSON file of an earlier check") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot be read ({exc.strerror}); check its permissions") from None
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise ConfigError(f"{path}: not a JSON file; give --baseline the JSON of an earlier check ({how})") from None
    if isinstance(data, dict) and data.get("tool") == "idmerge" and "summary" in data and "checks" not in data:
        # report.json of idmerge run: it carries the same figures under "quality".
        quality = data.get("quality")
        if not isinstance(quality, dict) or not all(
            isinstance(v, int | float) and not isinstance(v, bool) for v in quality.values()
        ):
            raise ConfigError(f"{path}: is a report of idmerge run with no check figures (an older version); {how}")
        return {str(name): float(value) for name, value in quality.items()}
    checks = data.get("checks") if isinstance(data, dict) and data.get("command") == "check" else None
    if not isinstance(checks, list):
        raise ConfigError(f"{path}: not the JSON of idmerge check; {how}")
    figures: dict[str, float] = {}
    for item in checks:
        if not isinstance(item, dict) or not isinstance(item.get("name"), str):
            raise ConfigError(f"{path}: a check has no name; {how}")
        value = item.get("measured")
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ConfigError(f"{path}: check {item['name']!r} has no measured figure; {how}")
        figures[item["name"]] = float(value)
    return figures


def check(
    paths: list[Path], run_options: RunOptions, options: CheckOptions, progress: Progress = no_progress
) -> CheckReport:
    """Resolve the inputs as ``run`` does (writing nothing) and evaluate every check.

    Thresholds come from the defaults, then the config's ``[check]`` table,
    then ``options``; bad thresholds and baselines are reported before any
    input is read::

        report = check([Path("contacts.csv")], RunOptions(), CheckOptions(thresholds={"duplicate_rate": "0.02"}))
        print(report.passed, [r.name for r in report.failing])
    """
    started_at = datetime.now(UTC).isoformat(timespec="seconds")
    started = time.perf_counter()
    config = load_config(run_options.config, region=run_options.region)
    settings = apply_options(config.check or CheckSettings(), options, config.names)
    baseline = load_baseline(options.baseline) if options.baseline else None
    # The checks read the contacts, findings and figures, never the merged rows.
    resolution = resolve(paths, run_options, progress, merged_rows=False)
    try:
        measurements = measure(resolution, show_values=options.show_values)
    finally:
        resolution.db.close()
    return CheckReport(
        inputs=tuple(str(p) for p in paths),
        records=measurements.records,
        contacts=measurements.contacts,
        results=tuple(evaluate(measurements, settings, baseline)),
        fail_on=settings.fail_on,
        masked=measurements.masked,
        baseline=str(options.baseline) if options.baseline else None,
        seconds=round(time.perf_counter() - started, 3),
        started_at=started_at,
    )
