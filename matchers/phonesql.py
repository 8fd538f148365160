"""Phone numbers settled in SQL, the way libphonenumber would settle them.

``phonenumbers`` costs tens of microseconds per value, too slow to be the
main path for millions of numbers. Most numbers in an export are written in a
few plain ways, and for those the library's ``parse`` + ``is_possible_number``
comes down to a handful of steps over the country's metadata: find the calling
code, strip a national prefix when the number stays viable, and check the
length. This module writes those steps as SQL from the library's own metadata
(prefixes, the general number pattern, possible lengths), for:

- numbers written with ``+`` whose calling code belongs to one region and whose
  national prefix is a plain digit string (no transform rule);
- numbers without ``+`` in the run's default region, when that region's
  metadata is as plain and it is the main region of its calling code.

Everything else (``+`` before an unknown code or a ``0``, shared calling codes
such as +1 and +7 for the region vote, an international dialling prefix,
national prefixes that are patterns) goes to the library. The test
``test_phone_fast_path_agrees_with_the_library`` checks, for many regions and
writings, that every number settled here gets exactly the library's answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import phonenumbers
from phonenumbers import PhoneMetadata

from matchers.db import Database, lit

#: libphonenumber's bounds on a national significant number.
MIN_NSN, MAX_NSN = 2, 17


@dataclass(frozen=True)
class Plan:
    """What SQL needs of one calling code's (main region's) metadata."""

    code: str
    region: str
    prefix: str | None
    pattern: str
    possible: tuple[int, ...]
    local: tuple[int, ...]
    idd: str | None


@cache
def plan_for_code(code: int) -> Plan | None:
    """The plan of a calling code's main region, or None when it is not plain enough."""
    region = phonenumbers.region_code_for_country_code(code)
    if region in (None, "ZZ"):
        return None
    meta = PhoneMetadata.metadata_for_region_or_calling_code(code, region)
    if meta is None or meta.general_desc is None or not meta.general_desc.national_number_pattern:
        return None
    prefix = meta.national_prefix_for_parsing or None
    if meta.national_prefix_transform_rule or (prefix is not None and not prefix.isdigit()):
        return None
    possible = tuple(meta.general_desc.possible_length or ())
    if not possible or possible[0] == -1:
        return None
    return Plan(
        code=str(code),
        region=region,
        prefix=prefix,
        pattern=meta.general_desc.national_number_pattern,
        possible=possible,
        local=tuple(meta.general_desc.possible_length_local_only or ()),
        idd=meta.international_prefix,
    )


def _full(expr: str, plan: Plan) -> str:
    return f"regexp_full_match({expr}, {lit('(?:' + plan.pattern + ')')})"


def _strip(expr: str, plan: Plan) -> str:
    """The national prefix removed, unless that makes a viable number unviable."""
    if plan.prefix is None:
        return expr
    rest = f"substr({expr}, {len(plan.prefix) + 1})"
    return (
        f"(CASE WHEN starts_with({expr}, {lit(plan.prefix)}) "
        f"AND NOT ({_full(expr, plan)} AND NOT {_full(rest, plan)}) THEN {rest} ELSE {expr} END)"
    )


def _length_test(expr: str, plan: Plan) -> str:
    """libphonenumber's ``_test_number_length``: possible, local, short, long or invalid."""
    n = f"length({expr})"
    local = ", ".join(str(x) for x in plan.local) or "NULL"
    rest = ", ".join(str(x) for x in plan.possible[1:]) or "NULL"
    return (
        f"(CASE WHEN {n} IN ({local}) THEN 'local' WHEN {n} = {plan.possible[0]} THEN 'possible' "
        f"WHEN {n} < {plan.possible[0]} THEN 'short' WHEN {n} > {plan.possible[-1]} THEN 'long' "
        f"WHEN {n} IN ({rest}) THEN 'possible' ELSE 'invalid' END)"
    )


def _finish(pre: str, plan: Plan, region: str | None) -> str:
    """From (clean, pre: the number after the calling code) to (clean, norm, valid, national, region)."""
    stripped = _strip("pre", plan)
    national = (
        f"CASE WHEN {_length_test(stripped, plan)} NOT IN ('short', 'local', 'invalid') THEN {stripped} ELSE pre END"
    )
    ok = f"(length(n) BETWEEN {MIN_NSN} AND {MAX_NSN} AND {_length_test('n', plan)} IN ('possible', 'local'))"
    return (
        f"SELECT clean, CASE WHEN {ok} THEN {lit('+' + plan.code)} || n END AS norm, {ok} AS valid, "
        f"CASE WHEN {ok} THEN n END AS national, CASE WHEN {ok} THEN {lit(region) if region else 'NULL'} END AS region "
        f"FROM (SELECT clean, {national} AS n FROM ({pre}))"
    )


def _re2_ok(db: Database, plan: Plan) -> bool:
    """DuckDB's RE2 must read the pattern as Python's ``re`` does (no look-arounds or back-references)."""
    patterns = [plan.pattern] + ([plan.idd] if plan.idd else [])
    if any(token in p for p in patterns for token in ("(?=", "(?!", "(?<", "\\1", "\\2")):
        return False
    try:
        for p in patterns:
            db.rows(f"SELECT regexp_full_match('1', {lit('(?:' + p + ')')})")
    except Exception:  # noqa: BLE001 - any refusal means: leave these numbers to the library
        return False
    return True


def settle_international(db: Database, cleans: str) -> list[str]:
    """SELECTs of (clean, norm, valid, national, region) for the ``+`` numbers that SQL can settle.

    ``cleans`` names a table or view with a ``clean`` column (digits, or ``+`` and digits).
    """
    codes = db.rows(
        f"""SELECT DISTINCT c FROM (
            SELECT CASE WHEN substr(clean, 2, 1) IN ({_in(1)}) THEN substr(clean, 2, 1)
                        WHEN substr(clean, 2, 2) IN ({_in(2)}) THEN substr(clean, 2, 2)
                        WHEN substr(clean, 2, 3) IN ({_in(3)}) THEN substr(clean, 2, 3) END AS c
            FROM {cleans} WHERE starts_with(clean, '+') AND length(clean) > 3) WHERE c IS NOT NULL ORDER BY c"""
    )
    selects = []
    for (code,) in codes:
        plan = plan_for_code(int(code))
        if plan is None or len(phonenumbers.COUNTRY_CODE_TO_REGION_CODE[int(code)]) != 1 or not _re2_ok(db, plan):
            continue
        pre = (
            f"SELECT clean, substr(clean, {len(code) + 2}) AS pre FROM {cleans} "
            f"WHERE starts_with(clean, {lit('+' + code)}) AND length(clean) > 3"
        )
        selects.append(_finish(pre, plan, plan.region))
    return selects


def settle_national(db: Database, cleans: str, region: str) -> list[str]:
    """SELECTs of (clean, norm, valid, national, NULL region) for numbers without ``+`` read in ``region``."""
    meta = PhoneMetadata.metadata_for_region(region)
    plan = plan_for_code(meta.country_code) if meta is not None else None
    if plan is None or plan.region != region or not plan.idd or not _re2_ok(db, plan):
        return []
    d, code = "clean", plan.code
    rest = _strip(f"substr({d}, {len(code) + 1})", plan)
    # The calling code written without '+' is taken off when the number reads better without it.
    take_code = (
        f"(starts_with({d}, {lit(code)}) AND ((NOT {_full(d, plan)} AND {_full(rest, plan)}) "
        f"OR {_length_test(d, plan)} = 'long'))"
    )
    pre = (
        f"SELECT clean, CASE WHEN {take_code} THEN {rest} ELSE {d} END AS pre FROM {cleans} "
        f"WHERE NOT starts_with(clean, '+') AND length(clean) >= 3 "
        f"AND NOT regexp_matches(clean, {lit('^(?:' + plan.idd + ')')})"
    )
    # The region of a number written without '+' is not needed (only '+' numbers vote for it).
    return [_finish(pre, plan, None)]


def _in(length: int) -> str:
    return ", ".join(lit(str(c)) for c in _codes(length))


@cache
def _codes(length: int) -> tuple[int, ...]:
    return tuple(sorted(c for c in phonenumbers.COUNTRY_CODE_TO_REGION_CODE if len(str(c)) == length))
