"""Export presets: what each ESP's or CRM's contact export looks like.

A preset is data, one TOML file per service in ``matchers/presets/`` (the
schema is in ``docs/presets.md``), so supporting another ESP means adding a
file. A preset says how to recognise the service's export from its header row,
which column holds which identifier, name field or subscription status, which
cells hold several values, and, where the service documents it, the layout of
its contact import (``idmerge run --to NAME``).
"""

from __future__ import annotations

import fnmatch
import tomllib
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from matchers.columns import fold
from matchers.errors import ConfigError

#: Name fields: not identifiers, but written under these names in every layout.
FIELDS = ("first_name", "last_name")
CHANNELS = ("email", "sms", "push")
READS = ("status", "optout", "optin")
#: Merged statuses, least restrictive first (see matchers/consent.py).
STATUSES = ("subscribed", "pending", "not_subscribed", "unknown", "bounced", "cleaned", "unsubscribed")
ENCODINGS = ("utf-8", "utf-8-sig", "cp1252", "cp1251")


@dataclass(frozen=True)
class ConsentColumn:
    channel: str
    read: str
    values: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class ConsentFile:
    pattern: str
    channel: str
    status: str


@dataclass(frozen=True)
class StatusColumn:
    column: str
    subscribed: str
    restricted: str


@dataclass(frozen=True)
class ImportLayout:
    """A target's documented contact-import format."""

    docs: tuple[str, ...]
    delimiter: str
    encoding: str
    date_format: str
    max_bytes: int
    max_rows: int
    extra_values: str
    #: canonical name -> target header, in output order
    columns: tuple[tuple[str, str], ...]
    #: channel -> how its merged status is written
    status: tuple[tuple[str, StatusColumn], ...] = ()


@dataclass(frozen=True)
class Preset:
    name: str
    title: str
    layout_sources: tuple[str, ...]
    detect_all: tuple[str, ...]
    detect_any: tuple[str, ...]
    min_any: int
    #: folded header -> role
    columns: dict[str, str] = field(hash=False)
    #: folded header -> separators
    split: dict[str, str] = field(hash=False)
    #: folded header -> consent reading
    consent: dict[str, ConsentColumn] = field(hash=False)
    consent_files: tuple[ConsentFile, ...] = ()
    import_layout: ImportLayout | None = None

    def matches(self, headers: list[str]) -> int:
        """How well a header row matches (0: not this preset)."""
        folded = {fold(h) for h in headers}
        if not all(fold(h) in folded for h in self.detect_all):
            return 0
        hits = sum(fold(h) in folded for h in self.detect_any)
        if hits < self.min_any:
            return 0
        return len(self.detect_all) + hits

    def file_statuses(self, filename: str) -> list[ConsentFile]:
        """The statuses a file's name gives every record in it (Mailchimp's audience zip)."""
        name = Path(filename).name.casefold()
        return [c for c in self.consent_files if fnmatch.fnmatchcase(name, c.pattern.casefold())]


_TOP = {"name", "title", "layout_sources", "detect", "columns", "split", "consent", "consent_files", "import"}
_DETECT = {"all", "any", "min_any"}
_IMPORT = {
    "docs",
    "delimiter",
    "encoding",
    "date_format",
    "max_bytes",
    "max_rows",
    "extra_values",
    "columns",
    "status",
}


def _check_keys(where: str, data: dict[str, Any], allowed: set[str]) -> None:
    extra = sorted(set(data) - allowed)
    if extra:
        raise ConfigError(f"{where}: unknown key {extra[0]!r}; allowed: {', '.join(sorted(allowed))}")


def _strings(where: str, value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{where} must be a list of strings")
    return tuple(value)


def _table(where: str, value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ConfigError(f"{where} must be a table")
    return value


def parse_preset(name: str, text: str, known_roles: set[str]) -> Preset:
    """Parse and check one preset file's text."""
    where = f"preset {name}"
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{where}: not valid TOML ({exc})") from None
    _check_keys(where, data, _TOP)
    if data.get("name") != name:
        raise ConfigError(f"{where}: name must be {name!r}, the file's stem")
    detect = _table(f"{where} [detect]", data.get("detect", {}))
    _check_keys(f"{where} [detect]", detect, _DETECT)
    detect_all = _strings(f"{where} detect.all", detect.get("all", []))
    if not detect_all:
        raise ConfigError(f"{where}: detect.all must name at least one header")
    roles = set(known_roles) | set(FIELDS) | {"updated_at", "ignore"}
    columns: dict[str, str] = {}
    for header, role in _table(f"{where} [columns]", data.get("columns", {})).items():
        if role not in roles:
            raise ConfigError(f"{where} [columns]: {header!r} maps to unknown role {role!r}")
        columns[fold(header)] = role
    split: dict[str, str] = {}
    for header, seps in _table(f"{where} [split]", data.get("split", {})).items():
        if not isinstance(seps, str) or not seps:
            raise ConfigError(f"{where} [split]: {header!r} needs the separator characters as a string")
        split[fold(header)] = seps
    consent: dict[str, ConsentColumn] = {}
    for header, spec in _table(f"{where} [consent]", data.get("consent", {})).items():
        consent[fold(header)] = consent_column(f"{where} [consent] {header!r}", spec)
    files = []
    for pattern, spec in _table(f"{where} [consent_files]", data.get("consent_files", {})).items():
        spec = _table(f"{where} [consent_files] {pattern!r}", spec)
        _check_keys(f"{where} [consent_files] {pattern!r}", spec, {"channel", "status"})
        if spec.get("channel") not in CHANNELS or spec.get("status") not in STATUSES:
            raise ConfigError(
                f"{where} [consent_files] {pattern!r}: channel must be one of {CHANNELS}, status one of {STATUSES}"
            )
        files.append(ConsentFile(pattern, spec["channel"], spec["status"]))
    layout = _import_layout(where, data["import"], roles) if "import" in data else None
    return Preset(
        name=name,
        title=str(data.get("title", name)),
        layout_sources=_strings(f"{where} layout_sources", data.get("layout_sources", [])),
        detect_all=detect_all,
        detect_any=_strings(f"{where} detect.any", detect.get("any", [])),
        min_any=int(detect.get("min_any", 0)),
        columns=columns,
        split=split,
        consent=consent,
        consent_files=tuple(files),
        import_layout=layout,
    )


def consent_column(where: str, spec: Any) -> ConsentColumn:
    """A ``{channel, read, values}`` table (presets and the config's ``[consent]``)."""
    spec = _table(where, spec)
    _check_keys(where, spec, {"channel", "read", "values"})
    channel, read = spec.get("channel"), spec.get("read", "status")
    if channel not in CHANNELS:
        raise ConfigError(f"{where}: channel must be one of {', '.join(CHANNELS)}")
    if read not in READS:
        raise ConfigError(f"{where}: read must be one of {', '.join(READS)}")
    values = _table(f"{where} values", spec.get("values", {}))
    for word, status in values.items():
        if status not in STATUSES:
            raise ConfigError(f"{where}: value {word!r} maps to {status!r}; use one of {', '.join(STATUSES)}")
    return ConsentColumn(channel, read, tuple(sorted((str(k).casefold(), v) for k, v in values.items())))


def _import_layout(where: str, spec: Any, roles: set[str]) -> ImportLayout:
    where = f"{where} [import]"
    spec = _table(where, spec)
    _check_keys(where, spec, _IMPORT)
    delimiter = spec.get("delimiter", ",")
    if not isinstance(delimiter, str) or len(delimiter) != 1:
        raise ConfigError(f"{where}: delimiter must be one character")
    encoding = spec.get("encoding", "utf-8")
    if encoding not in ENCODINGS:
        raise ConfigError(f"{where}: encoding must be one of {', '.join(ENCODINGS)}")
    extra = spec.get("extra_values", "side_file")
    if extra not in ("side_file", "column"):
        raise ConfigError(f"{where}: extra_values must be side_file or column")
    columns = _table(f"{where} columns", spec.get("columns", {}))
    for canonical in columns:
        if canonical not in roles or canonical == "ignore":
            raise ConfigError(f"{where} columns: unknown field {canonical!r}")
    if not columns:
        raise ConfigError(f"{where}: columns must name at least one field")
    status = []
    for channel, sc in _table(f"{where} status", spec.get("status", {})).items():
        sc = _table(f"{where} status.{channel}", sc)
        _check_keys(f"{where} status.{channel}", sc, {"column", "subscribed", "restricted"})
        if channel not in CHANNELS or not all(
            isinstance(sc.get(k), str) for k in ("column", "subscribed", "restricted")
        ):
            raise ConfigError(
                f"{where} status.{channel}: needs a channel of {CHANNELS} and column, subscribed, restricted strings"
            )
        status.append((channel, StatusColumn(sc["column"], sc["subscribed"], sc["restricted"])))
    for key in ("max_bytes", "max_rows"):
        if not isinstance(spec.get(key, 0), int) or spec.get(key, 0) < 0:
            raise ConfigError(f"{where}: {key} must be a whole number (0: no limit)")
    return ImportLayout(
        docs=_strings(f"{where} docs", spec.get("docs", [])),
        delimiter=delimiter,
        encoding=encoding,
        date_format=str(spec.get("date_format", "%Y-%m-%d %H:%M:%S")),
        max_bytes=int(spec.get("max_bytes", 0)),
        max_rows=int(spec.get("max_rows", 0)),
        extra_values=extra,
        columns=tuple((str(k), str(v)) for k, v in columns.items()),
        status=tuple(status),
    )


@cache
def load_presets() -> dict[str, Preset]:
    """Every preset shipped in ``matchers/presets/``, by name."""
    from matchers.identifiers import DEFAULT_IDENTIFIERS

    folder = resources.files("matchers") / "presets"
    presets: dict[str, Preset] = {}
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".toml") and not entry.name.startswith("_"):
            name = entry.name[: -len(".toml")]
            presets[name] = parse_preset(name, entry.read_text(encoding="utf-8"), set(DEFAULT_IDENTIFIERS))
    return presets


def get_preset(name: str, option: str = "--preset") -> Preset:
    presets = load_presets()
    if name.casefold() not in presets:
        raise ConfigError(f"{option} {name!r} is not a known preset; known: {', '.join(presets)}")
    return presets[name.casefold()]


def detect(headers: list[str]) -> Preset | None:
    """The preset whose signature matches a header row best (None: no preset matches).

    Two presets that match equally well are ambiguous: neither is taken.
    """
    scored = sorted(((p.matches(headers), p.name) for p in load_presets().values()), reverse=True)
    if not scored or scored[0][0] == 0:
        return None
    if len(scored) > 1 and scored[1][0] == scored[0][0]:
        return None
    return load_presets()[scored[0][1]]
