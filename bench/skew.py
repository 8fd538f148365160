#!/usr/bin/env python3
"""Does a value carried by many records cost more than one carried by a few?

    python bench/skew.py --records 1000000 --carriers 100,1000,10000,100000 --repeat 3 --json skew.json

Issue #6 asks that no stage be superlinear: "a junk value carried by 100k
records costs no more than one carried by 100". This plants one value (a shop's
phone, a shared e-mail, a cookie) on K records of a generated eSputnik export,
for each K of ``--carriers``, and times ``idmerge run`` on each file. Only K
changes: the same data set (bench/generate.py, reused from --data), the same
records' other columns, the same number of records. The carriers are records
with an External ID, chosen by a seeded hash, so the value is carried by more
than ``over_shared`` (20) customers at every K and is reported ``over_shared``:
the rule that keeps such values from linking is what is being timed. Each run's
findings are checked for exactly that row (kind ``over_shared``, K records);
otherwise the run counts as failed, since the benchmark would be timing
something else.

The planted value replaces what the carriers had in that column, so the larger
K, the fewer distinct values of that identifier the file holds (at 1M records
and K = 100,000, one in about nine e-mails or phones of the export): if
anything, that makes large K cheaper, not dearer.

Prints one row per identifier and K: the median wall time, records/s, peak
memory, the link stage's time and the ratio of the wall time to the smallest
K's. --json writes every figure.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path

import duckdb

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import reference  # noqa: E402
import run as bench  # noqa: E402

#: identifier -> (the eSputnik export's column, the value planted, written as idmerge normalises it)
PLANTS = {
    "phone": ("Phone Number", "+380449990011"),
    "email": ("Email", "info@planted-shop.com.ua"),
    "cookie": ("Cookie", "planted-cookie-0001"),
    "device_id": ("Device ID", "planted-device-0001"),
}
SOURCE = "esputnik"
OTHER = "mailchimp"
#: The column every carrier has filled: a customer's key, so the value is over-shared at every K.
KEY_COLUMN = "External ID"


class SkewError(Exception):
    """A request the data cannot meet (the CLI exits 2)."""


def plant(base: Path, out: Path, column: str, value: str, carriers: int, seed: int) -> None:
    """Write ``base`` (the eSputnik export, CSV or Parquet) to ``out`` with ``value`` in
    ``column`` of ``carriers`` records that have an External ID, rows in their order."""
    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    # One thread reads the rows in file order, so that each keeps its number.
    con.execute("SET threads = 1")
    con.execute(f"CREATE TABLE t AS SELECT row_number() OVER () AS n, * FROM {reference._reader(base)}")
    con.execute("RESET threads")
    keyed = con.execute(f"SELECT count(*) FROM t WHERE trim(coalesce(\"{KEY_COLUMN}\", '')) <> ''").fetchall()[0][0]
    if carriers > keyed:
        raise SkewError(
            f"{base.name}: only {keyed:,} records have an {KEY_COLUMN}, fewer than {carriers:,} carriers; "
            "use fewer --carriers or more --records"
        )
    con.execute(
        f"""CREATE TABLE chosen AS SELECT n FROM t WHERE trim(coalesce("{KEY_COLUMN}", '')) <> ''
        ORDER BY hash(n, {int(seed)}), n LIMIT {int(carriers)}"""
    )
    literal = value.replace("'", "''")
    options = "FORMAT parquet" if out.suffix == ".parquet" else "DELIMITER ';', HEADER true"
    out.parent.mkdir(parents=True, exist_ok=True)
    con.execute(
        f"""COPY (SELECT * EXCLUDE (n) REPLACE (
                CASE WHEN n IN (SELECT n FROM chosen) THEN '{literal}' ELSE "{column}" END AS "{column}")
            FROM t ORDER BY n) TO '{reference._q(out)}' ({options})"""
    )
    con.close()


def planted_findings(out: Path, ident: str, value: str) -> list[tuple[str, int]]:
    """The findings of the planted value in an idmerge result folder: (kind, records) rows."""
    findings = next(p for p in (out / "findings.csv", out / "findings.parquet") if p.exists())
    query = f"SELECT kind, records::BIGINT FROM {reference._reader(findings)} WHERE identifier = ? AND value = ?"
    con = duckdb.connect()
    rows = con.execute(query + " ORDER BY kind", [ident, value]).fetchall()
    con.close()
    return [(str(k), int(r)) for k, r in rows]


def bench_identifier(ident: str, carriers: list[int], args, data: Path, work: Path, idmerge: list[str], log) -> list:
    column, value = PLANTS[ident]
    ext = args.format
    folders = {k: work / f"{ident}_{k}" for k in carriers}
    rows = []
    for k, folder in folders.items():
        log(f"  planting {value} on {k:,} records ({column})")
        plant(data / f"{SOURCE}.{ext}", folder / f"{SOURCE}.{ext}", column, value, k, args.seed)
        rows.append({"identifier": ident, "column": column, "value": value, "carriers": k, "runs": []})
    # The files take turns, run after run, so that a slow minute does not fall on one K.
    for rep in range(args.repeat):
        for row in rows:
            folder = folders[row["carriers"]]
            files = [str(folder / f"{SOURCE}.{ext}"), str(data / f"{OTHER}.{ext}")]
            cmd = [*idmerge, "run", *files, "--out", str(folder / "out"), "--force", "--quiet", *args.idmerge_arg]
            m = bench.measure(cmd, folder, f"idmerge.{rep + 1}", args.timeout)
            if m.get("rc") == 0:
                report = json.loads((folder / "out" / "report.json").read_text())
                m["stages"] = report.get("timings_s", {})
                found = planted_findings(folder / "out", ident, value)
                if found != [("over_shared", row["carriers"])]:
                    m["error"] = f"expected one over_shared finding of {row['carriers']} records, found {found}"
            row["runs"].append(m)
            log(f"  {ident} K={row['carriers']:,} run {rep + 1}: {m.get('wall_s', 0):.2f} s {m.get('error', '')}")
    for row in rows:
        _summarise(row, args.records)
        if not args.keep_files:
            (folders[row["carriers"]] / f"{SOURCE}.{ext}").unlink(missing_ok=True)
            shutil.rmtree(folders[row["carriers"]] / "out", ignore_errors=True)
    # Each K against the fewest carriers (no ratios when that run failed).
    base = rows[0].get("wall_s")
    for r in rows:
        r["ratio_to_fewest"] = round(r["wall_s"] / base, 2) if base and r.get("wall_s") else None
    return rows


def _summarise(row: dict, records: int) -> None:
    runs = row["runs"]
    failed = [m for m in runs if m.get("rc") != 0 or m.get("error")]
    if failed:
        row["error"] = failed[0].get("error") or f"rc {failed[0].get('rc')}"
        return
    median = bench._median_run(runs)
    row["wall_s"] = bench._median(runs, "wall_s")
    row["records_per_s"] = round(records / row["wall_s"])
    row["peak_rss_mb"] = bench._median(runs, "peak_rss_mb", 1)
    row["stages"] = median.get("stages", {})
    row["runs"] = [{"wall_s": round(m["wall_s"], 3), "peak_rss_mb": round(m["peak_rss_mb"], 1)} for m in runs]


def _ratio(x: float | None) -> str:
    return "—" if x is None else f"{x:.2f}"


def table(rows: list[dict]) -> str:
    head = "| identifier | carriers | wall | records/s | peak memory | link stage | × fewest |"
    lines = [head, "|---|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        if r.get("error"):
            lines.append(f"| {r['identifier']} | {r['carriers']:,} | FAILED: {r['error']} | | | | |")
            continue
        link = r["stages"].get("link")
        lines.append(
            f"| {r['identifier']} | {r['carriers']:,} | {r['wall_s']:.2f} s | {r['records_per_s']:,} | "
            f"{r['peak_rss_mb']:,.0f} MB | {'' if link is None else f'{link:.2f} s'} | {_ratio(r['ratio_to_fewest'])} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--records", type=int, default=1_000_000, help="size of the generated data set")
    ap.add_argument("--carriers", default="100,1000,10000,100000", help="comma-separated numbers of carriers")
    ap.add_argument("--identifiers", default="phone,email,cookie", help=f"comma-separated, of: {', '.join(PLANTS)}")
    ap.add_argument("--format", default="csv", choices=("csv", "parquet"))
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--repeat", type=int, default=1, help="runs per file, taking turns; figures are medians")
    ap.add_argument("--data", help="keep the generated data set here and reuse it (default: a temporary folder)")
    ap.add_argument("--work", help="folder for the planted files, outputs and logs (default: a temporary folder)")
    ap.add_argument("--json", help="write every figure to this file")
    ap.add_argument("--idmerge", help="idmerge command (default: idmerge on PATH)")
    ap.add_argument("--idmerge-arg", action="append", default=[], help="extra argument for idmerge run (repeatable)")
    ap.add_argument("--timeout", type=float, help="seconds per run")
    ap.add_argument("--keep-files", action="store_true", help="keep the planted files and idmerge's outputs")
    ap.add_argument("--quiet", action="store_true")
    args = ap.parse_args(argv)
    try:
        carriers = sorted({int(float(c)) for c in args.carriers.split(",") if c.strip()})
    except ValueError:
        ap.error(f"--carriers must be numbers, not {args.carriers!r}")
    idents = [i.strip() for i in args.identifiers.split(",") if i.strip()]
    unknown = [i for i in idents if i not in PLANTS]
    if unknown:
        ap.error(f"unknown identifier(s): {', '.join(unknown)} (choose from {', '.join(PLANTS)})")
    if args.repeat < 1:
        ap.error("--repeat must be at least 1")
    if not carriers or carriers[0] <= 20:
        ap.error("--carriers must be above 20, the over_shared threshold, so the value is over-shared at every K")
    idmerge = bench.find_idmerge(args.idmerge)
    if idmerge is None:
        print(
            f"error: '{args.idmerge or 'idmerge'}' was not found; install the project or pass --idmerge",
            file=sys.stderr,
        )
        return 2

    def log(msg: str) -> None:
        if not args.quiet:
            print(msg, file=sys.stderr, flush=True)

    tmp = Path(tempfile.mkdtemp(prefix="idmerge-skew-"))
    rows: list[dict] = []
    try:
        data, _ = bench.ensure_data(args.records, args.format, args.seed, Path(args.data or tmp / "data"), log)
        work = Path(args.work or tmp / "work") / f"n{args.records}_{args.format}"
        for ident in idents:
            rows.extend(bench_identifier(ident, carriers, args, data, work, idmerge, log))
    except SkewError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(table(rows))
    if args.json:
        doc = {"records": args.records, "format": args.format, "seed": args.seed, "repeat": args.repeat}
        Path(args.json).write_text(json.dumps({**doc, "idmerge": idmerge, "results": rows}, indent=2) + "\n")
    return 1 if any(r.get("error") for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
