"""The identifier columns of a merged row: primary value and ``_other``, for every shape of contact.

Survivorship takes two paths: values of contacts with several records, and of
identifiers one record can hold several values of (a second column, an
``_other`` column), are grouped and ranked; the rest go straight into the row.
These tests pin both paths to the same rule: the primary value is the newest
usable one (ties by value), the others follow newest first, unusable values
only among the others.
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.engine.helpers import resolve_rows

HEADER = ["external_id", "email", "phone", "phone_other", "cookie", "updated_at"]


def _row(contact: dict[str, str]) -> tuple[str, ...]:
    return tuple(contact[c] for c in ("email", "email_other", "phone", "phone_other", "cookie", "cookie_other"))


def test_a_record_alone_with_several_phones_ranks_them_like_a_merged_contact(tmp_path: Path) -> None:
    rows = [
        # Alone in its contact, three phones in two columns; one is junk.
        {"email": "a@x.com", "phone": "050 111 22 33", "phone_other": "+380671234567|0000000000"},
        # Alone, one value per identifier, the email unusable.
        {"email": "b@@x.com", "phone": "+380931112233", "cookie": "k1"},
        # Two records of one contact through the email; their phones differ.
        {"email": "c@x.com", "phone": "+380501234567", "updated_at": "2024-01-01"},
        {"email": "C@x.com", "phone": "0661234567", "phone_other": "0000000000", "updated_at": "2024-06-01"},
    ]
    result = resolve_rows(tmp_path, rows, header=HEADER)
    assert result.groups() == [{1}, {2}, {3, 4}]
    assert _row(result.contact(1)) == ("a@x.com", "", "+380671234567", "+380501112233|0000000000", "", "")
    assert _row(result.contact(2)) == ("", "b@@x.com", "+380931112233", "", "k1", "")
    assert _row(result.contact(3)) == ("C@x.com", "", "+380661234567", "0000000000|+380501234567", "", "")


def test_records_with_a_value_count_each_record_once(tmp_path: Path) -> None:
    rows = [
        {"email": "a@x.com", "phone": "050 111 22 33", "phone_other": "+380671234567|0000000000"},
        {"email": "b@@x.com", "phone": "+380931112233"},
        {"cookie": "k1"},
        {"phone_other": "0000000000", "cookie": "k2"},
    ]
    result = resolve_rows(tmp_path, rows, header=HEADER)
    report = json.loads((result.out / "report.json").read_text(encoding="utf-8"))
    filled = {i["name"]: i["records_with_value"] for i in report["summary"]["identifiers"]}
    # Record 1 holds three phones and counts once; record 4 holds only a junk one.
    assert (filled["email"], filled["phone"], filled["cookie"]) == (2, 3, 2)
