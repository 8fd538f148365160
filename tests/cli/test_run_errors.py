"""``idmerge run`` on bad input: exit 2, one line naming the file and the fix, nothing written."""

from __future__ import annotations

import errno
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import typer

from cli.console import user_errors
from matchers.db import Database
from tests.cli.conftest import plain

if TYPE_CHECKING:
    from tests.cli.conftest import Idmerge, Outcome

GOOD = "Email,Name\nann@ukr.net,Ann\n"

RAGGED = (
    "Email,Name\n"
    "ann@ukr.net,Ann\n"  # line 2, record 1
    "bob@ukr.net\n"  # line 3, record 2: too few fields
    'cat@ukr.net,"Cat, Jr",x\n'  # line 4, record 3: too many fields
    "dan@ukr.net,Dan\n"  # line 5, record 4
)

MULTILINE_THEN_RAGGED = (
    "Email,Note\n"
    "ann@ukr.net,plain\n"  # line 2, record 1
    'bob@ukr.net,"two\nlines"\n'  # lines 3-4, record 2
    "cat@ukr.net\n"  # line 5, record 3: too few fields
    "dan@ukr.net,last\n"  # line 6, record 4
)


def assert_usage_error(outcome: Outcome, expected: str) -> None:
    """Exit 2, exactly ``Error: <expected>`` on stderr, nothing on stdout or in --out."""
    assert outcome.exit_code == 2, f"exit {outcome.exit_code}; stderr: {outcome.stderr!r}"
    assert outcome.error_line() == f"Error: {expected}"
    assert outcome.stdout == ""
    assert not outcome.out.exists()


# --- input files -----------------------------------------------------------------------------


def test_missing_file_names_the_path(idmerge: Idmerge) -> None:
    missing = idmerge.tmp / "nope.csv"
    assert_usage_error(idmerge.run(missing), f"{missing}: no such file; check the path")


def test_folder_instead_of_file_says_name_the_files_inside(idmerge: Idmerge) -> None:
    folder = idmerge.tmp / "exports"
    folder.mkdir()
    assert_usage_error(idmerge.run(folder), f"{folder}: is a folder; name the export files inside it")


def test_zero_byte_file_is_empty(idmerge: Idmerge) -> None:
    empty = idmerge.file("empty.csv", b"")
    assert_usage_error(idmerge.run(empty), f"{empty}: the file is empty; export the contacts again")


def test_header_only_file_has_no_records(idmerge: Idmerge) -> None:
    header_only = idmerge.file("header.csv", "Email,Name\n")
    assert_usage_error(
        idmerge.run(header_only),
        f"{header_only}: the file has a header but no records; export the contacts again",
    )


def test_no_identifier_column_lists_headers_and_shows_mapping(idmerge: Idmerge) -> None:
    src = idmerge.file("people.csv", "Name,City\nAnn,Kyiv\n")
    assert_usage_error(
        idmerge.run(src),
        f"{src}: no identifier column among 'Name', 'City'; map one in the config, e.g. [columns] \"Mail\" = \"email\"",
    )


def test_wrong_delimiter_hints_at_delimiter_option(idmerge: Idmerge) -> None:
    src = idmerge.file("people.csv", GOOD)
    outcome = idmerge.run(src, "--delimiter", ";")
    assert outcome.exit_code == 2
    line = outcome.error_line()
    assert line.startswith(f"Error: {src}: no identifier column among 'Email,Name'")
    assert "pass --delimiter" in line
    assert not outcome.out.exists()


@pytest.mark.parametrize("declared", [["--encoding", "utf-8"], []], ids=["declared", "detected"])
def test_invalid_utf8_beyond_detection_sample_names_the_line(idmerge: Idmerge, declared: list[str]) -> None:
    # 70 KB of clean ASCII first, so the 64 KiB the encoding is sniffed from look fine.
    good_rows = [f"user{i:05d}@ukr.net,Name {i:05d}\n" for i in range(2500)]
    assert sum(map(len, good_rows)) > 1 << 16
    body = ("Email,Name\n" + "".join(good_rows)).encode("ascii")
    bad_line = len(good_rows) + 2
    src = idmerge.file("export.csv", body + "ivan@ukr.net,Иван\n".encode("cp1251"))
    assert_usage_error(
        idmerge.run(src, *declared),
        f"{src}: line {bad_line} is not valid utf-8; pass the file's encoding with --encoding (e.g. cp1251)",
    )


def test_too_few_fields_names_line_and_suggests_skip_bad_rows(idmerge: Idmerge) -> None:
    src = idmerge.file("export.csv", "Email,Name\nann@ukr.net,Ann\nbob@ukr.net\ncat@ukr.net,Cat\n")
    assert_usage_error(
        idmerge.run(src),
        f"{src}: 1 malformed record(s) at line(s) 3 (first: too few fields, expected 2 fields "
        "separated by ','); fix them, or pass --skip-bad-rows to set them aside in rejects.csv",
    )


def test_too_many_fields_names_line_and_suggests_skip_bad_rows(idmerge: Idmerge) -> None:
    src = idmerge.file("export.csv", "Email,Name\nann@ukr.net,Ann\nbob@ukr.net,Bob,extra\n")
    assert_usage_error(
        idmerge.run(src),
        f"{src}: 1 malformed record(s) at line(s) 3 (first: too many fields, expected 2 fields "
        "separated by ','); fix them, or pass --skip-bad-rows to set them aside in rejects.csv",
    )


def test_several_ragged_rows_are_all_named(idmerge: Idmerge) -> None:
    src = idmerge.file(
        "export.csv",
        "Email,Name\nann@ukr.net,Ann\nbob@ukr.net\ncat@ukr.net,Cat,extra\ndan@ukr.net,Dan\n",
    )
    assert_usage_error(
        idmerge.run(src),
        f"{src}: 2 malformed record(s) at line(s) 3, 4 (first: too few fields, expected 2 fields "
        "separated by ','); fix them, or pass --skip-bad-rows to set them aside in rejects.csv",
    )


def test_ragged_row_after_multiline_record_names_its_physical_line(idmerge: Idmerge) -> None:
    # Record 2 spans lines 3-4, so the short record 3 is on line 5 of the file.
    src = idmerge.file("export.csv", MULTILINE_THEN_RAGGED)
    outcome = idmerge.run(src)
    assert outcome.exit_code == 2
    assert outcome.error_line().startswith(f"Error: {src}: 1 malformed record(s) at line(s) 5 (")


# --- config and options ------------------------------------------------------------------------


def test_unknown_top_level_config_key_lists_allowed_keys(idmerge: Idmerge) -> None:
    src = idmerge.file("export.csv", GOOD)
    config = idmerge.file("idmerge.toml", 'regoin = "UA"\n')
    assert_usage_error(
        idmerge.run(src, "--config", config),
        f"{config}: unknown key 'regoin' in the config; "
        "allowed keys: check, columns, consent, gmail_rules, identifiers, over_shared, prefer, preset, priority, "
        "region, split",
    )


def test_unknown_identifier_config_key_names_the_table(idmerge: Idmerge) -> None:
    src = idmerge.file("export.csv", GOOD)
    config = idmerge.file("idmerge.toml", "[identifiers.email]\nlimt = 3\n")
    assert_usage_error(
        idmerge.run(src, "--config", config),
        f"{config}: unknown key 'limt' in [identifiers.email]; allowed keys: blocked, blocked_patterns, kind, limit",
    )


def test_missing_config_file_names_the_option(idmerge: Idmerge) -> None:
    src = idmerge.file("export.csv", GOOD)
    config = idmerge.tmp / "idmerge.toml"
    assert_usage_error(
        idmerge.run(src, "--config", config),
        f"{config}: config file not found; check the path given to --config",
    )


def test_bad_toml_names_line_and_column(idmerge: Idmerge) -> None:
    src = idmerge.file("export.csv", GOOD)
    config = idmerge.file("idmerge.toml", 'region = "UA"\nover_shared 20\n')
    outcome = idmerge.run(src, "--config", config)
    assert outcome.exit_code == 2
    line = outcome.error_line()
    assert line.startswith(f"Error: {config}: not valid TOML (")
    assert "(at line 2, column 13)" in line
    assert line.endswith("; fix the file's syntax")
    assert not outcome.out.exists()


def test_unknown_region_names_the_option(idmerge: Idmerge) -> None:
    src = idmerge.file("export.csv", GOOD)
    assert_usage_error(
        idmerge.run(src, "--region", "XX"),
        "--region: 'XX' is not a phone region; use a two-letter country code such as UA",
    )


def test_format_xml_is_rejected_by_typer(idmerge: Idmerge) -> None:
    src = idmerge.file("export.csv", GOOD)
    outcome = idmerge.run(src, "--format", "xml")
    assert outcome.exit_code == 2
    assert outcome.result.exception is None or isinstance(outcome.result.exception, SystemExit)
    assert "Traceback" not in outcome.stderr
    assert "Invalid value for '--format'" in outcome.stderr
    assert outcome.stdout == ""
    assert not outcome.out.exists()


# --- output folder -----------------------------------------------------------------------------


def test_non_empty_out_folder_says_force_and_is_left_alone(idmerge: Idmerge) -> None:
    src = idmerge.file("export.csv", GOOD)
    idmerge.out.mkdir()
    (idmerge.out / "keep.txt").write_text("mine\n")
    outcome = idmerge.run(src)
    assert outcome.exit_code == 2
    assert outcome.error_line() == (
        f"Error: {idmerge.out}: output folder exists and is not empty; "
        "choose another --out or pass --force to overwrite"
    )
    assert outcome.stdout == ""
    assert sorted(p.name for p in idmerge.out.iterdir()) == ["keep.txt"]
    assert (idmerge.out / "keep.txt").read_text() == "mine\n"


def test_force_writes_into_non_empty_out_folder(idmerge: Idmerge) -> None:
    src = idmerge.file("export.csv", GOOD)
    idmerge.out.mkdir()
    (idmerge.out / "keep.txt").write_text("mine\n")
    outcome = idmerge.run(src, "--force").ok()
    assert {"contacts.csv", "membership.csv", "findings.csv", "report.json"} <= {p.name for p in idmerge.out.iterdir()}
    assert [c["email"] for c in outcome.rows("contacts.csv")] == ["ann@ukr.net"]


# A quote that never closes makes the rest of the file one value: DuckDB rejects one record.
STRAY_QUOTE = 'Email,Name\nann@ukr.net,Ann\nbob@ukr.net,"Bob\ncat@ukr.net,Cat\ndan@ukr.net,Dan\n'


@pytest.mark.parametrize("args", [(), ("--skip-bad-rows",)])
def test_a_quote_never_closed_is_named_even_with_skip_bad_rows(idmerge: Idmerge, args: tuple[str, ...]) -> None:
    # Skipping record 2 would also lose records 3 and 4, swallowed into its value.
    src = idmerge.file("export.csv", STRAY_QUOTE)
    assert_usage_error(
        idmerge.run(src, *args),
        f"{src}: line 3: a quote opened in this record is never closed, so the 2 line(s) after it "
        "would read as one value; close or remove the quote",
    )


def test_a_quote_never_closed_in_the_header_is_named_without_the_values_it_swallows(idmerge: Idmerge) -> None:
    # Read leniently, the header would be one column holding every record's values.
    src = idmerge.file("export.csv", '"Email,Name\nann@ukr.net,Ann\nbob@i.ua,Bob\n')
    assert_usage_error(
        idmerge.run(src),
        f"{src}: line 1: a quote opened in the header is never closed, so the records would read as header "
        "text; close or remove the quote",
    )


@pytest.mark.parametrize(
    ("content", "args", "expected"),
    [
        ("sep=;", (), "line 2 has no column headers; the line after the delimiter hint must name the columns"),
        (
            "sep=;\n\nann@ukr.net;Ann\n",
            (),
            "line 2 has no column headers; the line after the delimiter hint must name the columns",
        ),
        (
            'sep=;\n"Email;Name\nann@ukr.net;Ann\n',
            (),
            "line 2: a quote opened in the header is never closed, so the records would read as header text; "
            "close or remove the quote",
        ),
        (
            'sep=;\nEmail;Name\nann@x.com;"Ann\nb@x.com;B\nc@x.com;C\n',
            ("--skip-bad-rows",),
            "line 3: a quote opened in this record is never closed, so the 2 line(s) after it would read as one "
            "value; close or remove the quote",
        ),
        (
            "sep=;\nEmail;Name\nann@ukr.net;Ann\nbob@ukr.net;Bob;extra\n",
            (),
            "1 malformed record(s) at line(s) 4 (first: too many fields, expected 2 fields separated by ';'); "
            "fix them, or pass --skip-bad-rows to set them aside in rejects.csv",
        ),
    ],
    ids=["hint-only", "no-header", "header-quote", "record-quote", "malformed"],
)
def test_errors_after_a_delimiter_hint_name_lines_as_they_are_in_the_file(
    idmerge: Idmerge, content: str, args: tuple[str, ...], expected: str
) -> None:
    src = idmerge.file("export.csv", content)
    assert_usage_error(idmerge.run(src, *args), f"{src}: {expected}")


def test_a_quote_inside_a_header_name_is_a_character(idmerge: Idmerge) -> None:
    src = idmerge.file("export.csv", 'Name"s,Email\nAnn,ann@ukr.net\nBob,bob@i.ua\n')
    outcome = idmerge.run(src).ok()
    assert {c["email"]: c['Name"s'] for c in outcome.rows("contacts.csv")} == {"ann@ukr.net": "Ann", "bob@i.ua": "Bob"}


def test_a_quote_never_closed_in_a_long_file_counts_every_line_it_swallows(idmerge: Idmerge) -> None:
    lines = [f"p{n}@ukr.net,Name {n}" for n in range(1, 3001)]
    lines[999] = 'p1000@ukr.net,"Name 1000'
    src = idmerge.file("export.csv", "Email,Name\r\n" + "\r\n".join(lines) + "\r\n")
    assert_usage_error(
        idmerge.run(src, "--skip-bad-rows"),
        f"{src}: line 1001: a quote opened in this record is never closed, so the 2000 line(s) after it "
        "would read as one value; close or remove the quote",
    )


def test_a_rejected_last_record_with_its_quotes_closed_is_skipped_as_one(idmerge: Idmerge) -> None:
    src = idmerge.file("export.csv", 'Email,Name\nann@ukr.net,Ann\nbob@ukr.net,"Bob\nJr",extra\n')
    outcome = idmerge.run(src, "--skip-bad-rows").ok()
    assert [(r["line"], r["text"]) for r in outcome.rows("rejects.csv")] == [("3", 'bob@ukr.net,"Bob\nJr",extra')]


# --- --skip-bad-rows ---------------------------------------------------------------------------


def test_skip_bad_rows_exits_0_and_reports_rejected_rows(idmerge: Idmerge) -> None:
    src = idmerge.file("export.csv", RAGGED)
    outcome = idmerge.run(src, "--skip-bad-rows").ok()
    summary = [line.split() for line in outcome.stdout.splitlines()]
    assert ["Rejected", "rows", "(rejects.csv)", "2"] in summary


def test_skip_bad_rows_keeps_bad_lines_verbatim_in_rejects_csv(idmerge: Idmerge) -> None:
    src = idmerge.file("export.csv", RAGGED)
    outcome = idmerge.run(src, "--skip-bad-rows").ok()
    rejects = outcome.rows("rejects.csv")
    assert [(r["source"], r["line"], r["text"]) for r in rejects] == [
        ("export.csv", "3", "bob@ukr.net"),
        ("export.csv", "4", 'cat@ukr.net,"Cat, Jr",x'),
    ]


def test_skip_bad_rows_keeps_true_record_numbers_in_membership(idmerge: Idmerge) -> None:
    src = idmerge.file("export.csv", RAGGED)
    outcome = idmerge.run(src, "--skip-bad-rows").ok()
    assert [int(m["row"]) for m in outcome.rows("membership.csv")] == [1, 4]
    assert sorted(c["email"] for c in outcome.rows("contacts.csv")) == ["ann@ukr.net", "dan@ukr.net"]


def test_skip_bad_rows_keeps_crlf_lines_verbatim(idmerge: Idmerge) -> None:
    src = idmerge.file("export.csv", RAGGED.replace("\n", "\r\n"))
    outcome = idmerge.run(src, "--skip-bad-rows").ok()
    assert [(r["line"], r["text"]) for r in outcome.rows("rejects.csv")] == [
        ("3", "bob@ukr.net"),
        ("4", 'cat@ukr.net,"Cat, Jr",x'),
    ]


def test_skip_bad_rows_after_multiline_record_keeps_record_numbers(idmerge: Idmerge) -> None:
    src = idmerge.file("export.csv", MULTILINE_THEN_RAGGED)
    outcome = idmerge.run(src, "--skip-bad-rows").ok()
    assert [int(m["row"]) for m in outcome.rows("membership.csv")] == [1, 2, 4]


def test_rejects_csv_after_multiline_record_gives_the_file_line(idmerge: Idmerge) -> None:
    src = idmerge.file("export.csv", MULTILINE_THEN_RAGGED)
    outcome = idmerge.run(src, "--skip-bad-rows").ok()
    assert [(r["line"], r["text"]) for r in outcome.rows("rejects.csv")] == [("5", "cat@ukr.net")]


def test_no_rejects_csv_without_bad_rows(idmerge: Idmerge) -> None:
    src = idmerge.file("export.csv", GOOD)
    idmerge.run(src, "--skip-bad-rows").ok()
    assert not (idmerge.out / "rejects.csv").exists()


def test_memory_limit_and_temp_dir_are_checked(idmerge: Idmerge) -> None:
    src = idmerge.file("people.csv", GOOD)
    assert_usage_error(
        idmerge.run(src, "--memory-limit", "lots"),
        "--memory-limit 'lots' is not a size; write it like 50MB, 300MB or 1GB",
    )
    missing = idmerge.tmp / "no-such-folder"
    assert_usage_error(
        idmerge.run(src, "--temp-dir", missing),
        f"--temp-dir {missing}: no such folder; create it or choose another",
    )
    idmerge.run(src, "--memory-limit", "256MB", "--temp-dir", idmerge.tmp).ok()


def test_running_out_of_memory_is_one_line_and_writes_nothing(idmerge: Idmerge) -> None:
    src = idmerge.file("people.csv", GOOD)
    # Far below what even one record takes (4MB sufficed until the placeholder test
    # stopped building a hash table for its list).
    outcome = idmerge.run(src, "--memory-limit", "1MB", "--temp-dir", idmerge.tmp)
    assert outcome.exit_code == 3
    assert outcome.error_line() == (
        "Error: out of memory; give --memory-limit a size the machine has free and --temp-dir a folder with "
        "free disk (what does not fit goes there), or run on fewer or smaller files"
    )
    assert not idmerge.out.exists()


FULL_DISK = (
    "Error: the disk of {folder} is full; free space there, or give --temp-dir a folder on a disk with room for "
    "what does not fit in memory (about 1 GB per million records under --memory-limit 1GB)"
)


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs Linux's /dev/full")
def test_a_full_disk_under_duckdb_is_one_line_and_exit_3(capsys: pytest.CaptureFixture[str]) -> None:
    # /dev/full answers every write with ENOSPC, as a full spill or output disk does.
    db = Database()
    with pytest.raises(typer.Exit) as stopped, user_errors():
        db.run("COPY (SELECT range AS n FROM range(100000)) TO '/dev/full' (FORMAT csv)")
    assert stopped.value.exit_code == 3
    assert plain(capsys.readouterr().err).strip() == FULL_DISK.format(folder="/dev")


def test_a_full_disk_under_python_is_the_same_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(typer.Exit) as stopped, user_errors():
        raise OSError(errno.ENOSPC, "No space left on device", str(tmp_path / "out" / "report.json"))
    assert stopped.value.exit_code == 3
    assert plain(capsys.readouterr().err).strip() == FULL_DISK.format(folder=tmp_path / "out")


def test_other_os_errors_stay_internal_errors(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(typer.Exit) as stopped, user_errors():
        raise OSError(errno.EIO, "Input/output error")
    assert stopped.value.exit_code == 3
    assert plain(capsys.readouterr().err).startswith("Internal error: OSError: [Errno 5] Input/output error")
