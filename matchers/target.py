"""Contacts in a target ESP's import layout (``idmerge run --to NAME``).

Written into ``<out>/<NAME>/`` beside idmerge's own outputs:

- ``contacts.csv`` (``contacts-1.csv``, ``contacts-2.csv``... when the target's
  file-size or row limit needs several files): one row per contact that has a
  value in at least one of the target's identifier columns, with the target's
  header names, delimiter, encoding and date format, phones in E.164, one value
  per identifier column (the survivor), the channel statuses in the target's
  status columns, then the other data columns under their own names.
- ``unsubscribed.csv`` (split the same way), only for a target with no email
  status column (Mailchimp and Klaviyo set one status for a whole import):
  contacts whose email status is anything but subscribed are left out of
  ``contacts.csv`` and written here, to import as unsubscribed.
- ``extra_values.csv``: every identifier value the main file does not carry
  (other emails and phones, device ids, cookies, source ids, junk and invalid
  values), one row each with the contact it belongs to, so nothing is lost.
  Contacts with no value the target can import by are listed here too.
"""

from __future__ import annotations

import codecs
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from matchers.consent import SENDABLE
from matchers.db import Database, lit, q
from matchers.errors import ConfigError, OutputError
from matchers.identifiers import OTHER_SEPARATOR, OTHER_SUFFIX, UPDATED_AT
from matchers.preset import CHANNELS, FIELDS, ImportLayout, Preset, load_presets
from matchers.survive import CONTACT_ID, status_column

if TYPE_CHECKING:
    from matchers.pipeline import Resolution
    from matchers.write import AtomicWriter

MAIN = "contacts"
RESTRICTED = "unsubscribed"
SIDE_FILE = "extra_values.csv"


def import_layout(name: str) -> Preset:
    """The preset named by ``--to``; it must document an import layout."""
    presets = load_presets()
    targets = [p.name for p in presets.values() if p.import_layout is not None]
    preset = presets.get(name.casefold())
    if preset is None or preset.import_layout is None:
        what = "has no documented import layout" if preset else "is not a known preset"
        raise ConfigError(f"--to {name!r} {what}; targets with one: {', '.join(targets)}")
    return preset


_UNITS = {"": 1, "B": 1, "KB": 1000, "MB": 1000**2, "GB": 1000**3, "KIB": 1024, "MIB": 1024**2, "GIB": 1024**3}


def parse_size(text: str, option: str) -> int:
    """``"50MB"`` -> 50_000_000 (KB/MB/GB are powers of 1000, KiB/MiB/GiB of 1024)."""
    import re

    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([A-Za-z]*)\s*", text)
    unit = match.group(2).upper() if match else ""
    if match is None or unit not in _UNITS or float(match.group(1)) <= 0:
        raise ConfigError(f"{option} {text!r} is not a size; write it like 50MB, 300MB or 1GB")
    return int(float(match.group(1)) * _UNITS[unit])


def write_import(resolution: Resolution, writer: AtomicWriter, split_bytes: int | None) -> None:
    """Write the target's files through ``writer`` (renamed into place with the other outputs)."""
    target = resolution.target
    assert target is not None and target.import_layout is not None
    layout = target.import_layout
    db = resolution.db
    folder = target.name
    writer.replace_folder(folder)
    columns = db.columns("contacts")
    identifiers = [n for n in resolution.config.names if n in columns]
    mapped = dict(layout.columns)
    carried = [i for i in identifiers if i in mapped]
    select = [_column_expr(canonical, header, columns, layout) for canonical, header in layout.columns]
    if layout.extra_values == "column":
        select += [
            f"c.{q(i + OTHER_SUFFIX)} AS {q(mapped[i] + ' (other)')}" for i in carried if i + OTHER_SUFFIX in columns
        ]
    for channel, written in layout.status:
        col = status_column(channel)
        if col in columns:
            sendable = ", ".join(lit(s) for s in SENDABLE)
            select.append(
                f"CASE WHEN c.{q(col)} IS NULL THEN NULL WHEN c.{q(col)} IN ({sendable}) "
                f"THEN {lit(written.subscribed)} ELSE {lit(written.restricted)} END AS {q(written.column)}"
            )
    own = {CONTACT_ID, UPDATED_AT, *FIELDS, *identifiers, *(i + OTHER_SUFFIX for i in identifiers)}
    own |= {status_column(c) for c in CHANNELS}  # written through the target's status columns, or not at all
    taken = {h for h in mapped.values()} | {w.column for _, w in layout.status}
    select += [f"c.{q(c)}" for c in columns if c not in own and c not in taken]
    importable = " OR ".join(f"c.{q(i)} IS NOT NULL" for i in carried) or "false"
    phones = (
        f"LEFT JOIN (SELECT k.{CONTACT_ID}, p.norm FROM primary_phone p JOIN contact k USING (gid)) pn "
        f"USING ({CONTACT_ID})"
        if "phone" in columns
        else ""
    )
    # A channel the target has no status column for cannot say "unsubscribed" in the main
    # file, which the target imports as subscribed: its restricted contacts go to a file of
    # their own, imported with the unsubscribed status (or as a suppression list).
    # Only email is set apart: a phone imported into an email ESP's profile field does not
    # subscribe it to SMS there, and no layout carries push tokens.
    silent = (
        ["email"]
        if "email" in carried and status_column("email") in columns and "email" not in dict(layout.status)
        else []
    )
    sendable = ", ".join(lit(s) for s in SENDABLE)
    restricted = " OR ".join(f"coalesce(c.{q(status_column(c))} NOT IN ({sendable}), false)" for c in silent) or "false"
    base = f"SELECT {', '.join(select)} FROM contacts c {phones} WHERE ({importable})"
    limit = split_bytes if split_bytes is not None else layout.max_bytes
    files = [(MAIN, f"{base} AND NOT ({restricted}) ORDER BY c.{CONTACT_ID}")]
    if silent:
        files.append((RESTRICTED, f"{base} AND ({restricted}) ORDER BY c.{CONTACT_ID}"))
    for stem, query in files:
        whole = writer.scratch(f"{folder}/{stem}.whole.csv")
        db.run(
            f"COPY ({query}) TO {lit(str(whole))} "
            f"(FORMAT csv, HEADER true, DELIMITER {lit(layout.delimiter)}, QUOTE '\"', ESCAPE '\"')"
        )
        encoded = _encode(whole, layout.encoding, writer.scratch(f"{folder}/{stem}.encoded.csv"), target.name)
        prefix = f"{folder}/{stem}"
        _split(encoded, limit, layout.max_rows, lambda suffix: writer.temp(f"{prefix}{suffix}.csv"))  # noqa: B023
    _write_side_file(db, writer.temp(f"{folder}/{SIDE_FILE}"), identifiers, carried, layout)


def _column_expr(canonical: str, header: str, columns: list[str], layout: ImportLayout) -> str:
    if canonical not in columns:
        return f"NULL AS {q(header)}"
    if canonical == UPDATED_AT:
        # contacts writes it as YYYY-MM-DD HH:MM:SS; the target may want another format.
        return f"strftime(c.{q(UPDATED_AT)}::TIMESTAMP, {lit(layout.date_format)}) AS {q(header)}"
    if canonical == "phone":
        # The survivor in E.164: the form it was matched by, whatever the writing.
        return f"coalesce(pn.norm, c.phone) AS {q(header)}"
    return f"c.{q(canonical)} AS {q(header)}"


def _write_side_file(
    db: Database, path: Path, identifiers: list[str], carried: list[str], layout: ImportLayout
) -> None:
    """Every identifier value the main file leaves out, with its contact."""
    mapped = dict(layout.columns)
    key = next((i for i in ("external_id", "email", "phone") if i in carried), None)
    key_expr = f"c.{q(key)}" if key else "NULL"
    key_header = mapped[key] if key else "key"
    importable = " OR ".join(f"c.{q(i)} IS NOT NULL" for i in carried) or "false"
    parts = []
    for ident in identifiers:
        if ident not in carried:
            parts.append(
                f"SELECT c.{CONTACT_ID}, {key_expr} AS k, {lit(ident)} AS identifier, c.{q(ident)} AS value, "
                f"'not in the layout' AS reason FROM contacts c WHERE c.{q(ident)} IS NOT NULL"
            )
        if ident not in carried or layout.extra_values != "column":
            parts.append(
                f"SELECT c.{CONTACT_ID}, {key_expr}, {lit(ident)}, unnest(string_split(c.{q(ident + OTHER_SUFFIX)}, "
                f"{lit(OTHER_SEPARATOR)})), 'other value' FROM contacts c WHERE c.{q(ident + OTHER_SUFFIX)} IS NOT NULL"
            )
    if carried:
        parts.append(
            f"SELECT c.{CONTACT_ID}, NULL, NULL, NULL, 'no value the target imports by' FROM contacts c "
            f"WHERE NOT ({importable})"
        )
    union = " UNION ALL ".join(parts) or "SELECT NULL, NULL, NULL, NULL, NULL WHERE false"
    db.run(
        f"""COPY (SELECT * FROM ({union}) t({CONTACT_ID}, {q(key_header)}, identifier, value, reason)
        ORDER BY {CONTACT_ID}, identifier NULLS FIRST, value)
        TO {lit(str(path))} (FORMAT csv, HEADER true, DELIMITER ',')"""
    )


def _encode(path: Path, encoding: str, target: Path, name: str) -> Path:
    """The file in the target's encoding (DuckDB writes UTF-8)."""
    if encoding == "utf-8":
        return path
    encoder = codecs.getincrementalencoder(encoding)(errors="strict")
    decoder = codecs.getincrementaldecoder("utf-8")()
    written = 0
    with path.open("rb") as src, target.open("wb") as dst:
        if encoding == "utf-8-sig":
            dst.write(codecs.BOM_UTF8)
            encoder = codecs.getincrementalencoder("utf-8")()
        while chunk := src.read(1 << 22):
            text = decoder.decode(chunk)
            try:
                dst.write(encoder.encode(text))
            except UnicodeEncodeError as exc:
                raise OutputError(
                    f"--to {name}: the character {exc.object[exc.start]!r} (near byte {written + exc.start}) cannot be "
                    f"written in {encoding}, the target's encoding; correct the value or choose another target"
                ) from None
            written += len(chunk)
        dst.write(encoder.encode(decoder.decode(b"", final=True), final=True))
    path.unlink()
    return target


def _split(path: Path, max_bytes: int, max_rows: int, part: Callable[[str], Path]) -> None:
    """Move a CSV file to ``part("")``, or cut it into ``part("-1")``, ``part("-2")``... under the limits.

    Each part has the header and whole records. Record ends are the line breaks
    outside quotes, found over the file in large chunks with NumPy (a quoted
    value may hold a line break).
    """
    size = path.stat().st_size
    ends = _record_ends(path)
    header_end = int(ends[0]) + 1 if len(ends) else size
    rows = len(ends) - 1
    if (not max_bytes or size <= max_bytes) and (not max_rows or rows <= max_rows):
        path.replace(part(""))
        return
    if max_bytes and max_bytes <= header_end:
        raise OutputError(f"--split-size {max_bytes} bytes is smaller than the header line; give a larger size")
    record_ends = ends[1:] + 1  # offset just past each record
    start, first, number = header_end, 0, 1
    with path.open("rb") as src:
        header = src.read(header_end)
        while first < rows:
            last = rows
            if max_bytes:
                last = int(np.searchsorted(record_ends, start + max_bytes - header_end, side="right"))
            if max_rows:
                last = min(last, first + max_rows)
            if last <= first:
                raise OutputError(
                    f"record {first + 1} is larger than the file-size limit of {max_bytes} bytes; "
                    "give a larger --split-size"
                )
            end = int(record_ends[last - 1])
            with part(f"-{number}").open("wb") as dst:
                dst.write(header)
                src.seek(start)
                remaining = end - start
                while remaining:
                    chunk = src.read(min(remaining, 1 << 22))
                    dst.write(chunk)
                    remaining -= len(chunk)
            start, first, number = end, last, number + 1
    path.unlink()


def _record_ends(path: Path) -> np.ndarray:
    """Offsets of the line breaks that end records (outside double quotes)."""
    ends: list[np.ndarray] = []
    offset, quotes = 0, 0
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 24):
            data = np.frombuffer(chunk, dtype=np.uint8)
            quote_at = np.flatnonzero(data == ord('"'))
            newline_at = np.flatnonzero(data == ord("\n"))
            before = np.searchsorted(quote_at, newline_at) + quotes
            ends.append(newline_at[before % 2 == 0] + offset)
            quotes += len(quote_at)
            offset += len(chunk)
    return np.concatenate(ends) if ends else np.zeros(0, dtype=np.int64)
