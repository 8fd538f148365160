"""The one small layer that knows DuckDB.

Every stage builds SQL text with :func:`q` for identifiers and binds values
(paths included) as parameters, so a file name with an apostrophe cannot break
a query. Keeping the engine's contact with DuckDB here is what lets the same
stages run on another SQL engine later.
"""

from __future__ import annotations

import os
import queue
import re
import sys
import tempfile
import threading
import time
import weakref
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from itertools import pairwise
from typing import Any, TypeVar

import duckdb
import pyarrow as pa

from matchers.errors import DiskFull


def q(name: str) -> str:
    """Quote an SQL identifier, doubling any double quote inside it."""
    return '"' + name.replace('"', '""') + '"'


def lit(value: str) -> str:
    """Quote a string literal, for the few places DuckDB takes no parameter."""
    return "'" + value.replace("'", "''") + "'"


T = TypeVar("T")


def ranges(column: str, cuts: Sequence[str]) -> list[str]:
    """SQL conditions putting ``column`` in each range between ascending ``cuts``
    (SQL literals): below the first, from each to the next, from the last on."""
    if not cuts:
        return ["true"]
    return (
        [f"{column} < {cuts[0]}"]
        + [f"{column} >= {low} AND {column} < {high}" for low, high in pairwise(cuts)]
        + [f"{column} >= {cuts[-1]}"]
    )


#: The error of a statement DuckDB could not run, for the stages that tell it apart
#: (a file DuckDB cannot read, a pipe closed under it): they need not know DuckDB.
StatementError = duckdb.Error

#: How the operating system's "disk full" (ENOSPC) reads in DuckDB's error messages.
NO_SPACE = "No space left on device"

#: Set to a file path to append each statement's seconds, CPU seconds, the process's peak
#: memory so far (MB) and opening words (for profiling; no data).
TRACE_ENV = "IDMERGE_TRACE"
#: How a line of the trace that marks the start of a pipeline stage begins (``# stage load``).
TRACE_MARK = "# "
#: Larger than anything a run writes: no automatic checkpoints.
NO_CHECKPOINT = "1TB"


class Database:
    """An in-process DuckDB connection with the helpers the stages need."""

    def __init__(self, *, memory_limit: str | None = None, temp_dir: str | None = None) -> None:
        self.con = duckdb.connect(":memory:")
        self.con.execute("SET preserve_insertion_order = true")
        self.con.execute("SET enable_progress_bar = false")
        # An in-memory database has nothing to make durable, yet DuckDB checkpoints
        # it whenever a statement has written more than checkpoint_threshold
        # (16 MB): at 1M records a quarter of the run's time (25.4 -> 18.9 s).
        self.con.execute(f"SET checkpoint_threshold = {lit(NO_CHECKPOINT)}")
        threads = os.cpu_count() or 1
        self.con.execute(f"SET threads = {int(threads)}")
        if memory_limit:
            self.con.execute(f"SET memory_limit = {lit(memory_limit)}")
        # Left to itself, DuckDB (2.0) spills an in-memory database into ".tmp" under the
        # current folder: a checkout, perhaps read-only, where nobody looks for gigabytes
        # of spill. It goes to the system's temporary folder unless --temp-dir says
        # otherwise; DuckDB names its files after the process, so runs side by side
        # share the folder safely, and removes them when the database closes.
        self.con.execute(f"SET temp_directory = {lit(temp_dir or tempfile.gettempdir())}")
        self.trace = os.environ.get(TRACE_ENV)
        # One thread runs every statement (see _stoppable): a new one for each statement
        # made a 1M run about 1 s slower, with more system time. It holds the queue, not
        # the Database, so that a Database no one holds is still collected (and its
        # thread then ended).
        self._jobs: queue.SimpleQueue[Callable[[], None] | None] = queue.SimpleQueue()
        threading.Thread(target=_serve, args=(self._jobs,), name="idmerge-duckdb", daemon=True).start()
        self._end_thread = weakref.finalize(self, self._jobs.put, None)

    @contextmanager
    def _timed(self, sql: str) -> Iterator[None]:
        if not self.trace:
            yield
            return
        started, cpu = time.perf_counter(), time.process_time()
        yield
        words = re.sub(r"\s+", " ", sql).strip()[:160]
        peak = _peak_mb()
        self._trace_line(
            f"{time.perf_counter() - started:9.3f}\t{time.process_time() - cpu:9.3f}\t"
            f"{'-' if peak is None else peak:>7}\t{words}"
        )

    def mark(self, text: str) -> None:
        """Write ``# text`` into the trace (when tracing), to tell apart the statements that follow."""
        if self.trace:
            self._trace_line(f"{TRACE_MARK}{text}")

    def _trace_line(self, line: str) -> None:
        assert self.trace
        with open(self.trace, "a", encoding="utf-8") as fh:
            fh.write(line + "\n")

    def _stoppable(self, call: Callable[[], T]) -> T:
        """Run ``call`` (DuckDB work) on the connection's own thread while this one waits,
        so that Ctrl-C stops it at once.

        Left to itself, DuckDB's client (2.0.1) can miss a Ctrl-C until the statement
        ends: a minute-long COPY, interrupted at 0.3 s, went on for its minute in 2 of
        12 tries, and in 0 of 30 this way. Here the waiting thread takes the Ctrl-C, asks
        DuckDB to stop (``interrupt``), and waits for it to do so, so the connection is
        idle and usable again when KeyboardInterrupt is raised.
        """
        taken, stop, done = threading.Event(), threading.Event(), threading.Event()
        outcome: list[Any] = []
        failure: list[BaseException] = []

        def job() -> None:
            taken.set()
            try:
                if not stop.is_set():
                    outcome.append(call())
            except BaseException as exc:  # handed to the waiting thread, raised there
                failure.append(exc)
            finally:
                done.set()

        try:
            self._jobs.put(job)
            # In short waits: where a wait cannot be interrupted (Windows), Ctrl-C is
            # raised between two of them.
            while not done.wait(0.1):
                pass
        except KeyboardInterrupt:
            # A job not yet taken will see ``stop`` and run nothing; one taken may be
            # running, and is waited for: a statement still running when the interpreter
            # exits aborts it. It is asked again until it stops, since a statement that
            # had not begun when first asked would not see the request.
            stop.set()
            while taken.is_set() and not done.is_set():
                self.con.interrupt()
                with suppress(KeyboardInterrupt):
                    done.wait(0.05)
            raise
        if failure:
            raise failure[0]
        return outcome[0]

    def _statement(self, sql: str, call: Callable[[], T]) -> T:
        """Run ``call``, the DuckDB work of statement ``sql``, stoppable and timed, with
        DuckDB's Ctrl-C, out-of-memory and disk-full errors turned into Python's."""
        with self._timed(sql), _python_errors():
            return self._stoppable(call)

    def batches(self, sql: str, rows: int) -> Iterator[pa.RecordBatch]:
        """Execute a query and yield its result as Arrow record batches of at most
        ``rows`` rows, each made as it is asked for: the result is never held whole.

        Reading each batch is DuckDB work, stoppable and with its errors turned as
        for any statement; the trace times the query from its start to its last
        batch. The connection runs nothing else until the batches are all read
        (or the iterator is closed).
        """
        with self._timed(sql), _python_errors():
            reader = self._stoppable(lambda: self.con.sql(sql).to_arrow_reader(rows))
            while (batch := self._stoppable(lambda: next(reader, None))) is not None:
                yield batch

    def run(self, sql: str, params: Sequence[Any] | None = None) -> None:
        """Execute a statement for its effect."""
        self._statement(sql, lambda: self.con.execute(sql, params or []))

    def rows(self, sql: str, params: Sequence[Any] | None = None) -> list[tuple[Any, ...]]:
        """Execute a query and return all its rows."""
        return self._statement(sql, lambda: self.con.execute(sql, params or []).fetchall())

    def one(self, sql: str, params: Sequence[Any] | None = None) -> Any:
        """The first column of the first row of a query (None when empty)."""
        rows = self.rows(sql, params)
        return rows[0][0] if rows else None

    def arrow(self, sql: str, params: Sequence[Any] | None = None) -> pa.Table:
        """Execute a query and return its result as an Arrow table."""
        return self._statement(sql, lambda: self.con.sql(sql, params=list(params) if params else None).to_arrow_table())

    def register(self, name: str, table: pa.Table) -> None:
        """Make an Arrow table queryable as a view (replacing one of that name)."""
        self.con.register(name, table)

    def table_from_arrow(self, name: str, table: pa.Table) -> None:
        """Copy an Arrow table into a DuckDB table."""
        view = f"__arrow_{name}"
        self.con.register(view, table)
        try:
            self.run(f"CREATE OR REPLACE TABLE {q(name)} AS SELECT * FROM {q(view)}")
        finally:
            self.con.unregister(view)

    def is_view(self, name: str) -> bool:
        """Whether ``name`` is a view (not a table)."""
        return bool(self.one("SELECT count(*) FROM duckdb_views() WHERE view_name = ? AND NOT internal", [name]))

    def replace(self, name: str, table: str) -> None:
        """Drop the table or view ``name`` and give ``table`` its name."""
        self.run(f"DROP {'VIEW' if self.is_view(name) else 'TABLE'} {q(name)}")
        self.run(f"ALTER TABLE {q(table)} RENAME TO {q(name)}")

    def cuts(self, table: str, column: str, size: int) -> list[str]:
        """Values of an integer ``column`` that cut the rows of ``table`` into
        ranges of about ``size`` rows each, or fewer (for :func:`ranges`)."""
        parts = max(1, -(-int(self.one(f"SELECT count(*) FROM {q(table)}")) // size))
        if parts == 1:
            return []
        fractions = [k / parts for k in range(1, parts)]
        return [str(int(c)) for c in self.one(f"SELECT quantile_disc({q(column)}, {fractions}) FROM {q(table)}")]

    def columns(self, name: str) -> list[str]:
        """Column names of a table or view."""
        return [row[0] for row in self.rows(f"DESCRIBE {q(name)}")]

    def close(self) -> None:
        self._end_thread()
        self.con.close()


def _peak_mb() -> int | None:
    """The process's peak resident memory so far, in MB, as the system counts it
    (None where it does not say: Windows)."""
    try:
        import resource
    except ImportError:
        return None
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    # Kilobytes on Linux, bytes on macOS.
    return peak // (1 << 20) if sys.platform == "darwin" else peak // 1024


@contextmanager
def _python_errors() -> Iterator[None]:
    """Turn DuckDB's Ctrl-C, out-of-memory and disk-full errors into Python's."""
    try:
        yield
    except duckdb.InterruptException:
        raise KeyboardInterrupt from None
    except duckdb.OutOfMemoryException:
        raise MemoryError from None
    except duckdb.IOException as exc:
        if NO_SPACE not in str(exc):
            raise
        written = re.search(r'file \\?"(.+?)\\?"', str(exc))
        raise DiskFull(written.group(1) if written else None) from None


def _serve(jobs: queue.SimpleQueue[Callable[[], None] | None]) -> None:
    """Run the statements a Database hands over (:meth:`Database._stoppable`), one after
    the other, until it is closed or collected."""
    while (job := jobs.get()) is not None:
        job()
        del job  # its statement's closure holds the Database: not kept while waiting
