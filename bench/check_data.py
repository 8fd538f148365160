#!/usr/bin/env python3
"""Check that generated data keeps its promises (independently of generate.py's bookkeeping).

    python bench/check_data.py DIR

Reads the two exports back with DuckDB, normalises every identifier with simple
SQL rules written here (not the engine's), and checks:

* a usable value shared by different people is only ever one of the deliberate
  cases: a family e-mail (exactly the two partners), a transferred device id
  (exactly the two partners) or the shop phone (over-shared: more than 20
  External IDs); a Contact ID repeats only for the same person;
* ``reach_group`` of truth_detail.parquet equals the connected components over
  the usable, single-person values (needs scipy; skipped without it).

Exit status 0 when everything holds.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import duckdb
import numpy as np


def _connect() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    return con


PLACEHOLDERS = ["", "null", "none", "nil", "nan", "n/a", "na", "-", "--", "0", "unknown", "undefined", "test"]
JUNK_LOCAL = ["test", "noemail", "no-email", "no_email", "nomail", "noreply", "no-reply", "none", "null"]


def _blocked(x: str) -> str:
    """SQL: placeholder, or 4+ alphanumerics that are all the same character."""
    ph = ", ".join(f"'{p}'" for p in PLACEHOLDERS)
    a = f"lower(regexp_replace({x}, '[^0-9A-Za-z]', '', 'g'))"
    return f"(lower(trim({x})) IN ({ph}) OR (length({a}) >= 4 AND length(replace({a}, left({a}, 1), '')) = 0))"


def check(folder: str | Path) -> list[str]:
    d = Path(folder)
    fmt = "parquet" if (d / "esputnik.parquet").exists() else "csv"
    con = _connect()

    def src(name: str, delim: str) -> str:
        if fmt == "parquet":
            return f"read_parquet('{d / (name + '.parquet')}')"
        return f"read_csv('{d / (name + '.csv')}', delim='{delim}', header=true, all_varchar=true, quote='\"')"

    con.execute(f"""CREATE TABLE e AS SELECT row_number() OVER () AS row, * FROM {src("esputnik", ";")}""")
    con.execute(f"""CREATE TABLE m AS SELECT row_number() OVER () AS row, * FROM {src("mailchimp", ",")}""")
    con.execute(f"CREATE TABLE t AS SELECT * FROM read_parquet('{d / 'truth_detail.parquet'}')")
    jl = ", ".join(f"'{j}'" for j in JUNK_LOCAL)
    # long format: (file, row, kind, raw value)
    con.execute(f"""
        CREATE TABLE v AS
        SELECT 'esputnik.{fmt}' AS source, row, kind, raw FROM (
            UNPIVOT e ON "Contact ID", "External ID", "Email", "Phone Number", "User Pseudo ID", "Device ID",
                          "Mobile Push Token", "Web Push Token", "Cookie", "IDFA"
            INTO NAME kind VALUE raw)
        UNION ALL
        SELECT 'mailchimp.{fmt}', row, kind, raw FROM (
            UNPIVOT m ON "Email Address", "Phone Number", "LEID" INTO NAME kind VALUE raw)""")
    con.execute(f"""
        CREATE TABLE n AS
        WITH x AS (
            SELECT source, row,
                   CASE kind WHEN 'Email Address' THEN 'Email' WHEN 'LEID' THEN 'Contact ID' ELSE kind END AS kind,
                   raw, lower(trim(raw)) AS lo
            FROM v WHERE raw IS NOT NULL AND NOT {_blocked("raw")}),
        em AS (
            SELECT *, split_part(lo, '@', 1) AS loc0,
                   replace(split_part(lo, '@', 2), 'googlemail.com', 'gmail.com') AS dom
            FROM x WHERE kind = 'Email'),
        em2 AS (
            SELECT source, row, kind, raw,
                   CASE WHEN dom = 'gmail.com' THEN replace(split_part(loc0, '+', 1), '.', '') ELSE loc0 END AS loc,
                   dom, lo
            FROM em)
        SELECT source, row, kind, loc || '@' || dom AS val FROM em2
        WHERE regexp_full_match(lo, '[a-z0-9._%+-]+@[a-z0-9-]+(\\.[a-z0-9-]+)+') AND NOT contains(lo, '..')
          AND loc NOT IN ({jl}) AND dom NOT IN ('example.com', 'example.org', 'example.net', 'test.com')
        UNION ALL
        SELECT source, row, kind, val FROM (
            SELECT source, row, kind, regexp_replace(raw, '[^0-9]', '', 'g') AS dg FROM x WHERE kind = 'Phone Number'),
            LATERAL (SELECT CASE
                WHEN length(dg) = 12 AND dg LIKE '380%' THEN '+' || dg
                WHEN length(dg) = 10 AND dg LIKE '0%' THEN '+38' || dg
                WHEN length(dg) = 9 THEN '+380' || dg
                ELSE NULL END AS val)
        WHERE val IS NOT NULL AND dg NOT IN ('1234567890', '0123456789')
        UNION ALL
        SELECT source, row, kind,
               CASE WHEN kind = 'Contact ID' THEN source || ':' || trim(raw) ELSE trim(raw) END
        FROM x WHERE kind NOT IN ('Email', 'Phone Number')""")
    con.execute(
        "CREATE TABLE nt AS SELECT n.*, t.person_id, t.family_partner, t.transfer_partner, t.reach_group "
        "FROM n JOIN t USING (source, row)"
    )
    problems = []
    bad_rows = con.execute("SELECT count(*) FROM n ANTI JOIN t USING (source, row)").fetchall()[0][0]
    if bad_rows:
        problems.append(f"{bad_rows} values on rows missing from truth")
    shared = con.sql("""
        SELECT kind, val, count(DISTINCT person_id) AS persons, count(*) AS records,
               min(person_id) AS p1, max(person_id) AS p2,
               bool_and(family_partner IS NOT NULL) AS fam, min(family_partner) AS f1, max(family_partner) AS f2,
               bool_and(transfer_partner IS NOT NULL) AS xf, min(transfer_partner) AS x1, max(transfer_partner) AS x2
        FROM nt GROUP BY kind, val HAVING count(DISTINCT person_id) > 1""").fetchall()
    kinds: dict[str, int] = {}
    ext_per_val = dict(
        con.sql("""
        SELECT a.val, count(DISTINCT b.val) FROM nt a JOIN nt b ON a.source = b.source AND a.row = b.row
        WHERE a.kind = 'Phone Number' AND b.kind = 'External ID' GROUP BY a.val""").fetchall()
    )
    for kind, val, persons, records, p1, p2, fam, f1, f2, xf, x1, x2 in shared:
        if kind == "Email" and persons == 2 and fam and f1 == p1 and f2 == p2:
            kinds["family_email"] = kinds.get("family_email", 0) + 1
        elif kind == "Device ID" and persons == 2 and xf and x1 == p1 and x2 == p2:
            kinds["transferred_device"] = kinds.get("transferred_device", 0) + 1
        elif kind == "Phone Number" and ext_per_val.get(val, 0) > 20:
            kinds["over_shared_phone"] = kinds.get("over_shared_phone", 0) + 1
        else:
            problems.append(f"{kind} {val!r} shared by {persons} people ({records} records)")
    print("deliberately shared values:", kinds or "none")

    try:
        from scipy.sparse import coo_matrix
        from scipy.sparse.csgraph import connected_components
    except ImportError:
        print("scipy missing: reach_group not re-derived")
        return problems
    # usable values held by exactly one person; Device ID of transfers and the shop phone excluded above
    con.execute("""
        CREATE TABLE own AS SELECT kind, val FROM nt GROUP BY kind, val HAVING count(DISTINCT person_id) = 1""")
    con.execute(
        "CREATE TABLE idx AS SELECT source, row, (row_number() OVER (ORDER BY source, row)) - 1 AS i, "
        "reach_group FROM t"
    )
    edges = con.sql("""
        SELECT idx.i, dense_rank() OVER (ORDER BY nt.kind, nt.val) - 1 AS k
        FROM nt JOIN own USING (kind, val) JOIN idx USING (source, row)""").fetchnumpy()
    n = con.execute("SELECT count(*) FROM idx").fetchall()[0][0]
    i, k = edges["i"].astype(np.int64), edges["k"].astype(np.int64)
    nk = int(k.max()) + 1 if k.size else 0
    g = coo_matrix((np.ones(i.size, np.int8), (i, n + k)), shape=(n + nk, n + nk))
    _, lab = connected_components(g, directed=False)
    reach = con.sql("SELECT reach_group FROM idx ORDER BY i").fetchnumpy()["reach_group"]
    lab = lab[:n]
    # same partition <=> the pairs (lab, reach) are one-to-one
    pairs = np.unique(np.stack([lab, reach], 1), axis=0)
    if not (np.unique(pairs[:, 0]).size == pairs.shape[0] == np.unique(pairs[:, 1]).size):
        problems.append("reach_group differs from the components of the written values")
    else:
        print(f"reach_group matches the components of the written values ({np.unique(lab).size} groups)")
    return problems


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("folder")
    a = ap.parse_args(argv)
    problems = check(a.folder)
    for p in problems[:50]:
        print("PROBLEM:", p)
    if len(problems) > 50:
        print(f"... {len(problems) - 50} more")
    print("OK" if not problems else f"{len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
