"""Run the real engine on small CSV files and read its outputs back."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from matchers import RunOptions, run

HEADER = [
    "external_id",
    "email",
    "phone",
    "system_id",
    "user_pseudo_id",
    "device_id",
    "mobile_push_token",
    "cookie",
    "updated_at",
]


def write_csv(path: Path, rows: list[dict[str, str]], header: list[str] | None = None) -> Path:
    header = header or HEADER
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=header)
        writer.writeheader()
        for row in rows:
            writer.writerow({k: row.get(k, "") for k in header})
    return path


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


@dataclass
class Outcome:
    out: Path
    membership: list[dict[str, str]]
    contacts: list[dict[str, str]]
    findings: list[dict[str, str]]

    def groups(self) -> list[set[int]]:
        """Contacts as sets of 1-based row numbers (single-file runs), sorted."""
        by_contact: dict[str, set[int]] = {}
        for m in self.membership:
            by_contact.setdefault(m["contact_id"], set()).add(int(m["row"]))
        return sorted(by_contact.values(), key=min)

    def contact_of(self, row: int, source: str | None = None) -> str:
        return next(
            m["contact_id"]
            for m in self.membership
            if int(m["row"]) == row and (source is None or m["source"] == source)
        )

    def contact(self, row: int) -> dict[str, str]:
        cid = self.contact_of(row)
        return next(c for c in self.contacts if c["contact_id"] == cid)

    def findings_of(self, kind: str) -> list[dict[str, str]]:
        return [f for f in self.findings if f["kind"] == kind]


def resolve_rows(
    tmp_path: Path,
    rows: list[dict[str, str]],
    *,
    header: list[str] | None = None,
    name: str = "input.csv",
    region: str | None = "UA",
    config: Path | None = None,
) -> Outcome:
    src = write_csv(tmp_path / name, rows, header)
    return resolve_files(tmp_path, [src], region=region, config=config)


def resolve_files(
    tmp_path: Path,
    files: list[Path],
    *,
    region: str | None = "UA",
    config: Path | None = None,
    out_name: str = "out",
) -> Outcome:
    out = tmp_path / out_name
    run(files, RunOptions(out=out, region=region, config=config, force=True, format="csv"))
    return Outcome(
        out, read_csv(out / "membership.csv"), read_csv(out / "contacts.csv"), read_csv(out / "findings.csv")
    )


# The worked examples of MATCHING.md, as rows of one input file.
EXAMPLE_1: list[dict[str, str]] = [
    {"cookie": "c1"},
    {"user_pseudo_id": "p1"},
    {"external_id": "E1", "cookie": "c1"},
    {"external_id": "E1", "user_pseudo_id": "p1"},
]
EXAMPLE_2: list[dict[str, str]] = [
    {"external_id": "E1", "device_id": "D1", "updated_at": "2024-01-01"},
    {"external_id": "E2", "device_id": "D1", "updated_at": "2024-06-01"},
]
EXAMPLE_3: list[dict[str, str]] = [
    {"external_id": "E4", "email": "fam@x.com"},
    {"external_id": "E5", "email": "fam@x.com"},
    {"email": "fam@x.com"},
]
EXAMPLE_6: list[dict[str, str]] = [
    {"external_id": "E1", "phone": "+380671234567"},
    {"email": "a@x.com", "phone": "0671234567"},
    {"external_id": "E2", "email": "a@x.com"},
]
