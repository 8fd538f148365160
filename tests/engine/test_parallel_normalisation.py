"""Large inputs send the email and phone libraries to worker processes; the
result must be the same as one process gives."""

from __future__ import annotations

import csv
from pathlib import Path

from matchers import RunOptions, run
from matchers.workers import PARALLEL_THRESHOLD
from tests.engine.helpers import read_csv

PEOPLE = PARALLEL_THRESHOLD // 2 + 500


def test_many_distinct_emails_and_phones_are_normalised_in_workers(tmp_path: Path) -> None:
    src = tmp_path / "big.csv"
    with src.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["Email", "Phone"])
        for i in range(PEOPLE):
            # Two writings of each address and number, both distinct as text.
            writer.writerow([f"U.Ser{i}@GMail.com", f"+38067{i:07d}"])
            writer.writerow([f"user{i}+x@gmail.com", f"067 {i:07d}"])
        writer.writerow(["broken@@x.com", "+3806712"])
    out = tmp_path / "out"
    result = run([src], RunOptions(out=out, region="UA", format="csv"))
    assert result.summary.records == 2 * PEOPLE + 1
    assert result.summary.contacts == PEOPLE + 1
    assert result.summary.invalid_values == 2
    membership = read_csv(out / "membership.csv")
    assert membership[0]["contact_id"] == membership[1]["contact_id"]
    assert membership[-2]["contact_id"] == membership[-3]["contact_id"]
    assert membership[-1]["contact_id"] != membership[-2]["contact_id"]
