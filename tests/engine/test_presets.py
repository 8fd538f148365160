"""Export presets on realistic fixtures (tests/fixtures/presets/, described in EXPECTED.md).

The expectations come from EXPECTED.md, written with the fixtures: which rows
are one person, and each row's consent per channel. The merged contacts must
group exactly those rows, and each contact's status per channel must be the
strictest status its rows had.
"""

from __future__ import annotations

import csv
import json
import re
import zipfile
from pathlib import Path

import pytest

from matchers import RunOptions, resolve, run
from matchers.columns import fold
from matchers.config import Config
from matchers.consent import RANK
from matchers.db import Database
from matchers.errors import OutputError
from matchers.identifiers import DEFAULT_IDENTIFIERS
from matchers.load import LoadOptions, load_sources
from matchers.preset import detect, load_presets, parse_preset
from matchers.target import write_import
from matchers.write import AtomicWriter
from tests.engine.helpers import read_csv

FIXTURES = Path(__file__).parent.parent / "fixtures" / "presets"
EXPECTED = FIXTURES / "EXPECTED.md"
MAILCHIMP_ZIP_MEMBERS = sorted((FIXTURES / "mailchimp").glob("*.csv"))


def fixture_files() -> list[Path]:
    return sorted(p for p in FIXTURES.glob("*/*.csv"))


def _read_expected() -> tuple[dict[str, set[tuple[str, int]]], dict[tuple[str, int], dict[str, str]]]:
    """(person -> {(file, row)}, (file, row) -> {channel: status}) from EXPECTED.md."""
    text = EXPECTED.read_text(encoding="utf-8")
    people: dict[str, set[tuple[str, int]]] = {}
    people_part = text.split("## People", 1)[1].split("## Consent per row", 1)[0]
    for line in people_part.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) < 3 or not re.fullmatch(r"[A-Z]{1,2}", cells[0]):
            continue
        rows = set()
        for ref in cells[2].split("<br>"):
            path, row = ref.rsplit(":", 1)
            rows.add((Path(path).name, int(row)))
        people[cells[0]] = rows
    consent: dict[tuple[str, int], dict[str, str]] = {}
    for section in text.split("\n### ")[1:]:
        name = Path(section.splitlines()[0].strip()).name
        for line in section.splitlines():
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if len(cells) == 5 and cells[0].isdigit():
                consent[(name, int(cells[0]))] = {
                    ch: st for ch, st in zip(("email", "sms", "push"), cells[2:], strict=True) if st != "-"
                }
    return people, consent


def test_every_preset_loads_and_names_its_layout_sources() -> None:
    presets = load_presets()
    assert set(presets) == {
        "bitrix24",
        "braze",
        "brevo",
        "customerio",
        "esputnik",
        "hubspot",
        "klaviyo",
        "mailchimp",
        "unisender",
    }
    for preset in presets.values():
        assert preset.layout_sources, f"{preset.name} says nowhere where its layout comes from"
    targets = {p.name for p in presets.values() if p.import_layout}
    assert targets == {"brevo", "esputnik", "klaviyo", "mailchimp", "unisender"}


@pytest.mark.parametrize("path", fixture_files(), ids=lambda p: p.name)
def test_each_fixture_is_detected_as_its_own_preset_and_no_other(path: Path) -> None:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        first = fh.readline()
    delimiter = max(",;\t", key=first.count)
    headers = next(csv.reader([first], delimiter=delimiter))
    preset = detect(headers)
    assert preset is not None and preset.name == path.parent.name
    others = [p.name for p in load_presets().values() if p.name != preset.name and p.matches(headers)]
    assert others == []


@pytest.mark.parametrize("path", fixture_files(), ids=lambda p: p.name)
def test_each_fixture_maps_its_preset_columns(path: Path, tmp_path: Path) -> None:
    db = Database()
    [source] = load_sources(db, [path], Config(), LoadOptions(), tmp_path)
    preset = load_presets()[path.parent.name]
    assert source.preset == preset.name
    for position, header in enumerate(source.headers):
        role = preset.columns.get(fold(header))
        if role in (None, "ignore"):
            continue
        got = source.roles.get(position) or source.fields.get(position)
        assert got == role or (role == "updated_at" and got in (None, "updated_at")), (header, role, got)
    for position, header in enumerate(source.headers):
        if fold(header) in preset.consent:
            assert source.consent[position].channel == preset.consent[fold(header)].channel
    db.close()


@pytest.fixture(scope="module")
def migrated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """All fixtures in one run, Mailchimp as the zip of its three status files."""
    tmp = tmp_path_factory.mktemp("presets")
    archive = tmp / "mailchimp_audience_export.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for member in MAILCHIMP_ZIP_MEMBERS:
            zf.write(member, member.name)
    inputs = [archive, *(p for p in fixture_files() if p.parent.name != "mailchimp")]
    out = tmp / "out"
    run(inputs, RunOptions(out=out, to="esputnik"))
    return out


def _membership(out: Path) -> dict[tuple[str, int], str]:
    return {(Path(m["source"]).name, int(m["row"])): m["contact_id"] for m in read_csv(out / "membership.csv")}


def test_all_fixtures_merge_into_the_people_of_expected_md(migrated: Path) -> None:
    people, _ = _read_expected()
    membership = _membership(migrated)
    assert set(membership) == {row for rows in people.values() for row in rows}
    got = sorted(sorted(rows) for rows in _groups(membership).values())
    assert got == sorted(sorted(rows) for rows in people.values())


def _groups(membership: dict[tuple[str, int], str]) -> dict[str, set[tuple[str, int]]]:
    groups: dict[str, set[tuple[str, int]]] = {}
    for row, contact in membership.items():
        groups.setdefault(contact, set()).add(row)
    return groups


def test_merged_consent_is_the_strictest_status_of_each_channel(migrated: Path) -> None:
    _, consent = _read_expected()
    membership = _membership(migrated)
    contacts = {c["contact_id"]: c for c in read_csv(migrated / "contacts.csv")}
    changed = 0
    for contact_id, rows in _groups(membership).items():
        disagreed = False
        for channel in ("email", "sms", "push"):
            statuses = {consent.get(row, {}).get(channel) for row in rows} - {None}
            expected = max(statuses, key=RANK.__getitem__) if statuses else ""
            assert contacts[contact_id][f"{channel}_status"] == expected, (contact_id, channel, rows)
            disagreed |= len(statuses) > 1
        changed += disagreed
    summary = json.loads((migrated / "report.json").read_text())["summary"]
    assert summary["consent_changed"] == changed > 0


def test_esputnik_import_file_subscribes_nobody_who_unsubscribed_anywhere(migrated: Path) -> None:
    _, consent = _read_expected()
    membership = _membership(migrated)
    restricted_emails = set()
    contacts = {c["contact_id"]: c for c in read_csv(migrated / "contacts.csv")}
    for contact_id, rows in _groups(membership).items():
        if any(consent.get(row, {}).get("email") not in (None, "subscribed") for row in rows):
            restricted_emails.add(contacts[contact_id]["email"])
    with (migrated / "esputnik" / "contacts.csv").open(encoding="utf-8", newline="") as fh:
        imported = list(csv.DictReader(fh, delimiter=";"))
    assert list(imported[0])[:7] == [
        "External ID",
        "Email",
        "Phone",
        "First name",
        "Last name",
        "Email status",
        "SMS status",
    ]
    by_email = {r["Email"]: r for r in imported if r["Email"]}
    assert restricted_emails and restricted_emails <= set(by_email)
    for email in restricted_emails:
        assert by_email[email]["Email status"] == "unsubscribed", email
    # phones in E.164
    assert all(re.fullmatch(r"\+\d{8,15}", r["Phone"]) for r in imported if r["Phone"])


def test_no_email_or_phone_is_lost_in_the_import_files(migrated: Path, tmp_path: Path) -> None:
    """Every email and phone of every fixture is in the main import file or the side file."""
    from matchers.normalise import canonical_email

    links = read_csv(migrated / "links.csv")
    wanted = {(link["identifier"], link["value"]) for link in links if link["identifier"] in ("email", "phone")}
    with (migrated / "esputnik" / "contacts.csv").open(encoding="utf-8", newline="") as fh:
        imported = list(csv.DictReader(fh, delimiter=";"))
    side = read_csv(migrated / "esputnik" / "extra_values.csv")
    found = set()
    for r in imported:
        found.add(("email", r["Email"]))
        found.add(("phone", r["Phone"]))
    found |= {(s["identifier"], s["value"]) for s in side}

    # links name values in their matching form; compare both sides in it
    def norm(ident: str, value: str) -> str:
        if ident == "email":
            return canonical_email(value, True)[0]
        return re.sub(r"[^\d+]", "", value)

    assert {(i, norm(i, v)) for i, v in wanted} <= {(i, norm(i, v)) for i, v in found if v}


@pytest.mark.parametrize("name", ["brevo", "esputnik", "klaviyo", "mailchimp", "unisender"])
def test_every_target_layout_is_written_as_documented(name: str, tmp_path: Path) -> None:
    preset = load_presets()[name]
    layout = preset.import_layout
    assert layout is not None
    out = tmp_path / "out"
    run(fixture_files(), RunOptions(out=out, to=name))
    folder = out / name
    files = sorted(p.name for p in folder.iterdir())
    statuses = dict(layout.status)
    silent = [] if "email" in statuses else ["email"]
    assert files == (["contacts.csv", "extra_values.csv"] + (["unsubscribed.csv"] if silent else []))
    contacts = {c["contact_id"]: c for c in read_csv(out / "contacts.csv")}
    imported: list[dict[str, str]] = []
    for stem in ("contacts", "unsubscribed"):
        path = folder / f"{stem}.csv"
        if not path.exists():
            continue
        with path.open(encoding=layout.encoding, newline="") as fh:
            rows = list(csv.DictReader(fh, delimiter=layout.delimiter))
        headers = [h for _, h in layout.columns]
        assert list(rows[0])[: len(headers)] == headers
        for row in rows:
            phone = row.get(dict(layout.columns).get("phone", ""), "")
            assert phone == "" or re.fullmatch(r"\+\d{8,15}", phone)
            for written in statuses.values():
                assert row[written.column] in ("", written.subscribed, written.restricted)
        imported += [{**r, "_file": stem} for r in rows]
    if silent:
        assert any(r["_file"] == "unsubscribed" for r in imported)
    # Nobody restricted on a channel the target cannot mark is in the main file.
    email_header = dict(layout.columns)["email"]
    by_email = {c["email"]: c for c in contacts.values() if c["email"]}
    for row in imported:
        contact = by_email.get(row[email_header])
        if contact is None:
            continue
        restricted = any(contact.get(f"{c}_status") not in ("", "subscribed", None) for c in silent)
        assert (row["_file"] == "unsubscribed") == restricted, row[email_header]
        for channel, written in statuses.items():
            status = contact.get(f"{channel}_status") or ""
            expected = "" if not status else written.subscribed if status == "subscribed" else written.restricted
            assert row[written.column] == expected


def _write_with_layout(tmp_path: Path, name: str, import_table: str, csv_text: str) -> Path:
    """Resolve one CSV and write it through a made-up preset's ``[import]`` table; the output folder."""
    preset = parse_preset(
        name, f'name = "{name}"\n[detect]\nall = ["never"]\n[import]\n{import_table}', set(DEFAULT_IDENTIFIERS)
    )
    src = tmp_path / "a.csv"
    src.write_text(csv_text, encoding="utf-8")
    resolution = resolve([src], RunOptions())
    resolution.target = preset
    out = tmp_path / "out"
    try:
        with AtomicWriter(out) as writer:
            write_import(resolution, writer, None)
    finally:
        resolution.db.close()
    return out / name


def test_a_layout_writes_updated_at_in_its_date_format(tmp_path: Path) -> None:
    folder = _write_with_layout(
        tmp_path,
        "dated",
        'delimiter = "|"\nencoding = "utf-8-sig"\ndate_format = "%d.%m.%Y"\n'
        '[import.columns]\nemail = "E-mail"\nupdated_at = "Changed"\n',
        "email,updated_at\nann@x.com,2024-03-05 10:00:00\nANN@x.com,2023-01-01\n",
    )
    raw = (folder / "contacts.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # utf-8-sig writes a BOM
    assert raw.decode("utf-8-sig").splitlines() == ["E-mail|Changed", "ann@x.com|05.03.2024"]


def test_a_value_the_target_encoding_cannot_hold_is_a_clear_error(tmp_path: Path) -> None:
    refused = r"^--to latin: the character 'О' .* cannot be written in cp1252"
    with pytest.raises(OutputError, match=refused):
        _write_with_layout(
            tmp_path,
            "latin",
            'encoding = "cp1252"\n[import.columns]\nemail = "Email"\nfirst_name = "First"\n',
            "email,first_name\nann@x.com,Zoë\nolena@x.com,Олена\n",
        )
    folder = tmp_path / "out" / "latin"
    assert not (folder / "contacts.csv").exists()
    assert [p.name for p in folder.iterdir()] == []  # no half-written or scratch file left
