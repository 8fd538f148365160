"""Ctrl-C stops DuckDB's statements as KeyboardInterrupt (the CLI's exit 130), and an
output stopped half-way leaves no file behind.

The interrupted write runs in a process of its own: DuckDB's client can miss a
SIGINT (until the statement ends) in a process where an earlier statement was
interrupted, so a test run shared with other tests would be timed by luck.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

#: A statement that runs for about a minute on two cores and writes a few rows, so that
#: one not stopped shows in the time taken. (DuckDB notices Ctrl-C during a COPY of rows
#: it streams, as here; in a COPY of a sort or a grouping, only once that is done.)
LONG = "SELECT range AS n FROM range(20000000000) WHERE range % 1000000007 = 0"

SCRIPT = """
import json, os, signal, sys, threading, time
from pathlib import Path
from matchers.db import Database
from matchers.write import AtomicWriter, write_parts

out, long = Path(sys.argv[1]), sys.argv[2]
signal.signal(signal.SIGINT, signal.default_int_handler)
db = Database()
# Ctrl-C, as the terminal sends it, while the second part is written.
threading.Timer(0.3, os.kill, (os.getpid(), signal.SIGINT)).start()
started = time.perf_counter()
try:
    with AtomicWriter(out) as writer:
        write_parts(db, writer, "contacts.csv", ["SELECT 1 AS n", long, long], "csv")
    stopped_by = None
except BaseException as exc:
    stopped_by = type(exc).__name__
print(json.dumps({
    "stopped_by": stopped_by,
    "seconds": time.perf_counter() - started,
    "left": sorted(p.name for p in out.iterdir()),
    "usable": db.one("SELECT 42"),
}))
"""


def test_ctrl_c_while_an_output_is_written_stops_it_and_leaves_no_file(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(tmp_path / "out"), LONG],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["stopped_by"] == "KeyboardInterrupt"
    assert result["seconds"] < 15
    assert result["left"] == []
    # The connection still works after its statement was stopped.
    assert result["usable"] == 42
