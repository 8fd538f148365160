"""``idmerge explain`` and the outputs ``run`` writes for it: exact lines, JSON, exit codes, report.html options.

Every test runs the real commands on real files in ``tmp_path``.
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli.conftest import Idmerge, Outcome, plain

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = [ROOT / "sample_data" / "esputnik_export.csv", ROOT / "sample_data" / "mailchimp_export.csv"]

#: MATCHING.md worked example 6: the email step joins rows 2 and 3; the phone then meets E1 and E2.
EXAMPLE_6 = "external_id,email,phone\nE1,,+380671234567\n,a@x.com,0671234567\nE2,a@x.com,\n"


def explained(idmerge: Idmerge, *args: str) -> Outcome:
    return Outcome(idmerge.invoke("explain", *args), idmerge.out)


def contact_ids(idmerge: Idmerge) -> dict[int, str]:
    with (idmerge.out / "membership.csv").open(encoding="utf-8") as fh:
        rows = [line.rstrip("\n").split(",") for line in fh][1:]
    return {int(row): cid for _, row, cid, _ in rows}


def test_explain_prints_the_tree_and_what_was_kept_apart(idmerge: Idmerge) -> None:
    idmerge.run(idmerge.file("input.csv", EXAMPLE_6), "--region", "UA", "-q").ok()
    ids = contact_ids(idmerge)
    result = explained(idmerge, str(idmerge.out), "input.csv:3").ok()
    assert result.stdout.splitlines() == [
        f"Contact {ids[3]} · 2 records (input.csv 2)",
        "Joined by (links per identifier, highest priority first): email 1",
        "input.csv:3",
        "external_id E2 · email a@x.com",
        "└── email #2 a@x.com → input.csv:2",
        "    phone +380671234567",
        "Kept apart",
        f"  conflict phone +380671234567: this contact has external_id E2; it is also on {ids[1]} "
        "(external_id E1): linking would put two external_id values in one contact, so it made no link",
        "",
    ]
    assert result.stderr == ""


def test_explain_a_value_shows_every_contact_holding_it(idmerge: Idmerge) -> None:
    idmerge.run(idmerge.file("input.csv", EXAMPLE_6), "--region", "UA", "-q").ok()
    result = explained(idmerge, str(idmerge.out), "067 123 45 67").ok()
    lines = result.stdout.splitlines()
    assert lines[0] == "phone +380671234567: on 2 records in 2 contacts"
    assert sum(line.startswith("Contact ") for line in lines) == 2
    assert sum("conflict phone +380671234567" in line for line in lines) == 2


def test_explain_json_for_scripts(idmerge: Idmerge) -> None:
    idmerge.run(idmerge.file("input.csv", EXAMPLE_6), "--region", "UA", "-q").ok()
    result = explained(idmerge, str(idmerge.out), "a@x.com", "--json").ok()
    data = json.loads(result.stdout)
    assert data["matched_as"] == "value" and data["contact_count"] == 1
    [contact] = data["contacts"]
    assert [(x["parent"], x["identifier"], x["value"], x["child"]) for x in contact["links"]] == [
        ("input.csv:2", "email", "a@x.com", "input.csv:3")
    ]
    assert [(k["kind"], k["identifier"], k["value"]) for k in contact["kept_apart"]] == [
        ("conflict", "phone", "+380671234567")
    ]


def test_explain_on_a_parquet_result(idmerge: Idmerge) -> None:
    idmerge.run(idmerge.file("input.csv", EXAMPLE_6), "--region", "UA", "--format", "parquet", "-q").ok()
    assert (idmerge.out / "links.parquet").is_file()
    result = explained(idmerge, str(idmerge.out), "E2").ok()
    assert "└── email #2 a@x.com → input.csv:2" in result.stdout


def test_nothing_found_exits_1_without_echoing_the_value(idmerge: Idmerge) -> None:
    idmerge.run(idmerge.file("input.csv", EXAMPLE_6), "--region", "UA", "-q").ok()
    result = explained(idmerge, str(idmerge.out), "someone@else.com")
    assert result.exit_code == 1
    line = result.error_line()
    assert line.startswith("Not found: nothing in the result matches the query")
    assert "someone" not in line and result.stdout == ""


def test_a_folder_that_is_not_a_result_is_a_usage_error(idmerge: Idmerge) -> None:
    (idmerge.tmp / "empty").mkdir()
    result = explained(idmerge, str(idmerge.tmp / "empty"), "x")
    assert result.exit_code == 2
    assert "not an idmerge result" in result.error_line()
    result = explained(idmerge, str(idmerge.tmp / "missing"), "x")
    assert result.exit_code == 2
    assert "no such folder" in result.error_line()


def test_values_from_user_files_are_not_read_as_markup(idmerge: Idmerge) -> None:
    idmerge.run(idmerge.file("input.csv", "external_id,cookie\n[bold]E1[/bold],k\n,k\n"), "-q").ok()
    result = explained(idmerge, str(idmerge.out), "[bold]E1[/bold]").ok()
    assert "external_id [bold]E1[/bold]" in result.stdout
    assert "└── cookie #11 k → input.csv:2" in result.stdout


def test_run_writes_links_and_a_masked_report_html(idmerge: Idmerge) -> None:
    idmerge.run(idmerge.file("input.csv", EXAMPLE_6), "--region", "UA", "-q").ok()
    page = (idmerge.out / "report.html").read_text(encoding="utf-8")
    assert "a@x.com" not in page and "+380671234567" not in page
    assert "a***@x.com" in page and "+38067*****67" in page
    with (idmerge.out / "links.csv").open(encoding="utf-8") as fh:
        assert fh.readline() == "source,row,identifier,value,status\n"


def test_show_values_and_no_html(idmerge: Idmerge) -> None:
    src = idmerge.file("input.csv", EXAMPLE_6)
    idmerge.run(src, "--region", "UA", "-q", "--show-values").ok()
    assert "a@x.com" in (idmerge.out / "report.html").read_text(encoding="utf-8")
    # --no-html with --force also removes the page an earlier run left there.
    idmerge.run(src, "--region", "UA", "-q", "--force", "--no-html").ok()
    assert not (idmerge.out / "report.html").exists()
    assert (idmerge.out / "links.csv").is_file()


def test_explain_has_help_and_is_listed(idmerge: Idmerge) -> None:
    result = idmerge.invoke("explain", "--help")
    assert result.exit_code == 0
    text = plain(result.stdout)
    for word in ("RESULT_DIR", "QUERY", "--json", "SOURCE:ROW"):
        assert word in text
    assert "explain" in plain(idmerge.invoke("--help").stdout)
    run_help = plain(idmerge.invoke("run", "--help").stdout)
    assert "--no-html" in run_help and "--show-values" in run_help


def test_readme_example_is_what_explain_prints_on_the_sample_data(idmerge: Idmerge) -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Explain a result", 1)[1].split("\n## ", 1)[0]
    example = section.split("```text\n", 1)[1].split("```", 1)[0].splitlines()
    command = example[0].removeprefix("$ idmerge ").replace('"050 111 22 33"', "050 111 22 33")
    assert command == "explain result 050 111 22 33"
    idmerge.run(*SAMPLES, "-q", out=idmerge.tmp / "result").ok()
    printed = explained(idmerge, str(idmerge.tmp / "result"), "050 111 22 33").ok().stdout.splitlines()
    shown = example[1 : example.index("...")]
    assert printed[: len(shown)] == shown


def test_explain_and_the_report_options_are_documented() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Explain a result", 1)[1].split("\n## ", 1)[0]
    for word in ("idmerge explain", "--json", "--no-html", "--show-values", "docs/report.png", "docs/explain.md"):
        assert word in section, word
    assert "`links.csv`" in readme and "`report.html`" in readme
    docs = (ROOT / "docs" / "explain.md").read_text(encoding="utf-8")
    for word in ("SOURCE:ROW", "--json", "--no-html", "--show-values", "`status`", "Exit codes"):
        assert word in docs, word
    assert (ROOT / "docs" / "report.png").stat().st_size < 300_000
