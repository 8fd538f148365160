#!/usr/bin/env python3
"""Benchmark idmerge against generated data, a DuckDB floor, a plain connected-components dedupe and Splink.

    python bench/run.py --sizes 100000,1000000 --formats csv,parquet --json results.json

For every size and format: generate data (bench/generate.py; into a temporary
folder, or reused from --data DIR), run ``idmerge run <files> --out <tmp>/out
--force --quiet`` as a child process and measure its wall time and peak RSS, score
its membership file against the truth (bench/score.py), and time the
references of bench/reference.py on the same files (Splink's only when it is
installed: pip install '.[bench]').  Prints a table; --json writes every
figure.  See bench/README.md for what each figure means.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import importlib.util
import json
import os
import platform
import re
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import generate  # noqa: E402
import score as scoring  # noqa: E402

# Runs one command in a fresh interpreter and reports its wall time and the peak
# RSS of its process tree (RUSAGE_CHILDREN of a process that has no other children:
# the largest resident set among the waited-for descendants, as the kernel reports).
_WRAPPER = r"""
import json, resource, subprocess, sys, time
out, log, cmd = sys.argv[1], sys.argv[2], sys.argv[3:]
with open(log, "wb") as f:
    t = time.perf_counter()
    try:
        rc = subprocess.call(cmd, stdout=f, stderr=subprocess.STDOUT)
    except OSError as e:
        f.write(str(e).encode()); rc = 127
    wall = time.perf_counter() - t
ru = resource.getrusage(resource.RUSAGE_CHILDREN)
with open(out, "w") as f:
    json.dump({"rc": rc, "wall_s": wall, "peak_rss_mb": ru.ru_maxrss / 1024,
               "cpu_s": ru.ru_utime + ru.ru_stime}, f)
"""


def measure(
    cmd: list[str], workdir: Path, name: str, timeout: float | None = None, env: dict[str, str] | None = None
) -> dict:
    """Run cmd via the wrapper (with ``env`` added to the environment); returns rc, wall_s,
    peak_rss_mb, cpu_s, log (path) and tail on failure."""
    res_path, log_path = workdir / f"{name}.measure.json", workdir / f"{name}.log"
    # own process group, so a timeout can stop the wrapper and everything it started
    proc = subprocess.Popen(
        [sys.executable, "-c", _WRAPPER, str(res_path), str(log_path), *cmd],
        start_new_session=True,
        env={**os.environ, **(env or {})},
    )
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        return {"rc": None, "error": f"timed out after {timeout}s", "log": str(log_path)}
    res = json.loads(res_path.read_text())
    res["log"] = str(log_path)
    if res["rc"] != 0:
        tail = log_path.read_text(errors="replace").strip().splitlines()[-15:]
        res["error"] = "\n".join(tail)
    return res


def _last_json_line(path: Path) -> dict:
    for line in reversed(path.read_text(errors="replace").splitlines()):
        line = line.strip()
        if line.startswith("{"):
            try:
                return json.loads(line)
            except ValueError:
                pass
    return {}


def ensure_data(size: int, fmt: str, seed: int, root: Path, log) -> tuple[Path, float | None]:
    """Generate (or reuse) the data set; returns its folder and the generation time (None if reused)."""
    d = root / f"n{size}_s{seed}_{fmt}"
    stats = d / "stats.json"
    if stats.exists():
        try:
            s = json.loads(stats.read_text())
            if (s.get("records"), s.get("seed"), s.get("format"), s.get("generator_version")) == (
                size,
                seed,
                fmt,
                generate.GENERATOR_VERSION,
            ) and all((d / f).exists() for f in (f"esputnik.{fmt}", f"mailchimp.{fmt}", "truth.csv")):
                log(f"  reusing {d}")
                return d, None
        except ValueError:
            pass
    log(f"  generating {size:,} records ({fmt}) into {d}")
    t = time.perf_counter()
    generate.generate(size, seed, d, fmt)
    return d, time.perf_counter() - t


def find_idmerge(spec: str | None) -> list[str] | None:
    """The idmerge command as an argv prefix, or None when it cannot be found."""
    if spec:
        parts = shlex.split(spec)
        return parts if shutil.which(parts[0]) or Path(parts[0]).exists() else None
    exe = shutil.which("idmerge")
    if exe:
        return [exe]
    # the venv that runs this script may hold it without being on PATH
    cand = Path(sys.executable).parent / "idmerge"
    return [str(cand)] if cand.exists() else None


def bench_one(size: int, fmt: str, args, data_root: Path, work_root: Path, idmerge: list[str] | None, log) -> dict:
    data, gen_s = ensure_data(size, fmt, args.seed, data_root, log)
    files = [str(data / f"esputnik.{fmt}"), str(data / f"mailchimp.{fmt}")]
    work = work_root / f"n{size}_{fmt}"
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    row: dict = {
        "size": size,
        "format": fmt,
        "records": size,
        "data": str(data),
        "generate_s": None if gen_s is None else round(gen_s, 2),
        "repeat": args.repeat,
    }
    ref = [sys.executable, str(HERE / "reference.py")]
    # Each figure is the median of --repeat runs. The runs of idmerge and of the
    # references take turns (idmerge, floor, cc, then again), so that a slower
    # spell of the machine weighs on all of them alike.
    runs: dict[str, list[dict]] = {"idmerge": [], "floor": [], "cc": []}
    failed: set[str] = set()
    for rep in range(args.repeat):
        if idmerge and "idmerge" not in failed:
            m = _idmerge_run(row, idmerge, files, work, data, args, log, rep)
            _keep(runs, failed, "idmerge", m)
        if not args.no_floor and "floor" not in failed:
            floor = [*ref, "floor", *files, "--out", str(work / "floor")]
            m = measure(floor, work, _run_name("floor", rep, args), args.timeout)
            if m.get("rc") == 0:
                m["inner_s"] = _last_json_line(Path(m["log"])).get("floor_s")
                runs["floor"].append(m)
            else:
                row["floor_error"] = m.get("error")
                failed.add("floor")
            shutil.rmtree(work / "floor", ignore_errors=True)
        if not args.no_cc and "cc" not in failed:
            m = _reference(
                row, "cc", {"graph_s": "cc_graph_s"}, "scipy is not installed", ref, files, work, data, args, log, rep
            )
            _keep(runs, failed, "cc", m)
    if not args.keep_output:
        shutil.rmtree(work / "out", ignore_errors=True)
    if runs["idmerge"] and "idmerge" not in failed:
        mid = _median_run(runs["idmerge"])
        row.update(
            {
                "wall_s": _median(runs["idmerge"], "wall_s"),
                "records_per_s": _rate(size, _median(runs["idmerge"], "wall_s")),
                "peak_rss_mb": _median(runs["idmerge"], "peak_rss_mb", 1),
                "cpu_s": _median(runs["idmerge"], "cpu_s"),
                "rc": 0,
            }
        )
        if mid.get("stages"):
            row["stages"] = mid["stages"]
        if mid.get("profile"):
            row["profile"] = mid["profile"]
    if runs["floor"] and "floor" not in failed:
        row.update(
            {
                "floor_s": _median(runs["floor"], "wall_s"),
                "floor_rss_mb": _median(runs["floor"], "peak_rss_mb", 1),
                "floor_inner_s": _median(runs["floor"], "inner_s"),
            }
        )
    if runs["cc"] and "cc" not in failed:
        row.update({"cc_s": _median(runs["cc"], "wall_s"), "cc_rss_mb": _median(runs["cc"], "peak_rss_mb", 1)})
    if args.repeat > 1:
        row["runs"] = {
            name: {"wall_s": [_r(m["wall_s"]) for m in ms], "peak_rss_mb": [_r(m["peak_rss_mb"], 1) for m in ms]}
            for name, ms in runs.items()
            if ms
        }
    if args.splink:
        inner = {"link_s": "splink_link_s", "cluster_s": "splink_cluster_s", "pairs": "splink_pairs"}
        _reference(row, "splink", inner, "splink is not installed", ref, files, work, data, args, log, 0)
    if row.get("wall_s") and row.get("floor_s"):
        row["ratio_to_floor"] = round(row["wall_s"] / row["floor_s"], 2)
    if row.get("wall_s") and row.get("cc_s"):
        row["ratio_to_cc"] = round(row["wall_s"] / row["cc_s"], 2)
    if row.get("wall_s") and row.get("splink_s"):
        row["ratio_to_splink"] = round(row["wall_s"] / row["splink_s"], 2)
    return row


#: Statements of the slowest stage a profile lists (the same statement's ranges and rounds together).
PROFILE_STATEMENTS = 10
#: How the trace marks the start of a stage (matchers.db.TRACE_MARK + "stage ").
STAGE_MARK = "# stage "


def stage_profile(trace: Path) -> dict | None:
    """The slowest stage of a run and its costliest statements, from the run's trace
    (``IDMERGE_TRACE``: each statement's seconds, CPU seconds, the process's peak memory
    so far and opening words, and a mark where each stage starts). A statement run once
    per range or per round is one entry, with its count; numbers in its words are
    written ``#``. ``peak`` is the statement during which the run's peak memory was
    reached: its stage, words, the peak and how far it rose in that statement."""
    stages: dict[str, dict[str, list]] = {}
    stage = None
    peak: dict | None = None
    before = 0
    for line in trace.read_text(encoding="utf-8", errors="replace").splitlines():
        if line.startswith(STAGE_MARK):
            stage = line[len(STAGE_MARK) :]
            stages.setdefault(stage, {})
            continue
        fields = line.split("\t")
        if stage is None or len(fields) != 4:
            continue
        kind = re.sub(r"[0-9]+", "#", fields[3])[:70]
        entry = stages[stage].setdefault(kind, [0, 0.0, 0.0])
        entry[0] += 1
        entry[1] += float(fields[0])
        entry[2] += float(fields[1])
        if fields[2].strip().isdigit():
            mb = int(fields[2])
            if peak is None or mb > peak["mb"]:
                peak = {"mb": mb, "stage": stage, "statement": kind, "rise_mb": mb - before}
            before = mb
    if not stages:
        return None
    slowest = max(stages, key=lambda name: sum(e[1] for e in stages[name].values()))
    statements = sorted(stages[slowest].items(), key=lambda kv: -kv[1][1])
    return {
        "stage": slowest,
        "statements_s": _r(sum(e[1] for e in stages[slowest].values())),
        "statements": [
            {"statement": kind, "count": n, "seconds": _r(secs), "cpu_s": _r(cpu)}
            for kind, (n, secs, cpu) in statements[:PROFILE_STATEMENTS]
        ],
        "peak": peak,
    }


def profiles(rows: list[dict]) -> str:
    """The slowest stage of each size's median run, statement by statement."""
    out = []
    for r in rows:
        p = r.get("profile")
        if not p:
            continue
        out.append(
            f"slowest stage at {r['records']:,} records ({r['format']}): {p['stage']}, "
            f"{p['statements_s']:.2f} s in its statements"
        )
        out.extend(
            f"  {s['seconds']:6.2f} s  {s['cpu_s']:6.2f} cpu s  x{s['count']:<3} {s['statement']}"
            for s in p["statements"]
        )
        if p.get("peak"):
            k = p["peak"]
            out.append(f"  peak {k['mb']:,} MB, reached in {k['stage']} (+{k['rise_mb']:,} MB): {k['statement']}")
    return "\n".join(out)


def _keep(runs: dict[str, list[dict]], failed: set[str], name: str, m: dict) -> None:
    """Keep a successful run's figures; a failed run stops that command's repetitions."""
    if m.get("rc") == 0:
        runs[name].append(m)
    else:
        failed.add(name)


def _run_name(name: str, rep: int, args) -> str:
    """A run's file names: the plain name for the only run, numbered when repeated."""
    return name if args.repeat == 1 else f"{name}.{rep + 1}"


def _median(runs: list[dict], key: str, nd: int = 3):
    values = [m[key] for m in runs if m.get(key) is not None]
    return _r(statistics.median(values), nd) if values else None


def _median_run(runs: list[dict]) -> dict:
    """The run of the median wall time (the lower of the middle two for an even number)."""
    return sorted(runs, key=lambda m: m["wall_s"])[(len(runs) - 1) // 2]


def _idmerge_run(row: dict, idmerge: list[str], files: list[str], work: Path, data: Path, args, log, rep: int) -> dict:
    """Run idmerge once; the first run is scored (the outputs of every run are the same)."""
    out = work / "out"
    cmd = [*idmerge, "run", *files, "--out", str(out), "--force", "--quiet", *args.idmerge_arg]
    if rep == 0:
        log(f"  idmerge: {' '.join(shlex.quote(c) for c in cmd)}")
    name = _run_name("idmerge", rep, args)
    # Each statement's seconds, by stage (IDMERGE_TRACE): the median run's slowest stage is profiled.
    trace = work / f"{name}.trace.txt"
    trace.unlink(missing_ok=True)
    m = measure(cmd, work, name, args.timeout, env={"IDMERGE_TRACE": str(trace)})
    if trace.exists():
        m["profile"] = stage_profile(trace)
    if m.get("rc") != 0:
        row.update(
            {
                "wall_s": None,
                "records_per_s": None,
                "rc": m.get("rc"),
                "failed_after_s": _r(m.get("wall_s")),
                "error": m.get("error"),
                "log": m.get("log"),
            }
        )
        log(f"  idmerge failed (rc {m.get('rc')}):\n" + _indent(m.get("error") or ""))
        return m
    if rep == 0:
        try:
            s = scoring.score(out, data / "truth.csv")
            row.update({"precision": s["precision"], "recall": s["recall"], "f1": s["f1"], "score": s})
        except FileNotFoundError as e:
            row["score_error"] = str(e)
            log(f"  cannot score: {e}")
    report = out / "report.json"
    if report.exists():
        try:
            rep_doc = json.loads(report.read_text())
            if isinstance(rep_doc, dict) and isinstance(rep_doc.get("timings_s"), dict):
                m["stages"] = rep_doc["timings_s"]
        except ValueError:
            pass
    return m


def _reference(
    row: dict,
    mode: str,
    inner_keys: dict,
    missing: str,
    ref: list[str],
    files: list[str],
    work: Path,
    data: Path,
    args,
    log,
    rep: int,
) -> dict:
    """Run one scored reference of reference.py (cc, splink); the first run's figures and scores go
    into ``row`` (the median of the repeated runs replaces its time and memory); returns the run."""
    m = measure([*ref, mode, *files, "--out", str(work / mode)], work, _run_name(mode, rep, args), args.timeout)
    if m.get("rc") == 0:
        if rep == 0:
            inner = _last_json_line(Path(m["log"]))
            row.update({f"{mode}_s": _r(m["wall_s"]), f"{mode}_rss_mb": _r(m["peak_rss_mb"], 1)})
            row.update({key: inner.get(name) for name, key in inner_keys.items()})
            s = scoring.score(work / mode / "membership.parquet", data / "truth.csv")
            row.update({f"{mode}_precision": s["precision"], f"{mode}_recall": s["recall"], f"{mode}_f1": s["f1"]})
    elif m.get("rc") == 3:
        row[f"{mode}_skipped"] = missing
    else:
        row[f"{mode}_error"] = m.get("error")
        log(f"  {mode} reference failed (rc {m.get('rc')}):\n" + _indent(m.get("error") or ""))
    shutil.rmtree(work / mode, ignore_errors=True)
    return m


def _r(x, nd: int = 3):
    return None if x is None else round(x, nd)


def _rate(n: int, s: float | None):
    return None if not s else round(n / s)


def _indent(s: str) -> str:
    return "\n".join("    " + line for line in s.splitlines())


def table(rows: list[dict]) -> str:
    cols = [
        ("size", "records", "{:,}"),
        ("format", "fmt", "{}"),
        ("wall_s", "wall s", "{:.2f}"),
        ("records_per_s", "rec/s", "{:,}"),
        ("peak_rss_mb", "peak MB", "{:,.0f}"),
        ("floor_s", "floor s", "{:.2f}"),
        ("cc_s", "cc s", "{:.2f}"),
        ("splink_s", "splink s", "{:.2f}"),
        ("splink_rss_mb", "splink MB", "{:,.0f}"),
        ("ratio_to_floor", "x floor", "{:.1f}"),
        ("ratio_to_cc", "x cc", "{:.1f}"),
        ("ratio_to_splink", "x splink", "{:.1f}"),
        ("precision", "precision", "{:.4f}"),
        ("recall", "recall", "{:.4f}"),
        ("f1", "F1", "{:.4f}"),
        ("cc_f1", "cc F1", "{:.4f}"),
        ("splink_f1", "splink F1", "{:.4f}"),
    ]
    head = [c[1] for c in cols]
    body = []
    for r in rows:
        cells = [("-" if r.get(k) is None else f.format(r[k])) for k, _, f in cols]
        if r.get("rc") not in (0, None) or "error" in r:
            cells[2] = "FAILED"
        body.append(cells)
    w = [max(len(h), *(len(b[i]) for b in body)) if body else len(h) for i, h in enumerate(head)]
    line = lambda cells: "  ".join(c.rjust(w[i]) for i, c in enumerate(cells))  # noqa: E731
    return "\n".join([line(head), line(["-" * x for x in w])] + [line(b) for b in body])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="100000,1000000", help="comma-separated record counts")
    ap.add_argument("--formats", default="csv", help="comma-separated: csv, parquet")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--data", help="keep generated data here and reuse it (default: a temporary folder)")
    ap.add_argument("--work", help="folder for outputs and logs (default: a temporary folder)")
    ap.add_argument("--json", help="write all results to this file")
    ap.add_argument("--idmerge", help="idmerge command (default: idmerge on PATH), e.g. 'python -m cli'")
    ap.add_argument("--idmerge-arg", action="append", default=[], help="extra argument for idmerge run (repeatable)")
    ap.add_argument("--skip-idmerge", action="store_true", help="only the references")
    ap.add_argument("--no-floor", action="store_true")
    ap.add_argument("--no-cc", action="store_true")
    ap.add_argument("--no-splink", action="store_true", help="skip the Splink reference even when it is installed")
    ap.add_argument("--timeout", type=float, help="seconds per child process")
    ap.add_argument("--keep-output", action="store_true", help="keep idmerge's --out folder")
    ap.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="run idmerge, the floor and connected components this many times, taking turns; "
        "each figure is the median (default 1)",
    )
    ap.add_argument("--quiet", action="store_true")
    args = ap.parse_args(argv)
    if args.repeat < 1:
        ap.error("--repeat must be at least 1")

    def log(msg: str) -> None:
        if not args.quiet:
            print(msg, file=sys.stderr, flush=True)

    sizes = [int(float(s)) for s in args.sizes.split(",") if s.strip()]
    formats = [f.strip() for f in args.formats.split(",") if f.strip()]
    bad = [f for f in formats if f not in ("csv", "parquet")]
    if bad:
        ap.error(f"unknown format(s): {', '.join(bad)}")

    idmerge = None
    missing_idmerge = False
    if not args.skip_idmerge:
        idmerge = find_idmerge(args.idmerge)
        if idmerge is None:
            missing_idmerge = True
            what = args.idmerge or "idmerge"
            print(
                f"error: '{what}' was not found (not on PATH, not next to {sys.executable}).\n"
                "       Install the project (pip install -e .) or pass --idmerge 'CMD'; running the\n"
                "       references only.  Use --skip-idmerge to silence this.",
                file=sys.stderr,
            )

    # reference.py runs under this same interpreter, so this is the Splink it would import
    args.splink = not args.no_splink and importlib.util.find_spec("splink") is not None
    if not args.no_splink and not args.splink:
        log(
            f"note: splink is not installed for {sys.executable}: skipping the Splink reference "
            "(pip install '.[bench]' to add it, --no-splink to silence this)"
        )

    tmp_root = Path(tempfile.mkdtemp(prefix="idmerge-bench-"))
    data_root = Path(args.data) if args.data else tmp_root / "data"
    work_root = Path(args.work) if args.work else tmp_root / "work"
    rows = []
    try:
        for size in sizes:
            for fmt in formats:
                log(f"[{size:,} records, {fmt}]")
                rows.append(bench_one(size, fmt, args, data_root, work_root, idmerge, log))
                if args.json:
                    _write_json(args.json, rows, idmerge)
    finally:
        shutil.rmtree(tmp_root, ignore_errors=True)  # only what was not put under --data / --work
    print(table(rows))
    if any(r.get("profile") for r in rows):
        print()
        print(profiles(rows))
    if args.json:
        _write_json(args.json, rows, idmerge)
        log(f"results written to {args.json}")
    if missing_idmerge:
        return 2
    return 1 if any("error" in r for r in rows) else 0


def _version(dist: str) -> str | None:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return None


def _write_json(path: str, rows: list[dict], idmerge: list[str] | None) -> None:
    doc = {
        "machine": {
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
            "duckdb": duckdb.__version__,
            "splink": _version("splink"),
        },
        "idmerge": idmerge,
        "results": rows,
    }
    Path(path).write_text(json.dumps(doc, indent=2) + "\n")


if __name__ == "__main__":
    sys.exit(main())
