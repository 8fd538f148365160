"""Stage 1: read the input files into DuckDB tables, one per source.

Each source table has ``rec`` (a global record number that sorts files in
command-line order, then rows), ``source``, ``row`` (1-based record number in
the file, header not counted) and one VARCHAR column per input column, named
``c0``, ``c1``... (headers may repeat or be blank; the header text is kept in
:class:`Source`). Encoding and delimiter are detected from the first bytes,
and malformed rows are never dropped silently: they stop the run, or with
``skip_bad_rows`` they are kept aside as rejects with their line verbatim.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import numpy as np
import pyarrow as pa

from matchers import columns as column_names
from matchers.config import Config
from matchers.db import Database, StatementError, lit, q
from matchers.errors import InputError
from matchers.identifiers import UPDATED_AT
from matchers.preset import FIELDS, ConsentColumn, ConsentFile, Preset, detect, get_preset

#: The column idmerge writes first in contacts; read back, it is not an identifier.
OWN_ID_COLUMN = "contact_id"
#: Records of one file are numbered below this; file i starts at i * FILE_STRIDE.
FILE_STRIDE = 1 << 40


def place_sql(files: list[str]) -> str:
    """SQL ``source, "row"`` of ``rec``: its file's name (``files``, by input order) and
    its row in that file, both worked out from the number, which holds them."""
    return f'{source_sql(files)} AS source, rec % {FILE_STRIDE} AS "row"'


def source_sql(files: list[str]) -> str:
    """SQL of the name of ``rec``'s file (``files``, by input order)."""
    names = "[" + ", ".join(lit(f) for f in files) + "]"
    return f"{names}[rec // {FILE_STRIDE} + 1]"


SAMPLE_BYTES = 1 << 16
DELIMITERS = (",", ";", "\t", "|")
CSV_SUFFIXES = {".csv", ".tsv", ".txt"}
PARQUET_SUFFIXES = {".parquet", ".pq"}
EXCEL_SUFFIXES = {".xlsx", ".xlsm", ".xls", ".xlsb", ".ods"}
ZIP_SUFFIXES = {".zip"}
#: Files inside a zip archive that are read (others, such as a readme, are skipped).
READABLE_SUFFIXES = CSV_SUFFIXES | PARQUET_SUFFIXES | EXCEL_SUFFIXES
#: Encodings DuckDB reads itself; anything else is transcoded to UTF-8 first.
NATIVE_ENCODINGS = {"utf-8": "utf-8", "utf-8-sig": "utf-8"}
FALLBACK_ENCODINGS = ("cp1251", "cp1252")


@dataclass
class Source:
    """One input file and what was detected in it."""

    path: Path
    name: str
    index: int
    format: str
    table: str
    headers: list[str]
    #: column position -> identifier name or ``updated_at``
    roles: dict[int, str]
    encoding: str | None = None
    delimiter: str | None = None
    #: lines before the header that are not read (a ``sep=;`` delimiter hint)
    skip: int = 0
    records: int = 0
    rejected: int = 0
    #: the export preset the file was read as (None: generic headers)
    preset: str | None = None
    #: column position -> name field (first_name, last_name)
    fields: dict[int, str] = field(default_factory=dict)
    #: column position -> subscription-status reading
    consent: dict[int, ConsentColumn] = field(default_factory=dict)
    #: column position -> characters separating several values in one cell
    split: dict[int, str] = field(default_factory=dict)
    #: statuses the file name gives every record (Mailchimp's audience zip)
    file_statuses: list[ConsentFile] = field(default_factory=list)
    #: the worksheet read, for Excel files
    sheet: str | None = None
    #: why the file cannot be linked (no identifier column), when loaded without requiring one
    problem: str | None = None

    def map_columns(self, config: Config, options: LoadOptions) -> None:
        """Decide each column's role: the config first, then the preset, then header names.

        A file with no identifier column is refused, unless the options say
        otherwise (``idmerge inspect``): then :attr:`problem` says why.
        """
        delimiter = self.delimiter if self.format == "csv" else None
        mapping = map_columns(self.path, self.name, self.headers, config, delimiter)
        self.preset, self.roles, self.fields, self.consent, self.split, self.file_statuses = mapping
        self.problem = identifier_problem(self.path, self.headers, self.roles, delimiter)
        if self.problem and options.require_identifier:
            raise InputError(self.problem)

    def column(self, position: int) -> str:
        return f"c{position}"


@dataclass(frozen=True)
class LoadOptions:
    encoding: str | None = None
    delimiter: str | None = None
    skip_bad_rows: bool = False
    #: refuse a file with no identifier column (``idmerge inspect`` reads it anyway)
    require_identifier: bool = True


def load_sources(db: Database, paths: list[Path], config: Config, options: LoadOptions, workdir: Path) -> list[Source]:
    """Read every input file; raise :class:`InputError` on the first bad one.

    A zip archive is opened and each CSV, Excel or Parquet file in it is a
    source of its own, named ``archive.zip/member.csv``.
    """
    if not paths:
        raise InputError("no input files given; name one or more CSV, Excel, Parquet or zip exports")
    inputs: list[tuple[Path, str]] = []
    for path, name in zip(paths, _labels(paths), strict=True):
        if path.suffix.lower() in ZIP_SUFFIXES and path.is_file():
            inputs.extend(_expand_zip(path, name, workdir / f"zip_{len(inputs)}"))
        else:
            inputs.append((path, name))
    return [_load_one(db, path, name, index, config, options, workdir) for index, (path, name) in enumerate(inputs)]


def _labels(paths: list[Path]) -> list[str]:
    """Each source is labelled by its file name; the path as given if names repeat."""
    names = [p.name for p in paths]
    if len(set(names)) == len(names):
        return names
    if len({str(p) for p in paths}) != len(paths):
        dup = next(str(p) for p in paths if [str(x) for x in paths].count(str(p)) > 1)
        raise InputError(f"{dup}: the same file is given twice; name each input once")
    return [str(p) for p in paths]


def _expand_zip(path: Path, name: str, folder: Path) -> list[tuple[Path, str]]:
    """Extract the readable files of an archive; (extracted path, source name) in archive order."""
    try:
        with zipfile.ZipFile(path) as archive:
            members = [
                m
                for m in archive.infolist()
                if not m.is_dir()
                and PurePosixPath(m.filename).suffix.lower() in READABLE_SUFFIXES
                and not PurePosixPath(m.filename).name.startswith(".")
                and not m.filename.startswith("__MACOSX/")
            ]
            if not members:
                raise InputError(f"{path}: the zip archive holds no CSV, Excel or Parquet file; check the archive")
            extracted = []
            for number, member in enumerate(members):
                target = folder / str(number) / PurePosixPath(member.filename).name
                target.parent.mkdir(parents=True, exist_ok=True)
                with archive.open(member) as src, target.open("wb") as dst:
                    while chunk := src.read(1 << 22):
                        dst.write(chunk)
                extracted.append((target, f"{name}/{member.filename}"))
            return extracted
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError) as exc:
        raise InputError(f"{path}: not a readable zip archive ({exc}); export it again") from None
    except RuntimeError as exc:  # an encrypted member
        raise InputError(f"{path}: {exc}; extract the archive and pass its files") from None


def _load_one(
    db: Database,
    path: Path,
    name: str,
    index: int,
    config: Config,
    options: LoadOptions,
    workdir: Path,
) -> Source:
    if name != path.name and str(path).startswith(str(workdir)):
        # A file extracted from an archive: errors name it as archive.zip/member.
        try:
            return _read_one(db, path, name, index, config, options, workdir)
        except InputError as exc:
            raise InputError(str(exc).replace(str(path), name)) from None
    return _read_one(db, path, name, index, config, options, workdir)


def _read_one(
    db: Database,
    path: Path,
    name: str,
    index: int,
    config: Config,
    options: LoadOptions,
    workdir: Path,
) -> Source:
    if not path.exists():
        raise InputError(f"{path}: no such file; check the path")
    if path.is_dir():
        raise InputError(f"{path}: is a folder; name the export files inside it")
    try:
        size = path.stat().st_size
        with path.open("rb") as fh:
            head = fh.read(SAMPLE_BYTES)
    except OSError as exc:
        raise InputError(f"{path}: cannot be read ({exc.strerror}); check its permissions") from None
    if size == 0 or not head.strip(b" \t\r\n\x00\xef\xbb\xbf\xff\xfe"):
        raise InputError(f"{path}: the file is empty; export the contacts again")
    suffix = path.suffix.lower()
    table = f"src_{index}"
    if suffix in PARQUET_SUFFIXES or head[:4] == b"PAR1":
        return _load_parquet(db, path, name, index, table, config, options)
    if suffix in EXCEL_SUFFIXES or (head.startswith(b"PK\x03\x04") and b"xl/" in head):
        return _load_excel(db, path, name, index, table, config, options)
    utf16 = head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
    if head.startswith(b"PK\x03\x04"):
        raise InputError(f"{path}: a zip archive without a .zip name; rename it to .zip or extract it")
    if b"\x00" in head[:4096] and not utf16 and not options.encoding:
        raise InputError(f"{path}: a binary file, not CSV, Excel, Parquet or zip; save it as CSV (UTF-8)")
    return _load_csv(db, path, name, index, table, head, config, options, workdir)


def _load_excel(
    db: Database, path: Path, name: str, index: int, table: str, config: Config, options: LoadOptions
) -> Source:
    """The first worksheet of a workbook, every cell read as text (dates as ISO 8601)."""
    import fastexcel

    try:
        reader = fastexcel.read_excel(str(path))
        sheet_name = reader.sheet_names[0]
        sheet = reader.load_sheet(0, dtypes="string")
        data = sheet.to_arrow()
    except Exception as exc:  # fastexcel raises its own error types per failure
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise InputError(f"{path}: not a readable Excel workbook ({first}); open it and save it again") from None
    headers = [str(h).strip() for h in data.schema.names]
    if not any(headers):
        raise InputError(f"{path}: sheet {sheet_name!r} has no column headers in row 1; put the headers in row 1")
    if data.num_rows == 0:
        raise InputError(f"{path}: sheet {sheet_name!r} has a header but no records; export the contacts again")
    source = Source(path, name, index, "excel", table, headers, {}, sheet=sheet_name)
    source.map_columns(config, options)
    columns = {source.column(i): data.column(i).cast(pa.string()) for i in range(len(headers))}
    db.table_from_arrow(table + "_raw", pa.table(columns))
    _number_rows(db, table, index, name)
    source.records = data.num_rows
    return source


def _number_rows(db: Database, table: str, index: int, name: str) -> None:
    """``table``: a view of ``<table>_raw``'s rows, each with its ``rec`` (file and
    row number), ``source`` and ``row`` (from 1).

    The number is the row's position in the table (``rowid``): DuckDB stores rows
    in the order they were read, so the file is read on every thread, where
    ``row_number() OVER ()`` would number it on one, and nothing is copied (at
    4.5M records, 2.2 s against 4.5 s for the larger file).
    """
    db.run(
        f"""CREATE OR REPLACE VIEW {q(table)} AS
        SELECT {index * FILE_STRIDE} + rowid + 1 AS rec, {lit(name)} AS source, rowid + 1 AS "row", *
        FROM {q(table + "_raw")}"""
    )


def keep_columns(db: Database, source: Source, positions: list[int]) -> None:
    """Keep of a loaded file only ``rec`` and the columns at ``positions``: the rest
    of its rows' memory goes to the later stages. (A file read whole stays a view
    of its rows, whose ``source`` and ``row`` are worked out, not stored.)

    The other columns are dropped where they are stored, which frees their memory
    at once and copies nothing. (A copy of the kept columns took 0.26 s at 4.5M
    records and held them twice at one of the run's highest points of memory.)
    """
    keep = {source.column(p) for p in positions}
    view = db.is_view(source.table)
    stored = source.table + "_raw" if view else source.table
    if view and not keep:
        # A table keeps at least one column: the records' numbers alone are kept.
        db.run(f"CREATE OR REPLACE TABLE {q(source.table + '_kept')} AS SELECT rec FROM {q(source.table)}")
        drop_source(db, source)
        db.run(f"ALTER TABLE {q(source.table + '_kept')} RENAME TO {q(source.table)}")
        return
    for column in db.columns(stored):
        if column not in keep and column != "rec":
            db.run(f"ALTER TABLE {q(stored)} DROP COLUMN {q(column)}")
    if view:
        # The view's columns are bound when it is made: made again with the columns left.
        _number_rows(db, source.table, source.index, source.name)


def drop_source(db: Database, source: Source) -> None:
    """Free a loaded file's rows (its view and the table behind it, or its table)."""
    if db.is_view(source.table):
        db.run(f"DROP VIEW {q(source.table)}")
    db.run(f"DROP TABLE IF EXISTS {q(source.table)}")
    db.run(f"DROP TABLE IF EXISTS {q(source.table + '_raw')}")


def _load_parquet(
    db: Database, path: Path, name: str, index: int, table: str, config: Config, options: LoadOptions
) -> Source:
    try:
        described = db.rows("DESCRIBE SELECT * FROM read_parquet(?)", [str(path)])
    except StatementError:
        raise InputError(f"{path}: not a readable Parquet file; export it again") from None
    headers = [row[0] for row in described]
    source = Source(path, name, index, "parquet", table, headers, {})
    source.map_columns(config, options)
    select = ", ".join(f"CAST({q(h)} AS VARCHAR) AS {q(source.column(i))}" for i, h in enumerate(headers))
    db.run(f"CREATE OR REPLACE TABLE {q(table + '_raw')} AS SELECT {select} FROM read_parquet(?)", [str(path)])
    _number_rows(db, table, index, name)
    source.records = int(db.one(f"SELECT count(*) FROM {q(table)}"))
    if source.records == 0:
        raise InputError(f"{path}: the file has no records; export the contacts again")
    return source


def _detect_encoding(path: Path, head: bytes, forced: str | None) -> str:
    if forced:
        try:
            return codecs.lookup(forced).name
        except LookupError:
            raise InputError(
                f"--encoding {forced!r} is not an encoding Python knows; try utf-8, cp1251 or cp1252"
            ) from None
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
        return "utf-8"
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(head, cp_isolation=list(FALLBACK_ENCODINGS)).best()
    return codecs.lookup(best.encoding).name if best else "cp1252"


def _transcode(path: Path, encoding: str, target: Path) -> None:
    """Rewrite a file as UTF-8 in large chunks (never row by row)."""
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    offset = 0
    try:
        with path.open("rb") as src, target.open("w", encoding="utf-8", newline="") as dst:
            while chunk := src.read(1 << 22):
                dst.write(decoder.decode(chunk))
                offset += len(chunk)
            dst.write(decoder.decode(b"", final=True))
    except UnicodeDecodeError as exc:
        raise InputError(
            f"{path}: byte {offset + exc.start + 1} cannot be read as {encoding}; "
            "pass the file's real encoding with --encoding"
        ) from None


#: A CSV file's first record: up to the first line break outside quotes (a quoted
#: header may hold a line break; a quote left open takes the rest of the text).
_FIRST_RECORD = re.compile(r'(?:[^"\r\n]|"[^"]*"?)*')


def _header_line(text: str) -> str:
    """The header record of a CSV file's first bytes, decoded, for telling its delimiter:
    its first line, or more where a quoted header holds a line break."""
    match = _FIRST_RECORD.match(text.lstrip("\ufeff"))
    return match.group() if match and text.strip() else ""


#: The first line Excel reads (and some exports write) to learn a file's delimiter: ``sep=;``.
_SEPARATOR_HINT = re.compile(r"\ufeff?sep=([^\r\n])(?:\r\n|\r|\n|$)", re.IGNORECASE)


def _separator_hint(sample: str) -> tuple[str | None, int, str]:
    """(the delimiter it names, 1 line to skip, the text after it) of a file whose first line
    is a delimiter hint such as ``sep=;``; (None, 0, the text) for any other file."""
    match = _SEPARATOR_HINT.match(sample)
    return (match.group(1), 1, sample[match.end() :]) if match else (None, 0, sample)


def _header_fields(path: Path, sample: str, delimiter: str, line: int = 1) -> list[str]:
    """The header record's fields as the csv module reads them: a field that starts with
    a quote may hold line breaks and delimiters; a quote inside a field is a character.

    A quote that opens a header field and never closes would take the records for
    the header (and show their values in messages): that is refused, naming the line.
    """
    text = sample.lstrip("\ufeff")
    try:
        return next(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True), [])
    except csv.Error:
        pass  # read as before, leniently (``"ab"c`` is ``abc``), unless a quote is never closed
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    fields = next(reader, [])
    if reader.line_num > 1 and next(reader, None) is None:
        raise InputError(
            f"{path}: line {line}: a quote opened in the header is never closed, so the records would read "
            "as header text; close or remove the quote"
        )
    return fields


def _detect_delimiter(header: str, forced: str | None) -> str:
    if forced:
        return "\t" if forced in ("\\t", "tab", "TAB") else forced
    unquoted = re.sub(r'"[^"]*"', "", header)
    counts = {d: unquoted.count(d) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


def _load_csv(
    db: Database,
    path: Path,
    name: str,
    index: int,
    table: str,
    head: bytes,
    config: Config,
    options: LoadOptions,
    workdir: Path,
) -> Source:
    encoding = _detect_encoding(path, head, options.encoding)
    read_path = path
    native = NATIVE_ENCODINGS.get(encoding)
    if native is None:
        read_path = workdir / f"{table}.utf8.csv"
        _transcode(path, encoding, read_path)
        native = "utf-8"
    sample = head.decode(encoding, errors="ignore")
    # A first line such as "sep=;" (Excel's delimiter hint) names the delimiter and is
    # skipped: the header is the next line. Lines keep their numbers in the file
    # (messages, rejects.csv); a record's row is still its place among the records.
    hinted, skip, sample = _separator_hint(sample)
    header_text = _header_line(sample)
    delimiter = _detect_delimiter(header_text, options.delimiter or hinted)
    if len(delimiter) != 1:
        raise InputError(f"--delimiter {delimiter!r} must be one character such as ',' ';' or tab")
    headers = [h.strip().lstrip("\ufeff") for h in _header_fields(path, sample, delimiter, 1 + skip)]
    if not any(headers):
        what = "the line after the delimiter hint" if skip else "the first line"
        raise InputError(f"{path}: line {1 + skip} has no column headers; {what} must name the columns")
    source = Source(
        path,
        name,
        index,
        "csv",
        table,
        headers,
        {},
        encoding=encoding,
        delimiter=delimiter,
        skip=skip,
    )
    source.map_columns(config, options)
    spec = "{" + ", ".join(f"{lit(source.column(i))}: 'VARCHAR'" for i in range(len(headers))) + "}"
    rejects = f"rejects_{index}"
    try:
        db.run(
            f"""CREATE OR REPLACE TABLE {q(table + "_raw")} AS
            SELECT * FROM read_csv(?, delim = ?, quote = '"', escape = '"', header = true, skip = {skip},
                          auto_detect = false, columns = {spec}, encoding = ?,
                          store_rejects = true, ignore_errors = true,
                          rejects_table = {lit(rejects)}, rejects_scan = {lit(rejects + "_scan")},
                          max_line_size = 16777216)""",
            [str(read_path), delimiter, native],
        )
    except StatementError as exc:
        raise InputError(f"{path}: cannot be read as CSV ({str(exc).splitlines()[0]})") from None
    _locate_rejects(db, rejects, read_path)
    bad = db.rows(f"SELECT physical, error_type, text FROM {q(rejects + '_lines')} ORDER BY line")
    accepted = int(db.one(f"SELECT count(*) FROM {q(table + '_raw')}"))
    if bad:
        if bad[0][1] != "INVALID ENCODING":
            _check_unclosed_quote(db, path, read_path, rejects, accepted + len(bad), skip)
        _check_rejects(path, bad, encoding, len(headers), delimiter, options.skip_bad_rows)
    source.rejected = len(bad)
    source.records = accepted
    if accepted == 0 and not bad:
        raise InputError(f"{path}: the file has a header but no records; export the contacts again")
    if not bad:
        # With no rejects, the n-th record read is record n of the file.
        _number_rows(db, table, index, name)
        return source
    # The reject table's line numbers count records (header = 1, after a skipped
    # hint line), so accepted records take, in order, the record numbers that no
    # reject holds.
    db.run(
        f"""CREATE OR REPLACE TABLE {q(table)} AS
        WITH numbers AS (
            SELECT n AS "row", row_number() OVER (ORDER BY n) AS nth
            FROM range(1, {accepted + len(bad) + 1}) t(n)
            WHERE n NOT IN (SELECT line - 1 - {skip} FROM {q(rejects)})
        )
        SELECT {index * FILE_STRIDE} + numbers."row" AS rec, {lit(name)} AS source,
               numbers."row" AS "row", r.*
        FROM {q(table + "_raw")} r JOIN numbers ON numbers.nth = r.rowid + 1
        ORDER BY rec"""
    )
    db.run(f"DROP TABLE {q(table + '_raw')}")
    return source


def _chunks(path: Path, start: int = 0) -> Iterator[bytes]:
    """A file's bytes from ``start`` to its end, in large chunks (for NumPy to count in)."""
    with path.open("rb") as fh:
        fh.seek(start)
        while chunk := fh.read(1 << 24):
            yield chunk


def _locate_rejects(db: Database, rejects: str, read_path: Path) -> None:
    """``<rejects>_lines``: one row per rejected record, with its physical line.

    DuckDB numbers rejected records (header = 1); a quoted field with a line
    break makes that differ from the line in the file, which is what a user
    opens. The line is counted from the reject's byte offset, over the file in
    large chunks with NumPy.
    """
    rows = db.arrow(
        f"""SELECT line, min(line_byte_position) AS pos, arg_min(error_type::VARCHAR, column_idx) AS error_type,
                   trim(arg_min(csv_line, column_idx), chr(13) || chr(10)) AS text
            FROM {q(rejects)} GROUP BY line ORDER BY line"""
    )
    positions = rows.column("pos").to_numpy(zero_copy_only=False).astype(np.int64)
    newlines_before = np.zeros(len(positions), dtype=np.int64)
    if len(positions):
        offset, last = 0, int(positions.max())
        for chunk in _chunks(read_path):
            if offset > last:
                break
            found = np.flatnonzero(np.frombuffer(chunk, dtype=np.uint8) == 10) + offset
            newlines_before += np.searchsorted(found, positions, side="left")
            offset += len(chunk)
    db.table_from_arrow(rejects + "_lines", rows.append_column("physical", pa.array(newlines_before + 1, pa.int64())))


def _check_unclosed_quote(db: Database, path: Path, read_path: Path, rejects: str, records: int, skip: int) -> None:
    """Refuse a file whose last record is rejected because a quote in it never closes.

    Such a quote makes the rest of the file one value, so DuckDB rejects one
    record where there are many, and --skip-bad-rows would set them all aside
    as one (rejects.csv keeps only the start of its text). Told by an odd
    number of quote characters from that record's start to the end of the file.
    """
    line, pos, physical = db.rows(
        f"SELECT line, pos, physical FROM {q(rejects + '_lines')} ORDER BY line DESC LIMIT 1"
    )[0]
    if line != records + 1 + skip:  # records are numbered after the header (line 1, after `skip` lines)
        return
    quotes = newlines = 0
    ends_with_newline = False
    for chunk in _chunks(read_path, int(pos)):
        data = np.frombuffer(chunk, dtype=np.uint8)
        quotes += int(np.count_nonzero(data == ord('"')))
        newlines += int(np.count_nonzero(data == ord("\n")))
        ends_with_newline = chunk.endswith(b"\n")
    after = newlines - ends_with_newline
    if quotes % 2 and after > 0:
        raise InputError(
            f"{path}: line {physical}: a quote opened in this record is never closed, so the {after} "
            "line(s) after it would read as one value; close or remove the quote"
        )


def _check_rejects(
    path: Path,
    bad: list[tuple[int, str, str]],
    encoding: str,
    width: int,
    delimiter: str,
    skip: bool,
) -> None:
    line, kind, _ = bad[0]
    if kind == "INVALID ENCODING":
        raise InputError(
            f"{path}: line {line} is not valid {encoding}; pass the file's encoding with --encoding (e.g. cp1251)"
        )
    if skip:
        return
    lines = ", ".join(str(b[0]) for b in bad[:5]) + (" ..." if len(bad) > 5 else "")
    what = {"MISSING COLUMNS": "too few fields", "TOO MANY COLUMNS": "too many fields"}.get(kind, kind.lower())
    shown = {"\t": "tab"}.get(delimiter, delimiter)
    raise InputError(
        f"{path}: {len(bad)} malformed record(s) at line(s) {lines} (first: {what}, expected "
        f"{width} fields separated by {shown!r}); fix them, or pass --skip-bad-rows to set "
        "them aside in rejects.csv"
    )


ColumnMap = tuple[
    str | None, dict[int, str], dict[int, str], dict[int, ConsentColumn], dict[int, str], list[ConsentFile]
]


def map_columns(path: Path, name: str, headers: list[str], config: Config, delimiter: str | None) -> ColumnMap:
    """(preset, identifier roles, name fields, consent columns, split columns, file statuses) of a file.

    Each column is looked up in the config's ``[columns]``/``[consent]``/``[split]``
    first, then in the export preset (``--preset``, else the one whose header
    signature matches), then among the header names idmerge knows.
    """
    preset: Preset | None = get_preset(config.preset, "preset") if config.preset else detect(headers)
    known = set(config.names) | {UPDATED_AT}
    roles: dict[int, str] = {}
    fields: dict[int, str] = {}
    consent: dict[int, ConsentColumn] = {}
    split: dict[int, str] = {}
    for position, header in enumerate(headers):
        if header == OWN_ID_COLUMN:
            continue  # idmerge's own id from an earlier run: recomputed, never an identifier
        folded = column_names.fold(header)
        spec = config.consent.get(header)
        if spec is None and preset is not None and header not in config.columns:
            spec = preset.consent.get(folded)
        if spec is not None:
            consent[position] = spec
            continue
        role = config.columns.get(header)
        if role is None and preset is not None:
            role = preset.columns.get(folded)
        if role is None:
            role = column_names.detect(header) or column_names.detect_field(header)
        if role is None:
            detected = column_names.detect_consent(header)
            if detected is not None:
                consent[position] = ConsentColumn(*detected)
            continue
        if role in FIELDS:
            if role not in fields.values():
                fields[position] = role
            continue
        if role == "ignore" or role not in known:
            continue
        if role == UPDATED_AT and UPDATED_AT in roles.values():
            continue
        roles[position] = role
        separators = config.split.get(header) or (preset.split.get(folded) if preset else None)
        if separators:
            split[position] = separators
    statuses = preset.file_statuses(name) if preset else []
    return preset.name if preset else None, roles, fields, consent, split, statuses


def identifier_problem(path: Path, headers: list[str], roles: dict[int, str], delimiter: str | None) -> str | None:
    """Why a file cannot be linked: no identifier column (None when it has one)."""
    if any(role != UPDATED_AT for role in roles.values()):
        return None
    shown = ", ".join(repr(h) for h in headers[:6]) + (" ..." if len(headers) > 6 else "")
    hint = ""
    if delimiter is not None and len(headers) == 1:
        hint = " (only one column: if fields are separated by another character, pass --delimiter)"
    return f'{path}: no identifier column among {shown}{hint}; map one in the config, e.g. [columns] "Mail" = "email"'
