"""Stage 6: contacts, their ids, and the merged row of each (survivorship).

- ``contact_id`` comes from the contact's own identifiers: a hash of its
  highest-priority usable value that no other contact holds. A contact with no
  such value (a record with no identifier) is hashed from its records' content.
  Neither depends on row positions, so shuffled or re-exported files give the
  same ids.
- ``matched_by`` of a record is the highest-priority identifier it shares
  with another record of its contact.
- The merged row takes, for each column, the value of the most recent record
  that has one; identifiers keep every distinct value (primary + ``_other``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from matchers import graph
from matchers.config import Config
from matchers.db import Database, lit, q, ranges
from matchers.identifiers import OTHER_SEPARATOR, OTHER_SUFFIX, UPDATED_AT
from matchers.load import OWN_ID_COLUMN, Source, place_sql
from matchers.normalise import several_values
from matchers.preset import CHANNELS, FIELDS

CONTACT_ID = OWN_ID_COLUMN
ID_HEX = 16


@dataclass
class Layout:
    """The columns of ``contacts``: identifiers, name fields, statuses, ``updated_at``, the other columns."""

    identifiers: list[str]
    has_updated_at: bool
    data_columns: list[str]
    fields: list[str] = field(default_factory=list)
    #: channels with a subscription status (``<channel>_status`` columns)
    channels: list[str] = field(default_factory=list)
    #: identifiers of which one record can hold several values (several columns, or lists)
    several: set[str] = field(default_factory=set)


def assign_contacts(db: Database, sources: list[Source]) -> None:
    """``contact(gid, contact_id, part)`` and the ``membership(rec, source, row, contact_id, matched_by)`` view."""
    # Identifier priorities by name, for the report, which is read after the working tables are gone.
    db.run("CREATE OR REPLACE TABLE prio AS SELECT ident, iid::BIGINT AS prio FROM limits")
    # A contact is named after its highest-priority value no other contact
    # holds. A value only one record carries is such a value already; of the
    # shared ones, those held by one group. Each value is kept with a record
    # holding it, so that its text is read from that record's row of vals (a
    # join on record and number, not a lookup of every distinct number).
    #
    # held: each shared value of each group, with a record holding it and how
    # many of the group's records do; it serves naming here and matched_by
    # in members below (one grouping for both: 0.4 s less at 4.5M records).
    db.run(
        """CREATE OR REPLACE TEMP TABLE held AS
        SELECT g.gid, s.iid, s.vid, min(s.rec) AS rec, count(*) AS n FROM sv s JOIN grp g USING (rec) GROUP BY ALL"""
    )
    db.run(
        """CREATE OR REPLACE TEMP TABLE own AS
        SELECT gid, iid, vid, rec FROM held
        WHERE vid IN (SELECT vid FROM held GROUP BY vid HAVING count(*) = 1)
        UNION ALL
        SELECT g.gid, u.iid, u.vid, u.rec FROM lone_vals u JOIN grp g USING (rec)"""
    )
    # Of a contact's values those of its highest priority are found by the
    # lowest priority number per contact and a semi-join, not a window over
    # all its values (at 4.5M records 3.1-3.6 s against 4.1-4.7 s). They are
    # read twice, so they are a table: as a CTE read twice DuckDB held them in
    # memory it cannot spill, and 10M records under --memory-limit 1GB ran out
    # of memory here. The values kept share one identifier, so the anchor is
    # that identifier and the least of their texts.
    db.run(
        """CREATE OR REPLACE TABLE anchors AS
        WITH best AS (
            SELECT gid, vid, rec FROM own SEMI JOIN (SELECT gid, min(iid) AS iid FROM own GROUP BY gid) USING (gid, iid)
        )
        SELECT b.gid, any_value(v.ident) || chr(31) || min(v.norm) AS anchor
        FROM best b JOIN vals v ON v.rec = b.rec AND v.vid = b.vid
        GROUP BY b.gid"""
    )
    # Nothing reads the values only one record carries any more: not held beside the anchors.
    db.run("DROP TABLE own")
    db.run("DROP TABLE lone_vals")
    # Only contacts with no value of their own are named after their content:
    # their records' hashes (hash_rows) are the only ones read. Every contact
    # is named one way or the other: a contact with no anchor has no value no
    # other record carries (lone_vals is never changed once made), so each of
    # its records was hashed. The two lists of names are therefore simply put
    # together, with no lookup of every contact in both (0.5 s less at 4.5M).
    db.run(
        f"""CREATE OR REPLACE TABLE contact AS
        WITH contents AS (
            SELECT g.gid, 'rows' || chr(31) || string_agg(h.h, ',' ORDER BY h.h) AS anchor
            FROM grp g JOIN row_hash h USING (rec) WHERE g.gid NOT IN (SELECT gid FROM anchors) GROUP BY g.gid
        ),
        ids AS (
            SELECT gid, 'c' || substr(md5(anchor), 1, {ID_HEX}) AS base FROM anchors
            UNION ALL
            SELECT gid, 'c' || substr(md5(anchor), 1, {ID_HEX}) AS base FROM contents
        )
        SELECT *, {_part_sql()} AS part FROM (
            SELECT gid, CASE WHEN row_number() OVER (PARTITION BY base ORDER BY gid) = 1 THEN base
                        ELSE base || '-' || row_number() OVER (PARTITION BY base ORDER BY gid) END
                        AS {CONTACT_ID}
            FROM ids
        )"""
    )
    # Only the names are read from here on (at 4.5M records 0.12 GB of anchors were
    # held while members below was made, one of the run's highest points of memory).
    db.run("DROP TABLE anchors")
    db.run("DROP TABLE row_hash")
    # members holds what membership shows but cannot work out: a record's file
    # and row are in its number, and matched_by is the identifier's priority.
    db.run(
        f"""CREATE OR REPLACE TABLE members AS
        WITH x AS (SELECT g.gid, s.rec, s.iid, s.vid FROM sv s JOIN grp g USING (rec)),
        best AS (
            SELECT x.rec, min(x.iid) AS matched_iid
            FROM x JOIN (SELECT gid, vid FROM held WHERE n > 1) USING (gid, vid) GROUP BY x.rec
        )
        SELECT g.rec, c.{CONTACT_ID}, b.matched_iid
        FROM grp g JOIN contact c USING (gid) LEFT JOIN best b USING (rec)
        ORDER BY g.rec"""
    )
    db.run("DROP TABLE held")
    names = "[" + ", ".join(lit(n) for (n,) in db.rows("SELECT ident FROM limits ORDER BY iid")) + "]"
    db.run(
        f"""CREATE OR REPLACE VIEW membership AS
        SELECT rec, {place_sql([s.name for s in sources])}, {CONTACT_ID}, {names}[matched_iid + 1] AS matched_by
        FROM members"""
    )


def hash_rows(db: Database, sources: list[Source]) -> None:
    """``row_hash(rec, h)``: a hash of the content of each record that may end in a
    contact with no value of its own, named after its records' content.

    A record with a value no other record carries (``lone_vals``) gives its
    contact such a value, so only the others are hashed; this is done before
    linking, so that the input files' other columns can be let go
    (:func:`data_positions`). Those records are kept as ``unowned(rec)``: the
    findings look for records with no usable value among them.
    """
    # The records are chosen first, so that only they are hashed: of 4.5M
    # records, 6,189 are; with the filter in the hashing statement DuckDB
    # hashed all of them (1.3 s). They are chosen a range of records at a time:
    # one statement held a hash table of lone_vals' 10M rows (0.3 GB, the run's peak).
    for n, within in enumerate(ranges("rec", db.cuts("recs", "rec", RECORDS_PER_PART))):
        rows = f"SELECT rec FROM recs WHERE {within} AND rec NOT IN (SELECT rec FROM lone_vals WHERE {within})"
        db.run(f"CREATE OR REPLACE TEMP TABLE unowned AS {rows}" if n == 0 else f"INSERT INTO unowned {rows}")
    parts = []
    for s in sources:
        cols = ", ".join(f"coalesce({q(s.column(i))}, '')" for i in range(len(s.headers)))
        parts.append(
            f"SELECT rec, md5(concat_ws(chr(31), {lit(s.name)}, {cols})) AS h "
            f"FROM {q(s.table)} SEMI JOIN unowned USING (rec)"
        )
    db.run("CREATE OR REPLACE TABLE row_hash AS " + " UNION ALL ".join(parts))


#: How many records are told apart as owning a value or not in one statement (see :func:`hash_rows`).
RECORDS_PER_PART = 1_000_000


def data_positions(source: Source, lay: Layout) -> list[int]:
    """The positions of a source's columns the merged rows take (name fields and other columns)."""
    return sorted({*source.fields, *_data_headers(source, reserved_names(lay))})


def layout(config: Config, sources: list[Source]) -> Layout:
    """Decide the output columns (stable for a given set of inputs and config)."""
    present = {role for s in sources for role in s.roles.values()}
    identifiers = [n for n in config.names if n in present]
    fields = [f for f in FIELDS if any(f in s.fields.values() for s in sources)]
    channels = [
        c
        for c in CHANNELS
        if any(spec.channel == c for s in sources for spec in s.consent.values())
        or any(given.channel == c for s in sources for given in s.file_statuses)
    ]
    several = {name for s in sources for name in several_values(s)}
    lay = Layout(identifiers, UPDATED_AT in present, [], fields, channels, several)
    data: list[str] = []
    for source in sources:
        for header in _data_headers(source, reserved_names(lay)).values():
            if header.casefold() not in {d.casefold() for d in data}:
                data.append(header)
    lay.data_columns = data
    return lay


def status_column(channel: str) -> str:
    return f"{channel}_status"


def reserved_names(lay: Layout) -> set[str]:
    """Output names idmerge gives its own columns; an input column of the same name is renamed."""
    reserved = {CONTACT_ID, UPDATED_AT, *FIELDS, *(status_column(c) for c in CHANNELS)}
    for name in lay.identifiers:
        reserved |= {name, name + OTHER_SUFFIX}
    return reserved


def _data_headers(source: Source, reserved: set[str]) -> dict[int, str]:
    """Output names of a source's other columns (not identifiers, name fields or statuses), by position."""
    names: dict[int, str] = {}
    seen: set[str] = set()
    for position, header in enumerate(source.headers):
        if position in source.roles or position in source.fields or position in source.consent or header == CONTACT_ID:
            continue
        name = header or f"column {position + 1}"
        # DuckDB (and most spreadsheets) compare column names without case.
        if name.casefold() in {r.casefold() for r in reserved}:
            name = f"{name} (input)"
        base, n = name, 2
        while name.casefold() in seen:
            name, n = f"{base} ({n})", n + 1
        seen.add(name.casefold())
        names[position] = name
    return names


def build_contact_data(db: Database, sources: list[Source], lay: Layout) -> None:
    """``rg`` (each record's contact, survival rank, date, and whether the contact has
    other records) and ``cbase``: each contact's id, part (see :func:`contact_ranges`),
    name fields, date and other columns.

    This is the last step that reads the input tables (through the ``data`` view,
    dropped again here).
    """
    # Whether a contact has other records is told by a semi-join, not a count
    # over a window: a window would leave rg in the order of its partitions;
    # this way it stays in record order, near enough the order of gid, so that
    # each range of gid the identifier columns read finds its rows together
    # (at 4.5M records this and the statements reading rg took 1.4 s less).
    db.run(
        """CREATE OR REPLACE TABLE rg AS
        SELECT g.rec, g.gid, r.survival, r.updated_at,
            g.gid IN (SELECT gid FROM grp GROUP BY gid HAVING count(*) > 1) AS multi
        FROM grp g JOIN recs r USING (rec)"""
    )
    # Name fields and the other columns, union over sources by output name.
    parts = []
    for source in sources:
        named = {**source.fields, **_data_headers(source, reserved_names(lay))}
        cols = "".join(f", {q(source.column(p))} AS {q(name)}" for p, name in named.items())
        parts.append(f"SELECT rec{cols} FROM {q(source.table)}")
    db.run("CREATE OR REPLACE VIEW data AS " + " UNION ALL BY NAME ".join(parts))
    # A record alone in its contact is the merged row already; only the others are grouped.
    columns = [*lay.fields, *lay.data_columns]
    alone = "".join(f", CASE WHEN nullif(trim(d.{q(c)}), '') IS NOT NULL THEN d.{q(c)} END AS {q(c)}" for c in columns)
    survivors = "".join(
        f", arg_max(d.{q(c)}, r.survival) FILTER (WHERE nullif(trim(d.{q(c)}), '') IS NOT NULL) AS {q(c)}"
        for c in columns
    )
    when = "'%Y-%m-%d %H:%M:%S'"
    updated = f", strftime(max(r.updated_at), {when}) AS {q(UPDATED_AT)}" if lay.has_updated_at else ""
    updated_alone = f", strftime(r.updated_at, {when}) AS {q(UPDATED_AT)}" if lay.has_updated_at else ""
    # Each contact's id is joined as its row is made. A table of the rows
    # alone and then a copy of it with the ids beside held the name fields
    # twice, at what was then the run's peak; at 4.5M records the copy alone
    # took 1.0-1.2 s.
    db.run(
        f"""CREATE OR REPLACE TABLE cbase AS
        SELECT c.{CONTACT_ID}, c.gid, c.part, d.* EXCLUDE (gid) FROM contact c LEFT JOIN (
            SELECT r.gid{updated_alone}{alone} FROM data d JOIN rg r USING (rec) WHERE NOT r.multi
            UNION ALL
            SELECT r.gid{updated}{survivors} FROM data d JOIN rg r USING (rec) WHERE r.multi GROUP BY r.gid
        ) d USING (gid)"""
    )
    db.run("DROP VIEW data")


def build_contacts(db: Database, config: Config, lay: Layout, *, phone_norm: bool = False) -> None:
    """The view ``contacts``: one merged row per contact (after :func:`build_contact_data`),
    unordered; :func:`contacts_parts` gives them sorted by ``contact_id``, a range at a time.

    With ``phone_norm`` also ``primary_phone(gid, norm)``: the primary phone
    normalised, which the import layouts write (about 1.6 s at 4.5M records,
    so only made for them).
    """
    phone_norm = phone_norm and "phone" in lay.identifiers
    _identifier_columns(db, config, lay, phone_norm)
    db.run("DROP TABLE rg")
    if phone_norm:
        db.run(f"CREATE OR REPLACE TABLE primary_phone AS SELECT gid, {q(PRIMARY_PHONE)} AS norm FROM cid_vals")
    ident_cols = "".join(f", i.{q(n)}, i.{q(n + OTHER_SUFFIX)}" for n in lay.identifiers)
    rest = (
        "".join(f", b.{q(f)}" for f in lay.fields)
        + "".join(f", b.{q(status_column(c))}" for c in lay.channels)
        + (f", b.{q(UPDATED_AT)}" if lay.has_updated_at else "")
        + "".join(f", b.{q(c)}" for c in lay.data_columns)
    )
    if lay.channels:
        statuses = "".join(
            f", max(status) FILTER (WHERE channel = {lit(c)}) AS {q(status_column(c))}" for c in lay.channels
        )
        db.run(f"CREATE OR REPLACE TABLE cstatus AS SELECT gid{statuses} FROM cconsent GROUP BY gid")
        db.run(
            """CREATE OR REPLACE TABLE cbase AS
            SELECT b.*, s.* EXCLUDE (gid) FROM cbase b LEFT JOIN cstatus s USING (gid)"""
        )
    # The merged rows are not made here but joined as they are written, a part
    # (a range of contact_id) at a time: a table of them all would hold a
    # second copy of cbase and cid_vals (1.9 GB at 4.5M records).
    row = f"SELECT b.{CONTACT_ID}{ident_cols}{rest}"
    db.run(f"CREATE OR REPLACE VIEW contacts AS {row} FROM cbase b LEFT JOIN cid_vals i USING (gid)")
    for n in range(len(contact_ranges())):
        db.run(
            f"""CREATE OR REPLACE VIEW {q(CONTACTS_PART + str(n))} AS {row}
            FROM (SELECT * FROM cbase WHERE part = {n}) b
            LEFT JOIN (SELECT * FROM cid_vals WHERE part = {n}) i USING (gid)"""
        )


def contact_ranges() -> list[str]:
    """The ranges of contact_id the merged rows are sorted and written in."""
    return ranges(CONTACT_ID, [lit(b) for b in SORT_BOUNDS])


def _part_sql() -> str:
    """The number of the range of :func:`contact_ranges` a contact_id is in."""
    return "CASE " + " ".join(f"WHEN {w} THEN {n}" for n, w in enumerate(contact_ranges())) + " END"


def contacts_parts() -> list[str]:
    """Queries of the merged rows, each of a range of contact_id and sorted, in order."""
    return [f"SELECT * FROM {q(CONTACTS_PART + str(n))} ORDER BY {CONTACT_ID}" for n in range(len(contact_ranges()))]


def drop_contacts(db: Database) -> None:
    """Free the merged rows' tables (after contacts are written)."""
    db.run("DROP VIEW IF EXISTS contacts")
    for n in range(len(contact_ranges())):
        db.run(f"DROP VIEW IF EXISTS {q(CONTACTS_PART + str(n))}")
    db.run("DROP TABLE IF EXISTS cid_vals")
    db.run("DROP TABLE IF EXISTS cbase")


#: The views of the merged rows of each range of contact_id.
CONTACTS_PART = "contacts_part"

#: Where the contacts are cut to be sorted in parts (ids are ``c`` and hex digits).
SORT_BOUNDS = [f"c{d}" for d in "123456789abcdef"]

#: How many contacts' identifier lists are built in one statement (see ``_identifier_columns``).
CONTACTS_PER_PART = 400_000

#: The column of ``cid_vals`` (never written) with the primary phone normalised.
PRIMARY_PHONE = "__primary_phone_norm"

#: The kinds of a contact's identifier columns: the primary value, the others, the primary phone normalised.
PRIMARY, OTHERS, PHONE_NORM = 0, 1, 2


def _slot(iid: int | str, kind: int) -> str:
    """SQL of a value's slot in a contact's list: its identifier's priority (a number
    or an SQL expression) and the kind of column (:data:`PRIMARY`, ...), in one number."""
    return f"({iid} * 3 + {kind})" if isinstance(iid, str) else str(iid * 3 + kind)


def _identifier_columns(db: Database, config: Config, lay: Layout, phone_norm: bool) -> None:
    """``cid_vals``: per contact, each identifier's primary value and its others.

    Every distinct value of a contact counts, moved-away values excepted (they
    went with their owner). A value is written as the newest record wrote it
    (phones and source keys normalised). The primary value is the newest
    usable one (ties by value, so the choice is total); the others follow
    newest first. The columns are picked from a list of each contact's values and
    a list of their slots (identifier and column).

    Only two kinds of rows need grouping and ranking: those of contacts with
    several records, and those of identifiers a record can hold several values
    of (``lay.several``). The rest, one value per record and identifier in a
    contact of one record, go straight into the lists. The grouped rows take
    two statements, not one: the intermediate tables are smaller than what one
    statement would hold at once. All three statements run once per range of
    contacts (:data:`CONTACTS_PER_PART` contacts each).
    """
    values = """FROM vals v JOIN rg g USING (rec)
        ANTI JOIN moved_vals m ON m.rec = v.rec AND m.vid = v.vid"""
    keys = graph.iids_sql(config, [i.name for i in config.identifiers if i.kind == "source_key"])
    phone = graph.iid(config, "phone") if "phone" in lay.identifiers else -1
    several = graph.iids_sql(config, lay.several)
    columns = "".join(
        f", v[list_position(c, {_slot(graph.iid(config, name), PRIMARY)})] AS {q(name)}"
        f", v[list_position(c, {_slot(graph.iid(config, name), OTHERS)})] AS {q(name + OTHER_SUFFIX)}"
        for name in lay.identifiers
    )
    if phone_norm:
        columns += f", v[list_position(c, {_slot(phone, PHONE_NORM)})] AS {q(PRIMARY_PHONE)}"

    def written(v: str, usable: str) -> str:
        """How a value is written in the merged row: phones valid without "+" and usable source keys normalised."""
        raw = f"coalesce({v}.written, {v}.norm)"
        return f"""CASE
            WHEN {v}.iid = {phone} AND {v}.valid AND NOT starts_with({raw}, '+') THEN {v}.norm
            WHEN {v}.iid IN ({keys}) AND {usable} THEN {v}.norm
            ELSE {raw}
        END"""

    # The contacts are done a range of them at a time: grouping them all at
    # once held every contact's lists together (at 4.5M records: 5.0 GB of
    # buffers, against 3.4 GB in eight ranges, and slower). The ranges are of
    # gid, the smallest record number of a contact: a contact of one record
    # has its record's number, so a range's values lie close together in vals
    # and its scan skips most of the rest.
    for part, within in enumerate(ranges("g.gid", db.cuts("contact", "gid", CONTACTS_PER_PART))):
        # Each distinct value of a contact that needs grouping, as its newest record wrote it.
        db.run(
            f"""CREATE OR REPLACE TEMP TABLE cva AS
                SELECT g.gid, v.iid, v.norm, v.written, v.valid, v.status = 'ok' AS usable, g.survival AS newest
                {values} WHERE NOT g.multi AND v.iid IN ({several}) AND {within}
                UNION ALL
                SELECT g.gid, any_value(v.iid), any_value(v.norm), arg_max(coalesce(v.written, v.norm), g.survival),
                       bool_or(v.valid), bool_or(v.status = 'ok'), max(g.survival)
                {values} WHERE g.multi AND {within}
                GROUP BY g.gid, v.vid"""
        )
        # Per contact and identifier: the primary value (p, and n: the phone normalised) and the others (o).
        db.run(
            f"""CREATE OR REPLACE TEMP TABLE cv AS
            WITH several AS (SELECT gid, iid FROM cva GROUP BY gid, iid HAVING count(*) > 1),
            w AS (
                SELECT a.gid, a.iid AS i, a.norm, a.newest, a.usable, {written("a", "a.usable")} AS out,
                    s.gid IS NOT NULL AS several
                FROM cva a LEFT JOIN several s ON s.gid = a.gid AND s.iid = a.iid
            ),
            ranked AS (
                SELECT *, usable AND row_number() OVER (
                    PARTITION BY gid, i ORDER BY usable DESC, newest DESC, norm DESC) = 1 AS is_primary
                FROM w WHERE several
            )
            SELECT gid, i, CASE WHEN usable THEN out END AS p, CASE WHEN usable AND i = {phone} THEN norm END AS n,
                   CASE WHEN NOT usable THEN out END AS o
            FROM w WHERE NOT several
            UNION ALL
            SELECT gid, i, max(out) FILTER (WHERE is_primary), max(norm) FILTER (WHERE is_primary AND i = {phone}),
                   string_agg(out, {lit(OTHER_SEPARATOR)} ORDER BY newest DESC, norm DESC) FILTER (WHERE NOT is_primary)
            FROM ranked GROUP BY gid, i"""
        )
        # Each contact's column values go into one list, each with its slot (identifier
        # and column) in a second: two lists, not one per column kind (p, o, n), made
        # the grouping 10-15% faster. A contact alone with its record has one value
        # per identifier here, in its primary column if usable, else in the other.
        base = f"""SELECT g.gid, v.iid AS i, v.norm, v.status = 'ok' AS usable, {written("v", "v.status = 'ok'")} AS out
            {values} WHERE NOT g.multi AND v.iid NOT IN ({several}) AND {within}"""
        slot = f"{_slot('i', PRIMARY)} + CASE WHEN usable THEN 0 ELSE {OTHERS} END"
        alone = f"SELECT gid, {slot} AS c, out AS v FROM ({base})"
        if phone_norm:
            # The primary phone normalised too: a second pass over the part's values, only for import layouts.
            alone += f" UNION ALL SELECT gid, {_slot(phone, PHONE_NORM)}, norm FROM ({base})"
            alone += f" WHERE usable AND i = {phone}"
        slotted = (
            f"SELECT gid, {_slot('i', PRIMARY)} AS c, p AS v FROM cv WHERE p IS NOT NULL"
            f" UNION ALL SELECT gid, {_slot('i', OTHERS)}, o FROM cv WHERE o IS NOT NULL"
            + (f" UNION ALL SELECT gid, {_slot('i', PHONE_NORM)}, n FROM cv WHERE n IS NOT NULL" if phone_norm else "")
        )
        lists = f"""SELECT gid{columns}
            FROM (SELECT gid, list(c) AS c, list(v) AS v FROM ({alone} UNION ALL {slotted}) GROUP BY gid)"""
        # With each contact's part: the merged rows are joined and written a part at a time.
        lists = f"""SELECT l.*, c.part FROM ({lists}) l
            JOIN (SELECT gid, part FROM contact g WHERE {within}) c USING (gid)"""
        db.run(f"CREATE OR REPLACE TABLE cid_vals AS {lists}" if part == 0 else f"INSERT INTO cid_vals {lists}")
    for name in ("cva", "cv"):
        db.run(f"DROP TABLE {name}")
