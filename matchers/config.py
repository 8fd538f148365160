"""Run settings: defaults from MATCHING.md, overridden by an ``idmerge.toml``.

Example config::

    region = "UA"                 # default phone region
    over_shared = 20              # a value seen with more key values is a hub
    gmail_rules = true            # dots and +tags ignored on gmail.com
    priority = ["external_id", "phone", "email"]   # listed first, in this order
    preset = "mailchimp"          # read every input as this export layout (default: detected)
    prefer = ["crm.csv"]          # these sources' values survive first (default: most recent)

    [columns]                     # header -> identifier, or "ignore"
    "Loyalty card" = "external_id"
    "Backup email" = "email"
    "Notes" = "ignore"

    [split]                       # header -> characters separating several values in a cell
    "Additional emails" = ",;"

    [consent]                     # header -> subscription status of a channel
    "Newsletter" = { channel = "email", read = "optin" }

    [identifiers.email]
    kind = "personal"
    limit = 5
    blocked = ["info@myshop.ua"]
    blocked_patterns = ["^admin@"]
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from matchers.errors import ConfigError
from matchers.identifiers import (
    DEFAULT_IDENTIFIERS,
    DEFAULT_LIMITS,
    DEFAULT_OTHER_LIMIT,
    DEFAULT_OVER_SHARED,
    KINDS,
    UPDATED_AT,
    Kind,
)
from matchers.preset import FIELDS, ConsentColumn, consent_column, get_preset

if TYPE_CHECKING:
    from matchers.check import CheckSettings


@dataclass(frozen=True)
class Identifier:
    """One identifier's rules."""

    name: str
    kind: Kind
    limit: int
    blocked: tuple[str, ...] = ()
    blocked_patterns: tuple[str, ...] = ()


@dataclass(frozen=True)
class Config:
    """Everything that decides a run's result."""

    identifiers: tuple[Identifier, ...] = field(
        default_factory=lambda: tuple(
            Identifier(name, kind, DEFAULT_LIMITS.get(name, DEFAULT_OTHER_LIMIT))
            for name, kind in DEFAULT_IDENTIFIERS.items()
        )
    )
    region: str | None = None
    over_shared: int = DEFAULT_OVER_SHARED
    gmail_rules: bool = True
    columns: dict[str, str] = field(default_factory=dict)
    #: header -> separator characters of several values in one cell
    split: dict[str, str] = field(default_factory=dict)
    #: header -> subscription-status reading
    consent: dict[str, ConsentColumn] = field(default_factory=dict)
    #: export layout forced on every input (None: detected per file)
    preset: str | None = None
    #: sources whose values survive first, most preferred first
    prefer: tuple[str, ...] = ()
    #: Thresholds of ``idmerge check`` from the ``[check]`` table (None: the defaults).
    check: CheckSettings | None = None

    def identifier(self, name: str) -> Identifier:
        for ident in self.identifiers:
            if ident.name == name:
                return ident
        raise KeyError(name)

    @property
    def names(self) -> list[str]:
        """Identifier names, highest priority first."""
        return [i.name for i in self.identifiers]

    @property
    def key(self) -> str | None:
        """The key identifier's name, if any identifier is of kind key."""
        return next((i.name for i in self.identifiers if i.kind == "key"), None)


_TOP_KEYS = {
    "region",
    "over_shared",
    "gmail_rules",
    "priority",
    "columns",
    "split",
    "consent",
    "preset",
    "prefer",
    "identifiers",
    "check",
}
_IDENT_KEYS = {"kind", "limit", "blocked", "blocked_patterns"}


def _fail(path: Path, message: str) -> ConfigError:
    return ConfigError(f"{path}: {message}")


def _unknown(path: Path, where: str, keys: set[str], allowed: set[str]) -> None:
    extra = sorted(keys - allowed)
    if extra:
        raise _fail(
            path,
            f"unknown key {extra[0]!r} in {where}; allowed keys: {', '.join(sorted(allowed))}",
        )


def load_config(
    path: Path | None,
    *,
    region: str | None = None,
    preset: str | None = None,
    prefer: tuple[str, ...] = (),
) -> Config:
    """Read a config file (or take the defaults), then apply ``--region``, ``--preset`` and ``--prefer``."""
    config = Config()
    if path is not None:
        config = _parse(path)
    if region:
        config = replace(config, region=normalise_region(region, "--region"))
    if preset:
        config = replace(config, preset=get_preset(preset).name)
    if prefer:
        config = replace(config, prefer=tuple(prefer))
    return config


def normalise_region(region: str, where: str) -> str:
    """Check a two-letter region code such as ``UA``."""
    import phonenumbers

    code = region.strip().upper()
    if code not in phonenumbers.SUPPORTED_REGIONS:
        raise ConfigError(f"{where}: {region!r} is not a phone region; use a two-letter country code such as UA")
    return code


def _parse(path: Path) -> Config:
    if not path.is_file():
        raise ConfigError(f"{path}: config file not found; check the path given to --config")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise _fail(path, f"not valid TOML ({exc}); fix the file's syntax") from None
    _unknown(path, "the config", set(data), _TOP_KEYS)

    region = data.get("region")
    if region is not None and not isinstance(region, str):
        raise _fail(path, 'region must be a string such as "UA"')
    over_shared = data.get("over_shared", DEFAULT_OVER_SHARED)
    if not isinstance(over_shared, int) or isinstance(over_shared, bool) or over_shared < 1:
        raise _fail(path, "over_shared must be a whole number of at least 1")
    gmail_rules = data.get("gmail_rules", True)
    if not isinstance(gmail_rules, bool):
        raise _fail(path, "gmail_rules must be true or false")

    overrides = data.get("identifiers", {})
    if not isinstance(overrides, dict):
        raise _fail(path, "[identifiers] must be a table of [identifiers.NAME] tables")
    idents: dict[str, Identifier] = {
        name: Identifier(name, kind, DEFAULT_LIMITS.get(name, DEFAULT_OTHER_LIMIT))
        for name, kind in DEFAULT_IDENTIFIERS.items()
    }
    for name, spec in overrides.items():
        if not isinstance(spec, dict):
            raise _fail(path, f"[identifiers.{name}] must be a table")
        _unknown(path, f"[identifiers.{name}]", set(spec), _IDENT_KEYS)
        if not re.fullmatch(r"[a-z][a-z0-9_]*", name) or name == UPDATED_AT:
            raise _fail(path, f"identifier name {name!r} must be lower_snake_case and not {UPDATED_AT}")
        base = idents.get(name)
        kind = spec.get("kind", base.kind if base else None)
        if kind is None:
            raise _fail(path, f"[identifiers.{name}] is a new identifier: give its kind ({', '.join(KINDS)})")
        if kind not in KINDS:
            raise _fail(path, f"[identifiers.{name}] kind {kind!r} is not one of {', '.join(KINDS)}")
        limit = spec.get("limit", base.limit if base else DEFAULT_OTHER_LIMIT)
        if not isinstance(limit, int) or isinstance(limit, bool) or limit < 1:
            raise _fail(path, f"[identifiers.{name}] limit must be a whole number of at least 1")
        blocked = spec.get("blocked", [])
        patterns = spec.get("blocked_patterns", [])
        for key, values in (("blocked", blocked), ("blocked_patterns", patterns)):
            if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
                raise _fail(path, f"[identifiers.{name}] {key} must be a list of strings")
        for pattern in patterns:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise _fail(path, f"[identifiers.{name}] blocked pattern {pattern!r}: {exc}") from None
        idents[name] = Identifier(name, kind, limit, tuple(blocked), tuple(patterns))

    keys = [i.name for i in idents.values() if i.kind == "key"]
    if len(keys) > 1:
        raise _fail(path, f"only one identifier may be of kind key, found {', '.join(keys)}; make the others personal")
    for ident in idents.values():
        if ident.kind == "key" and ident.limit != 1:
            raise _fail(path, f"[identifiers.{ident.name}] is a key: its limit is always 1")

    priority = data.get("priority", [])
    if not isinstance(priority, list) or not all(isinstance(p, str) for p in priority):
        raise _fail(path, "priority must be a list of identifier names")
    for name in priority:
        if name not in idents:
            raise _fail(path, f"priority names unknown identifier {name!r}; known: {', '.join(idents)}")
    order = list(dict.fromkeys(priority)) + [n for n in idents if n not in priority]

    columns = data.get("columns", {})
    if not isinstance(columns, dict) or not all(isinstance(v, str) for v in columns.values()):
        raise _fail(path, "[columns] maps column headers to identifier names (strings)")
    for header, target in columns.items():
        if target not in idents and target not in (UPDATED_AT, "ignore", *FIELDS):
            raise _fail(
                path,
                f"[columns] maps {header!r} to unknown {target!r}; use an identifier, "
                f"{', '.join(FIELDS)}, {UPDATED_AT} or ignore",
            )
    split = data.get("split", {})
    if not isinstance(split, dict) or not all(isinstance(v, str) and v for v in split.values()):
        raise _fail(path, '[split] maps column headers to separator characters, e.g. "Emails" = ",;"')
    consent = data.get("consent", {})
    if not isinstance(consent, dict):
        raise _fail(path, '[consent] maps column headers to tables such as { channel = "email", read = "status" }')
    consent_columns = {h: consent_column(f"{path}: [consent] {h!r}", spec) for h, spec in consent.items()}
    preset = data.get("preset")
    if preset is not None and not isinstance(preset, str):
        raise _fail(path, 'preset must be a preset name such as "mailchimp"')
    if preset is not None:
        try:
            preset = get_preset(preset, "preset").name
        except ConfigError as exc:
            raise _fail(path, str(exc)) from None
    prefer = data.get("prefer", [])
    if not isinstance(prefer, list) or not all(isinstance(p, str) for p in prefer):
        raise _fail(path, 'prefer must be a list of source names, e.g. ["crm.csv"]')

    check = None
    if "check" in data:
        # Imported here: matchers.check builds on the pipeline, which imports this module.
        from matchers.check import parse_check_table

        check = parse_check_table(data["check"], path, list(idents))

    return Config(
        identifiers=tuple(idents[n] for n in order),
        region=normalise_region(region, f"{path}: region") if region else None,
        over_shared=over_shared,
        gmail_rules=gmail_rules,
        columns=dict(columns),
        split=dict(split),
        consent=consent_columns,
        preset=preset,
        prefer=tuple(prefer),
        check=check,
    )


def describe(config: Config) -> dict[str, Any]:
    """The settings as plain data, for report.json."""
    return {
        "region": config.region,
        "over_shared": config.over_shared,
        "gmail_rules": config.gmail_rules,
        "preset": config.preset,
        "prefer": list(config.prefer),
        "identifiers": [
            {"name": i.name, "kind": i.kind, "limit": i.limit, "priority": n + 1}
            for n, i in enumerate(config.identifiers)
        ],
    }
