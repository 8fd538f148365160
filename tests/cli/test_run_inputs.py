"""``idmerge run`` on the shapes real exports come in: each must work and give the right result."""

from __future__ import annotations

import json
import re
import shutil
from importlib.metadata import version
from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import typer

from cli.main import app

if TYPE_CHECKING:
    from tests.cli.conftest import Idmerge

SAMPLE_DATA = Path(__file__).resolve().parents[2] / "sample_data"
OUTPUT_STEMS = ("contacts", "membership", "findings")


# --- delimiters and quoting --------------------------------------------------------------------


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"], ids=["comma", "semicolon", "tab", "pipe"])
def test_delimiter_is_detected(idmerge: Idmerge, delimiter: str) -> None:
    lines = [
        ["Email", "Name", "City"],
        ["ann@ukr.net", "Ann", "Kyiv"],
        ["ann@ukr.net", "Ann", "Kyiv"],
        ["bob@i.ua", "Bob", "Lviv"],
    ]
    src = idmerge.file("export.csv", "".join(delimiter.join(line) + "\n" for line in lines))
    outcome = idmerge.run(src).ok()
    assert outcome.groups() == [{("export.csv", 1), ("export.csv", 2)}, {("export.csv", 3)}]
    contacts = outcome.contacts_by("email")
    assert (contacts["ann@ukr.net"]["Name"], contacts["ann@ukr.net"]["City"]) == ("Ann", "Kyiv")
    assert (contacts["bob@i.ua"]["Name"], contacts["bob@i.ua"]["City"]) == ("Bob", "Lviv")


def test_quoted_fields_keep_embedded_newlines_and_delimiters(idmerge: Idmerge) -> None:
    src = idmerge.file(
        "export.csv",
        'Email,Name,Note\nann@ukr.net,"Koval, Ann","first line\nsecond, line"\nbob@i.ua,Bob,plain\n',
    )
    outcome = idmerge.run(src).ok()
    # Record 2 starts on line 4 of the file but is the file's second record.
    assert [int(m["row"]) for m in outcome.rows("membership.csv")] == [1, 2]
    ann = outcome.contacts_by("email")["ann@ukr.net"]
    assert (ann["Name"], ann["Note"]) == ("Koval, Ann", "first line\nsecond, line")
    assert outcome.contacts_by("email")["bob@i.ua"]["Note"] == "plain"


def test_quoted_comma_in_header_does_not_fool_semicolon_detection(idmerge: Idmerge) -> None:
    src = idmerge.file("export.csv", 'Email;"Name, Surname"\nann@ukr.net;"Koval, Ann"\n')
    outcome = idmerge.run(src).ok()
    assert {c["email"]: c["Name, Surname"] for c in outcome.rows("contacts.csv")} == {"ann@ukr.net": "Koval, Ann"}


def test_a_header_with_a_quoted_line_break_keeps_every_column(idmerge: Idmerge) -> None:
    # Spreadsheets write a header cell with a line break in it ("Notes" over "(internal)")
    # as one quoted field over two lines; the columns after it are still columns.
    src = idmerge.file(
        "export.csv", '"Notes\r\n(internal)";Email\r\nhello;ann@ukr.net\r\n"bye; for now";ANN@ukr.net\r\n'
    )
    outcome = idmerge.run(src).ok()
    assert outcome.groups() == [{("export.csv", 1), ("export.csv", 2)}]
    assert [(c["email"], c["Notes\r\n(internal)"]) for c in outcome.rows("contacts.csv")] == [
        ("ANN@ukr.net", "bye; for now")  # as the newer record wrote it
    ]


def test_a_delimiter_hint_line_sets_the_delimiter_and_is_not_read_as_the_header(idmerge: Idmerge) -> None:
    # Excel's "sep=;" first line. Counted alone, the header's commas would make ',' the delimiter.
    src = idmerge.file("export.csv", "sep=;\r\nEmail;Notes, internal, 2024\r\nann@ukr.net;a, b\r\nANN@ukr.net;c\r\n")
    outcome = idmerge.run(src).ok()
    assert outcome.groups() == [{("export.csv", 1), ("export.csv", 2)}]
    assert [(c["email"], c["Notes, internal, 2024"]) for c in outcome.rows("contacts.csv")] == [("ANN@ukr.net", "c")]


def test_rows_after_a_delimiter_hint_keep_their_record_and_line_numbers(idmerge: Idmerge) -> None:
    # Lines: 1 hint, 2 header, 3 Ann, 4 malformed, 5-6 a record over two lines, 7 malformed, 8 Bob.
    src = idmerge.file(
        "export.csv",
        '\ufeffsep=;\r\nEmail;Name\r\nann@ukr.net;Ann\r\nbad;line;extra\r\ncat@ukr.net;"Cat\r\nKoval"\r\n'
        "zed@ukr.net;Zed;more\r\nbob@i.ua;Bob\r\n",
    )
    outcome = idmerge.run(src, "--skip-bad-rows").ok()
    assert [(r["line"], r["record"], r["text"]) for r in outcome.rows("rejects.csv")] == [
        ("4", "2", "bad;line;extra"),
        ("7", "4", "zed@ukr.net;Zed;more"),
    ]
    rows = {c["email"]: c["contact_id"] for c in outcome.rows("contacts.csv")}
    membership = {m["contact_id"]: m["row"] for m in outcome.rows("membership.csv")}
    assert {email: membership[cid] for email, cid in rows.items()} == {
        "ann@ukr.net": "1",
        "cat@ukr.net": "3",
        "bob@i.ua": "5",
    }


def test_crlf_line_endings_do_not_leak_into_values(idmerge: Idmerge) -> None:
    src = idmerge.file("export.csv", "Email,Name\r\nann@ukr.net,Ann\r\nbob@i.ua,Bob\r\n")
    outcome = idmerge.run(src).ok()
    assert {c["email"]: c["Name"] for c in outcome.rows("contacts.csv")} == {"ann@ukr.net": "Ann", "bob@i.ua": "Bob"}


def test_cr_only_line_endings_are_read(idmerge: Idmerge) -> None:
    # Classic Mac line endings, still written by some spreadsheet exports ("CSV (Macintosh)").
    src = idmerge.file("export.csv", 'Email,"Name\r(given)"\rann@ukr.net,Ann\rANN@ukr.net,Anna\rbob@i.ua,Bob\r')
    outcome = idmerge.run(src).ok()
    assert outcome.groups() == [{("export.csv", 1), ("export.csv", 2)}, {("export.csv", 3)}]
    assert {c["email"]: c["Name\r(given)"] for c in outcome.rows("contacts.csv")} == {
        "ANN@ukr.net": "Anna",
        "bob@i.ua": "Bob",
    }


# --- encodings ---------------------------------------------------------------------------------


def test_utf8_bom_is_not_part_of_the_first_header(idmerge: Idmerge) -> None:
    src = idmerge.file("export.csv", "\ufeffName,Email\nAnn,ann@ukr.net\nAnna,ann@ukr.net\n")
    outcome = idmerge.run(src).ok()
    assert outcome.groups() == [{("export.csv", 1), ("export.csv", 2)}]
    assert [c["Name"] for c in outcome.rows("contacts.csv")] == ["Anna"]


@pytest.mark.parametrize(
    ("bom", "codec", "delimiter"),
    [("\ufeff", "utf-16-le", "\t"), ("\ufeff", "utf-16-be", ",")],
    ids=["utf16le-tab-excel", "utf16be-comma"],
)
def test_utf16_with_bom_is_read(idmerge: Idmerge, bom: str, codec: str, delimiter: str) -> None:
    text = bom + "".join(
        delimiter.join(line) + "\r\n"
        for line in [["Email", "Name"], ["ann@ukr.net", "Ганна"], ["ann@ukr.net", "Ганна"], ["bob@i.ua", "Bob"]]
    )
    src = idmerge.file("export.csv", text.encode(codec))
    outcome = idmerge.run(src).ok()
    assert outcome.groups() == [{("export.csv", 1), ("export.csv", 2)}, {("export.csv", 3)}]
    assert {c["email"]: c["Name"] for c in outcome.rows("contacts.csv")} == {"ann@ukr.net": "Ганна", "bob@i.ua": "Bob"}


def test_windows_1251_cyrillic_headers_and_values(idmerge: Idmerge) -> None:
    src = idmerge.file(
        "export.csv",
        "Эл. почта;Телефон;Имя\n"
        "ivan.petrenko@ukr.net;+380671234567;Иван Петренко\n"
        "ivan.petrenko@ukr.net;+380671234567;Иван Петренко\n"
        "olga.shevchenko@i.ua;+380501112233;Ольга Шевченко\n",
        encoding="cp1251",
    )
    outcome = idmerge.run(src).ok()
    assert outcome.groups() == [{("export.csv", 1), ("export.csv", 2)}, {("export.csv", 3)}]
    contacts = outcome.rows("contacts.csv")  # read as strict UTF-8
    assert {(c["email"], c["phone"], c["first_name"]) for c in contacts} == {
        ("ivan.petrenko@ukr.net", "+380671234567", "Иван Петренко"),
        ("olga.shevchenko@i.ua", "+380501112233", "Ольга Шевченко"),
    }


def test_windows_1252_accented_names(idmerge: Idmerge) -> None:
    src = idmerge.file(
        "export.csv",
        "Email,Name\njose@ukr.net,José Müller\nfrancois@i.ua,François Lefèvre\njose@ukr.net,José Müller\n",
        encoding="cp1252",
    )
    outcome = idmerge.run(src).ok()
    assert outcome.groups() == [{("export.csv", 1), ("export.csv", 3)}, {("export.csv", 2)}]
    assert {c["email"]: c["Name"] for c in outcome.rows("contacts.csv")} == {
        "jose@ukr.net": "José Müller",
        "francois@i.ua": "François Lefèvre",
    }


# --- Parquet -----------------------------------------------------------------------------------


def _parquet_input(idmerge: Idmerge) -> Path:
    path = idmerge.tmp / "export.parquet"
    pq.write_table(
        pa.table(
            {
                "email": ["ann@ukr.net", "bob@i.ua", "ann@ukr.net"],
                "first_name": ["Ann", "Bob", "Ann"],
            }
        ),
        path,
    )
    return path


def test_parquet_input_gives_parquet_output_by_default(idmerge: Idmerge) -> None:
    outcome = idmerge.run(_parquet_input(idmerge)).ok()
    names = {p.name for p in outcome.out.iterdir()}
    assert {f"{stem}.parquet" for stem in OUTPUT_STEMS} <= names
    assert not any(name.endswith(".csv") for name in names)
    membership = pq.read_table(outcome.out / "membership.parquet").to_pylist()
    by_row = {m["row"]: m["contact_id"] for m in membership}
    assert by_row[1] == by_row[3] != by_row[2]
    contacts = pq.read_table(outcome.out / "contacts.parquet").to_pylist()
    assert sorted((c["email"], c["first_name"]) for c in contacts) == [("ann@ukr.net", "Ann"), ("bob@i.ua", "Bob")]


def test_format_csv_overrides_parquet_default(idmerge: Idmerge) -> None:
    outcome = idmerge.run(_parquet_input(idmerge), "--format", "csv").ok()
    names = {p.name for p in outcome.out.iterdir()}
    assert {f"{stem}.csv" for stem in OUTPUT_STEMS} <= names
    assert not any(name.endswith(".parquet") for name in names)
    assert outcome.groups() == [{("export.parquet", 1), ("export.parquet", 3)}, {("export.parquet", 2)}]


# --- several files -----------------------------------------------------------------------------


def test_different_email_headers_merge_the_same_person_across_files(idmerge: Idmerge) -> None:
    mailchimp = idmerge.file("mailchimp.csv", "Email Address,First Name\nolena.koval@ukr.net,Olena\n")
    shop = idmerge.file("shop.csv", "E-mail,City\nolena.koval@ukr.net,Kyiv\nbob@i.ua,Lviv\n")
    outcome = idmerge.run(mailchimp, shop).ok()
    assert outcome.groups() == [{("mailchimp.csv", 1), ("shop.csv", 1)}, {("shop.csv", 2)}]
    olena = outcome.contacts_by("email")["olena.koval@ukr.net"]
    assert (olena["first_name"], olena["City"]) == ("Olena", "Kyiv")
    matched = {(m["source"], m["row"]): m["matched_by"] for m in outcome.rows("membership.csv")}
    assert matched[("mailchimp.csv", "1")] == matched[("shop.csv", "1")] == "email"


# --- the command itself ------------------------------------------------------------------------


def test_version_prints_name_and_version(idmerge: Idmerge) -> None:
    result = idmerge.invoke("--version")
    assert result.exit_code == 0
    assert result.stdout == f"idmerge {version('idmerge')}\n"
    assert result.stderr == ""


def _squash(text: str) -> str:
    """Help text without box drawing and line wrapping, for substring checks."""
    text = re.sub(r"\x1b\[[0-9;]*m", "", text)
    return re.sub(r"\s+", " ", re.sub(r"[│╭╮╰╯─]", " ", text)).strip()


def test_run_help_lists_every_option_with_its_help(idmerge: Idmerge) -> None:
    result = idmerge.invoke("run", "--help")
    assert result.exit_code == 0
    shown = _squash(result.stdout)
    command = typer.main.get_command(app).commands["run"]  # type: ignore[attr-defined]
    options = [p for p in command.params if p.param_type_name == "option"]
    assert {o.name for o in options} >= {
        "out_dir",
        "region",
        "config",
        "fmt",
        "force",
        "quiet",
        "encoding",
        "delimiter",
        "skip_bad_rows",
    }
    for option in options:
        assert option.help, f"{option.opts} has no help text"
        for flag in [*option.opts, *option.secondary_opts]:
            assert flag in shown, f"{flag} not in run --help"
        assert _squash(option.help) in shown, f"help of {option.opts} not in run --help"


def test_quiet_prints_nothing(idmerge: Idmerge) -> None:
    src = idmerge.file("export.csv", "Email,Name\nann@ukr.net,Ann\nann@ukr.net,Ann\n")
    outcome = idmerge.run(src, "--quiet").ok()
    assert outcome.stdout == ""
    assert outcome.stderr == ""
    assert outcome.groups() == [{("export.csv", 1), ("export.csv", 2)}]


def test_summary_goes_to_stdout_without_quiet(idmerge: Idmerge) -> None:
    src = idmerge.file("export.csv", "Email,Name\nann@ukr.net,Ann\nann@ukr.net,Ann\n")
    outcome = idmerge.run(src).ok()
    summary = [line.split() for line in outcome.stdout.splitlines()]
    assert ["Records", "in", "2"] in summary
    assert ["Contacts", "out", "1"] in summary
    assert outcome.stderr == ""


# --- reproducibility ---------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_two_runs_write_byte_identical_outputs(idmerge: Idmerge, fmt: str) -> None:
    inputs = [Path(shutil.copy(p, idmerge.tmp / p.name)) for p in sorted(SAMPLE_DATA.glob("*.csv"))]
    assert inputs, "sample_data has no CSV exports"
    first = idmerge.run(*inputs, "--region", "UA", "--format", fmt, out=idmerge.tmp / "first").ok()
    second = idmerge.run(*inputs, "--region", "UA", "--format", fmt, out=idmerge.tmp / "second").ok()
    for stem in OUTPUT_STEMS:
        name = f"{stem}.{fmt}"
        assert (first.out / name).read_bytes() == (second.out / name).read_bytes(), f"{name} differs"
    reports = [json.loads((o.out / "report.json").read_text(encoding="utf-8")) for o in (first, second)]
    for report in reports:
        del report["timings_s"]
    assert reports[0] == reports[1]
