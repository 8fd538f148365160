"""Migration features on generic files: consent, multi-value cells, --prefer, Excel and zip input."""

from __future__ import annotations

import csv
import json
import zipfile
from pathlib import Path

import openpyxl
import pytest

from matchers import RunOptions, run
from matchers.errors import ConfigError, InputError
from tests.engine.helpers import read_csv, resolve_files, resolve_rows, write_csv


def _config(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "idmerge.toml"
    path.write_text(text, encoding="utf-8")
    return path


# --- consent -------------------------------------------------------------------------------------


def test_one_unsubscribed_record_makes_the_contact_unsubscribed(tmp_path: Path) -> None:
    header = ["email", "Email Status", "updated_at"]
    outcome = resolve_rows(
        tmp_path,
        [
            {"email": "ann@x.com", "Email Status": "unsubscribed", "updated_at": "2023-01-01"},
            {"email": "Ann@X.com", "Email Status": "subscribed", "updated_at": "2024-06-01"},
            {"email": "bob@x.com", "Email Status": "subscribed", "updated_at": "2024-06-01"},
        ],
        header=header,
    )
    assert outcome.groups() == [{1, 2}, {3}]
    assert outcome.contact(1)["email_status"] == "unsubscribed"  # older, but stricter
    assert outcome.contact(3)["email_status"] == "subscribed"
    assert "Email Status" not in outcome.contacts[0]
    changed = outcome.findings_of("consent_changed")
    assert [(f["identifier"], f["value"], f["records"], f["contacts"]) for f in changed] == [
        ("email_status", "unsubscribed", "2", outcome.contact_of(1))
    ]
    report = json.loads((outcome.out / "report.json").read_text())
    assert report["summary"]["consent_changed"] == 1
    assert report["summary"]["consent"] == {"email": {"subscribed": 1, "unsubscribed": 1}}


@pytest.mark.parametrize(
    ("header", "cells", "merged"),
    [
        ("EMAIL_BLACKLISTED", ("no", "yes"), "unsubscribed"),  # opt-out flag
        ("unsubscribed_from_emails_at", ("", "2024-02-03 10:00:00"), "unsubscribed"),  # a date means opted out
        ("Accepts Marketing", ("true", "false"), "not_subscribed"),  # opt-in flag
        ("Email Marketing Consent", ("SUBSCRIBED", "NEVER_SUBSCRIBED"), "not_subscribed"),
        ("Email status", ("active", "bounced"), "bounced"),
        ("Email status", ("subscribed", "Abgemeldet"), "unknown"),  # unreadable never subscribes
        ("Статус подписки", ("подписан", "отписан"), "unsubscribed"),
    ],
)
def test_status_columns_are_read_and_the_strictest_holds(
    tmp_path: Path, header: str, cells: tuple[str, str], merged: str
) -> None:
    outcome = resolve_rows(
        tmp_path,
        [{"email": "ann@x.com", header: cells[0]}, {"email": "ann@x.com", header: cells[1]}],
        header=["email", header],
    )
    assert outcome.groups() == [{1, 2}]
    assert outcome.contacts[0]["email_status"] == merged


def test_sms_and_email_statuses_are_separate_channels(tmp_path: Path) -> None:
    outcome = resolve_rows(
        tmp_path,
        [
            {"email": "ann@x.com", "phone": "+380671234567", "EMAIL_BLACKLISTED": "yes", "SMS_BLACKLISTED": "no"},
            {"email": "ann@x.com", "EMAIL_BLACKLISTED": "no"},
        ],
        header=["email", "phone", "EMAIL_BLACKLISTED", "SMS_BLACKLISTED"],
    )
    contact = outcome.contacts[0]
    assert (contact["email_status"], contact["sms_status"]) == ("unsubscribed", "subscribed")


def test_config_consent_column(tmp_path: Path) -> None:
    config = _config(
        tmp_path,
        '[consent]\n"Newsletter" = { channel = "email", read = "optin", values = { "ja bitte" = "subscribed" } }\n',
    )
    outcome = resolve_rows(
        tmp_path,
        [{"email": "a@x.com", "Newsletter": "Ja bitte"}, {"email": "b@x.com", "Newsletter": "0"}],
        header=["email", "Newsletter"],
        config=config,
    )
    assert [c["email_status"] for c in sorted(outcome.contacts, key=lambda c: c["email"])] == [
        "subscribed",
        "not_subscribed",
    ]


def test_consent_config_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="channel must be one of email, sms, push"):
        resolve_rows(
            tmp_path,
            [{"email": "a@x.com"}],
            header=["email"],
            config=_config(tmp_path, '[consent]\n"X" = { channel = "fax" }\n'),
        )


# --- several values in one cell or column --------------------------------------------------------


def test_split_cells_become_several_values(tmp_path: Path) -> None:
    config = _config(tmp_path, '[split]\n"Additional emails" = ",;"\n[columns]\n"Additional emails" = "email"\n')
    outcome = resolve_rows(
        tmp_path,
        [
            {"email": "ann@x.com", "Additional emails": "ann.work@y.com; ann@home.ua"},
            {"email": "ann@home.ua"},
            {"email": "bob@x.com", "Additional emails": "ann.work@y.com"},
        ],
        header=["email", "Additional emails"],
        config=config,
    )
    assert outcome.groups() == [{1, 2, 3}]
    contact = outcome.contacts[0]
    values = {contact["email"], *contact["email_other"].split("|")}
    assert values == {"ann@x.com", "ann.work@y.com", "ann@home.ua", "bob@x.com"}


def test_without_split_a_list_cell_is_one_invalid_value(tmp_path: Path) -> None:
    outcome = resolve_rows(
        tmp_path,
        [{"email": "ann@x.com; ann@home.ua"}, {"email": "ann@home.ua"}],
        header=["email"],
    )
    assert outcome.groups() == [{1}, {2}]
    assert [f["kind"] for f in outcome.findings] == ["invalid", "no_identifier"]


def test_several_columns_of_one_identifier(tmp_path: Path) -> None:
    header = ["Рабочий телефон", "Мобильный телефон", "Рабочий e-mail", "Частный e-mail"]
    config = _config(
        tmp_path,
        '[columns]\n"Рабочий телефон" = "phone"\n"Мобильный телефон" = "phone"\n'
        '"Рабочий e-mail" = "email"\n"Частный e-mail" = "email"\n',
    )
    outcome = resolve_rows(
        tmp_path,
        [
            {"Рабочий телефон": "+7 (495) 123-45-67", "Мобильный телефон": "8 916 123 45 67"},
            {"Частный e-mail": "ivan@mail.ru", "Мобильный телефон": "+79161234567"},
            {"Рабочий e-mail": "ivan@mail.ru"},
        ],
        header=header,
        config=config,
        region="RU",
    )
    assert outcome.groups() == [{1, 2, 3}]
    assert {outcome.contacts[0]["phone"], outcome.contacts[0]["phone_other"]} == {"+7 (495) 123-45-67", "+79161234567"}


def test_import_layout_writes_the_primary_phone_in_e164(tmp_path: Path) -> None:
    """contacts.csv keeps a phone as written (with its "+"); the import layout gets the E.164
    form it was matched by, for a contact of one record and for one of several."""
    src = write_csv(
        tmp_path / "input.csv",
        [
            {"email": "ann@x.com", "phone": "+380 (67) 123-45-67"},
            {"email": "bob@x.com", "phone": "+380 50 765 43 21", "updated_at": "2024-01-01"},
            {"email": "Bob@x.com", "updated_at": "2023-01-01"},
        ],
        ["email", "phone", "updated_at"],
    )
    out = tmp_path / "out"
    run([src], RunOptions(out=out, region="UA", to="esputnik"))
    contacts = {c["email"]: c["phone"] for c in read_csv(out / "contacts.csv")}
    assert contacts == {"ann@x.com": "+380 (67) 123-45-67", "bob@x.com": "+380 50 765 43 21"}
    with (out / "esputnik" / "contacts.csv").open(encoding="utf-8", newline="") as fh:
        imported = {r["Email"]: r["Phone"] for r in csv.DictReader(fh, delimiter=";")}
    assert imported == {"ann@x.com": "+380671234567", "bob@x.com": "+380507654321"}


# --- --prefer ------------------------------------------------------------------------------------


def test_prefer_makes_a_source_survive_first(tmp_path: Path) -> None:
    crm = write_csv(
        tmp_path / "crm.csv",
        [{"email": "ann@x.com", "first_name": "Anna", "updated_at": "2020-01-01"}],
        ["email", "first_name", "updated_at"],
    )
    esp = write_csv(
        tmp_path / "esp.csv",
        [{"email": "ANN@x.com", "first_name": "annie", "updated_at": "2024-01-01"}],
        ["email", "first_name", "updated_at"],
    )
    newest = resolve_files(tmp_path, [crm, esp])
    assert (newest.contacts[0]["first_name"], newest.contacts[0]["email"]) == ("annie", "ANN@x.com")
    out = tmp_path / "preferred"
    run([crm, esp], RunOptions(out=out, prefer=("crm",), region="UA"))
    contact = read_csv(out / "contacts.csv")[0]
    assert (contact["first_name"], contact["email"], contact["email_other"]) == ("Anna", "ann@x.com", "")
    assert json.loads((out / "report.json").read_text())["settings"]["prefer"] == ["crm"]


def test_prefer_unknown_source_is_an_error(tmp_path: Path) -> None:
    src = write_csv(tmp_path / "a.csv", [{"email": "a@x.com"}], ["email"])
    with pytest.raises(ConfigError, match=r"--prefer 'crm.csv' names no input; use a file name \(a.csv\)"):
        run([src], RunOptions(out=tmp_path / "o", prefer=("crm.csv",)))


# --- Excel and zip input -------------------------------------------------------------------------


def _xlsx(path: Path, rows: list[list[object]]) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Contacts"
    for row in rows:
        sheet.append(row)
    book.create_sheet("Notes").append(["not read"])
    book.save(path)
    return path


def test_excel_input_reads_the_first_sheet_as_text(tmp_path: Path) -> None:
    import datetime as dt

    book = _xlsx(
        tmp_path / "crm.xlsx",
        [
            ["External ID", "Email", "Phone", "Updated At"],
            [1001, "ann@x.com", 380671234567, dt.datetime(2024, 5, 1, 10, 30)],
            [1002, "bob@x.com", None, dt.datetime(2024, 1, 1)],
            [1001, "ann.other@x.com", "067 123 45 67", None],
        ],
    )
    outcome = resolve_files(tmp_path, [book])
    assert outcome.groups() == [{1, 3}, {2}]
    ann = outcome.contact(1)
    assert (ann["external_id"], ann["phone"], ann["updated_at"]) == ("1001", "+380671234567", "2024-05-01 10:30:00")
    report = json.loads((outcome.out / "report.json").read_text())
    assert (report["inputs"][0]["format"], report["inputs"][0]["sheet"]) == ("excel", "Contacts")


def test_broken_excel_file_is_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "crm.xlsx"
    bad.write_bytes(b"PK\x03\x04 not really a workbook")
    with pytest.raises(InputError, match=r"crm.xlsx: not a readable Excel workbook \(.*\); open it and save it again"):
        run([bad], RunOptions(out=tmp_path / "o"))


def test_zip_of_csv_files_gives_one_source_per_member(tmp_path: Path) -> None:
    a = write_csv(tmp_path / "a.csv", [{"email": "ann@x.com", "system_id": "1"}], ["email", "system_id"])
    b = write_csv(tmp_path / "b.csv", [{"email": "ann@x.com", "system_id": "1"}], ["email", "system_id"])
    archive = tmp_path / "export.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.write(a, "lists/a.csv")
        zf.write(b, "lists/b.csv")
        zf.writestr("README.md", "not an export")
    outcome = resolve_files(tmp_path, [archive])
    assert sorted((m["source"], m["row"]) for m in outcome.membership) == [
        ("export.zip/lists/a.csv", "1"),
        ("export.zip/lists/b.csv", "1"),
    ]
    assert len(outcome.contacts) == 1
    # source keys stay per member file
    assert {outcome.contacts[0]["system_id"], outcome.contacts[0]["system_id_other"]} == {
        "export.zip/lists/a.csv:1",
        "export.zip/lists/b.csv:1",
    }


def test_zip_errors_name_the_member(tmp_path: Path) -> None:
    archive = tmp_path / "export.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("contacts.csv", "email\n")
    with pytest.raises(InputError, match=r"^export.zip/contacts.csv: the file has a header but no records"):
        run([archive], RunOptions(out=tmp_path / "o"))
    empty = tmp_path / "empty.zip"
    with zipfile.ZipFile(empty, "w") as zf:
        zf.writestr("notes.md", "hello")
    with pytest.raises(InputError, match="empty.zip: the zip archive holds no CSV, Excel or Parquet file"):
        run([empty], RunOptions(out=tmp_path / "o"))


def test_report_html_shows_the_consent_changes(tmp_path: Path) -> None:
    outcome = resolve_rows(
        tmp_path,
        [{"email": "ann@x.com", "Email status": "unsubscribed"}, {"email": "ann@x.com", "Email status": "active"}],
        header=["email", "Email status"],
    )
    html = (outcome.out / "report.html").read_text(encoding="utf-8")
    assert '<div class="card" data-figure="Consent changed"><div class="fig">1</div>' in html
