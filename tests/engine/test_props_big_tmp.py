"""Invariants of MATCHING.md, checked with Hypothesis on small generated exports."""

from __future__ import annotations

import csv
import random
from pathlib import Path
from tempfile import TemporaryDirectory

import phonenumbers
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from matchers import RunOptions, run
from matchers.normalise import canonical_email
from tests.engine.helpers import read_csv

HEADER = ["rid", "external_id", "email", "phone", "system_id", "user_pseudo_id", "device_id", "cookie", "updated_at"]
POOLS = {
    "external_id": ["", "", "", "E1", "E2", "E3"],
    "email": [
        "",
        "",
        "a@x.com",
        " A@X.com ",
        "b@x.com",
        "fam@x.com",
        "test@test.com",
        "c.d@gmail.com",
        "cd+z@gmail.com",
    ],
    "phone": ["", "", "+380671234567", "(067) 123-45-67", "+380501112233", "0000000000", "+380931112233"],
    "system_id": ["", "", "1", "2"],
    "user_pseudo_id": ["", "", "p1", "p2"],
    "device_id": ["", "", "D1", "D2", "D3"],
    "cookie": ["", "", "k1", "k2"],
}
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

record = st.fixed_dictionaries({name: st.sampled_from(pool) for name, pool in POOLS.items()})
exports = st.tuples(st.lists(record, min_size=1, max_size=14), st.randoms(use_true_random=False))


def _write(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=HEADER)
        writer.writeheader()
        writer.writerows(rows)
    return path


def _dated(rows: list[dict[str, str]], rnd: random.Random) -> list[dict[str, str]]:
    """Give every record its own id and a distinct date, in random order."""
    days = rnd.sample(range(1, 28 * 12), len(rows))
    return [
        {**row, "rid": f"r{i}", "updated_at": f"2024-{(d // 28) + 1:02d}-{(d % 28) + 1:02d}"}
        for i, (row, d) in enumerate(zip(rows, days, strict=True))
    ]


def _resolve(folder: Path, rows: list[dict[str, str]], name: str = "input.csv") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    src = _write(folder / name, rows)
    out = folder / "out"
    run([src], RunOptions(out=out, region="UA", format="csv"))
    return out


def _contact_by_rid(out: Path, rows: list[dict[str, str]]) -> dict[str, str]:
    membership = read_csv(out / "membership.csv")
    return {rows[int(m["row"]) - 1]["rid"]: m["contact_id"] for m in membership}


def _canonical(ident: str, value: str) -> str:
    if ident == "email":
        return canonical_email(value, True)[0]
    if ident == "phone":
        try:
            number = phonenumbers.parse(value, "UA")
            return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
        except phonenumbers.NumberParseException:
            return value.strip()
    if ident == "system_id":
        return value.strip().removeprefix("input.csv:")
    return value.strip()


@SETTINGS
@given(exports)
def test_each_record_lands_in_one_contact_whatever_the_row_order(
    data: tuple[list[dict[str, str]], random.Random],
) -> None:
    rows, rnd = data
    rows = _dated(rows, rnd)
    shuffled = rows[:]
    rnd.shuffle(shuffled)
    with TemporaryDirectory() as tmp:
        first = _resolve(Path(tmp) / "a", rows)
        second = _resolve(Path(tmp) / "b", shuffled)
        membership = read_csv(first / "membership.csv")
        contacts = read_csv(first / "contacts.csv")
        assert [int(m["row"]) for m in membership] == list(range(1, len(rows) + 1))
        assert {m["contact_id"] for m in membership} == {c["contact_id"] for c in contacts}
        assert len({c["contact_id"] for c in contacts}) == len(contacts)
        # Same groups and the same ids, whatever the order of rows.
        assert _contact_by_rid(first, rows) == _contact_by_rid(second, shuffled)
        # Nothing lost: every identifier value is somewhere in the merged contacts.
        for ident in POOLS:
            given_values = {_canonical(ident, r[ident]) for r in rows if r[ident].strip()}
            written = set()
            for c in contacts:
                for cell in (c[ident], c[ident + "_other"]):
                    written |= {_canonical(ident, v) for v in cell.split("|") if v}
            assert given_values == written, ident


@SETTINGS
@given(exports)
def test_outputs_are_byte_identical_and_a_second_run_merges_nothing(
    data: tuple[list[dict[str, str]], random.Random],
) -> None:
    rows, rnd = data
    rows = _dated(rows, rnd)
    with TemporaryDirectory() as tmp:
        first = _resolve(Path(tmp) / "a", rows)
        again = _resolve(Path(tmp) / "b", rows)
        for name in ("contacts.csv", "membership.csv", "findings.csv"):
            assert (first / name).read_bytes() == (again / name).read_bytes(), name
        contacts = read_csv(first / "contacts.csv")
        rerun = Path(tmp) / "c"
        run([first / "contacts.csv"], RunOptions(out=rerun, region="UA", format="csv"))
        assert len(read_csv(rerun / "contacts.csv")) == len(contacts)
