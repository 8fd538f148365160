#!/usr/bin/env python3
"""What writing idmerge's outputs costs by itself: a lower bound beside the floor.

    python bench/bound.py OUT_DIR [--repeat 3] [--json bound.json]

OUT_DIR is the output folder of an ``idmerge run``. Each of its data outputs
(``contacts``, ``links``, ``findings``, ``membership``; CSV or Parquet, as
written) is read into a DuckDB table of text columns, untimed; then the time
DuckDB takes to write that finished table again, in the same format, unsorted,
is measured (the median of ``--repeat`` writes). No run can write its outputs
faster than that, whatever its linking costs, so the floor plus these seconds
is the least a run can take; the benchmark's ``× floor`` target is read
against it in docs/performance.md.

Prints one line per output and the total; ``--json`` writes the same figures.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from reference import _connect, _q, _reader  # noqa: E402  (the floor's own connection and readers)

OUTPUTS = ("contacts", "links", "findings", "membership")


def measure(out: Path, repeat: int = 3) -> dict:
    """Seconds to write each output found in ``out`` from a finished table (median of ``repeat``)."""
    con = _connect()
    figures: dict[str, dict] = {}
    with tempfile.TemporaryDirectory(prefix="idmerge-bound-") as scratch:
        for name in OUTPUTS:
            found = [p for p in (out / f"{name}.csv", out / f"{name}.parquet") if p.exists()]
            if not found:
                continue
            path = found[0]
            parquet = path.suffix == ".parquet"
            con.execute(f"CREATE OR REPLACE TABLE t AS SELECT * FROM {_reader(path)}")
            rows = con.execute("SELECT count(*) FROM t").fetchall()[0][0]
            target = Path(scratch) / path.name
            # As idmerge writes them: Parquet with zstd, CSV with a header.
            options = "(FORMAT parquet, COMPRESSION zstd)" if parquet else "(HEADER)"
            times = []
            for _ in range(repeat):
                started = time.perf_counter()
                con.execute(f"COPY t TO '{_q(target)}' {options}")
                times.append(time.perf_counter() - started)
            figures[name] = {
                "file": path.name,
                "rows": rows,
                "bytes": path.stat().st_size,
                "write_s": round(statistics.median(times), 3),
            }
            con.execute("DROP TABLE t")
    con.close()
    return {"outputs": figures, "total_s": round(sum(f["write_s"] for f in figures.values()), 3)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out", help="the output folder of an idmerge run")
    ap.add_argument("--repeat", type=int, default=3, help="writes per output; the figure is their median")
    ap.add_argument("--json", help="write the figures to this file")
    args = ap.parse_args(argv)
    out = Path(args.out)
    if not out.is_dir():
        print(f"bound.py: {out} is not a folder; give the --out folder of an idmerge run", file=sys.stderr)
        return 2
    if args.repeat < 1:
        print("bound.py: --repeat must be at least 1", file=sys.stderr)
        return 2
    result = measure(out, args.repeat)
    if not result["outputs"]:
        print(f"bound.py: {out} holds none of {', '.join(OUTPUTS)} (.csv or .parquet)", file=sys.stderr)
        return 2
    for f in result["outputs"].values():
        print(f"{f['file']:<20} {f['rows']:>12,} rows {f['bytes'] / 1e6:>9,.1f} MB {f['write_s']:>8.2f} s")
    print(f"{'total':<20} {result['total_s']:>45.2f} s")
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
