"""Explain a result: why records are one contact, and what was kept apart from it.

Works from an output folder alone (either format), without re-running the
match. ``run`` writes ``links.<fmt>`` for this: one row per (record,
identifier, normalised value) with the value's ``status``:

- ``ok``: usable, so it could link (whether it did is read from the contact
  membership and the findings);
- ``blocked``, ``invalid``, ``over_shared``: screened out, never links;
- ``moved``: a device or anonymous value removed from this record's contact
  because a newer owner kept it.

The value is written as ``findings.<fmt>`` writes it (a blocked placeholder
lower-cased), so that the two files join on ``(identifier, value)``.

How the chain of links is rebuilt: two records of one contact are *linked* by
a value they both carry when that value is usable and made links at its step,
which is the case unless the findings report it as a ``conflict`` or ``limit``
(such a value made no link at all), and for the key, unless one of the two
records holds two key values (such a record links by neither). Among all such
links the spanning tree with the highest-priority identifiers is kept: a
minimum spanning tree over the records, each link weighted by its
identifier's priority (Kruskal's rule, so every record is reached through the
highest-priority identifier that can reach it). The tree is then read from a
root record (the record asked about, else the first record of the contact in
input order). Each value's holders are joined as a star, not as every pair,
so a value on 10,000 records gives 10,000 candidate links, not 50 million.

Example::

    from matchers.explain import explain
    result = explain(Path("result"), "olenakoval@gmail.com")
    for link in result.contacts[0].links:
        print(link.parent, f"--{link.identifier}:{link.value}->", link.child)
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pyarrow as pa

from matchers.db import Database, lit, q
from matchers.errors import IdmergeError, InputError
from matchers.load import place_sql
from matchers.normalise import PREFIXED_SOURCE_KEY, canonical_email, parse_phones
from matchers.report import FINDING_KINDS, blocked_values

Format = Literal["csv", "parquet"]
MatchedAs = Literal["contact", "record", "value"]
#: How a value appears in a reason: as it is, or masked (report.html).
Show = Callable[[str | None, str], str]

LINKS = "links"
LINK_STATUSES = ("ok", "blocked", "invalid", "over_shared", "moved")
#: Records (and links of the tree) listed per contact; the counts cover all.
MAX_RECORDS = 200
#: Contacts explained when a value is carried by several.
MAX_CONTACTS = 10
#: Findings listed per contact.
MAX_KEPT_APART = 100
#: Other contacts named per finding (and looked into for their key values).
MAX_OTHERS = 20
_RECORD_REF = re.compile(r"^(?P<source>.+):(?P<row>[0-9]+)$")


class QueryNotFound(IdmergeError):
    """Nothing in the result matches the query (the CLI exits 1, like grep)."""


# --- what run writes --------------------------------------------------------------------------


def _link_values() -> str:
    """Every identifier value of every record, with its status: ``(rec, iid, ident, value, status)``.

    Built from the engine's tables after survivorship (``vals``, ``moved_vals``).
    """
    # A value's number stands for its identifier and normalised form: joined on
    # it, the 15M rows of vals at 4.5M records compare no strings.
    moved = "LEFT JOIN (SELECT DISTINCT rec, vid FROM moved_vals) m ON m.rec = v.rec AND m.vid = v.vid"
    status = "CASE WHEN m.rec IS NOT NULL THEN 'moved' ELSE v.status END"
    # vals has one row per (rec, ident, norm), so only blocked values, whose
    # placeholders are written lower-cased, can give a record one value twice
    # (N/A, n/a): only they need DISTINCT. (A moved value was usable, never blocked.)
    return f"""SELECT v.rec, v.iid, v.ident, v.norm AS value, {status} AS status
        FROM vals v {moved} WHERE v.status <> 'blocked'
        UNION ALL
        SELECT DISTINCT v.rec, v.iid, v.ident, v.value, CASE WHEN m.rec IS NOT NULL THEN 'moved' ELSE 'blocked' END
        FROM ({blocked_values()}) v {moved}"""


def links_query() -> str:
    """``links`` unordered, its file and row joined from ``membership`` (what explanations read)."""
    return f"""SELECT r.source, r."row", x.ident::VARCHAR AS identifier, x.value, x.status
        FROM ({_link_values()}) x JOIN membership r USING (rec)"""


def sorted_links(files: list[str], records: str, *, several: bool = True) -> str:
    """The rows of ``links`` (file, row, identifier, value, status) of the records
    ``records`` (SQL on ``rec``) holds, ordered by record, then identifier priority
    and value. ``run`` writes them straight to a file, a range of records at a
    time (never kept as a table); report.html's explanations read only the
    records they show, through :func:`attach_engine`.

    A record's number holds its file (``files``, by input order) and its row, so
    the sort carries neither: they are worked out from the number once sorted.
    Unless a record can hold ``several`` values of one identifier (several
    columns or a list column, :func:`matchers.normalise.several_values`), record
    and identifier alone order the rows: sorted without the text as well, at
    4.5M records each range of a million records took 0.3 s less (of 1.25 s).
    """
    order = "rec, iid, value" if several else "rec, iid"
    return f"""SELECT {place_sql(files)}, ident::VARCHAR AS identifier, value, status
        FROM (SELECT rec, iid, ident, value, status FROM ({_link_values()}) WHERE {records} ORDER BY {order})"""


# --- settings of a result ---------------------------------------------------------------------


@dataclass(frozen=True)
class IdentifierRule:
    name: str
    kind: str
    limit: int
    #: 1 is the highest priority.
    priority: int


@dataclass(frozen=True)
class ResultSettings:
    """What explaining needs from ``report.json``: the rules and the inputs."""

    identifiers: tuple[IdentifierRule, ...]
    sources: tuple[str, ...]
    region: str | None = None
    gmail_rules: bool = True
    over_shared: int = 20

    @property
    def key(self) -> str | None:
        return next((i.name for i in self.identifiers if i.kind == "key"), None)

    def rule(self, name: str | None) -> IdentifierRule | None:
        return next((i for i in self.identifiers if i.name == name), None)


def settings_from_report(report: dict[str, Any]) -> ResultSettings:
    """The settings recorded in a ``report.json`` (as written by :func:`matchers.pipeline.build_report`)."""
    settings = report.get("settings", {})
    idents = tuple(
        IdentifierRule(i["name"], i["kind"], int(i["limit"]), int(i["priority"]))
        for i in settings.get("identifiers", [])
    )
    summary = report.get("summary", {})
    return ResultSettings(
        identifiers=idents,
        sources=tuple(i["file"] for i in report.get("inputs", [])),
        region=summary.get("region") or settings.get("region"),
        gmail_rules=bool(settings.get("gmail_rules", True)),
        over_shared=int(settings.get("over_shared", 20)),
    )


# --- typed results ----------------------------------------------------------------------------


@dataclass
class Value:
    identifier: str
    value: str
    status: str


@dataclass
class Record:
    """One input record of a contact: ``source:row`` and its identifier values."""

    ref: str
    source: str
    row: int
    matched_by: str | None
    values: list[Value] = field(default_factory=list)


@dataclass
class Link:
    """``parent`` and ``child`` (record refs) both carry ``identifier`` = ``value``."""

    parent: str
    child: str
    identifier: str
    value: str
    #: The identifier's priority (1 = highest): the step at which it links.
    priority: int
    depth: int


@dataclass
class KeptApart:
    """A finding on a value this contact carries: what it did not link, and why."""

    kind: str
    identifier: str | None
    value: str
    reason: str
    #: Records carrying the value, in all contacts and in this one.
    records: int
    records_here: int
    #: Other contacts that carry it (at most :data:`MAX_OTHERS` named).
    other_contacts: list[str]
    other_count: int
    #: Key values of the named other contacts (contact id -> values).
    other_keys: dict[str, list[str]] = field(default_factory=dict)
    moved_from: str | None = None
    moved_to: str | None = None


@dataclass
class ContactExplanation:
    contact_id: str
    records_total: int
    #: Records per source file.
    sources: dict[str, int]
    #: The merged contact's identifier columns that are not blank.
    fields: dict[str, str]
    root: str
    #: Records in tree order (first :data:`MAX_RECORDS`).
    records: list[Record]
    #: The chain of links, breadth first from ``root`` (first :data:`MAX_RECORDS` - 1).
    links: list[Link]
    #: Links of the whole tree per identifier, in priority order.
    links_by_identifier: dict[str, int]
    #: Records of the contact that no link reaches (empty unless the result was edited).
    unlinked: list[str]
    kept_apart: list[KeptApart]
    kept_apart_total: int


@dataclass
class ValueMatch:
    """A value the query was read as, and where it is."""

    identifier: str
    value: str
    status: str
    records: int
    contacts: int


@dataclass
class Explanation:
    query: str
    matched_as: MatchedAs
    result_dir: str
    matches: list[ValueMatch]
    contacts: list[ContactExplanation]
    #: Contacts matched in all (only the first :data:`MAX_CONTACTS` are explained).
    contact_count: int

    def as_dict(self) -> dict[str, Any]:
        from dataclasses import asdict

        return asdict(self)


# --- attaching a result -----------------------------------------------------------------------


def find_format(folder: Path) -> Format:
    """The format of the result in ``folder`` (the newer one if both are there)."""
    if not folder.is_dir():
        raise InputError(f"{folder}: no such folder; pass the --out folder of idmerge run")
    formats: tuple[Format, ...] = ("csv", "parquet")
    present = [(p.stat().st_mtime, f) for f in formats if (p := folder / f"membership.{f}").is_file()]
    if not present or not (folder / "report.json").is_file():
        raise InputError(
            f"{folder}: not an idmerge result (no membership.csv or .parquet and report.json); "
            "pass the --out folder of idmerge run"
        )
    fmt: Format = max(present)[1]
    for stem in ("contacts", "findings", LINKS):
        if not (folder / f"{stem}.{fmt}").is_file():
            raise InputError(
                f"{folder}: {stem}.{fmt} is missing (written by an older idmerge?); "
                "run idmerge run again with --force to write it"
            )
    return fmt


def attach_result(db: Database, folder: Path) -> ResultSettings:
    """Views ``x_membership``, ``x_links``, ``x_findings``, ``x_contacts`` over a result folder."""
    fmt = find_format(folder)
    try:
        report = json.loads((folder / "report.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError(f"{folder / 'report.json'}: unreadable ({exc}); run idmerge run again") from None
    if not isinstance(report, dict):
        raise InputError(f"{folder / 'report.json'}: not an idmerge report; run idmerge run again")

    def scan(stem: str) -> str:
        # A view takes no parameters, so the path is quoted by lit() (apostrophes doubled).
        path = lit(str(folder / f"{stem}.{fmt}"))
        if fmt == "parquet":
            return f"read_parquet({path})"
        return f"read_csv({path}, header = true, all_varchar = true, delim = ',', quote = '\"', escape = '\"')"

    db.run(
        f"""CREATE OR REPLACE TEMP VIEW x_membership AS
        SELECT source::VARCHAR AS source, "row"::BIGINT AS "row", contact_id::VARCHAR AS contact_id,
               matched_by::VARCHAR AS matched_by FROM {scan("membership")}"""
    )
    db.run(
        f"""CREATE OR REPLACE TEMP VIEW x_links AS
        SELECT source::VARCHAR AS source, "row"::BIGINT AS "row", identifier::VARCHAR AS identifier,
               value::VARCHAR AS value, status::VARCHAR AS status FROM {scan(LINKS)}"""
    )
    db.run(
        f"""CREATE OR REPLACE TEMP VIEW x_findings AS
        SELECT kind::VARCHAR AS kind, identifier::VARCHAR AS identifier, value::VARCHAR AS value,
               records::BIGINT AS records, contacts::VARCHAR AS contacts,
               contact_count::BIGINT AS contact_count, moved_from::VARCHAR AS moved_from,
               moved_to::VARCHAR AS moved_to FROM {scan("findings")}"""
    )
    db.run(f"CREATE OR REPLACE TEMP VIEW x_contacts AS SELECT * FROM {scan('contacts')}")
    try:
        db.one("SELECT count(*) FROM (SELECT * FROM x_membership LIMIT 1)")
        db.one("SELECT count(*) FROM (SELECT * FROM x_links LIMIT 1)")
        db.one("SELECT count(*) FROM (SELECT * FROM x_findings LIMIT 1)")
    except Exception as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise InputError(f"{folder}: the result files cannot be read ({first}); run idmerge run again") from None
    return settings_from_report(report)


def attach_engine(db: Database) -> None:
    """The same views over the engine's own tables, before the outputs are written."""
    db.run('CREATE OR REPLACE TEMP VIEW x_membership AS SELECT source, "row", contact_id, matched_by FROM membership')
    # Unordered: explanations join it to a few records, and DuckDB pushes that join
    # down into the scan of vals, so only those records' values are computed.
    db.run(f"CREATE OR REPLACE TEMP VIEW x_links AS {links_query()}")
    db.run("CREATE OR REPLACE TEMP VIEW x_findings AS SELECT * FROM findings")
    db.run("CREATE OR REPLACE TEMP VIEW x_contacts AS SELECT * FROM contacts")


# --- resolving a query ------------------------------------------------------------------------


def value_candidates(query: str, settings: ResultSettings) -> list[str]:
    """The forms a typed value may have in ``links``: as typed, lower-cased, as an
    email or a phone is normalised, and as a source key of each input file.

    >>> s = ResultSettings((), ("a.csv",), region="UA")
    >>> value_candidates(" Olena.Koval@GoogleMail.com ", s)[:3]
    ['Olena.Koval@GoogleMail.com', 'olena.koval@googlemail.com', 'olenakoval@gmail.com']
    """
    text = query.strip()
    forms = [text, text.lower()]
    if "@" in text:
        forms.append(canonical_email(text.lower(), settings.gmail_rules)[0])
    digits = re.sub(r"[^0-9]", "", text)
    if digits and len(digits) >= 0.6 * len(re.sub(r"\s", "", text)):
        if text.startswith("+"):
            clean = "+" + digits
        elif digits.startswith("00"):
            clean = "+" + digits[2:]
        else:
            clean = digits
        forms.append(clean)
        e164 = parse_phones([clean], settings.region)[0][0]
        if e164:
            forms.append(e164)
    if not re.match(PREFIXED_SOURCE_KEY, text):
        forms.extend(f"{source}:{text}" for source in settings.sources)
    return list(dict.fromkeys(f for f in forms if f))


def resolve_query(db: Database, settings: ResultSettings, query: str) -> tuple[MatchedAs, list[str], list[ValueMatch]]:
    """Read QUERY as a contact id, then an input reference ``source:row``, then a value.

    Returns how it was read, the matching contact ids (most records first) and,
    for a value, the identifier values it matched.
    """
    text = query.strip()
    if not text:
        raise QueryNotFound("the query is empty; give a contact id, an input reference SOURCE:ROW or a value")
    if db.one("SELECT count(*) FROM (SELECT 1 FROM x_membership WHERE contact_id = ? LIMIT 1)", [text]):
        return "contact", [text], []
    ref = _RECORD_REF.match(text)
    if ref:
        found = db.rows(
            'SELECT contact_id FROM x_membership WHERE source = ? AND "row" = ?',
            [ref["source"], int(ref["row"])],
        )
        if found:
            return "record", [found[0][0]], []
    candidates = value_candidates(text, settings)
    rows = db.rows(
        """SELECT l.identifier, l.value, l.status, count(*) AS records, count(DISTINCT m.contact_id) AS contacts
        FROM x_links l JOIN x_membership m USING (source, "row")
        WHERE l.value IN (SELECT unnest(?::VARCHAR[]))
        GROUP BY ALL ORDER BY records DESC, l.identifier, l.value, l.status""",
        [candidates],
    )
    if not rows:
        raise QueryNotFound(
            "nothing in the result matches the query; give a contact id, an input reference SOURCE:ROW "
            "(as in membership) or an identifier value"
        )
    matches = [ValueMatch(i, v, s, int(r), int(c)) for i, v, s, r, c in rows]
    contacts = [
        c
        for (c,) in db.rows(
            """SELECT m.contact_id FROM x_links l JOIN x_membership m USING (source, "row")
            WHERE l.value IN (SELECT unnest(?::VARCHAR[]))
            GROUP BY m.contact_id ORDER BY count(*) DESC, m.contact_id""",
            [candidates],
        )
    ]
    return "value", contacts, matches


def _root_records(
    db: Database,
    settings: ResultSettings,
    matched_as: MatchedAs,
    query: str,
    contacts: list[str],
    matches: list[ValueMatch],
) -> dict[str, str]:
    """The record each contact's tree starts from: the one asked about, else the first carrying the value."""
    if matched_as == "record":
        return {contacts[0]: query.strip()}
    if matched_as != "value":
        return {}
    db.table_from_arrow(
        "e_match",
        pa.table(
            {
                "identifier": pa.array([m.identifier for m in matches], pa.string()),
                "value": pa.array([m.value for m in matches], pa.string()),
            }
        ),
    )
    rows = db.rows(
        """SELECT m.contact_id,
                  arg_min(m.source || ':' || m."row", {'s': list_position(?, m.source), 'r': m."row"})
        FROM x_links l SEMI JOIN e_match USING (identifier, value)
        JOIN x_membership m USING (source, "row")
        WHERE m.contact_id IN (SELECT unnest(?::VARCHAR[]))
        GROUP BY m.contact_id""",
        [list(settings.sources), contacts],
    )
    return {c: r for c, r in rows}


def explain(result_dir: Path, query: str) -> Explanation:
    """Explain the contact(s) QUERY names in the result folder ``result_dir``."""
    db = Database()
    try:
        settings = attach_result(db, result_dir)
        matched_as, contacts, matches = resolve_query(db, settings, query)
        shown = contacts[:MAX_CONTACTS]
        roots = _root_records(db, settings, matched_as, query, shown, matches)
        explained = explain_contacts(db, settings, shown, roots)
    finally:
        db.close()
    return Explanation(query.strip(), matched_as, str(result_dir), matches, explained, len(contacts))


# --- explaining contacts ----------------------------------------------------------------------


def _as_is(identifier: str | None, value: str) -> str:
    return value


def explain_contacts(
    db: Database,
    settings: ResultSettings,
    contact_ids: list[str],
    roots: dict[str, str] | None = None,
    *,
    show: Show = _as_is,
) -> list[ContactExplanation]:
    """Explain several contacts at once over the attached ``x_*`` views (one pass over each).

    ``show`` renders the values quoted in the reasons (report.html masks them).
    """
    if not contact_ids:
        return []
    roots = roots or {}
    db.table_from_arrow(
        "e_prio",
        pa.table(
            {
                "identifier": pa.array([i.name for i in settings.identifiers], pa.string()),
                "prio": pa.array([i.priority for i in settings.identifiers], pa.int64()),
            }
        ),
    )
    db.table_from_arrow("e_cids", pa.table({"contact_id": pa.array(contact_ids, pa.string())}))
    # Nodes: the records of these contacts, numbered by contact, then input order.
    db.run(
        """CREATE OR REPLACE TEMP TABLE e_recs AS
        SELECT row_number() OVER (ORDER BY contact_id, list_position(?, source) NULLS LAST, source, "row") - 1
               AS node, contact_id, source, "row", matched_by, source || ':' || "row" AS ref
        FROM x_membership WHERE contact_id IN (SELECT contact_id FROM e_cids)""",
        [list(settings.sources)],
    )
    db.run(
        """CREATE OR REPLACE TEMP TABLE e_vals AS
        SELECT r.node, r.contact_id, l.identifier, l.value, l.status
        FROM x_links l JOIN e_recs r USING (source, "row")"""
    )
    _link_candidates(db, settings.key)
    nodes = db.arrow("SELECT node, contact_id, ref FROM e_recs ORDER BY node")
    node_contact = nodes.column("contact_id").to_pylist()
    node_ref = nodes.column("ref").to_pylist()
    edges = db.arrow("SELECT a, b, prio, identifier, value FROM e_edges ORDER BY a, b")
    tree = _spanning_tree(len(node_ref), edges)
    kept = _kept_apart(db, settings, show)
    fields = _fields(db, settings)
    sources = {
        c: {s: n for s, n, _ in rows}
        for c, rows in _group(
            db.rows(
                """SELECT contact_id, source, count(*) AS n, list_position(?, source) AS o FROM e_recs
                GROUP BY contact_id, source ORDER BY contact_id, o NULLS LAST, source""",
                [list(settings.sources)],
            )
        ).items()
    }
    first_node: dict[str, int] = {}
    totals: dict[str, int] = {}
    for node, contact in enumerate(node_contact):
        first_node.setdefault(contact, node)
        totals[contact] = totals.get(contact, 0) + 1
    wanted_roots = set(roots.values())
    ref_node = {ref: n for n, ref in enumerate(node_ref) if ref in wanted_roots}
    # Unless asked, a tree starts at the first record holding the contact's
    # highest-priority link, so that it reads top-down in the order of the steps.
    best_root = dict(
        db.rows(
            """SELECT r.contact_id, arg_min(e.a, {'p': e.prio, 'a': e.a})
            FROM e_edges e JOIN e_recs r ON r.node = e.a GROUP BY r.contact_id"""
        )
    )

    out: list[ContactExplanation] = []
    shown_nodes: dict[str, list[int]] = {}
    drafts: list[tuple[str, int, list[Link], dict[str, int], list[str]]] = []
    for contact in contact_ids:
        if contact not in first_node:
            continue
        root = ref_node.get(roots.get(contact, ""), int(best_root.get(contact, first_node[contact])))
        start, stop = first_node[contact], first_node[contact] + totals[contact]
        order, links, by_ident = tree.walk(root, start, stop, node_ref, settings)
        reached = set(order.tolist())
        unlinked = [node_ref[n] for n in range(start, stop) if n not in reached]
        # Records in the order the tree shows them: the root, then each link's child.
        by_ref = {node_ref[n]: int(n) for n in order[:MAX_RECORDS].tolist()}
        listed = [root] + [by_ref[link.child] for link in links]
        seen = set(listed)
        shown_nodes[contact] = listed + [n for n in by_ref.values() if n not in seen][: MAX_RECORDS - len(listed)]
        drafts.append((contact, root, links, by_ident, unlinked))
    records = _records(db, [n for ns in shown_nodes.values() for n in ns])
    for contact, root, links, by_ident, unlinked in drafts:
        items = kept.get(contact, [])
        out.append(
            ContactExplanation(
                contact_id=contact,
                records_total=totals[contact],
                sources=sources.get(contact, {}),
                fields=fields.get(contact, {}),
                root=node_ref[root],
                records=[records[n] for n in shown_nodes[contact]],
                links=links,
                links_by_identifier=by_ident,
                unlinked=unlinked[:MAX_RECORDS],
                kept_apart=items[:MAX_KEPT_APART],
                kept_apart_total=len(items),
            )
        )
    return out


def _group(rows: list[tuple[Any, ...]]) -> dict[Any, list[tuple[Any, ...]]]:
    grouped: dict[Any, list[tuple[Any, ...]]] = {}
    for row in rows:
        grouped.setdefault(row[0], []).append(row[1:])
    return grouped


def _link_candidates(db: Database, key: str | None) -> None:
    """``e_edges(a, b, prio, identifier, value)``: for each pair of records of one
    contact, the highest-priority value that links them (holders of a value joined
    as a star around its first holder)."""
    db.run(
        f"""CREATE OR REPLACE TEMP TABLE e_edges AS
        WITH key_count AS (
            SELECT node, count(*) AS n FROM e_vals WHERE identifier = {lit(key or "")} AND status = 'ok' GROUP BY node
        ),
        noted AS (
            SELECT DISTINCT identifier, value FROM x_findings
            WHERE kind IN ('conflict', 'limit') AND identifier <> {lit(key or "")}
        ),
        usable AS (
            SELECT v.contact_id, v.node, v.identifier, v.value, p.prio
            FROM e_vals v JOIN e_prio p USING (identifier)
            LEFT JOIN key_count k USING (node)
            ANTI JOIN noted n ON n.identifier = v.identifier AND n.value = v.value
            WHERE v.status = 'ok' AND (v.identifier <> {lit(key or "")} OR k.n = 1)
        ),
        star AS (
            SELECT min(node) OVER (PARTITION BY contact_id, identifier, value) AS a, node AS b, prio, identifier, value
            FROM usable
        ),
        best AS (
            SELECT a, b, min({{'p': prio, 'v': value, 'i': identifier}}) AS e FROM star WHERE a <> b GROUP BY a, b
        )
        SELECT a, b, e.p AS prio, e.i AS identifier, e.v AS value FROM best"""
    )


@dataclass
class _Tree:
    """A minimum spanning forest over the nodes, with each tree edge's label."""

    size: int
    graph: _Forest | None
    keys: np.ndarray
    prio: np.ndarray
    identifier: list[str]
    value: list[str]

    def walk(
        self, root: int, start: int, stop: int, refs: list[str], settings: ResultSettings
    ) -> tuple[np.ndarray, list[Link], dict[str, int]]:
        """Breadth-first order from ``root``, the first links, and link counts per identifier."""
        if self.graph is None:
            return np.array([root]), [], {}
        order, pred = self.graph.breadth_first(root)
        children = order[1:]
        parents = pred[children]
        lo, hi = np.minimum(parents, children), np.maximum(parents, children)
        idx = np.searchsorted(self.keys, lo.astype(np.int64) * self.size + hi)
        by_prio = np.bincount(self.prio[idx], minlength=1) if len(idx) else np.zeros(1, dtype=np.int64)
        by_ident = {
            rule.name: int(by_prio[rule.priority])
            for rule in sorted(settings.identifiers, key=lambda r: r.priority)
            if rule.priority < len(by_prio) and by_prio[rule.priority]
        }
        depth = {int(root): 0}
        links = []
        for child, parent, k in zip(
            children[: MAX_RECORDS - 1].tolist(), parents[: MAX_RECORDS - 1].tolist(), idx.tolist(), strict=False
        ):
            depth[child] = depth[parent] + 1
            links.append(
                Link(refs[parent], refs[child], self.identifier[k], self.value[k], int(self.prio[k]), depth[child])
            )
        return order, _depth_first(refs[int(root)], links), by_ident


def _depth_first(root: str, links: list[Link]) -> list[Link]:
    """Links in the order a tree is read: depth first, siblings by priority, then input order."""
    rank = {link.child: i for i, link in enumerate(links)}
    children: dict[str, list[Link]] = {}
    for link in links:
        children.setdefault(link.parent, []).append(link)
    ordered: list[Link] = []
    stack = sorted(children.get(root, []), key=lambda x: (x.priority, rank[x.child]), reverse=True)
    while stack:
        link = stack.pop()
        ordered.append(link)
        stack.extend(sorted(children.get(link.child, []), key=lambda x: (x.priority, rank[x.child]), reverse=True))
    return ordered


def _spanning_tree(size: int, edges: pa.Table) -> _Tree:
    a = edges.column("a").to_numpy().astype(np.int64)
    b = edges.column("b").to_numpy().astype(np.int64)
    prio = edges.column("prio").to_numpy().astype(np.int64)
    identifier = edges.column("identifier").to_pylist()
    value = edges.column("value").to_pylist()
    if size == 0 or len(a) == 0:
        return _Tree(max(size, 1), None, np.zeros(0, np.int64), prio, identifier, value)
    return _Tree(size, _Forest.minimum(size, a, b, prio), a * size + b, prio, identifier, value)


@dataclass
class _Forest:
    """A minimum spanning forest of the explained contacts' records, as SciPy's
    ``minimum_spanning_tree`` and ``breadth_first_order`` made and walked it
    (the same tree and the same order, so explanations read as before; SciPy
    itself took 0.25 s to import on every run that wrote report.html)."""

    #: each node's tree neighbours: those it is the first node of an edge with, then the others, each ascending
    neighbours: list[list[int]]

    @classmethod
    def minimum(cls, size: int, a: np.ndarray, b: np.ndarray, prio: np.ndarray) -> _Forest:
        """Kruskal's algorithm over the edges ``a``-``b`` (sorted by ``a``, then ``b``), the
        lowest priority number first and ties in edge order (SciPy's stable sort).

        One step per edge of the records shown, not of the run's data: a few contacts.
        """
        parent = list(range(size))

        def root(node: int) -> int:
            top = node
            while parent[top] != top:
                top = parent[top]
            while parent[node] != top:
                parent[node], node = top, parent[node]
            return top

        first, second = a.tolist(), b.tolist()
        kept = []
        for k in np.argsort(prio, kind="stable").tolist():
            one, other = root(first[k]), root(second[k])
            if one != other:
                parent[one] = other
                kept.append(k)
        kept.sort()
        forward: list[list[int]] = [[] for _ in range(size)]
        backward: list[list[int]] = [[] for _ in range(size)]
        for k in kept:
            forward[first[k]].append(second[k])
        for k in sorted(kept, key=lambda k: (second[k], first[k])):
            backward[second[k]].append(first[k])
        return cls([f + r for f, r in zip(forward, backward, strict=True)])

    def breadth_first(self, root: int) -> tuple[np.ndarray, np.ndarray]:
        """The nodes of ``root``'s tree in breadth-first order, and each node's predecessor."""
        order = [root]
        pred = np.full(len(self.neighbours), -1, dtype=np.int64)
        seen = {root}
        for node in order:
            for child in self.neighbours[node]:
                if child not in seen:
                    seen.add(child)
                    pred[child] = node
                    order.append(child)
        return np.array(order, dtype=np.int64), pred


def _records(db: Database, nodes: list[int]) -> dict[int, Record]:
    if not nodes:
        return {}
    db.table_from_arrow("e_shown", pa.table({"node": pa.array(nodes, pa.int64())}))
    records = {
        int(n): Record(ref, source, int(row), matched_by)
        for n, ref, source, row, matched_by in db.rows(
            """SELECT node, ref, source, "row", matched_by FROM e_recs
            WHERE node IN (SELECT node FROM e_shown)"""
        )
    }
    for n, identifier, value, status in db.rows(
        """SELECT v.node, v.identifier, v.value, v.status FROM e_vals v
        JOIN e_prio p USING (identifier) WHERE v.node IN (SELECT node FROM e_shown)
        ORDER BY v.node, p.prio, v.value"""
    ):
        records[int(n)].values.append(Value(identifier, value, status))
    return records


def _fields(db: Database, settings: ResultSettings) -> dict[str, dict[str, str]]:
    """The merged row's identifier columns (and ``updated_at``) that are not blank."""
    columns = db.columns("x_contacts")
    wanted = [
        c
        for rule in sorted(settings.identifiers, key=lambda r: r.priority)
        for c in (rule.name, rule.name + "_other")
        if c in columns
    ] + (["updated_at"] if "updated_at" in columns else [])
    if not wanted:
        return {}
    select = ", ".join(f"CAST({q(c)} AS VARCHAR)" for c in wanted)
    fields: dict[str, dict[str, str]] = {}
    for row in db.rows(
        f"SELECT contact_id, {select} FROM x_contacts WHERE contact_id IN (SELECT contact_id FROM e_cids)"
    ):
        fields[row[0]] = {c: v for c, v in zip(wanted, row[1:], strict=True) if v not in (None, "")}
    return fields


def _kept_apart(db: Database, settings: ResultSettings, show: Show) -> dict[str, list[KeptApart]]:
    """Findings on the values (and records) of the contacts, with a reason each."""
    kinds = "[" + ", ".join(lit(k) for k in FINDING_KINDS) + "]"
    db.run(
        f"""CREATE OR REPLACE TEMP TABLE e_kept AS
        WITH own AS (
            SELECT contact_id, identifier AS ik, value, count(DISTINCT node) AS here FROM e_vals GROUP BY ALL
            UNION ALL
            SELECT contact_id, '', ref, 1 FROM e_recs
        ),
        f AS (SELECT *, coalesce(identifier, '') AS ik FROM x_findings)
        SELECT row_number() OVER (ORDER BY o.contact_id, list_position({kinds}, f.kind), f.records DESC,
                                           f.identifier, f.value) AS fid,
               o.contact_id, f.kind, f.identifier, f.value, f.records, o.here, f.contacts, f.contact_count,
               f.moved_from, f.moved_to,
               list_slice(list_filter(string_split(coalesce(f.contacts, ''), ';'),
                                      lambda c: c <> '' AND c <> o.contact_id), 1, {MAX_OTHERS}) AS others
        FROM own o JOIN f ON f.ik = o.ik AND f.value = o.value"""
    )
    # Key values and usable values of the other contacts named, for the reasons.
    db.run(
        """CREATE OR REPLACE TEMP TABLE e_other AS
        SELECT DISTINCT fid, unnest(others) AS contact_id FROM e_kept WHERE kind IN ('conflict', 'limit', 'moved')"""
    )
    # Their records first, as a table: joined as a subquery, DuckDB built the
    # join on every link instead of on these few records (at 10M records 8.9 s
    # and 3 GB more memory, against 0.1 s).
    db.run(
        """CREATE OR REPLACE TEMP TABLE e_people AS
        SELECT m.contact_id, m.source, m."row" FROM x_membership m
        WHERE m.contact_id IN (SELECT contact_id FROM e_other)"""
    )
    db.run(
        """CREATE OR REPLACE TEMP TABLE e_other_vals AS
        SELECT DISTINCT p.contact_id, l.identifier, l.value
        FROM x_links l JOIN e_people p USING (source, "row") WHERE l.status = 'ok'"""
    )
    key = settings.key or ""
    other_keys: dict[int, dict[str, list[str]]] = {}
    for fid, contact, values in db.rows(
        """SELECT o.fid, o.contact_id, list(v.value ORDER BY v.value)
        FROM e_other o JOIN e_other_vals v USING (contact_id) WHERE v.identifier = ?
        GROUP BY ALL ORDER BY o.fid, o.contact_id""",
        [key],
    ):
        other_keys.setdefault(int(fid), {})[contact] = list(values)
    own_keys = {
        c: list(vs)
        for c, vs in db.rows(
            """SELECT contact_id, list(DISTINCT value ORDER BY value) FROM e_vals
            WHERE identifier = ? AND status = 'ok' GROUP BY contact_id""",
            [key],
        )
    }
    # For a limit: how many usable values of each identifier the contacts would hold together.
    together: dict[int, dict[str, int]] = {}
    for fid, identifier, n in db.rows(
        """WITH k AS (SELECT fid, contact_id FROM e_kept WHERE kind = 'limit'),
        u AS (
            SELECT k.fid, v.identifier, v.value FROM k JOIN e_vals v USING (contact_id) WHERE v.status = 'ok'
            UNION
            SELECT o.fid, v.identifier, v.value FROM e_other o JOIN k USING (fid) JOIN e_other_vals v
                ON v.contact_id = o.contact_id
        )
        SELECT fid, identifier, count(DISTINCT value) FROM u GROUP BY ALL"""
    ):
        together.setdefault(int(fid), {})[identifier] = int(n)

    kept: dict[str, list[KeptApart]] = {}
    for row in db.rows(
        """SELECT fid, contact_id, kind, identifier, value, records, here, contact_count, moved_from, moved_to, others
        FROM e_kept ORDER BY fid"""
    ):
        fid, contact, kind, identifier, value, records, here, count, moved_from, moved_to, others = row
        keys = other_keys.get(int(fid), {})
        item = KeptApart(
            kind=kind,
            identifier=identifier,
            value=value,
            reason="",
            records=int(records or 0),
            records_here=int(here or 0),
            other_contacts=list(others or []),
            other_count=max(int(count or 0) - 1, len(others or [])),
            other_keys=keys,
            moved_from=moved_from,
            moved_to=moved_to,
        )
        item.reason = _reason(item, contact, settings, own_keys.get(contact, []), together.get(int(fid), {}), show)
        kept.setdefault(contact, []).append(item)
    return kept


def _named(contacts: list[str], total: int) -> str:
    shown = ", ".join(contacts[:3])
    return shown + (f" and {total - 3:,} more" if total > 3 else "")


def _reason(
    item: KeptApart,
    contact: str,
    settings: ResultSettings,
    own_keys: list[str],
    together: dict[str, int],
    show: Show,
) -> str:
    """One sentence: why this value did not join (or left) this contact."""
    key = settings.key or "key"
    own_keys = [show(key, k) for k in own_keys]
    rule = settings.rule(item.identifier)
    others = _named(item.other_contacts, item.other_count)
    if item.kind == "no_identifier":
        return "the record has no usable identifier, so it is a contact of its own"
    if item.kind == "blocked":
        return "a placeholder or junk value: it never links records"
    if item.kind == "invalid":
        what = {"email": "not a valid email address", "phone": "not a possible phone number"}
        return f"{what.get(item.identifier or '', 'not a valid value')}: it never links records"
    if item.kind == "over_shared":
        return (
            f"carried by records with more than {settings.over_shared} different {key} values "
            "(a hub, not a person): it never links records"
        )
    if item.kind == "moved":
        if item.moved_to == contact:
            keyed = [f"{c} ({key} {', '.join(show(key, k) for k in v)})" for c, v in item.other_keys.items() if v]
            return (
                f"also seen with {', '.join(keyed[:3]) or item.moved_from}; this contact holds the newest record "
                "carrying it, so it stays here and was removed from the other"
            )
        return (
            f"moved to {item.moved_to}, which holds the newest record carrying it; "
            "a device never merges two identified contacts"
        )
    if item.kind == "conflict":
        if rule is not None and rule.kind == "key":
            if len(own_keys) > 1:
                return f"a record here holds {len(own_keys)} {key} values ({', '.join(own_keys)}), so it links by none"
            return f"also on a record that holds two {key} values ({others}), which links by neither"
        keyed = [f"{c} ({key} {', '.join(show(key, k) for k in v)})" for c, v in item.other_keys.items() if v][:3]
        mine = f"this contact has {key} {', '.join(own_keys)}; " if own_keys else ""
        if rule is not None and rule.kind in ("device", "anonymous"):
            return (
                f"{mine}it is also on {', '.join(keyed) or others}: through {item.identifier} values these "
                f"records reach two or more identified contacts, so the {item.identifier} step linked none of them"
            )
        if keyed:
            return (
                f"{mine}it is also on {', '.join(keyed)}: linking would put two {key} values "
                f"in one contact, so it made no link"
            )
        return f"{mine}linking through it would put two {key} values in one contact ({others}), so it made no link"
    if item.kind == "limit":
        over = [
            f"{n} {name} values (limit {r.limit})"
            for name, n in together.items()
            if (r := settings.rule(name)) is not None and n > r.limit
        ]
        if over:
            return f"with {others} this contact would hold {', '.join(over)}, so it made no link"
        limit = f" (limit {rule.limit} per contact)" if rule else ""
        return f"linking through it would give one contact too many values{limit}, so it made no link"
    return item.kind
