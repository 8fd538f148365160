"""Stage 8: write the outputs, atomically.

Every file is first written under a temporary name in the output folder and
renamed into place only when all of them are complete, so a crash or Ctrl-C
leaves either the old files or the new ones, never half a file.
"""

from __future__ import annotations

import json
import os
import queue
import shutil
import threading
from collections.abc import Callable, Iterator
from contextlib import suppress
from pathlib import Path
from typing import Any, BinaryIO, Literal

import pyarrow as pa
import pyarrow.parquet as pq

from matchers.db import Database, StatementError, lit, q, ranges
from matchers.errors import OutputError
from matchers.explain import LINKS, sorted_links
from matchers.load import Source
from matchers.normalise import several_values
from matchers.survive import contacts_parts, drop_contacts

Format = Literal["csv", "parquet"]
OUTPUT_STEMS = ("contacts", "membership", "findings", LINKS)
REPORT = "report.json"
HTML_REPORT = "report.html"
REJECTS = "rejects.csv"


def check_output_dir(out: Path, *, force: bool) -> None:
    """Refuse to write into a folder that has files unless ``force``."""
    if out.exists() and not out.is_dir():
        raise OutputError(f"{out}: exists and is not a folder; choose another --out")
    if out.is_dir() and any(out.iterdir()) and not force:
        raise OutputError(
            f"{out}: output folder exists and is not empty; choose another --out or pass --force to overwrite"
        )


class AtomicWriter:
    """Collects temporary files and renames them into place together."""

    def __init__(self, out: Path) -> None:
        self.out = out
        self.pending: list[tuple[Path, Path]] = []
        self.scratches: list[Path] = []
        self.replaced: list[Path] = []

    def __enter__(self) -> AtomicWriter:
        try:
            self.out.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise OutputError(f"{self.out}: cannot create the output folder ({exc.strerror})") from None
        return self

    def temp(self, name: str) -> Path:
        """A temporary path that becomes ``out/name`` when every output is complete."""
        final = self.out / name
        tmp = final.parent / f".{final.name}.{os.getpid()}.tmp"
        tmp.parent.mkdir(parents=True, exist_ok=True)
        self.pending.append((tmp, final))
        return tmp

    def scratch(self, name: str) -> Path:
        """A working file, removed at the end whatever happens."""
        path = self.out / name
        path = path.parent / f".{path.name}.{os.getpid()}.scratch"
        path.parent.mkdir(parents=True, exist_ok=True)
        self.scratches.append(path)
        return path

    def replace_folder(self, name: str) -> None:
        """Files of an earlier run in ``out/name`` that this run does not write are removed with the rename."""
        self.replaced.append(self.out / name)

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        for path in self.scratches:
            path.unlink(missing_ok=True)
        if exc_type is None:
            for tmp, final in self.pending:
                os.replace(tmp, final)
            finals = {final for _, final in self.pending}
            for folder in self.replaced:
                for stale in folder.iterdir():
                    if stale.is_file() and stale not in finals:
                        stale.unlink()
        else:
            for tmp, _ in self.pending:
                tmp.unlink(missing_ok=True)


def copy_table(db: Database, query: str, path: Path, fmt: Format, *, header: bool = True) -> None:
    """Write a query's rows to CSV (UTF-8, comma, header unless not ``header``) or Parquet (zstd)."""
    options = (
        f"FORMAT csv, HEADER {str(header).lower()}, DELIMITER ','"
        if fmt == "csv"
        else "FORMAT parquet, COMPRESSION zstd"
    )
    db.run(f"COPY ({query}) TO {lit(str(path))} ({options})")


#: How many records' links are sorted and written in one statement, at most.
#: At 4.5M records one sort of every link took 1.26 GB on top of the tables and 6.6 s;
#: four ranges took 0.07 GB and 5.9 s.
RECORDS_PER_LINKS_PART = 1_000_000


def write_links(db: Database, writer: AtomicWriter, sources: list[Source], fmt: Format) -> None:
    """Write ``links`` a range of records at a time (see :func:`write_parts`).

    To Parquet too, streamed (:func:`write_parquet_parts`): at 4.5M records the
    sort of every link in one statement held 1.5-1.7 GB on top of the tables
    (the Parquet run's peak, up to 3.7 GB), a range at a time 0.05 GB, in about
    the same time (5.2-5.7 s against 5.2-5.6 s, in two measurements).
    """
    files = [s.name for s in sources]
    several = any(several_values(s) for s in sources)
    parts = ranges("rec", db.cuts("members", "rec", RECORDS_PER_LINKS_PART))
    queries = [sorted_links(files, records, several=several) for records in parts]
    write_parts(db, writer, f"{LINKS}.{fmt}", queries, fmt, stream=True)


def write_contacts(db: Database, writer: AtomicWriter, fmt: Format) -> None:
    """Write ``contacts`` sorted by contact_id, a range of contact_id at a time
    (survive.contacts_parts; see :func:`write_parts`)."""
    write_parts(db, writer, f"contacts.{fmt}", contacts_parts(), fmt)


def write_parts(
    db: Database, writer: AtomicWriter, name: str, queries: list[str], fmt: Format, *, stream: bool = False
) -> None:
    """Write the rows of ``queries`` one after the other into ``out/name``, so that
    no statement holds the rows of them all.

    CSV: DuckDB writes each query's rows (the first with the header) into a
    named pipe that a thread empties at the end of the file
    (:func:`stream_parts`); where the system or folder has no named pipes,
    into a scratch file appended to it. Parquet: one query's rows DuckDB
    writes; several queries' rows are written through Arrow into one file
    (:func:`write_parquet_parts`, ``stream`` or not), as DuckDB cannot append
    to a Parquet file (one sort of every merged row instead held a second
    copy of them: at 1M records the run's peak rose from 1.2 to 1.7 GB).
    """
    path = writer.temp(name)
    if fmt == "parquet" and len(queries) > 1:
        write_parquet_parts(db, queries, path, stream=stream)
        return
    if len(queries) > 1 and stream_parts(db, queries, path, writer.scratch(f"{name}.pipe")):
        return
    copy_table(db, queries[0], path, fmt)
    for n, query in enumerate(queries[1:], start=1):
        part = writer.scratch(f"{name}.part{n}")
        copy_table(db, query, part, fmt, header=False)
        append_file(part, path)
        part.unlink()


#: Rows in each row group of a Parquet file whose parts are streamed (pyarrow's own
#: most). A group's rows are held in Python until written: 2**20 rows of links are
#: about 0.1 GB.
PARQUET_GROUP_ROWS = 1 << 20


def write_parquet_parts(db: Database, queries: list[str], path: Path, *, stream: bool = False) -> None:
    """Write the rows of ``queries``, one after the other, into the Parquet file ``path`` (zstd).

    Unless ``stream``, each query's rows are read whole as one Arrow table and
    written as its own row groups: for the merged rows, a sixteenth of them at
    a time, the faster way (at 4.5M records their sixteen parts took 4.9 s,
    against 7.4 s streamed). With ``stream``, the rows are written as DuckDB
    makes them (:meth:`Database.batches`), a row group at a time; every row
    group but the last has :data:`PARQUET_GROUP_ROWS` rows, however DuckDB
    hands the rows over and wherever the queries' rows end, so the same rows
    give the same file. ``links`` is streamed: a range of a million records
    is 3.3M rows.

    Arrow encodes and compresses on one thread; the tables are handed to it
    on a thread of its own (:func:`_write_behind`), so that DuckDB makes the
    next while it writes one.
    """
    if not stream:
        _write_behind(path, ((db.arrow(query), None) for query in queries))
        return

    def groups() -> Iterator[tuple[pa.Table, int | None]]:
        held: list[pa.RecordBatch] = []
        count = 0
        schema: pa.Schema | None = None
        for query in queries:
            for batch in db.batches(query, PARQUET_GROUP_ROWS):
                schema = batch.schema
                if not batch.num_rows:
                    continue
                held.append(batch)
                count += batch.num_rows
                if count >= PARQUET_GROUP_ROWS:
                    rows = pa.Table.from_batches(held)
                    yield rows.slice(0, PARQUET_GROUP_ROWS), PARQUET_GROUP_ROWS
                    rest = rows.slice(PARQUET_GROUP_ROWS)
                    held, count = rest.to_batches(), rest.num_rows
        if count:
            yield pa.Table.from_batches(held), PARQUET_GROUP_ROWS
        elif schema is not None:
            # No rows: the file has the columns alone.
            yield schema.empty_table(), NO_ROWS
        else:
            # DuckDB gave no batch at all: the columns are asked for.
            yield db.arrow(f"SELECT * FROM ({queries[0]}) LIMIT 0"), NO_ROWS

    _write_behind(path, groups())


#: The row group size that hands :func:`_write_behind` a table for its columns alone (nothing written).
NO_ROWS = -1


def _write_behind(path: Path, tables: Iterator[tuple[pa.Table, int | None]]) -> None:
    """Write ``tables`` into the Parquet file ``path`` (zstd), in their order, on a thread
    of its own while the next table is made; each comes with its row group size (None:
    Arrow's own; :data:`NO_ROWS`: not written, only its columns count). The file takes
    the first's columns.

    At most one table waits while another is written. If writing fails, the
    making stops at the next table and the error is raised here; if making
    them fails (a statement's error, Ctrl-C), the table being written is
    finished and the error goes on.
    """
    waiting: queue.Queue[tuple[pa.Table, int | None] | None] = queue.Queue(maxsize=1)
    failure: list[BaseException] = []

    def work() -> None:
        target: pq.ParquetWriter | None = None
        try:
            while (item := waiting.get()) is not None:
                if failure:
                    continue  # taken, not written: the maker stops at its next table
                table, group = item
                try:
                    if target is None:
                        target = pq.ParquetWriter(path, table.schema, compression="zstd")
                    if group is None:
                        target.write_table(table)
                    elif group != NO_ROWS:
                        target.write_table(table, row_group_size=group)
                except BaseException as exc:  # raised on the maker's thread, below
                    failure.append(exc)
        finally:
            if target is not None:
                try:
                    target.close()
                except BaseException as exc:
                    failure.append(exc)

    writer = threading.Thread(target=work, name="idmerge-parquet", daemon=True)
    writer.start()
    try:
        while not failure and (item := next(tables, None)) is not None:
            waiting.put(item)
    finally:
        waiting.put(None)
        writer.join()
        # A maker stopped early still holds its query's rows: let them go now.
        close = getattr(tables, "close", None)
        if close is not None:
            close()
    if failure:
        raise failure[0]


def stream_parts(db: Database, queries: list[str], path: Path, pipe: Path) -> bool:
    """Write the rows of ``queries`` to CSV into ``path`` (the first with the header)
    through the named pipe ``pipe``; False, with nothing written, where one cannot be
    made (Windows, or a folder whose file system has none).

    DuckDB cannot append to a file, and a part written to a file of its own must
    then be copied: at 4.5M records the 1.65 GB of contacts' and links' parts took
    1.8 s to copy and remove, on top of writing them. Through a pipe, a thread
    moves what DuckDB writes into the file while it writes (``os.splice``, in the
    kernel, on Linux), and nothing is written twice.
    """
    mkfifo = getattr(os, "mkfifo", None)
    if mkfifo is None:
        return False
    try:
        mkfifo(pipe)
    except OSError:
        return False
    try:
        with path.open("wb") as target:
            for n, query in enumerate(queries):
                _stream_part(db, query, pipe, target, header=n == 0)
    finally:
        pipe.unlink(missing_ok=True)
    return True


def _stream_part(db: Database, query: str, pipe: Path, target: BinaryIO, *, header: bool) -> None:
    """DuckDB writes the rows of ``query`` into ``pipe`` while a thread appends them to ``target``."""
    failed: list[OSError] = []
    drain = threading.Thread(target=_drain, args=(pipe, target, failed), name="idmerge-pipe", daemon=True)
    drain.start()
    try:
        # USE_TMP_FILE false: DuckDB writes into the pipe, not into a file it renames over it.
        db.run(
            f"COPY ({query}) TO {lit(str(pipe))} "
            f"(FORMAT csv, HEADER {str(header).lower()}, DELIMITER ',', USE_TMP_FILE false)"
        )
    except StatementError:
        # The pipe closed under DuckDB because the file could not be written: that error is the one to tell.
        if not failed:
            raise
    finally:
        _end_drain(pipe, drain)
    if failed:
        raise OSError(failed[0].errno, failed[0].strerror, target.name)


def _drain(pipe: Path, target: BinaryIO, failed: list[OSError]) -> None:
    """Append what is written into ``pipe`` to ``target`` until the writer closes it.
    On an error (a full disk) the pipe is closed, so that DuckDB, writing into it, stops too."""
    source = os.open(pipe, os.O_RDONLY)
    try:
        out = target.fileno()
        splice = getattr(os, "splice", None)
        while True:
            moved = splice(source, out, PART_COPY_BUFFER) if splice else _copy_some(source, out)
            if not moved:
                return
    except OSError as exc:
        failed.append(exc)
    finally:
        os.close(source)


def _copy_some(source: int, target: int) -> int:
    """Copy what one read of ``source`` gives to ``target`` (where there is no ``os.splice``)."""
    data = os.read(source, PART_COPY_BUFFER)
    view = memoryview(data)
    while view:
        view = view[os.write(target, view) :]
    return len(data)


def _end_drain(pipe: Path, drain: threading.Thread) -> None:
    """Wait for the thread emptying ``pipe`` to end. Where DuckDB never opened the pipe
    (its statement failed or was stopped first), the thread still waits for a writer:
    opening the pipe to write, and closing it, lets it end."""
    while drain.is_alive():
        # Refused while the thread has not opened the pipe yet, or has closed it.
        with suppress(OSError):
            os.close(os.open(pipe, os.O_WRONLY | os.O_NONBLOCK))
        drain.join(0.01)


def append_file(part: Path, path: Path) -> None:
    """Append the bytes of ``part`` to ``path``: copied by the kernel where it can
    (``os.copy_file_range``, Linux), the rest through a buffer.

    At 4.5M records the parts of contacts and links are 1.4 GB; read and
    written through Python they took 1.85 s of the run.
    """
    with part.open("rb") as source, path.open("r+b") as target:
        start = target.seek(0, os.SEEK_END)
        done = _kernel_copy(source.fileno(), target.fileno(), os.fstat(source.fileno()).st_size, start)
        source.seek(done)
        target.seek(start + done)
        shutil.copyfileobj(source, target, PART_COPY_BUFFER)


def _kernel_copy(source: int, target: int, size: int, start: int) -> int:
    """Copy ``size`` bytes of ``source`` to ``target`` at ``start`` with ``os.copy_file_range``;
    return how many were copied (fewer, down to none, where the system or file system cannot)."""
    copy_range = getattr(os, "copy_file_range", None)
    done = 0
    if copy_range is None:
        return done
    try:
        while done < size:
            copied = copy_range(source, target, size - done, done, start + done)
            if not copied:
                break
            done += copied
    except OSError:
        pass
    return done


#: Bytes read at a time when a part of a file is appended to it without the kernel's copy.
PART_COPY_BUFFER = 1 << 22


def write_outputs(
    db: Database,
    out: Path,
    fmt: Format,
    report: dict[str, Any],
    sources: list[Source],
    html: str | None = None,
    extra: Callable[[AtomicWriter], None] | None = None,
) -> list[Path]:
    """Write contacts, membership, findings, links, report.json, report.html (unless None) and rejects.csv.

    ``extra`` writes more files from ``contacts`` (an import layout); it runs
    right after contacts is written, because the merged rows' tables are dropped
    then, to give their memory to the other files.
    """
    written: list[Path] = []
    with AtomicWriter(out) as writer:
        write_contacts(db, writer, fmt)
        if extra is not None:
            extra(writer)
        drop_contacts(db)
        # membership is made in rec order, and DuckDB keeps insertion order
        # (preserve_insertion_order): no sort needed to write it.
        copy_table(
            db,
            'SELECT source, "row", contact_id, matched_by FROM membership',
            writer.temp(f"membership.{fmt}"),
            fmt,
        )
        copy_table(db, "SELECT * FROM findings", writer.temp(f"findings.{fmt}"), fmt)
        # links is written last: it sorts every identifier value of every record
        # (in ranges of records for CSV), so the tables written already are
        # dropped first (at 4.5M records the run's peak fell by 0.4 GB).
        db.run("DROP TABLE findings")
        write_links(db, writer, sources, fmt)
        rejected = [s for s in sources if s.rejected]
        if rejected:
            parts = " UNION ALL ".join(
                f"SELECT {lit(s.name)} AS source, physical AS line, line - 1 - {s.skip} AS record, "
                f"error_type AS error, text FROM {q('rejects_' + str(s.index) + '_lines')}"
                for s in rejected
            )
            copy_table(
                db,
                f"SELECT * FROM ({parts}) ORDER BY source, line",
                writer.temp(REJECTS),
                "csv",
            )
        report_path = writer.temp(REPORT)
        report_path.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        if html is not None:
            writer.temp(HTML_REPORT).write_text(html, encoding="utf-8")
        written = [final for _, final in writer.pending]
    if html is None:
        # A report.html of an earlier run (--force, --no-html) would describe other data.
        (out / HTML_REPORT).unlink(missing_ok=True)
    return written
