"""Ctrl-C stops DuckDB's statements as KeyboardInterrupt (the CLI's exit 130), and an
output stopped half-way leaves no file behind."""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path

import pytest

from matchers.db import Database
from matchers.write import AtomicWriter, write_parts

#: A statement that runs for about a minute on two cores and writes a few rows, so that
#: one not stopped shows in the time taken. (DuckDB notices Ctrl-C during a COPY of rows
#: it streams, as here; in a COPY of a sort or a grouping, only once that is done.)
LONG = "SELECT range AS n FROM range(20000000000) WHERE range % 1000000007 = 0"


def test_ctrl_c_while_an_output_is_written_stops_it_and_leaves_no_file(tmp_path: Path) -> None:
    db = Database()
    out = tmp_path / "out"
    # Ctrl-C, as the terminal sends it, while the second part is written.
    timer = threading.Timer(0.3, os.kill, (os.getpid(), signal.SIGINT))
    timer.start()
    started = time.perf_counter()
    with pytest.raises(KeyboardInterrupt), AtomicWriter(out) as writer:
        write_parts(db, writer, "contacts.csv", ["SELECT 1 AS n", LONG, LONG], "csv")
    timer.join()
    assert time.perf_counter() - started < 15
    assert list(out.iterdir()) == []
    # The connection still works after its statement was stopped.
    assert db.one("SELECT 42") == 42
