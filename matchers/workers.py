"""Spread the email and phone library calls over the CPU cores.

The libraries are pure Python, so one process does one value at a time. For
large inputs the distinct values are cut into one slice per core, and each
slice is handled by ``python -m matchers.workers`` in a child process, with
Arrow IPC over its pipes. Child processes are started fresh (never forked from
a process that runs DuckDB's threads) and never import the caller's script.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Callable
from typing import Any

import pyarrow as pa

#: Below this many distinct values the library calls run in this process.
PARALLEL_THRESHOLD = 40_000


def _functions() -> dict[str, Callable[[list[str], Any], list[tuple[Any, ...]]]]:
    from matchers.normalise import canonical_emails, parse_phones

    return {"email": canonical_emails, "phone": parse_phones}


def map_distinct(kind: str, values: list[str], arg: Any) -> list[tuple[Any, ...]]:
    """The library results for ``values``, in order; parallel when it pays."""
    func = _functions()[kind]
    workers = min(os.cpu_count() or 1, 8)
    if len(values) < PARALLEL_THRESHOLD or workers < 2:
        return func(values, arg)
    size = -(-len(values) // workers)
    chunks = [values[i : i + size] for i in range(0, len(values), size)]
    results: list[list[tuple[Any, ...]] | None] = [None] * len(chunks)
    errors: list[str] = []

    def work(index: int, chunk: list[str]) -> None:
        sink = pa.BufferOutputStream()
        with pa.ipc.new_stream(sink, pa.schema([("value", pa.string())])) as writer:
            writer.write_table(pa.table({"value": pa.array(chunk, pa.string())}))
        proc = subprocess.run(
            [sys.executable, "-m", "matchers.workers", kind, json.dumps(arg)],
            input=sink.getvalue().to_pybytes(),
            capture_output=True,
            check=False,
        )
        if proc.returncode != 0:
            errors.append(proc.stderr.decode("utf-8", "replace").strip().splitlines()[-1:][0] if proc.stderr else "")
            return
        table = pa.ipc.open_stream(proc.stdout).read_all()
        results[index] = list(zip(*(table.column(i).to_pylist() for i in range(table.num_columns)), strict=True))

    threads = [threading.Thread(target=work, args=(i, c)) for i, c in enumerate(chunks)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors or any(r is None for r in results):
        # A worker could not start (no permission to spawn, odd interpreter):
        # do the work here rather than fail the run.
        return func(values, arg)
    return [item for part in results if part is not None for item in part]


def main() -> None:
    kind, arg = sys.argv[1], json.loads(sys.argv[2])
    values = pa.ipc.open_stream(sys.stdin.buffer.read()).read_all().column("value").to_pylist()
    rows = _functions()[kind](values, arg)
    columns = list(zip(*rows, strict=True)) if rows else []
    table = pa.table({f"c{i}": pa.array(list(col)) for i, col in enumerate(columns)})
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    sys.stdout.buffer.write(sink.getvalue().to_pybytes())


if __name__ == "__main__":
    main()
