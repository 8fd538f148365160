"""``idmerge run`` for migrations: --preset, --prefer, --to, --split-size, Excel and zip inputs."""

from __future__ import annotations

import csv
import re
import zipfile
from pathlib import Path

from tests.cli.conftest import Idmerge, Outcome

FIXTURES = Path(__file__).parent.parent / "fixtures" / "presets"

MAILCHIMP_HEADER = '"Email Address","First Name","Last Name","Phone Number",LEID,EUID,LAST_CHANGED\n'
ESPUTNIK = (
    "Contact ID;External ID;Email;Phone Number;First Name;Last Name;Email status;Updated At\n"
    "9001;C-1;olena.koval@gmail.com;+380671234567;Олена;Коваль;subscribed;2024-05-17 14:03:00\n"
    "9002;;petro@ukr.net;0501112233;Петро;;subscribed;2024-05-01 10:00:00\n"
    "9003;C-3;nina@i.ua;;Ніна;;subscribed;2024-01-01 10:00:00\n"
)


def _mailchimp_zip(idmerge: Idmerge) -> Path:
    subscribed = idmerge.file(
        "subscribed_members_export_ab12.csv",
        MAILCHIMP_HEADER + '"Olena.Koval@gmail.com","Olena","Koval","+38 (067) 123 45 67",1,a1,2023-01-01 10:00:00\n'
        '"anna@x.com","Anna","","",4,a4,2023-01-01 10:00:00\n',
    )
    unsubscribed = idmerge.file(
        "unsubscribed_members_export_ab12.csv",
        MAILCHIMP_HEADER + '"petro@ukr.net","Petro","Ivanenko","",2,a2,2022-01-01 10:00:00\n',
    )
    cleaned = idmerge.file("cleaned_members_export_ab12.csv", MAILCHIMP_HEADER + '"nina@i.ua","","","",3,a3,\n')
    archive = idmerge.tmp / "members_export_ab12.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for member in (subscribed, unsubscribed, cleaned):
            zf.write(member, member.name)
    return archive


def _import_rows(outcome: Outcome, name: str = "contacts.csv") -> list[dict[str, str]]:
    with (outcome.out / "esputnik" / name).open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh, delimiter=";"))


def test_mailchimp_zip_plus_esputnik_becomes_one_esputnik_import(idmerge: Idmerge) -> None:
    esputnik = idmerge.file("esputnik.csv", ESPUTNIK)
    outcome = idmerge.run(_mailchimp_zip(idmerge), esputnik, "--to", "esputnik").ok()
    assert re.search(r"Contacts whose consent changed by merging +2\b", outcome.stdout)
    rows = {r["Email"]: r for r in _import_rows(outcome)}
    assert sorted(rows) == ["anna@x.com", "nina@i.ua", "olena.koval@gmail.com", "petro@ukr.net"]
    assert {e: r["Email status"] for e, r in rows.items()} == {
        "anna@x.com": "subscribed",
        "nina@i.ua": "unsubscribed",  # cleaned in Mailchimp
        "olena.koval@gmail.com": "subscribed",
        "petro@ukr.net": "unsubscribed",  # unsubscribed in Mailchimp, subscribed in eSputnik
    }
    assert (rows["olena.koval@gmail.com"]["Phone"], rows["petro@ukr.net"]["Phone"]) == (
        "+380671234567",
        "+380501112233",
    )
    assert (rows["petro@ukr.net"]["First name"], rows["petro@ukr.net"]["Last name"]) == ("Петро", "Ivanenko")
    assert rows["olena.koval@gmail.com"]["External ID"] == "C-1"
    side = outcome.rows("esputnik/extra_values.csv")
    # The ESPs' own ids are not in eSputnik's layout: they go to the side file.
    assert {(s["identifier"], s["value"], s["External ID"]) for s in side if s["value"].endswith(":1")} == {
        ("system_id", "members_export_ab12.zip/subscribed_members_export_ab12.csv:1", "C-1"),
    }
    sources = {m["source"] for m in outcome.rows("membership.csv")}
    assert "members_export_ab12.zip/unsubscribed_members_export_ab12.csv" in sources


def test_prefer_changes_which_writing_survives(idmerge: Idmerge) -> None:
    esputnik = idmerge.file("esputnik.csv", ESPUTNIK)
    archive = _mailchimp_zip(idmerge)
    newest = idmerge.run(archive, esputnik).ok()
    assert newest.contacts_by("external_id")["C-1"]["first_name"] == "Олена"
    preferred = idmerge.run(archive, esputnik, "--prefer", "mailchimp", out=idmerge.tmp / "preferred").ok()
    olena = preferred.contacts_by("external_id")["C-1"]
    assert (olena["first_name"], olena["email"]) == ("Olena", "Olena.Koval@gmail.com")


def test_forced_preset_maps_unrecognised_headers(idmerge: Idmerge) -> None:
    # Without the signature columns nothing says "Mailchimp", so the file reads generically...
    src = idmerge.file("list.csv", 'Email Address,UNSUB_TIME\n"a@x.com",2024-01-01 10:00:00\n"b@x.com",\n')
    generic = idmerge.run(src).ok()
    assert {c["email"]: c["email_status"] for c in generic.rows("contacts.csv")} == {
        "a@x.com": "unsubscribed",
        "b@x.com": "",
    }
    assert generic.rows("contacts.csv")[0].get("Email Address") is None
    forced = idmerge.run(src, "--preset", "mailchimp", out=idmerge.tmp / "forced").ok()
    assert len(forced.rows("contacts.csv")) == 2


def test_unknown_preset_and_target_are_usage_errors(idmerge: Idmerge) -> None:
    src = idmerge.file("a.csv", "email\na@x.com\n")
    outcome = idmerge.run(src, "--preset", "sendgrid")
    assert outcome.exit_code == 2
    assert outcome.error_line().startswith("Error: --preset 'sendgrid' is not a known preset; known: bitrix24, braze")
    outcome = idmerge.run(src, "--to", "hubspot")
    assert outcome.exit_code == 2
    assert outcome.error_line() == (
        "Error: --to 'hubspot' has no documented import layout; targets with one: "
        "brevo, esputnik, klaviyo, mailchimp, unisender"
    )
    assert not outcome.out.exists()
    outcome = idmerge.run(src, "--to", "esputnik", "--split-size", "lots")
    assert outcome.exit_code == 2
    assert outcome.error_line() == "Error: --split-size 'lots' is not a size; write it like 50MB, 300MB or 1GB"


def test_split_size_cuts_the_import_at_record_boundaries(idmerge: Idmerge) -> None:
    lines = ["Email,First Name,Notes"]
    for n in range(40):
        note = '"line one\nline two"' if n % 7 == 0 else "plain"
        lines.append(f"person{n:02d}@x.com,Name{n},{note}")
    src = idmerge.file("list.csv", "\n".join(lines) + "\n")
    outcome = idmerge.run(src, "--to", "esputnik", "--split-size", "600B").ok()
    parts = sorted((outcome.out / "esputnik").glob("contacts-*.csv"))
    assert len(parts) > 2 and not (outcome.out / "esputnik" / "contacts.csv").exists()
    emails: list[str] = []
    for part in parts:
        assert part.stat().st_size <= 600
        rows = _import_rows(outcome, part.name)
        assert list(rows[0])[:3] == ["External ID", "Email", "Phone"]
        emails += [r["Email"] for r in rows]
        assert all(r["Notes"] in ("plain", "line one\nline two") for r in rows)
    assert emails == sorted(emails, key=lambda e: e) or len(emails) == 40
    assert sorted(emails) == [f"person{n:02d}@x.com" for n in range(40)]
    # A later run with one file replaces the parts (with --force).
    again = idmerge.run(src, "--to", "esputnik", "--force").ok()
    assert sorted(p.name for p in (again.out / "esputnik").iterdir()) == ["contacts.csv", "extra_values.csv"]


def test_brevo_target_writes_blacklist_flags(idmerge: Idmerge) -> None:
    src = idmerge.file(
        "shop.csv",
        "email,phone,first_name,unsubscribed,lead_status\n"
        "ann@x.com,+380671234567,Ann,true,hot\nbob@x.com,,Bob,false,cold\n",
    )
    outcome = idmerge.run(src, "--to", "brevo").ok()
    with (outcome.out / "brevo" / "contacts.csv").open(encoding="utf-8", newline="") as fh:
        rows = {r["EMAIL"]: r for r in csv.DictReader(fh, delimiter=";")}
    assert (rows["ann@x.com"]["EMAIL_BLACKLISTED"], rows["bob@x.com"]["EMAIL_BLACKLISTED"]) == ("yes", "no")
    assert rows["ann@x.com"]["SMS"] == "+380671234567"
    assert (rows["ann@x.com"]["lead_status"], rows["bob@x.com"]["lead_status"]) == ("hot", "cold")  # carried
    assert "email_status" not in rows["ann@x.com"]  # written as EMAIL_BLACKLISTED only


def test_excel_input_from_the_command_line(idmerge: Idmerge) -> None:
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    for row in (["Email", "Телефон"], ["ann@x.com", "+380671234567"], ["ANN@x.com", None]):
        sheet.append(row)
    path = idmerge.tmp / "crm.xlsx"
    book.save(path)
    outcome = idmerge.run(path).ok()
    assert outcome.groups() == [{("crm.xlsx", 1), ("crm.xlsx", 2)}]


def test_prefer_and_split_size_errors_are_one_line(idmerge: Idmerge) -> None:
    src = idmerge.file("a.csv", "email\na@x.com\nb@x.com\n")
    outcome = idmerge.run(src, "--prefer", "crm.csv")
    assert outcome.exit_code == 2
    assert outcome.error_line() == (
        "Error: --prefer 'crm.csv' names no input; use a file name (a.csv) or a preset name"
    )
    outcome = idmerge.run(src, "--to", "esputnik", "--split-size", "10B")
    assert outcome.exit_code == 2
    assert outcome.error_line() == "Error: --split-size 10 bytes is smaller than the header line; give a larger size"
    assert not (outcome.out / "esputnik" / "contacts.csv").exists()


def test_a_record_larger_than_the_split_size_is_an_error(idmerge: Idmerge) -> None:
    src = idmerge.file("a.csv", "email,Notes\na@x.com," + "x" * 400 + "\n")
    outcome = idmerge.run(src, "--to", "esputnik", "--split-size", "300B")
    assert outcome.exit_code == 2
    assert outcome.error_line() == (
        "Error: record 1 is larger than the file-size limit of 300 bytes; give a larger --split-size"
    )
