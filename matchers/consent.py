"""Subscription status (consent) per channel: read from the inputs, merged most-restrictive-first.

Builds ``consent(rec, channel, status)`` from the status columns of each source
and from the statuses a file's name gives (Mailchimp's
``unsubscribed_members_export_*.csv``). When records merge, the most
restrictive status of a channel wins (:data:`STATUSES` is the order): one
unsubscribed record makes the contact unsubscribed on that channel. A status
word idmerge cannot read counts as ``unknown``, which is stricter than
``subscribed``: a value nobody can read never subscribes anyone.
"""

from __future__ import annotations

import pyarrow as pa

from matchers.db import Database, lit, q
from matchers.load import Source
from matchers.preset import STATUSES, ConsentColumn

#: Merged status words, least restrictive first.
RANK = {status: rank for rank, status in enumerate(STATUSES)}
#: Statuses that allow sending on a channel; every other one is "restricted" in target layouts.
SENDABLE = ("subscribed",)

#: Status words (lower-case, runs of other characters as "_") -> status.
VOCABULARY: dict[str, str] = {
    **dict.fromkeys(
        (
            "subscribed",
            "subscribe",
            "active",
            "opted_in",
            "opt_in",
            "optin",
            "confirmed",
            "member",
            "consented",
            "granted",
            "подписан",
            "подписана",
            "активный",
            "підписаний",
            "підписана",
            "активний",
        ),
        "subscribed",
    ),
    **dict.fromkeys(
        (
            "pending",
            "unconfirmed",
            "new",
            "invited",
            "activation_requested",
            "awaiting_confirmation",
            "double_opt_in",
            "ожидает_подтверждения",
        ),
        "pending",
    ),
    **dict.fromkeys(
        ("never_subscribed", "not_subscribed", "non_subscribed", "nonsubscribed", "no_consent", "not_opted_in"),
        "not_subscribed",
    ),
    **dict.fromkeys(("bounced", "hard_bounce", "hard_bounced", "bounce", "undeliverable", "invalid"), "bounced"),
    **dict.fromkeys(("cleaned", "clean"), "cleaned"),
    **dict.fromkeys(
        (
            "unsubscribed",
            "unsubscribe",
            "unsub",
            "opted_out",
            "opt_out",
            "optout",
            "inactive",
            "blocked",
            "blacklisted",
            "blocklisted",
            "suppressed",
            "complained",
            "complaint",
            "spam",
            "spam_complaint",
            "revoked",
            "отписан",
            "отписана",
            "отписался",
            "неактивный",
            "відписаний",
            "відписана",
            "неактивний",
        ),
        "unsubscribed",
    ),
    "unknown": "unknown",
}
TRUE_WORDS = ("true", "yes", "y", "1", "t", "да", "так", "oui", "ja", "si", "sí")
FALSE_WORDS = ("false", "no", "n", "0", "f", "нет", "ні", "non", "nein")


def _word(expr: str) -> str:
    return f"trim(regexp_replace(lower(trim({expr})), '[^\\pL\\pN]+', '_', 'g'), '_')"


def _looks_like_date(expr: str) -> str:
    return (
        f"(try_cast(trim({expr}) AS TIMESTAMP) IS NOT NULL "
        f"OR regexp_full_match(trim({expr}), '\\d{{1,4}}[-./]\\d{{1,2}}[-./]\\d{{1,4}}([ T].*)?') "
        f"OR regexp_full_match(trim({expr}), '\\d{{10}}|\\d{{13}}'))"
    )


def status_expr(spec: ConsentColumn) -> str:
    """SQL over ``cell`` (the trimmed text), ``word`` (folded) and ``known`` (the vocabulary's
    status of the word): the status a consent cell reads as, NULL when blank."""
    trues = ", ".join(lit(w) for w in TRUE_WORDS)
    falses = ", ".join(lit(w) for w in FALSE_WORDS)
    own = "".join(f" WHEN word = {lit(_plain(k))} THEN {lit(v)}" for k, v in spec.values)
    if spec.read == "optout":
        flags = (
            f" WHEN word IN ({trues}) THEN 'unsubscribed' WHEN word IN ({falses}) THEN 'subscribed'"
            f" WHEN {_looks_like_date('cell')} THEN 'unsubscribed'"
        )
    elif spec.read == "optin":
        flags = (
            f" WHEN word IN ({trues}) THEN 'subscribed' WHEN word IN ({falses}) THEN 'not_subscribed'"
            f" WHEN {_looks_like_date('cell')} THEN 'subscribed'"
        )
    else:
        flags = f" WHEN word IN ({trues}) THEN 'subscribed' WHEN word IN ({falses}) THEN 'not_subscribed'"
    return (
        f"CASE WHEN nullif(cell, '') IS NULL THEN NULL{own} WHEN known IS NOT NULL THEN known{flags} ELSE 'unknown' END"
    )


def _plain(word: str) -> str:
    """A word as :func:`_word` folds it (for the preset's own value tables)."""
    import re

    return re.sub(r"[\W_]+", "_", word.strip().casefold()).strip("_")


def vocabulary_table(db: Database) -> None:
    """``consent_words(word, status)``: :data:`VOCABULARY` as a table to join cells with."""
    db.table_from_arrow(
        "consent_words",
        pa.table(
            {
                "word": pa.array(list(VOCABULARY), pa.string()),
                "status": pa.array(list(VOCABULARY.values()), pa.string()),
            }
        ),
    )


def cell_statuses(source: Source, position: int, spec: ConsentColumn) -> str:
    """SQL ``(rec, cell, status)`` of one status column (needs :func:`vocabulary_table`).

    Each cell's word meets the vocabulary in one join, not one lookup per row.
    """
    col = q(source.column(position))
    cells = f"SELECT rec, trim({col}) AS cell, {_word(col)} AS word FROM {q(source.table)}"
    return (
        f"SELECT rec, cell, {status_expr(spec)} AS status "
        f"FROM (SELECT c.*, w.status AS known FROM ({cells}) c LEFT JOIN consent_words w USING (word))"
    )


def build_consent(db: Database, sources: list[Source]) -> int:
    """``consent(rec, channel, status)``, one row per record and channel with a status.

    Returns how many non-blank status cells could not be read (``unknown``).
    """
    vocabulary_table(db)
    parts = []
    for source in sources:
        for position, spec in source.consent.items():
            parts.append(
                f"SELECT rec, {lit(spec.channel)} AS channel, status FROM ({cell_statuses(source, position, spec)})"
            )
        for given in source.file_statuses:
            parts.append(
                f"SELECT rec, {lit(given.channel)} AS channel, {lit(given.status)} AS status FROM {q(source.table)}"
            )
    if not parts:
        db.run("CREATE OR REPLACE TABLE consent (rec BIGINT, channel VARCHAR, status VARCHAR)")
        return 0
    ranks = "[" + ", ".join(lit(s) for s in STATUSES) + "]"
    db.run(
        f"""CREATE OR REPLACE TABLE consent_cells AS
        SELECT rec, channel, status FROM ({" UNION ALL ".join(parts)}) WHERE status IS NOT NULL"""
    )
    unreadable = int(db.one("SELECT count(*) FROM consent_cells WHERE status = 'unknown'"))
    # Two status columns of one record for one channel: the stricter one holds.
    db.run(
        f"""CREATE OR REPLACE TABLE consent AS
        SELECT rec, channel, arg_max(status, list_position({ranks}, status)) AS status
        FROM consent_cells GROUP BY rec, channel ORDER BY rec, channel"""
    )
    db.run("DROP TABLE consent_cells")
    return unreadable


def channels(db: Database) -> list[str]:
    """Channels with any status, in the order of :data:`matchers.preset.CHANNELS`."""
    from matchers.preset import CHANNELS

    present = {row[0] for row in db.rows("SELECT DISTINCT channel FROM consent")}
    return [c for c in CHANNELS if c in present]


def merge_consent(db: Database) -> None:
    """``cconsent(gid, channel, status, changed, records)``: each contact's merged status per channel.

    ``changed``: the contact's records disagreed, so merging changed the
    status of at least one of them.
    """
    ranks = "[" + ", ".join(lit(s) for s in STATUSES) + "]"
    db.run(
        f"""CREATE OR REPLACE TABLE cconsent AS
        SELECT g.gid, c.channel,
               arg_max(c.status, {{'r': list_position({ranks}, c.status), 'n': r.recency}}) AS status,
               count(DISTINCT c.status) > 1 AS changed, count(*) AS records
        FROM consent c JOIN grp g USING (rec) JOIN recs r USING (rec)
        GROUP BY g.gid, c.channel"""
    )
