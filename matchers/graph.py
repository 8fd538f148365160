"""Set-based primitives the linking stages share: connected components, the
merge test of MATCHING.md, and applying merges to the ``grp`` table.

Linking works on numbers: identifiers by priority (``iid``) and values by
``vals.vid`` (one number per identifier and normalised value, see
:func:`matchers.screen.number_values`), so joins and groupings compare
integers instead of strings. Tables these functions read and write:

- ``limits(iid, ident, kind, lim)``: each identifier, ``iid`` its priority (0 highest);
- ``uv(rec, iid, vid)``: usable values (status ``ok``, not moved away);
- ``sv(rec, iid, vid, recency)``: the rows of ``uv`` whose value two or more
  records carry, the only values that can link anything;
- ``lone_vals(rec, iid, vid)``: the rest of ``uv``, values no other record
  carries (they count towards limits, never link; moving values leaves them be);
- ``value_counts(iid, n, ok)``: distinct values per identifier, and how many of
  them are usable (for the report);
- ``grp(rec, gid)``: the group each record is in; ``gid`` is always the
  smallest ``rec`` of the group, so it is also a member record;
- ``notes(kind, ident, norm, vid)``: values reported by the linking stages;
- ``moved_vals(rec, ident, norm, vid)`` and ``moves(ident, norm, from_gid, to_gid, vid)``: ownership moves.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from matchers.config import Config
from matchers.db import Database, q


def prepare(db: Database, config: Config) -> None:
    """Create the working tables from ``vals`` (after screening)."""
    db.table_from_arrow(
        "limits",
        pa.table(
            {
                "iid": pa.array(range(len(config.identifiers)), pa.int16()),
                "ident": pa.array([i.name for i in config.identifiers], pa.string()),
                "kind": pa.array([i.kind for i in config.identifiers], pa.string()),
                "lim": pa.array([i.limit for i in config.identifiers], pa.int64()),
            }
        ),
    )
    # vals holds one row per record, identifier and normalised value (normalise's
    # contract, tested against its definition), so these rows need no DISTINCT.
    db.run("CREATE OR REPLACE TABLE uv AS SELECT rec, iid, vid FROM vals WHERE status = 'ok'")
    # Screening counted the values as it numbered them (value_parts, shared_vids: see
    # matchers.screen.count_values): the values several records carry usable, and
    # the distinct and usable values per identifier for the report.
    db.run(
        """CREATE OR REPLACE TABLE value_counts AS
        SELECT iid, sum(n)::BIGINT AS n, sum(ok)::BIGINT AS ok FROM value_parts GROUP BY iid"""
    )
    db.run(
        """CREATE OR REPLACE TABLE sv AS
        SELECT u.rec, u.iid, u.vid, r.recency
        FROM uv u JOIN shared_vids h USING (vid) JOIN recs r USING (rec)
        ORDER BY u.iid, u.vid"""
    )
    for table in ("value_parts", "shared_vids"):
        db.run(f"DROP TABLE {table}")
    db.run("CREATE OR REPLACE TABLE lone_vals AS SELECT rec, iid, vid FROM uv ANTI JOIN sv USING (vid)")
    db.run("CREATE OR REPLACE TABLE grp AS SELECT rec, rec AS gid FROM recs")
    db.run("CREATE OR REPLACE TABLE notes (kind VARCHAR, ident VARCHAR, norm VARCHAR, vid UBIGINT)")
    db.run("CREATE OR REPLACE TABLE moved_vals (rec BIGINT, ident VARCHAR, norm VARCHAR, vid UBIGINT)")
    db.run("CREATE OR REPLACE TABLE moves (ident VARCHAR, norm VARCHAR, from_gid BIGINT, to_gid BIGINT, vid UBIGINT)")
    db.run(
        """CREATE OR REPLACE TABLE identified AS
        SELECT DISTINCT rec FROM uv WHERE iid IN (SELECT iid FROM limits WHERE kind IN ('key', 'personal'))"""
    )


def iid(config: Config, name: str) -> int:
    """The number :func:`prepare` gave an identifier (its priority, 0 highest)."""
    return config.names.index(name)


def iids_sql(config: Config, names: set[str] | list[str]) -> str:
    """The numbers of some identifiers as the inside of an SQL ``IN (...)`` list
    (``-1``, which no identifier has, for none: ``x NOT IN (NULL)`` would hold for no row)."""
    return ", ".join(str(i) for i in sorted(iid(config, n) for n in names if n in config.names)) or "-1"


def key_iid(config: Config) -> int | None:
    """The key identifier's number, if there is a key."""
    return iid(config, config.key) if config.key else None


def failing_candidates(db: Database, key: int | None, *, strict_key: bool) -> None:
    """Test every candidate merge in ``cand(cid, gid)``; write the refused ones.

    A merge is refused when the merged group would hold more distinct values of
    any identifier than both its limit and the largest number any of its parts
    already holds; with ``strict_key`` also when it would hold two key values
    (``key`` is the key's ``iid``). Values no other record carries (``lone_vals``)
    are counted, not listed: each belongs to one part, so it adds one to that
    part and one to the merged group. Result: ``verdict(cid, conflict)``, one
    row per refused candidate, with ``conflict`` true when two key values met
    (reported as conflict, else limit).
    """
    key_test = f"merged.iid = {int(key)} AND merged.n > 1" if (key is not None and strict_key) else "false"
    # Most candidates pass, and most of them plainly: a candidate can only be
    # refused for an identifier whose merged group would hold more values than
    # its limit (or, for the key, more than one). One grouping of the
    # candidates' values, without telling them apart, bounds that number from
    # above: the values counted (exactly one where they are all one shared
    # value) plus the values no other record carries. Only candidates whose
    # bound exceeds a limit are tested exactly (at 4.5M records 10,373 of
    # 1.3M candidates fail the first test, which took 2.3-2.6 s on all of them).
    bound_key = f"iid = {int(key)} AND most > 1" if (key is not None and strict_key) else "false"
    db.run(
        f"""CREATE OR REPLACE TEMP TABLE suspect AS
        WITH cg AS (SELECT c.cid, g.rec FROM cand c JOIN grp g ON g.gid = c.gid),
        r AS (
            SELECT cg.cid, s.iid, s.vid FROM cg JOIN sv s USING (rec)
            UNION ALL SELECT cg.cid, l.iid, NULL::UBIGINT FROM cg JOIN lone_vals l USING (rec)
        ),
        bound AS (
            SELECT cid, iid, CASE WHEN min(vid) = max(vid) THEN 1 ELSE count(vid) END + count(*) - count(vid) AS most
            FROM r GROUP BY ALL
        )
        SELECT DISTINCT cid FROM bound JOIN limits USING (iid) WHERE most > lim OR ({bound_key})"""
    )
    db.run(
        f"""CREATE OR REPLACE TABLE verdict AS
        WITH cg AS (SELECT c.cid, c.gid, g.rec FROM cand c SEMI JOIN suspect USING (cid) JOIN grp g ON g.gid = c.gid),
        gv AS (SELECT DISTINCT cg.cid, cg.gid, s.iid, s.vid FROM cg JOIN sv s USING (rec)),
        gl AS (SELECT cg.cid, cg.gid, l.iid, count(*) AS n FROM cg JOIN lone_vals l USING (rec) GROUP BY ALL),
        part AS (
            SELECT cid, iid, max(n) AS m FROM (
                SELECT cid, gid, iid, sum(n) AS n FROM (
                    SELECT cid, gid, iid, count(*) AS n FROM gv GROUP BY ALL
                    UNION ALL SELECT cid, gid, iid, n FROM gl
                ) GROUP BY ALL
            ) GROUP BY ALL
        ),
        merged AS (
            SELECT cid, iid, sum(n) AS n FROM (
                SELECT cid, iid, count(DISTINCT vid) AS n FROM gv GROUP BY ALL
                UNION ALL SELECT cid, iid, sum(n) AS n FROM gl GROUP BY ALL
            ) GROUP BY ALL
        )
        SELECT cid, bool_or({key_test}) AS conflict
        FROM merged JOIN part USING (cid, iid) JOIN limits USING (iid)
        GROUP BY cid
        HAVING bool_or({key_test}) OR bool_or(merged.n > greatest(limits.lim, part.m))"""
    )
    db.run("DROP TABLE suspect")


def components(db: Database, edges: str) -> None:
    """Connected components of the bipartite graph of groups and shared values.

    ``edges(gid, vid)`` -> ``comp_g(gid, comp)`` and ``comp_v(vid, comp)``.
    Node numbering comes from SQL; the labelling is :func:`component_labels`,
    on whole NumPy arrays, so no Python runs per edge.
    """
    db.run(
        f"""CREATE OR REPLACE TABLE node_g AS
        SELECT gid, row_number() OVER (ORDER BY gid) - 1 AS i FROM (SELECT DISTINCT gid FROM {q(edges)})"""
    )
    groups = int(db.one("SELECT count(*) FROM node_g"))
    db.run(
        f"""CREATE OR REPLACE TABLE node_v AS
        SELECT vid, {groups} + row_number() OVER (ORDER BY vid) - 1 AS i
        FROM (SELECT DISTINCT vid FROM {q(edges)})"""
    )
    values = int(db.one("SELECT count(*) FROM node_v"))
    pairs = db.arrow(f"SELECT g.i AS a, v.i AS b FROM {q(edges)} e JOIN node_g g USING (gid) JOIN node_v v USING (vid)")
    size = groups + values
    a = pairs.column("a").to_numpy().astype(np.int64)
    b = pairs.column("b").to_numpy().astype(np.int64)
    labels = component_labels(a, b, size)
    db.register("__labels", pa.table({"i": np.arange(size, dtype=np.int64), "comp": labels}))
    db.run("CREATE OR REPLACE TABLE comp_g AS SELECT gid, comp FROM node_g JOIN __labels USING (i)")
    db.run("CREATE OR REPLACE TABLE comp_v AS SELECT vid, comp FROM node_v JOIN __labels USING (i)")


def component_labels(a: np.ndarray, b: np.ndarray, size: int) -> np.ndarray:
    """The component of each of ``size`` nodes joined by the edges ``a[k]``-``b[k]``:
    the smallest node of its component.

    Union-find on whole arrays: each round drops the edges whose ends already
    share a root, hooks the larger root of every other edge under the
    smallest root it meets there (``np.minimum.at``), then moves every node
    to its parent's parent until each points at its root. A root only ever
    goes under a smaller node, so the smallest node of a component stays its
    root. The graphs of linking take two or three rounds. It replaces SciPy's
    ``connected_components``, which gave the same components in the same time
    (0.29 s against 0.30 s over a 4.5M records run's nine graphs, the largest
    of 1.3M edges) but took 0.25 s to import on every run.
    """
    parent = np.arange(size, dtype=np.int64)
    while True:
        root_a, root_b = parent[a], parent[b]
        apart = root_a != root_b
        if not apart.any():
            return parent
        a, b, root_a, root_b = a[apart], b[apart], root_a[apart], root_b[apart]
        np.minimum.at(parent, np.maximum(root_a, root_b), np.minimum(root_a, root_b))
        while True:
            grand = parent[parent]
            if np.array_equal(grand, parent):
                break
            parent = grand


def merge_components(db: Database, passing: str) -> int:
    """Merge every component listed in ``passing(comp)`` into one group; returns how many groups merged away."""
    db.run(
        f"""CREATE OR REPLACE TABLE regroup AS
        SELECT c.gid, min(c.gid) OVER (PARTITION BY c.comp) AS new_gid
        FROM comp_g c WHERE c.comp IN (SELECT comp FROM {q(passing)})"""
    )
    return apply_regroup(db)


def apply_regroup(db: Database) -> int:
    """Move the groups of ``regroup(gid, new_gid)`` into their new group; returns how many moved."""
    db.run(
        """UPDATE grp SET gid = regroup.new_gid FROM regroup
        WHERE grp.gid = regroup.gid AND regroup.gid <> regroup.new_gid"""
    )
    return int(db.one("SELECT count(*) FROM regroup WHERE gid <> new_gid"))


def note(db: Database, select_kind_vid: str, params: list[object] | None = None) -> None:
    """Append reported values to ``notes``, from a query yielding ``kind, vid``."""
    db.run(f"CREATE OR REPLACE TEMP TABLE noted AS SELECT DISTINCT * FROM ({select_kind_vid}) n(kind, vid)", params)
    db.run(
        f"""INSERT INTO notes SELECT n.kind, d.ident, d.norm, n.vid
        FROM noted n JOIN ({names("SELECT vid FROM noted")}) d USING (vid)"""
    )


def names(vids: str) -> str:
    """A query of ``(vid, ident, norm)`` for the value numbers a query yields."""
    return f"SELECT DISTINCT vid, ident, norm FROM vals WHERE vid IN ({vids})"
