#!/usr/bin/env python3
"""Reference points for the benchmark: a DuckDB-only floor, a plain connected-components dedupe and Splink.

    python bench/reference.py floor  FILE... --out DIR
    python bench/reference.py cc     FILE... --out DIR
    python bench/reference.py splink FILE... --out DIR

``floor``: read every input with DuckDB (CSV with a sniffed delimiter, or
Parquet), add ``source``/``row``, normalise e-mail (``lower(trim())``) and phone
(digits only) in SQL and write one Parquet per input into DIR.  Nothing an
identity tool can do is cheaper than reading, normalising and writing the data
once, so this is the floor.

``cc``: the floor, then a graph with an edge record-email and record-phone for
every non-empty normalised value and scipy's connected_components; writes
DIR/membership.parquet (``source,row,contact_id``) so bench/score.py can score
it.  No blocking of junk values, no rules: the naive dedupe.  Needs scipy.

``splink``: the floor, then Splink's deterministic linkage on its DuckDB backend
with the same naive rules as ``cc`` (exact normalised e-mail, exact normalised
phone) and Splink's connected-components clustering; writes
DIR/membership.parquet like ``cc``.  Optional: needs ``pip install .[bench]``.

Each prints one JSON line with its timings on stdout.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
import time
from pathlib import Path

import duckdb


def _connect() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    return con


def _q(s: str | Path) -> str:
    return str(s).replace("'", "''")


def _reader(path: Path) -> str:
    if path.suffix.lower() in (".parquet", ".pq"):
        return f"read_parquet('{_q(path)}')"
    return f"read_csv('{_q(path)}', header = true, all_varchar = true, quote = '\"', escape = '\"')"


def _find(columns: list[str], words: tuple[str, ...]) -> str | None:
    for c in columns:
        low = c.lower().replace("-", "").replace("_", " ")
        if any(w in low for w in words):
            return c
    return None


def floor(files: list[str | Path], out: str | Path, threads: int | None = None) -> dict:
    """Read, normalise, write Parquet.  Returns timings and the written paths."""
    t0 = time.perf_counter()
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    con = _connect()
    if threads:
        con.execute(f"SET threads = {int(threads)}")
    con.execute("SET preserve_insertion_order = true")  # rowid = file order
    written, rows = [], 0
    for f in map(Path, files):
        src = _reader(f)
        cols = [r[0] for r in con.execute(f"DESCRIBE SELECT * FROM {src}").fetchall()]
        em, ph = _find(cols, ("email", "e mail", "mail")), _find(cols, ("phone", "mobile", "tel"))
        em_sql = f"nullif(lower(trim(\"{em}\")), '')" if em else "CAST(NULL AS VARCHAR)"
        ph_sql = f"nullif(regexp_replace(\"{ph}\", '[^0-9]', '', 'g'), '')" if ph else "CAST(NULL AS VARCHAR)"
        target = out / (f.stem + ".parquet")
        # Read on every thread, then number the rows by position: row_number() OVER ()
        # in the reading statement would read the file on one thread (as idmerge does, see
        # matchers.load._number_rows).
        con.execute(f"CREATE OR REPLACE TABLE raw AS SELECT * FROM {src}")
        con.execute(f"""
            COPY (SELECT '{_q(f.name)}' AS source, rowid + 1 AS "row", *,
                         {em_sql} AS email_norm, {ph_sql} AS phone_norm
                  FROM raw)
            TO '{_q(target)}' (FORMAT parquet)""")
        con.execute("DROP TABLE raw")
        rows += con.execute(f"SELECT count(*) FROM read_parquet('{_q(target)}')").fetchall()[0][0]
        written.append(str(target))
    con.close()
    return {"floor_s": round(time.perf_counter() - t0, 3), "records": rows, "files": written}


def _after_floor(
    files: list[str | Path], out: Path, threads: int | None
) -> tuple[dict, duckdb.DuckDBPyConnection, str]:
    """Run the floor into ``out/floor``; return its result, a connection for the next step and its Parquet list."""
    res = floor(files, out / "floor", threads)
    con = _connect()
    if threads:
        con.execute(f"SET threads = {int(threads)}")
    con.execute("SET preserve_insertion_order = true")
    return res, con, ", ".join(f"'{_q(p)}'" for p in res["files"])


def cc(files: list[str | Path], out: str | Path, threads: int | None = None) -> dict:
    """Floor + connected components over record-email / record-phone edges."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    t0 = time.perf_counter()
    out = Path(out)
    res, con, plist = _after_floor(files, out, threads)
    t1 = time.perf_counter()
    tab = con.sql(f'SELECT source, "row", email_norm, phone_norm FROM read_parquet([{plist}])').to_arrow_table()
    n = tab.num_rows
    rows_idx = np.arange(n, dtype=np.int64)
    src_nodes, dst_nodes, offset = [], [], n
    for col in ("email_norm", "phone_norm"):
        codes = pc.dictionary_encode(tab.column(col)).combine_chunks()
        idx = codes.indices.to_numpy(zero_copy_only=False)
        valid = ~np.asarray(codes.is_null())
        src_nodes.append(rows_idx[valid])
        dst_nodes.append(idx[valid].astype(np.int64) + offset)
        offset += len(codes.dictionary)
    i, k = np.concatenate(src_nodes), np.concatenate(dst_nodes)
    g = coo_matrix((np.ones(i.size, np.int8), (i, k)), shape=(offset, offset)).tocsr()
    ncomp, labels = connected_components(g, directed=False)
    t2 = time.perf_counter()
    mem = pa.table({"source": tab.column("source"), "row": tab.column("row"), "contact_id": labels[:n]})
    con.register("mem", mem)
    con.execute(f"COPY mem TO '{_q(out / 'membership.parquet')}' (FORMAT parquet)")
    con.close()
    t3 = time.perf_counter()
    return {
        "cc_s": round(t3 - t0, 3),
        "floor_s": res["floor_s"],
        "graph_s": round(t2 - t1, 3),
        "write_s": round(t3 - t2, 3),
        "records": n,
        "contacts": int(np.unique(labels[:n]).size),
        "membership": str(out / "membership.parquet"),
    }


def splink(files: list[str | Path], out: str | Path, threads: int | None = None) -> dict:
    """Floor + Splink deterministic linkage (exact e-mail, exact phone) + Splink clustering.

    Splink generates every pair of records that shares a normalised e-mail or
    phone (its blocking rules; a pair found by the e-mail rule is not generated
    again by the phone rule), then clusters the pairs with its SQL
    connected-components.  Every record is a node, so a record with neither
    value is a contact of its own.  The rules are those of ``cc``: the two give
    the same contacts, and the difference in time is what Splink's pairwise
    approach costs (the pairs grow with the square of the largest groups, e.g.
    every record carrying ``test@test.com``).
    """
    import logging

    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    t0 = time.perf_counter()
    out = Path(out)
    res, con, plist = _after_floor(files, out, threads)
    t1 = time.perf_counter()
    con.execute(f"""
        CREATE TABLE recs AS
        SELECT row_number() OVER () - 1 AS unique_id, source, "row", email_norm, phone_norm
        FROM read_parquet([{plist}])""")
    settings = SettingsCreator(
        link_type="dedupe_only",
        blocking_rules_to_generate_predictions=[block_on("email_norm"), block_on("phone_norm")],
        retain_matching_columns=False,
    )
    linker = Linker(DuckDBAPI(con).register("recs"), settings, log_level=logging.WARNING)
    pairs = linker.inference.deterministic_link()
    n_pairs = con.execute(f"SELECT count(*) FROM {pairs.physical_name}").fetchall()[0][0]
    t2 = time.perf_counter()
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(pairs)
    t3 = time.perf_counter()
    table = clusters.physical_name
    n, contacts = con.execute(f"SELECT count(*), count(DISTINCT cluster_id) FROM {table}").fetchall()[0]
    con.execute(f"""COPY (SELECT source, "row", cluster_id AS contact_id FROM {table})
                    TO '{_q(out / "membership.parquet")}' (FORMAT parquet)""")
    con.close()
    t4 = time.perf_counter()
    return {
        "splink_s": round(t4 - t0, 3),
        "floor_s": res["floor_s"],
        "link_s": round(t2 - t1, 3),
        "cluster_s": round(t3 - t2, 3),
        "write_s": round(t4 - t3, 3),
        "records": n,
        "pairs": n_pairs,
        "contacts": contacts,
        "membership": str(out / "membership.parquet"),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("mode", choices=["floor", "cc", "splink"])
    ap.add_argument("files", nargs="+")
    ap.add_argument("--out", required=True)
    ap.add_argument("--threads", type=int)
    a = ap.parse_args(argv)
    if a.mode == "cc":
        try:
            import scipy  # noqa: F401
        except ImportError:
            print(json.dumps({"skipped": "scipy is not installed"}))
            return 3
        res = cc(a.files, a.out, a.threads)
    elif a.mode == "splink":
        if importlib.util.find_spec("splink") is None:
            print(json.dumps({"skipped": "splink is not installed (pip install .[bench])"}))
            return 3
        res = splink(a.files, a.out, a.threads)
    else:
        res = floor(a.files, a.out, a.threads)
    print(json.dumps(res))
    return 0


if __name__ == "__main__":
    sys.exit(main())
