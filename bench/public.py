#!/usr/bin/env python3
"""idmerge on public labelled datasets: pairwise precision / recall / F1 against truth nobody here wrote.

    python bench/public.py [DATASETS] [--work DIR] [--json F] [--seed N] [--idmerge 'CMD']

``DATASETS`` (default ``../shared/datasets`` beside the repository) holds one
folder per dataset with ``data.csv`` (the records, truth column removed) and
``truth.csv`` (``row``: 1-based record number, ``entity_id``). For each folder:

- ``idmerge run data.csv`` with its default rules (plus :data:`SETTINGS`, what
  a user would have to say about that file), scored pair by pair with
  ``score.py``;
- the **exact** baseline: records sharing the trimmed, lower-cased text of any
  column idmerge read as an identifier, joined transitively (connected
  components), scored the same way;
- **order**: the same run on the rows shuffled (seeded); the contacts must be
  the same, record for record (contact ids are made from the contacts'
  values, so they must be equal too).

A dataset with no identifier column is listed as skipped, with idmerge's
one-line error (that error is part of what is checked: exit status 2).
Prints a table; ``--json`` writes every figure. Exit status 0, or 1 if a run
failed or a shuffled run gave other contacts, or 2 for a usage error.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import find_idmerge  # noqa: E402
from score import score  # noqa: E402

DEFAULT_DATASETS = Path(__file__).resolve().parents[2] / "shared" / "datasets"

#: What a user would tell idmerge about a dataset: its listings are of Chicago,
#: with phones written without the country code (``2262649``, ``773-553-5300``).
SETTINGS: dict[str, list[str]] = {"dedupe_csv_example": ["--region", "US"]}

#: The name every run gives the data file, so that ``membership``'s source is the truth's.
DATA = "data.csv"


def _idmerge(idmerge: list[str], data: Path, out: Path, extra: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*idmerge, "run", str(data), "--out", str(out), "--force", "--quiet", "--no-html", *extra],
        capture_output=True,
        text=True,
    )


def _truth(dataset: Path, path: Path) -> tuple[int, int]:
    """Write the dataset's truth in score.py's layout (``source,row,person_id``); returns its records and entities."""
    con = duckdb.connect()
    src = str(dataset / "truth.csv").replace("'", "''")
    dst = str(path).replace("'", "''")
    con.execute(
        f"""COPY (SELECT '{DATA}' AS source, CAST("row" AS BIGINT) AS "row", entity_id AS person_id
        FROM read_csv('{src}', header = true, all_varchar = true) ORDER BY "row") TO '{dst}' (HEADER)"""
    )
    records, entities = con.execute(
        f"SELECT count(*), count(DISTINCT person_id) FROM read_csv('{dst}', all_varchar = true)"
    ).fetchall()[0]
    return int(records), int(entities)


def _exact(data: Path, columns: list[str], out: Path) -> None:
    """The exact baseline's ``membership.csv``: records sharing the trimmed, lower-cased text of a column."""
    import numpy as np
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    con = duckdb.connect()
    path = str(data).replace("'", "''")
    con.execute(
        f"""CREATE TABLE d AS SELECT row_number() OVER () - 1 AS i, *
        FROM read_csv('{path}', header = true, all_varchar = true, auto_detect = true)"""
    )
    n = int(con.execute("SELECT count(*) FROM d").fetchall()[0][0])
    values = " UNION ALL ".join(
        f"""SELECT i, {k} AS c, lower(trim("{c.replace('"', '""')}")) AS v FROM d""" for k, c in enumerate(columns)
    )
    pairs = con.execute(
        f"""WITH v AS ({values}), f AS (SELECT c, v, min(i) AS first FROM v WHERE v <> '' GROUP BY c, v)
        SELECT v.i, f.first FROM v JOIN f USING (c, v)"""
    ).fetchnumpy()
    a, b = pairs["i"].astype(np.int64), pairs["first"].astype(np.int64)
    graph = coo_matrix((np.ones(len(a), dtype=np.int8), (a, b)), shape=(n, n))
    _, labels = connected_components(graph, directed=False)
    con.register("labels", {"i": np.arange(n), "label": labels})
    dst = str(out / "membership.csv").replace("'", "''")
    con.execute(
        f"""COPY (SELECT '{DATA}' AS source, i + 1 AS "row", 'e' || label AS contact_id FROM labels ORDER BY i)
        TO '{dst}' (HEADER)"""
    )


def _shuffle(data: Path, to: Path, seed: int) -> list[int]:
    """Write ``data``'s rows in a seeded random order; returns each new row's original row number (1-based)."""
    # Python's csv module gives every cell back as it was read (DuckDB's reader would
    # make empty cells NULL and guess types); the datasets are 20,000 rows at most.
    with data.open(newline="", encoding="utf-8", errors="surrogateescape") as f:
        rows = list(csv.reader(f))
    header, body = rows[0], rows[1:]
    order = list(range(len(body)))
    random.Random(seed).shuffle(order)
    to.parent.mkdir(parents=True, exist_ok=True)
    with to.open("w", newline="", encoding="utf-8", errors="surrogateescape") as f:
        out = csv.writer(f)
        out.writerow(header)
        out.writerows(body[k] for k in order)
    return [k + 1 for k in order]


def _contacts(out: Path) -> list[str]:
    """Each record's contact id, by row number."""
    con = duckdb.connect()
    path = str(out / "membership.csv").replace("'", "''")
    rows = con.execute(f"""SELECT contact_id FROM read_csv('{path}', all_varchar = true) ORDER BY "row"::BIGINT""")
    return [r[0] for r in rows.fetchall()]


#: The figures of score.py kept for each clustering.
FIGURES = (
    "predicted_pairs",
    "true_pairs",
    "false_pairs",
    "missed_pairs",
    "false_merge_contacts",
    "precision",
    "recall",
    "f1",
)


def _figures(result: dict) -> dict:
    lost = {k: v for k, v in result["membership"].items() if v}
    if lost:
        raise RuntimeError(f"the membership does not list every record once: {lost}")
    return {k: round(result[k], 4) if isinstance(result[k], float) else result[k] for k in FIGURES}


def one(dataset: Path, idmerge: list[str], work: Path, seed: int) -> dict:
    """Run, score and shuffle one dataset (see the module's docstring)."""
    name = dataset.name
    extra = SETTINGS.get(name, [])
    work.mkdir(parents=True, exist_ok=True)
    truth = work / "truth.csv"
    records, entities = _truth(dataset, truth)
    row: dict = {"dataset": name, "records": records, "entities": entities, "settings": extra}
    started = time.perf_counter()
    done = _idmerge(idmerge, dataset / DATA, work / "out", extra)
    row["seconds"] = round(time.perf_counter() - started, 2)
    if done.returncode == 2 and "no identifier column" in done.stderr:
        row["skipped"] = done.stderr.strip().splitlines()[-1]
        return row
    if done.returncode != 0:
        row["error"] = f"idmerge exited with {done.returncode}: {done.stderr.strip()[-500:]}"
        return row
    report = json.loads((work / "out" / "report.json").read_text())
    row["identifiers"] = {c["header"]: c["identifier"] for c in report["inputs"][0]["columns"] if c["identifier"]}
    row["contacts"] = report["summary"]["contacts"]
    row["idmerge"] = _figures(score(work / "out", truth, detail_path=False))
    (work / "exact").mkdir(exist_ok=True)
    _exact(dataset / DATA, list(row["identifiers"]), work / "exact")
    row["exact"] = _figures(score(work / "exact", truth, detail_path=False))
    original = _shuffle(dataset / DATA, work / "shuffled" / DATA, seed)
    again = _idmerge(idmerge, work / "shuffled" / DATA, work / "shuffled" / "out", extra)
    if again.returncode != 0:
        row["error"] = f"idmerge exited with {again.returncode} on the shuffled rows: {again.stderr.strip()[-500:]}"
        return row
    before = _contacts(work / "out")
    after = dict(zip(original, _contacts(work / "shuffled" / "out"), strict=True))
    row["shuffled_differ"] = sum(1 for r, c in enumerate(before, 1) if after[r] != c)
    return row


def table(rows: list[dict]) -> str:
    head = "| dataset | records | entities | identifiers | idmerge P / R / F1 | exact P / R / F1 | shuffled |"
    lines = [head, "|---|---:|---:|---|---|---|---|"]
    for r in rows:
        if "idmerge" not in r:
            why = r.get("skipped") or r.get("error", "")
            lines.append(f"| {r['dataset']} | {r['records']:,} | {r['entities']:,} | — | {why} | | |")
            continue
        ids = ", ".join(f"{h} → {i}" for h, i in r["identifiers"].items())
        if r["settings"]:
            ids += f" ({' '.join(r['settings'])})"

        def prf(f: dict) -> str:
            return f"{f['precision']:.4f} / {f['recall']:.4f} / {f['f1']:.4f}"

        same = "same contacts" if r.get("shuffled_differ") == 0 else f"{r.get('shuffled_differ')} records differ"
        lines.append(
            f"| {r['dataset']} | {r['records']:,} | {r['entities']:,} | {ids} | {prf(r['idmerge'])} "
            f"| {prf(r['exact'])} | {same} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("datasets", nargs="?", default=str(DEFAULT_DATASETS), help="folder of dataset folders")
    ap.add_argument("--work", help="keep every run's outputs here (default: a temporary folder)")
    ap.add_argument("--json", help="write the figures to this file")
    ap.add_argument("--seed", type=int, default=7, help="seed of the shuffled order (default 7)")
    ap.add_argument("--idmerge", help="idmerge command (default: idmerge on PATH)")
    args = ap.parse_args(argv)
    root = Path(args.datasets)
    folders = (
        sorted(p for p in root.iterdir() if (p / DATA).is_file() and (p / "truth.csv").is_file())
        if root.is_dir()
        else []
    )
    if not folders:
        print(f"public.py: no dataset (a folder with data.csv and truth.csv) in {root}", file=sys.stderr)
        return 2
    idmerge = find_idmerge(args.idmerge)
    if idmerge is None:
        print(
            f"public.py: '{args.idmerge or 'idmerge'}' was not found; install the project or pass --idmerge",
            file=sys.stderr,
        )
        return 2
    with tempfile.TemporaryDirectory(prefix="idmerge-public-") as tmp:
        work = Path(args.work) if args.work else Path(tmp)
        rows = [one(folder, idmerge, work / folder.name, args.seed) for folder in folders]
    print(table(rows))
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=2) + "\n")
    return 1 if any("error" in r or r.get("shuffled_differ") for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
