#!/usr/bin/env python3
"""Pairwise precision / recall / F1 of a clustering against ground truth.

    python bench/score.py OUT_DIR_OR_MEMBERSHIP TRUTH_CSV [--json score.json]
    python bench/score.py --self-test

``membership``: CSV or Parquet with columns ``source,row,contact_id`` (what
``idmerge run`` writes to its --out folder as membership.csv / membership.parquet;
a folder is searched for those names).  ``truth``: ``source,row,person_id``
(bench/generate.py writes truth.csv).  ``source`` is compared by file name, so a
path in the membership file matches ``esputnik.csv`` in the truth.

A pair is two records.  Predicted pairs share a contact, true pairs share a
person; both are counted from group sizes (n*(n-1)/2 per group, and per
(contact, person) group for the true positives), so no pair is ever enumerated
and 10M records score in seconds.

If ``truth_detail.parquet`` (written by generate.py) sits next to the truth file,
missed pairs are split by cause and false merges by kind, see README.md.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import duckdb


def _connect() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    return con


def _reader(path: Path, id_column: str) -> str:
    """SELECT-able source: source VARCHAR, row BIGINT, the id column as written (CSV: text)."""
    p = str(path).replace("'", "''")
    if path.suffix.lower() in (".parquet", ".pq"):
        return f"read_parquet('{p}')"
    return f"read_csv('{p}', header = true, all_varchar = true)"


# file name of a path; cheap when there is no separator (the common case)
_BASE = (
    "CASE WHEN contains(CAST(source AS VARCHAR), '/') OR contains(CAST(source AS VARCHAR), '\\') "
    "THEN parse_filename(CAST(source AS VARCHAR)) ELSE CAST(source AS VARCHAR) END"
)


def find_membership(path: str | Path) -> Path:
    path = Path(path)
    if path.is_dir():
        for name in ("membership.parquet", "membership.csv"):
            if (path / name).exists():
                return path / name
        raise FileNotFoundError(f"no membership.parquet or membership.csv in {path}")
    if not path.exists():
        raise FileNotFoundError(path)
    return path


def _one(con: duckdb.DuckDBPyConnection, sql: str) -> tuple:
    return con.execute(sql).fetchall()[0]


def _ratio(a: int, b: int) -> float:
    return 1.0 if b == 0 else a / b


def score(
    membership_path: str | Path,
    truth_path: str | Path,
    detail_path: str | Path | None = None,
    threads: int | None = None,
) -> dict:
    """Score a membership file against truth; returns a flat-ish dict of counts and ratios.

    ``detail_path``: truth_detail.parquet; default: next to the truth file if present.
    Pass ``False`` to ignore it.
    """
    t0 = time.perf_counter()
    mpath, tpath = find_membership(membership_path), Path(truth_path)
    if detail_path is None:
        cand = tpath.parent / "truth_detail.parquet"
        detail_path = cand if cand.exists() else None
    con = _connect()
    if threads:
        con.execute(f"SET threads = {int(threads)}")
    base = _BASE
    con.execute(f"""
        CREATE TEMP TABLE t AS
        SELECT {base} AS source, CAST("row" AS BIGINT) AS "row", person_id AS person
        FROM {_reader(tpath, "person_id")}""")
    con.execute(f"""
        CREATE TEMP TABLE m0 AS
        SELECT {base} AS source, CAST("row" AS BIGINT) AS "row", contact_id AS contact
        FROM {_reader(mpath, "contact_id")}""")
    # a record listed twice (a bug in the clustering) counts once, with its smallest contact id
    con.execute(
        'CREATE TEMP TABLE m AS SELECT source, "row", min(contact) AS contact, count(*) AS c, '
        'min(contact) IS DISTINCT FROM max(contact) AS conflicting FROM m0 GROUP BY source, "row"'
    )
    con.execute("DROP TABLE m0")
    dup_rows, dup_conflicts = _one(
        con, "SELECT count(*) FILTER (WHERE c > 1), count(*) FILTER (WHERE conflicting) FROM m"
    )
    extra = _one(con, 'SELECT count(*) FROM m ANTI JOIN t USING (source, "row")')[0]
    # A record missing from the membership is a contact of its own: its contact is
    # NULL and (ms, mr) = its (source, row) tell it apart; for the others they are NULL.
    con.execute("""
        CREATE TEMP TABLE j AS
        SELECT t.source, t."row", t.person, m.contact,
               CASE WHEN m.contact IS NULL THEN t.source END AS ms,
               CASE WHEN m.contact IS NULL THEN t."row" END AS mr
        FROM t LEFT JOIN m USING (source, "row")""")
    con.execute("DROP TABLE m")
    con.execute("DROP TABLE t")
    con.execute("CREATE TEMP TABLE cp AS SELECT contact, ms, mr, person, count(*) AS n FROM j GROUP BY ALL")
    records, missing = _one(con, "SELECT count(*), count(mr) FROM j")
    tp, cp_groups = _one(con, "SELECT coalesce(sum(n * (n - 1) // 2), 0), count(*) FROM cp")
    pred_pairs, contacts, false_merge_contacts = _one(
        con,
        """
        SELECT coalesce(sum(n * (n - 1) // 2), 0), count(*), count(*) FILTER (WHERE k > 1)
        FROM (SELECT sum(n) AS n, count(*) AS k FROM cp GROUP BY contact, ms, mr)""",
    )
    true_pairs, persons, persons_split = _one(
        con,
        """
        SELECT coalesce(sum(n * (n - 1) // 2), 0), count(*), count(*) FILTER (WHERE k > 1)
        FROM (SELECT sum(n) AS n, count(*) AS k FROM cp GROUP BY person)""",
    )
    tp, pred_pairs, true_pairs = int(tp), int(pred_pairs), int(true_pairs)
    precision, recall = _ratio(tp, pred_pairs), _ratio(tp, true_pairs)
    f1 = 0.0 if precision + recall == 0 else 2 * precision * recall / (precision + recall)
    res: dict = {
        "records": int(records),
        "persons": int(persons),
        "contacts": int(contacts),
        "true_pairs": true_pairs,
        "predicted_pairs": pred_pairs,
        "true_positive_pairs": tp,
        "false_pairs": pred_pairs - tp,
        "missed_pairs": true_pairs - tp,
        "precision": precision,
        "recall": recall,
        "f1": f1,
        # splits: a person whose records ended in k > 1 contacts adds k - 1 fragments
        "contact_person_pairs": int(cp_groups),
        "persons_split": int(persons_split),
        "split_fragments": int(cp_groups - persons),
        # false merges: contacts holding records of two or more persons
        "false_merge_contacts": int(false_merge_contacts),
        "family_email_merged": int(false_merge_contacts),
        "membership": {
            "missing_records": int(missing),
            "extra_records": int(extra),
            "duplicate_records": int(dup_rows),
            "duplicate_records_conflicting": int(dup_conflicts),
        },
    }
    if detail_path:
        res.update(_detail(con, Path(detail_path), base, tp))
    res["seconds"] = round(time.perf_counter() - t0, 3)
    con.close()
    return res


def _detail(con: duckdb.DuckDBPyConnection, path: Path, base: str, tp: int) -> dict:
    ptype = _one(con, "SELECT typeof(person) FROM cp LIMIT 1")[0]
    con.execute(f"""
        CREATE TEMP TABLE d AS
        SELECT {base} AS source, CAST("row" AS BIGINT) AS "row", link_group, reach_group,
               CAST(person_id AS {ptype}) AS person,
               CAST(family_partner AS {ptype}) AS family_partner,
               CAST(transfer_partner AS {ptype}) AS transfer_partner
        FROM {_reader(path, "person_id")}""")
    con.execute(
        "CREATE TEMP TABLE jd AS SELECT j.contact, j.ms, j.mr, d.link_group, d.reach_group "
        'FROM j JOIN d USING (source, "row")'
    )
    unmatched = _one(con, "SELECT (SELECT count(*) FROM j) - (SELECT count(*) FROM jd)")[0]

    def pairs(keys: str) -> int:
        return int(
            _one(con, f"SELECT coalesce(sum(n * (n - 1) // 2), 0) FROM (SELECT count(*) AS n FROM jd GROUP BY {keys})")[
                0
            ]
        )

    linkable, found_linkable = pairs("link_group"), pairs("contact, ms, mr, link_group")
    reach, found_reach = pairs("reach_group"), pairs("contact, ms, mr, reach_group")
    con.execute("DROP TABLE jd")
    true_pairs = int(
        _one(con, "SELECT coalesce(sum(n * (n - 1) // 2), 0) FROM (SELECT sum(n) AS n FROM cp GROUP BY person)")[0]
    )

    def merged(partner: str) -> tuple[int, int]:
        """(contacts holding both persons of a pair, pairs of records across such persons)."""
        c, pairs = _one(
            con,
            f"""
            WITH pp AS (SELECT DISTINCT person, {partner} AS partner FROM d WHERE {partner} IS NOT NULL)
            SELECT count(DISTINCT a.contact), coalesce(sum(a.n * b.n), 0) // 2
            FROM cp a JOIN pp ON a.person = pp.person
            JOIN cp b ON b.contact = a.contact AND b.person = pp.partner
            WHERE a.contact IS NOT NULL""",
        )
        return int(c), int(pairs)

    fam_c, fam_p = merged("family_partner")
    xfer_c, xfer_p = merged("transfer_partner")
    other_c = _one(
        con,
        """
        WITH pp AS (SELECT DISTINCT person, coalesce(family_partner, transfer_partner) AS partner FROM d
                    WHERE family_partner IS NOT NULL OR transfer_partner IS NOT NULL),
        explained AS (SELECT DISTINCT a.contact FROM cp a JOIN pp ON a.person = pp.person
                      JOIN cp b ON b.contact = a.contact AND b.person = pp.partner)
        SELECT count(*) FROM (SELECT contact FROM cp WHERE contact IS NOT NULL GROUP BY contact HAVING count(*) > 1) x
        WHERE contact NOT IN (SELECT contact FROM explained)""",
    )[0]
    return {
        "detail": {
            "records_without_detail": int(unmatched),
            # pairs the identity rules can join (shared usable key/personal/source-key
            # values, or anonymous records attached through device/anonymous values)
            "linkable_pairs": linkable,
            "recall_linkable": _ratio(found_linkable, linkable),
            "missed_linkable": linkable - found_linkable,
            # pairs connected only through device/anonymous values between two identified
            # groups: the rules refuse these on purpose
            "missed_device_only": (reach - linkable) - (found_reach - found_linkable),
            # pairs of one person with no chain of usable identifiers between them
            "missed_unlinkable": (true_pairs - reach) - (tp - found_reach),
            # joined although no usable identifier chain connects them (suspicious)
            "found_unlinkable": tp - found_reach,
            "false_merges": {
                "family_email_contacts": fam_c,
                "family_email_pairs": fam_p,
                "device_transfer_contacts": xfer_c,
                "device_transfer_pairs": xfer_p,
                "other_contacts": int(other_c),
            },
        }
    }


def _fmt(res: dict) -> str:
    m = res["membership"]
    lines = [
        f"records {res['records']:,}  persons {res['persons']:,}  contacts {res['contacts']:,}",
        f"precision {res['precision']:.6f}  recall {res['recall']:.6f}  F1 {res['f1']:.6f}",
        f"pairs: true {res['true_pairs']:,}  predicted {res['predicted_pairs']:,}  "
        f"true positive {res['true_positive_pairs']:,}  false {res['false_pairs']:,}  missed {res['missed_pairs']:,}",
        f"splits: {res['persons_split']:,} persons in more than one contact "
        f"({res['split_fragments']:,} extra fragments, {res['contact_person_pairs']:,} (contact, person) pairs)",
        f"false merges: {res['false_merge_contacts']:,} contacts hold two or more persons",
    ]
    if any(m.values()):
        lines.append("membership: " + ", ".join(f"{k} {v:,}" for k, v in m.items() if v))
    d = res.get("detail")
    if d:
        fm = d["false_merges"]
        lines += [
            f"recall on linkable pairs {d['recall_linkable']:.6f}  (linkable pairs {d['linkable_pairs']:,})",
            f"missed pairs: linkable {d['missed_linkable']:,}  device-only {d['missed_device_only']:,}  "
            f"unlinkable {d['missed_unlinkable']:,}  (joined without a usable chain: {d['found_unlinkable']:,})",
            f"false merges by kind: family e-mail {fm['family_email_contacts']:,} contacts / "
            f"{fm['family_email_pairs']:,} pairs, device transfer {fm['device_transfer_contacts']:,} / "
            f"{fm['device_transfer_pairs']:,}, other {fm['other_contacts']:,} contacts",
        ]
    return "\n".join(lines)


# ---------------------------------------------------------------------------
def _brute(mem: list[tuple], truth: list[tuple]) -> tuple[int, int, int]:
    """(tp, predicted, true) pairs by enumerating every pair (tests only)."""
    import itertools

    c = {(s, r): k for s, r, k in mem}
    p = {(s, r): k for s, r, k in truth}
    keys = sorted(p)
    tp = pred = true = 0
    for a, b in itertools.combinations(keys, 2):
        same_c = a in c and b in c and c[a] == c[b]
        same_p = p[a] == p[b]
        pred += same_c
        true += same_p
        tp += same_c and same_p
    return tp, pred, true


def self_test() -> int:
    import csv
    import random
    import tempfile

    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)

        def write(name: str, header: list[str], rows: list[tuple]) -> Path:
            path = tmp / name
            with open(path, "w", newline="") as f:
                w = csv.writer(f)
                w.writerow(header)
                w.writerows(rows)
            return path

        # toy: persons P1 = a1 a2 a3, P2 = b1 b2, P3 = c1.
        # contacts: X = {a1, a2, b1}, Y = {a3}, Z = {b2, c1}
        truth = [
            ("e.csv", 1, "P1"),
            ("e.csv", 2, "P1"),
            ("m.csv", 1, "P1"),
            ("e.csv", 3, "P2"),
            ("m.csv", 2, "P2"),
            ("m.csv", 3, "P3"),
        ]
        mem = [
            ("/data/e.csv", 1, "X"),
            ("/data/e.csv", 2, "X"),
            ("/data/m.csv", 1, "Y"),
            ("/data/e.csv", 3, "X"),
            ("/data/m.csv", 2, "Z"),
            ("/data/m.csv", 3, "Z"),
        ]
        # true pairs: P1 3, P2 1 -> 4.  predicted: X 3 + Z 1 -> 4.  tp: (a1,a2) -> 1
        r = score(
            write("mem.csv", ["source", "row", "contact_id"], mem),
            write("truth.csv", ["source", "row", "person_id"], truth),
        )
        want = {
            "true_pairs": 4,
            "predicted_pairs": 4,
            "true_positive_pairs": 1,
            "precision": 0.25,
            "recall": 0.25,
            "f1": 0.25,
            "persons_split": 2,
            "split_fragments": 2,
            "contact_person_pairs": 5,
            "false_merge_contacts": 2,
            "contacts": 3,
            "persons": 3,
        }
        for k, v in want.items():
            if r[k] != v:
                print(f"toy: {k} = {r[k]}, want {v}")
                ok = False
        # perfect clustering, one record missing from the membership, parquet input
        mem2 = [("e.csv", 1, 1), ("e.csv", 2, 1), ("m.csv", 1, 1), ("e.csv", 3, 2), ("m.csv", 2, 2)]
        con = _connect()
        con.execute('CREATE TABLE x (source VARCHAR, "row" BIGINT, contact_id BIGINT)')
        con.executemany("INSERT INTO x VALUES (?, ?, ?)", mem2)
        con.execute(f"COPY x TO '{tmp / 'membership.parquet'}' (FORMAT parquet)")
        con.close()
        r = score(tmp, tmp / "truth.csv")
        if (r["precision"], r["recall"], r["membership"]["missing_records"]) != (1.0, 1.0, 1):
            print("perfect/missing:", r["precision"], r["recall"], r["membership"])
            ok = False
        # detail: A = rows 1-3 (1,2 linkable; 3 only through a device), B = rows 4,5
        # (nothing shared), C = row 6, A's family partner.  X = {1, 6}, Y = {2, 3}, Z = {4, 5};
        # row 2 is listed twice.
        sub = tmp / "detail"
        sub.mkdir()
        write("detail/truth.csv", ["source", "row", "person_id"], [("f.csv", i, p) for i, p in enumerate("AAABBC", 1)])
        con = _connect()
        con.execute(f"""COPY (SELECT * FROM (VALUES
            ('f.csv', 1, 'A', 1, 1, 'C', NULL), ('f.csv', 2, 'A', 1, 1, 'C', NULL),
            ('f.csv', 3, 'A', 3, 1, 'C', NULL), ('f.csv', 4, 'B', 4, 4, NULL, NULL),
            ('f.csv', 5, 'B', 5, 5, NULL, NULL), ('f.csv', 6, 'C', 6, 6, 'A', NULL))
            t(source, "row", person_id, link_group, reach_group, family_partner, transfer_partner))
            TO '{sub / "truth_detail.parquet"}' (FORMAT parquet)""")
        con.close()
        mem = write(
            "detail/m.csv",
            ["source", "row", "contact_id"],
            [
                ("f.csv", 1, "X"),
                ("f.csv", 6, "X"),
                ("f.csv", 2, "Y"),
                ("f.csv", 2, "Y"),
                ("f.csv", 3, "Y"),
                ("f.csv", 4, "Z"),
                ("f.csv", 5, "Z"),
            ],
        )
        r = score(mem, sub / "truth.csv")
        got = (
            r["true_pairs"],
            r["predicted_pairs"],
            r["true_positive_pairs"],
            r["membership"]["duplicate_records"],
            r["detail"]["linkable_pairs"],
            r["detail"]["missed_linkable"],
            r["detail"]["missed_device_only"],
            r["detail"]["missed_unlinkable"],
            r["detail"]["found_unlinkable"],
            r["detail"]["false_merges"]["family_email_contacts"],
            r["detail"]["false_merges"]["family_email_pairs"],
            r["detail"]["false_merges"]["other_contacts"],
        )
        if got != (4, 3, 2, 1, 1, 1, 1, 0, 1, 1, 1, 0):
            print("detail:", got)
            ok = False
        # random clusterings against brute force
        rng = random.Random(7)
        for it in range(30):
            n = rng.randint(1, 60)
            truth = [("f.csv", i + 1, f"p{rng.randint(0, n // 2)}") for i in range(n)]
            mem = [("f.csv", i + 1, f"c{rng.randint(0, n // 3)}") for i in range(n) if rng.random() > 0.05]
            r = score(
                write("m.csv", ["source", "row", "contact_id"], mem),
                write("t.csv", ["source", "row", "person_id"], truth),
            )
            # missing records are singletons: give them unique contacts for brute force
            have = {(s, rr) for s, rr, _ in mem}
            mem_full = mem + [(s, rr, f"missing{rr}") for s, rr, _ in truth if (s, rr) not in have]
            tp, pred, true = _brute(mem_full, truth)
            if (r["true_positive_pairs"], r["predicted_pairs"], r["true_pairs"]) != (tp, pred, true):
                print("random", it, (r["true_positive_pairs"], r["predicted_pairs"], r["true_pairs"]), (tp, pred, true))
                ok = False
    print("self-test", "passed" if ok else "FAILED")
    return 0 if ok else 1


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("membership", nargs="?", help="membership.csv/.parquet or the idmerge --out folder")
    ap.add_argument("truth", nargs="?", help="truth.csv")
    ap.add_argument("--detail", help="truth_detail.parquet (default: next to the truth file)")
    ap.add_argument("--no-detail", action="store_true", help="ignore truth_detail.parquet")
    ap.add_argument("--json", help="also write the result as JSON to this file ('-' for stdout only)")
    ap.add_argument("--threads", type=int)
    ap.add_argument("--self-test", action="store_true", help="run the built-in checks and exit")
    a = ap.parse_args(argv)
    if a.self_test:
        return self_test()
    if not a.membership or not a.truth:
        ap.error("membership and truth are required")
    detail = False if a.no_detail else a.detail
    res = score(a.membership, a.truth, detail, a.threads)
    if a.json == "-":
        print(json.dumps(res, indent=2))
        return 0
    print(_fmt(res))
    if a.json:
        Path(a.json).write_text(json.dumps(res, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
