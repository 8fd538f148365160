"""Set-based primitives the linking stages share: connected components, the
merge test of MATCHING.md, and applying merges to the ``grp`` table.

Tables these functions read and write:

- ``uv(rec, ident, norm)``: usable values (status ``ok``, not moved away);
- ``grp(rec, gid)``: the group each record is in; ``gid`` is always the
  smallest ``rec`` of the group, so it is also a member record;
- ``notes(kind, ident, norm)``: values reported by the linking stages;
- ``limits(ident, lim)``: the limit of each identifier.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from matchers.config import Config
from matchers.db import Database, lit, q


def prepare(db: Database, config: Config) -> None:
    """Create the working tables from ``vals`` (after screening)."""
    db.run("CREATE OR REPLACE TABLE uv AS SELECT DISTINCT rec, ident, norm FROM vals WHERE status = 'ok'")
    db.run("CREATE OR REPLACE TABLE grp AS SELECT rec, rec AS gid FROM recs")
    db.run("CREATE OR REPLACE TABLE notes (kind VARCHAR, ident VARCHAR, norm VARCHAR)")
    db.run("CREATE OR REPLACE TABLE moved_vals (rec BIGINT, ident VARCHAR, norm VARCHAR)")
    db.run("CREATE OR REPLACE TABLE moves (ident VARCHAR, norm VARCHAR, from_gid BIGINT, to_gid BIGINT)")
    db.table_from_arrow(
        "limits",
        pa.table(
            {
                "ident": pa.array([i.name for i in config.identifiers], pa.string()),
                "lim": pa.array([i.limit for i in config.identifiers], pa.int64()),
            }
        ),
    )
    identifying = [i.name for i in config.identifiers if i.kind in ("key", "personal")]
    in_list = ", ".join(lit(n) for n in identifying) or "NULL"
    db.run(f"CREATE OR REPLACE TABLE identified AS SELECT DISTINCT rec FROM uv WHERE ident IN ({in_list})")


def refresh_group_values(db: Database) -> None:
    """``gval(gid, ident, norm)``: the distinct usable values each group holds."""
    db.run(
        """CREATE OR REPLACE TABLE gval AS
        SELECT DISTINCT g.gid, u.ident, u.norm FROM uv u JOIN grp g USING (rec)"""
    )


def failing_candidates(db: Database, key: str | None, *, strict_key: bool) -> None:
    """Test every candidate merge in ``cand(cid, gid)``; write the refused ones.

    A merge is refused when the merged group would hold more distinct values of
    any identifier than both its limit and the largest number any of its parts
    already holds; with ``strict_key`` also when it would hold two key values.
    Result: ``verdict(cid, conflict)``, one row per refused candidate, with
    ``conflict`` true when two key values met (reported as conflict, else limit).
    """
    key_test = f"merged.ident = {lit(key)} AND merged.n > 1" if (key and strict_key) else "false"
    db.run(
        f"""CREATE OR REPLACE TABLE verdict AS
        WITH gv AS (
            SELECT DISTINCT c.cid, c.gid, u.ident, u.norm
            FROM cand c JOIN grp g ON g.gid = c.gid JOIN uv u ON u.rec = g.rec
        ),
        part AS (
            SELECT cid, ident, max(n) AS m
            FROM (SELECT cid, gid, ident, count(*) AS n FROM gv GROUP BY ALL) GROUP BY ALL
        ),
        merged AS (SELECT cid, ident, count(DISTINCT norm) AS n FROM gv GROUP BY ALL)
        SELECT cid, bool_or({key_test}) AS conflict
        FROM merged JOIN part USING (cid, ident) JOIN limits USING (ident)
        GROUP BY cid
        HAVING bool_or({key_test}) OR bool_or(merged.n > greatest(limits.lim, part.m))"""
    )


def components(db: Database, edges: str) -> None:
    """Connected components of the bipartite graph of groups and shared values.

    ``edges(gid, norm)`` -> ``comp_g(gid, comp)`` and ``comp_v(norm, comp)``.
    Node numbering comes from SQL; the labelling is SciPy's union of whole
    arrays, so no Python runs per edge.
    """
    db.run(
        f"""CREATE OR REPLACE TABLE node_g AS
        SELECT gid, row_number() OVER (ORDER BY gid) - 1 AS i FROM (SELECT DISTINCT gid FROM {q(edges)})"""
    )
    groups = int(db.one("SELECT count(*) FROM node_g"))
    db.run(
        f"""CREATE OR REPLACE TABLE node_v AS
        SELECT norm, {groups} + row_number() OVER (ORDER BY norm) - 1 AS i
        FROM (SELECT DISTINCT norm FROM {q(edges)})"""
    )
    values = int(db.one("SELECT count(*) FROM node_v"))
    pairs = db.arrow(
        f"SELECT g.i AS a, v.i AS b FROM {q(edges)} e JOIN node_g g USING (gid) JOIN node_v v USING (norm)"
    )
    size = groups + values
    a = pairs.column("a").to_numpy().astype(np.int64)
    b = pairs.column("b").to_numpy().astype(np.int64)
    matrix = coo_matrix((np.ones(len(a), dtype=np.int8), (a, b)), shape=(size, size))
    _, labels = connected_components(matrix, directed=False)
    db.register("__labels", pa.table({"i": np.arange(size, dtype=np.int64), "comp": labels.astype(np.int64)}))
    db.run("CREATE OR REPLACE TABLE comp_g AS SELECT gid, comp FROM node_g JOIN __labels USING (i)")
    db.run("CREATE OR REPLACE TABLE comp_v AS SELECT norm, comp FROM node_v JOIN __labels USING (i)")


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


def note(db: Database, select_kind_ident_norm: str, params: list[object] | None = None) -> None:
    """Append reported values (a query yielding kind, ident, norm) to ``notes``."""
    db.run(f"INSERT INTO notes {select_kind_ident_norm}", params)
