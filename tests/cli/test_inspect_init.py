"""``idmerge inspect`` and ``idmerge init``: output lines, JSON keys, masking, exit codes, the config round trip."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli.conftest import Idmerge, Outcome

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = [ROOT / "sample_data" / "esputnik_export.csv", ROOT / "sample_data" / "mailchimp_export.csv"]
PRESETS = ROOT / "tests" / "fixtures" / "presets"
OUTPUTS = ("contacts.csv", "membership.csv", "findings.csv")


def command(idmerge: Idmerge, *args: str | Path) -> Outcome:
    return Outcome(idmerge.invoke(*(str(a) for a in args)), idmerge.out)


def lines(text: str) -> list[str]:
    return [line.rstrip() for line in text.splitlines()]


def test_inspect_sample_data_terminal(idmerge: Idmerge) -> None:
    result = command(idmerge, "inspect", *SAMPLES).ok()
    shown = lines(result.stdout)
    assert shown[0] == "esputnik_export.csv: preset esputnik, csv, utf-8, delimiter ';', 40 records"
    assert "mailchimp_export.csv: preset mailchimp, csv, utf-8, delimiter ',', 25 records" in shown
    assert shown[1].split() == ["column", "role", "filled", "distinct", "samples"]
    email_row = next(line for line in shown if line.startswith("Email "))
    assert email_row.split() == ["Email", "email", "72%", "27", "o***@gmail.com,", "s***@i.ua,", "b***@ukr.net"]
    assert "warning: column 'Email': 2 of 29 (6.9%) values are not valid emails; they never link records" in shown
    assert "warning: column 'IDFA': 5 of 5 (100%) values are placeholders or junk; they never link records" in shown
    assert shown[-3:] == [
        "Phone region: UA (inferred from numbers written with +)",
        "0 errors, 11 warnings in 2 files",
        "Values are masked; pass --show-values to see them.",
    ]
    assert result.stderr == ""


def test_inspect_sample_data_json(idmerge: Idmerge) -> None:
    result = command(idmerge, "inspect", *SAMPLES, "--json").ok()
    document = json.loads(result.stdout)
    assert list(document) == [
        "tool",
        "version",
        "masked",
        "region",
        "region_inferred",
        "library_sample",
        "errors",
        "warnings",
        "files",
    ]
    assert (document["masked"], document["region"], document["errors"], document["warnings"]) == (True, "UA", 0, 11)
    esputnik = document["files"][0]
    assert list(esputnik) == [
        "file",
        "path",
        "format",
        "encoding",
        "delimiter",
        "sheet",
        "preset",
        "layout_sources",
        "records",
        "rejected",
        "problems",
        "columns",
    ]
    assert (esputnik["file"], esputnik["preset"], esputnik["records"], esputnik["rejected"]) == (
        "esputnik_export.csv",
        "esputnik",
        40,
        0,
    )
    email = esputnik["columns"][2]
    assert list(email) == [
        "position",
        "header",
        "identifier",
        "field",
        "consent",
        "split",
        "ignored",
        "filled",
        "fill_rate",
        "distinct",
        "samples",
        "junk",
        "invalid",
        "checked",
        "sampled",
        "suggested",
        "problems",
    ]
    assert (email["header"], email["identifier"], email["filled"], email["fill_rate"], email["distinct"]) == (
        "Email",
        "email",
        29,
        0.725,
        27,
    )
    assert (email["junk"], email["invalid"], email["samples"][0]) == (5, 2, "o***@gmail.com")
    assert list(email["problems"][0]) == ["severity", "code", "message", "cells", "rate", "suggestion"]


def test_values_masked_unless_show_values(idmerge: Idmerge) -> None:
    personal = ["olenakoval@gmail.com", "+380671234567", "Олена"]
    for args in (("inspect",), ("inspect", "--json")):
        result = command(idmerge, *args, *SAMPLES).ok()
        assert not any(value in result.stdout for value in personal)
    shown = command(idmerge, "inspect", "--show-values", *SAMPLES).ok().stdout
    assert all(value in shown for value in personal)
    assert "Values are masked" not in shown


def test_inspect_flags_dates_in_email_column(idmerge: Idmerge) -> None:
    path = idmerge.file("dates.csv", "External ID,Email\nE1,2024-01-02\nE2,2024-01-03\nE3,ann@ukr.net\n")
    result = command(idmerge, "inspect", path).ok()
    assert (
        "error: column 'Email' holds dates (2 of 3 (66.7%) values), not emails; map the right column, "
        'or [columns] "Email" = "ignore"'
    ) in lines(result.stdout)
    assert "1 error, 1 warning in 1 file" in lines(result.stdout)


def test_inspect_flags_several_values(idmerge: Idmerge) -> None:
    path = idmerge.file("multi.csv", 'email\n"a@ukr.net;b@ukr.net"\nc@ukr.net\n')
    result = command(idmerge, "inspect", path).ok()
    assert (
        "warning: column 'email': 1 of 2 (50%) cells hold several emails (separated by ';'); "
        'add [split] "email" = ";" to read each'
    ) in lines(result.stdout)


def test_inspect_file_with_no_identifier_goes_on(idmerge: Idmerge) -> None:
    path = idmerge.file("noid.csv", "Name,Contact\nAnn,ann@ukr.net\n")
    result = command(idmerge, "inspect", path, SAMPLES[1]).ok()
    shown = lines(result.stdout)
    assert 'error: no identifier column: idmerge run stops on this file; e.g. [columns] "Contact" = "email"' in shown
    assert "mailchimp_export.csv: preset mailchimp, csv, utf-8, delimiter ',', 25 records" in shown


def test_inspect_bad_input_is_one_line(idmerge: Idmerge) -> None:
    missing = idmerge.tmp / "missing.csv"
    result = command(idmerge, "inspect", SAMPLES[0], missing)
    assert result.exit_code == 2
    assert result.error_line() == f"Error: {missing}: no such file; check the path"
    assert result.stdout == ""
    result = command(idmerge, "inspect", SAMPLES[0], "--preset", "nosuch")
    assert result.exit_code == 2
    assert result.error_line().startswith("Error: --preset 'nosuch' is not a known preset; known: ")


def test_inspect_preset_fixture(idmerge: Idmerge) -> None:
    fixture = PRESETS / "hubspot" / "hubspot-crm-exports-all-contacts-2024-06-03.csv"
    if not fixture.is_file():
        return
    document = json.loads(command(idmerge, "inspect", "--json", fixture).ok().stdout)
    (hubspot,) = document["files"]
    assert hubspot["preset"] == "hubspot" and hubspot["layout_sources"]
    by_header = {c["header"]: c for c in hubspot["columns"]}
    assert by_header["Additional email addresses"]["split"] == ";"
    assert by_header["Unsubscribed from all email"]["consent"] == {"channel": "email", "read": "optout"}


def run_outputs(idmerge: Idmerge, name: str, *args: str | Path) -> dict[str, bytes]:
    out = idmerge.tmp / name
    command(idmerge, "run", *args, "--out", out, "--no-html", "-q").ok()
    return {file: (out / file).read_bytes() for file in OUTPUTS}


def test_init_round_trip(idmerge: Idmerge) -> None:
    config = idmerge.tmp / "idmerge.toml"
    result = command(idmerge, "init", *SAMPLES, "-o", config).ok()
    assert lines(result.stdout) == [f"Wrote {config}: 20 mapped columns from 2 files"]
    assert run_outputs(idmerge, "auto", *SAMPLES) == run_outputs(idmerge, "configured", *SAMPLES, "--config", config)


def test_init_refuses_to_overwrite(idmerge: Idmerge) -> None:
    config = idmerge.file("idmerge.toml", "# mine\n")
    result = command(idmerge, "init", *SAMPLES, "-o", config)
    assert result.exit_code == 2
    assert (
        result.error_line()
        == f"Error: {config}: already exists; pass --force to replace it, or -o to write another file"
    )
    assert config.read_text(encoding="utf-8") == "# mine\n"
    command(idmerge, "init", *SAMPLES, "-o", config, "--force").ok()
    assert config.read_text(encoding="utf-8").startswith("# idmerge.toml written by `idmerge init`")


def test_init_bad_input_writes_nothing(idmerge: Idmerge) -> None:
    empty = idmerge.file("empty.csv", "")
    config = idmerge.tmp / "idmerge.toml"
    result = command(idmerge, "init", empty, "-o", config)
    assert result.exit_code == 2
    assert result.error_line() == f"Error: {empty}: the file is empty; export the contacts again"
    assert not config.exists()


def test_commands_have_help(idmerge: Idmerge) -> None:
    for name in ("inspect", "init"):
        result = command(idmerge, name, "--help").ok()
        assert "--preset" in result.stdout and "--region" in result.stdout


def test_inspect_shows_line_breaks_in_cells_and_headers_on_one_line(idmerge: Idmerge, tmp_path: Path) -> None:
    # A quoted cell or header may hold line breaks; the table shows them as \n, one row per column.
    path = tmp_path / "multi.csv"
    path.write_text('email,"Notes\nmore"\nann@x.com,"first\nsecond"\nbob@x.com,"tab\there"\n', encoding="utf-8")
    result = command(idmerge, "inspect", path, "--show-values").ok()
    shown = lines(result.stdout)
    notes = next(line for line in shown if line.startswith("Notes"))
    assert notes.split() == ["Notes\\nmore", "100%", "2", "first\\nsecond,", "tab\\there"]
    assert not any(line.startswith(("more", "second", "here")) for line in shown)
    document = json.loads(command(idmerge, "inspect", path, "--show-values", "--json").ok().stdout)
    column = document["files"][0]["columns"][1]
    assert (column["header"], column["samples"]) == ("Notes\nmore", ["first\nsecond", "tab\there"])
