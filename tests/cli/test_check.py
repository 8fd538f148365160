"""``idmerge check``: exit codes, the table, JSON, JUnit XML, GitHub output, masking and baselines.

Every test runs the real command on real files in ``tmp_path``.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from typer.testing import Result

from cli.main import app
from matchers.check import METRICS
from tests.cli.conftest import Idmerge, Outcome, plain

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = [ROOT / "sample_data" / "esputnik_export.csv", ROOT / "sample_data" / "mailchimp_export.csv"]
XSD = Path(__file__).with_name("junit.xsd")

HEADER = "external_id,email,phone,device_id,updated_at\n"
#: One problem of each kind (see tests/engine/test_check.py): rows 1 and 2 are one
#: person; row 3 has an invalid email and phone; row 4 junk values and a device
#: that moves to row 5; rows 5 and 6 share an email across two External IDs.
DIRTY = HEADER + (
    "E1,ann@ukr.net,+380671234567,,2024-01-01\n"
    ",ann@ukr.net,,,2024-01-02\n"
    "E2,bad@@ukr.net,+3806712,,2024-01-03\n"
    "E3,n/a,0000000000,D1,2024-01-04\n"
    "E4,fam@ukr.net,,D1,2024-02-01\n"
    "E5,fam@ukr.net,,,2024-02-02\n"
    "E6,,+380501112233,,\n"
)
CLEAN = "external_id,email,phone\nE1,ann@ukr.net,+380671234567\nE2,bob@ukr.net,+380501112233\n"
PERSONAL = ["ann@ukr.net", "bad@@ukr.net", "fam@ukr.net", "+380671234567", "+3806712", "+380501112233"]


def lines(text: str) -> list[str]:
    return [line.rstrip() for line in plain(text).splitlines()]


class Check:
    """``idmerge check`` on files in ``tmp_path``."""

    def __init__(self, idmerge: Idmerge) -> None:
        self.idmerge = idmerge
        self.tmp = idmerge.tmp

    def file(self, name: str, content: str) -> Path:
        return self.idmerge.file(name, content)

    def __call__(self, *args: str | Path, env: dict[str, str] | None = None) -> Result:
        return self.idmerge.runner.invoke(app, ["check", *(str(a) for a in args)], env=env)

    def usage_error(self, *args: str | Path) -> str:
        """Run, assert exit 2 with one error line and nothing on stdout, and return the line."""
        result = self(*args)
        assert result.exit_code == 2, f"exit {result.exit_code}; stdout {result.stdout!r} stderr {result.stderr!r}"
        assert plain(result.stdout) == ""
        return Outcome(result, self.tmp).error_line()

    def json(self, *args: str | Path, code: int) -> dict[str, Any]:
        """Run with ``--json`` and return the report, after checking the exit code."""
        report = self.tmp / "check.json"
        result = self(*args, "--json", report, "--quiet")
        assert result.exit_code == code, f"exit {result.exit_code}; stderr {result.stderr!r}"
        data: dict[str, Any] = json.loads(report.read_text(encoding="utf-8"))
        return data


@pytest.fixture
def check(idmerge: Idmerge) -> Check:
    return Check(idmerge)


def statuses(report: dict[str, Any]) -> dict[str, str]:
    return {c["name"]: c["status"] for c in report["checks"]}


# --- exit codes and the table -----------------------------------------------------------------


def test_sample_data_fails_on_duplicates_with_exit_1(check: Check) -> None:
    result = check(*SAMPLES)
    assert result.exit_code == 1
    assert plain(result.stderr) == ""
    out = lines(result.stdout)
    assert out[:10] == [
        "65 records, 45 contacts in 2 files",
        "status    check                 measured             threshold",
        "FAIL      duplicate_rate        30.77% (20 of 65)    error if above 0%",
        "off       duplicates            20                   off",
        "WARN      invalid_email_rate    3.7% (2 of 54)       warn if above 0%",
        "WARN      invalid_phone_rate    5% (2 of 40)         warn if above 0%",
        "WARN      junk_values           15                   warn if above 0",
        "WARN      conflicts             4                    warn if above 0",
        "WARN      moved_devices         1                    warn if above 0",
        "pass      over_shared_values    0                    warn if above 0",
    ]
    assert out[10:12] == [
        "duplicate_rate: 20 of 65 records (30.77%) merge into another contact",
        "  5 records, esputnik_export.csv: rows 1, 37; mailchimp_export.csv: rows 1, 5, 16 (by email, telegram_id)",
    ]
    assert "  email b***@ukr.net (3 records, 3 contacts)" in out
    assert out[-2:] == [
        "Failed: 1 failed, 5 warnings, 1 passed, 1 off",
        "Values are masked; pass --show-values to see them.",
    ]


def test_clean_file_passes_with_exit_0(check: Check) -> None:
    result = check(check.file("clean.csv", CLEAN))
    assert result.exit_code == 0
    assert lines(result.stdout) == [
        "2 records, 2 contacts in 1 file",
        "status    check                 measured       threshold",
        "pass      duplicate_rate        0% (0 of 2)    error if above 0%",
        "off       duplicates            0              off",
        "pass      invalid_email_rate    0% (0 of 2)    warn if above 0%",
        "pass      invalid_phone_rate    0% (0 of 2)    warn if above 0%",
        "pass      junk_values           0              warn if above 0",
        "pass      conflicts             0              warn if above 0",
        "pass      moved_devices         0              warn if above 0",
        "pass      over_shared_values    0              warn if above 0",
        "Passed: 0 failed, 0 warnings, 7 passed, 1 off",
    ]


def test_warnings_pass_unless_fail_on_warn(check: Check) -> None:
    src = check.file("junk.csv", CLEAN + "E3,n/a,\n")
    passed = check(src)
    assert passed.exit_code == 0
    assert lines(passed.stdout)[-4:] == [
        "junk_values: 1 junk or placeholder value (1 record)",
        "  email n/a (1 record)",
        "Passed: 0 failed, 1 warning, 6 passed, 1 off",
        "Values are masked; pass --show-values to see them.",
    ]
    failed = check(src, "--fail-on", "warn")
    assert failed.exit_code == 1
    assert lines(failed.stdout)[-2] == "Failed (--fail-on warn): 0 failed, 1 warning, 6 passed, 1 off"
    config = check.file("idmerge.toml", '[check]\nfail_on = "warn"\n')
    assert check(src, "--config", config).exit_code == 1
    assert check(src, "--config", config, "--fail-on", "error").exit_code == 0


def test_quiet_prints_nothing_but_keeps_the_exit_code(check: Check) -> None:
    result = check(check.file("dirty.csv", DIRTY), "--region", "UA", "-q")
    assert (result.exit_code, result.stdout, result.stderr) == (1, "", "")


# Each threshold option with a value the dirty file passes and one it fails; the
# duplicate rate is switched off for the others so that only the option decides.
OPTIONS = [
    ("duplicate_rate", ["--max-duplicate-rate", "0.15"], ["--max-duplicate-rate", "0.14"]),
    ("duplicates", ["--max-duplicates", "1"], ["--max-duplicates", "0"]),
    ("invalid_email_rate", ["--max-invalid-email-rate", "17%"], ["--max-invalid-email-rate", "0.16"]),
    ("invalid_phone_rate", ["--max-invalid-phone-rate", "0.25"], ["--max-invalid-phone-rate", "0.2"]),
    ("junk_values", ["--max-junk-values", "2"], ["--max-junk-values", "1"]),
    ("conflicts", ["--max-conflicts", "1"], ["--max-conflicts", "0"]),
    ("moved_devices", ["--max-moved-devices", "1"], ["--max-moved-devices", "0"]),
    ("required_column", ["--require-column", "email"], ["--require-column", "cookie"]),
    ("fill_rate", ["--min-fill-rate", "email=0.7"], ["--min-fill-rate", "email=0.75"]),
]


@pytest.mark.parametrize(("name", "passing", "failing"), OPTIONS)
def test_each_threshold_option_passes_and_fails(
    check: Check, name: str, passing: list[str], failing: list[str]
) -> None:
    src = check.file("dirty.csv", DIRTY)
    base = [src, "--region", "UA"] + ([] if name == "duplicate_rate" else ["--max-duplicate-rate", "off"])

    def outcomes(report: dict[str, Any]) -> list[str]:
        return [c["status"] for c in report["checks"] if c["name"].split(":")[0] == name]

    assert outcomes(check.json(*base, *passing, code=0)) == ["pass"]
    failed = check.json(*base, *failing, code=1)
    assert outcomes(failed) == ["fail"]
    assert [c["name"].split(":")[0] for c in failed["checks"] if c["status"] == "fail"] == [name]


def test_over_shared_values_option_passes_and_fails(check: Check) -> None:
    config = check.file("idmerge.toml", "over_shared = 1\n")
    src = check.file("hub.csv", "external_id,email\nE1,hub@ukr.net\nE2,hub@ukr.net\n")
    assert statuses(check.json(src, "--config", config, "--max-over-shared-values", "1", code=0)) == {
        "duplicate_rate": "pass",
        "duplicates": "skip",
        "invalid_email_rate": "pass",
        "invalid_phone_rate": "pass",
        "junk_values": "pass",
        "conflicts": "pass",
        "moved_devices": "pass",
        "over_shared_values": "pass",
    }
    failed = check.json(src, "--config", config, "--max-over-shared-values", "0", code=1)
    assert statuses(failed)["over_shared_values"] == "fail"


def test_config_check_table_sets_thresholds_and_options_override_it(check: Check) -> None:
    src = check.file("dirty.csv", DIRTY)
    config = check.file(
        "idmerge.toml",
        "[check]\nmax_duplicate_rate = 0.5\nmax_junk_values = 1\nrequire_columns = { warn = ['cookie'] }\n",
    )
    report = check.json(src, "--region", "UA", "--config", config, code=1)
    assert [(c["name"], c["status"]) for c in report["checks"] if c["status"] in ("fail", "warn")][:2] == [
        ("invalid_email_rate", "warn"),
        ("invalid_phone_rate", "warn"),
    ]
    assert statuses(report)["junk_values"] == "fail"
    assert statuses(report)["required_column:cookie"] == "warn"
    assert check.json(src, "--region", "UA", "--config", config, "--max-junk-values", "warn:1", code=0)


# --- usage and input errors: exit 2, one line ----------------------------------------------------


def test_usage_and_input_errors_exit_2_with_one_line(check: Check) -> None:
    src = check.file("clean.csv", CLEAN)
    missing = check.tmp / "nope.csv"
    assert check.usage_error(missing) == f"Error: {missing}: no such file; check the path"
    no_ids = check.file("people.csv", "Name,City\nAnn,Kyiv\n")
    assert check.usage_error(no_ids).startswith(f"Error: {no_ids}: no identifier column among 'Name', 'City'")
    assert check.usage_error(src, "--max-duplicate-rate", "2") == (
        "Error: --max-duplicate-rate: '2' is not a rate; give a fraction between 0 and 1 such as 0.02 (or 2%)"
    )
    assert check.usage_error(src, "--max-conflicts", "warn:x") == (
        "Error: --max-conflicts: 'x' is not a count; give a whole number such as 10"
    )
    assert check.usage_error(src, "--require-column", "emial").startswith(
        "Error: --require-column: unknown identifier 'emial'; known: external_id, email, phone"
    )
    assert check.usage_error(src, "--min-fill-rate", "email") == (
        "Error: --min-fill-rate: 'email' needs the form IDENTIFIER=RATE, e.g. email=0.9"
    )
    config = check.file("idmerge.toml", "[check]\nmax_dupes = 1\n")
    assert check.usage_error(src, "--config", config).startswith(
        f"Error: {config}: unknown key 'max_dupes' in [check]; allowed keys: fail_on, max_conflicts"
    )
    out = check.tmp / "no-such-folder" / "check.xml"
    assert check.usage_error(src, "--junit", out) == (
        f"Error: {out}: the folder {out.parent} does not exist; create it or choose another --junit path"
    )


def test_bad_fail_on_is_a_usage_error(check: Check) -> None:
    result = check(check.file("clean.csv", CLEAN), "--fail-on", "never")
    assert result.exit_code == 2
    assert "'never' is not one of 'error', 'warn'" in plain(result.stderr)


def test_no_output_file_is_written_on_a_usage_error(check: Check) -> None:
    report = check.tmp / "check.json"
    check(check.file("clean.csv", CLEAN), "--max-duplicates", "-1", "--json", report)
    assert not report.exists()


# --- JSON ------------------------------------------------------------------------------------------


def test_json_gives_every_check_with_threshold_measured_value_and_status(check: Check) -> None:
    report = check.json(check.file("dirty.csv", DIRTY), "--region", "UA", "--require-column", "warn:cookie", code=1)
    assert {k: report[k] for k in ("tool", "command", "outcome", "passed", "fail_on", "records", "contacts")} == {
        "tool": "idmerge",
        "command": "check",
        "outcome": "fail",
        "passed": False,
        "fail_on": "error",
        "records": 7,
        "contacts": 6,
    }
    assert report["counts"] == {"fail": 1, "warn": 6, "pass": 1, "skip": 1}
    assert [c["name"] for c in report["checks"]] == [m.name for m in METRICS] + ["required_column:cookie"]
    assert report["checks"][0] == {
        "name": "duplicate_rate",
        "status": "fail",
        "meaning": "records that merge into another contact, over all records",
        "unit": "rate",
        "direction": "max",
        "threshold": {"warn": None, "error": 0.0},
        "threshold_text": "error if above 0%",
        "measured": 1 / 7,
        "numerator": 1,
        "denominator": 7,
        "baseline": None,
        "message": "1 of 7 records (14.29%) merge into another contact",
        "examples": ["2 records, dirty.csv: rows 1, 2 (by email)"],
    }
    assert report["checks"][-1]["threshold"] == {"warn": 0, "error": None}
    assert report["checks"][-1]["measured"] == 1


# --- JUnit XML -------------------------------------------------------------------------------------


def _junit(check: Check, *args: str | Path, code: int) -> ET.Element:
    path = check.tmp / "check.xml"
    result = check(*args, "--junit", path, "-q")
    assert result.exit_code == code
    text = path.read_text(encoding="utf-8")
    assert text.startswith('<?xml version="1.0" encoding="utf-8"?>\n<testsuites ')
    return ET.fromstring(text)


def test_junit_has_one_test_case_per_check(check: Check) -> None:
    root = _junit(check, *SAMPLES, code=1)
    assert root.tag == "testsuites"
    assert {k: root.get(k) for k in ("name", "tests", "failures", "errors")} == {
        "name": "idmerge check",
        "tests": "8",
        "failures": "1",
        "errors": "0",
    }
    (suite,) = root
    assert {k: suite.get(k) for k in ("name", "tests", "failures", "errors", "skipped")} == {
        "name": "idmerge check",
        "tests": "8",
        "failures": "1",
        "errors": "0",
        "skipped": "1",
    }
    assert re.fullmatch(r"[0-9]+\.[0-9]{3}", suite.get("time", ""))
    properties = {p.get("name"): p.get("value") for p in suite.iter("property")}
    assert properties["inputs"] == " ".join(str(p) for p in SAMPLES)
    assert properties["values_masked"] == "true"
    cases = {c.get("name"): c for c in suite.iter("testcase")}
    assert list(cases) == [m.name for m in METRICS]
    assert {c.get("classname") for c in cases.values()} == {"idmerge.check"}
    failure = cases["duplicate_rate"].find("failure")
    assert failure is not None and failure.get("type") == "error"
    assert failure.get("message") == "20 of 65 records (30.77%) merge into another contact (error if above 0%)"
    assert (failure.text or "").splitlines()[1] == "measured: 30.77% (20 of 65); threshold: error if above 0%"
    skipped = cases["duplicates"].find("skipped")
    assert skipped is not None and skipped.get("message") == "no threshold set; 20 records merge into another contact"
    warned = cases["junk_values"]
    assert warned.find("failure") is None
    assert (warned.findtext("system-out") or "").startswith("warn: 15 junk or placeholder values (28 records)")
    assert (cases["over_shared_values"].findtext("system-out") or "").startswith("pass: ")


def test_junit_warnings_are_failures_under_fail_on_warn(check: Check) -> None:
    root = _junit(check, *SAMPLES, "--fail-on", "warn", code=1)
    assert root.get("failures") == "6"
    failures = {c.get("name"): c.find("failure") for c in root.iter("testcase")}
    types = {name: f.get("type") for name, f in failures.items() if f is not None}
    assert types == {
        "duplicate_rate": "error",
        "invalid_email_rate": "warning",
        "invalid_phone_rate": "warning",
        "junk_values": "warning",
        "conflicts": "warning",
        "moved_devices": "warning",
    }


def test_junit_of_a_passing_check_has_no_failure(check: Check) -> None:
    root = _junit(check, check.file("clean.csv", CLEAN), code=0)
    assert (root.get("failures"), len(list(root.iter("failure"))), len(list(root.iter("skipped")))) == ("0", 0, 1)


@pytest.mark.parametrize("extra", [[], ["--fail-on", "warn", "--show-values", "--require-column", "cookie"]])
def test_junit_is_valid_against_the_schema_ci_servers_read(check: Check, extra: list[str]) -> None:
    xmlschema = pytest.importorskip("xmlschema")
    path = check.tmp / "check.xml"
    check(*SAMPLES, *extra, "--junit", path, "-q")
    xmlschema.XMLSchema(XSD).validate(path)


def test_junit_and_github_output_survive_control_characters_in_values(check: Check) -> None:
    # A quoted cell holding a line break and a workflow command, shown with --show-values.
    src = check.file("evil.csv", 'email\n"x\n::error::forged@ukr.net"\nann@ukr.net\n')
    path = check.tmp / "check.xml"
    result = check(src, "--show-values", "--github", "--junit", path, env={"GITHUB_STEP_SUMMARY": ""})
    assert result.exit_code == 0
    assert not any(line.startswith("::error::forged") for line in plain(result.stdout).splitlines())
    root = ET.fromstring(path.read_text(encoding="utf-8"))
    out = next(c for c in root.iter("testcase") if c.get("name") == "invalid_email_rate").findtext("system-out")
    assert "x\ufffd::error::forged@ukr.net (1 record)" in (out or "")


# --- GitHub ----------------------------------------------------------------------------------------


def test_github_prints_annotations_and_appends_a_job_summary(check: Check) -> None:
    summary = check.tmp / "summary.md"
    summary.write_text("earlier step\n", encoding="utf-8")
    result = check(*SAMPLES, "--github", "-q", env={"GITHUB_STEP_SUMMARY": str(summary)})
    assert result.exit_code == 1
    commands = plain(result.stdout).splitlines()
    assert [c.split("::")[1] for c in commands] == ["error title=idmerge check%3A duplicate_rate"] + [
        f"warning title=idmerge check%3A {name}"
        for name in ("invalid_email_rate", "invalid_phone_rate", "junk_values", "conflicts", "moved_devices")
    ]
    assert commands[0].startswith(
        "::error title=idmerge check%3A duplicate_rate::20 of 65 records (30.77%25) merge into another contact%0A"
    )
    text = summary.read_text(encoding="utf-8")
    assert text.startswith("earlier step\n### idmerge check failed\n")
    assert "| \u274c fail | `duplicate_rate` | 30.77% (20 of 65) | error if above 0% |" in text
    assert "- email b\\*\\*\\*@ukr.net (3 records, 3 contacts)" in text


def test_github_without_a_summary_file_only_annotates(check: Check) -> None:
    result = check(check.file("clean.csv", CLEAN), "--github", "-q", env={"GITHUB_STEP_SUMMARY": ""})
    assert (result.exit_code, result.stdout) == (0, "")


def test_github_annotations_stop_at_ten_of_each_level(check: Check) -> None:
    src = check.file("emails.csv", "email\nann@ukr.net\n\n")
    others = ["external_id", "phone", "system_id", "user_pseudo_id", "device_id", "mobile_push_token"]
    others += ["web_push_token", "telegram_id", "ad_id", "cookie"]
    args = [a for name in others for a in ("--require-column", f"warn:{name}")]
    result = check(src, *args, "--min-fill-rate", "email=warn:1", "--github", "-q", env={"GITHUB_STEP_SUMMARY": ""})
    commands = plain(result.stdout).splitlines()
    assert result.exit_code == 0
    assert sum(c.startswith("::warning ") for c in commands) == 10
    assert commands[-1] == "::notice title=idmerge check::1 more warnings; see the job summary or --json report"


# --- personal data ---------------------------------------------------------------------------------


def test_personal_data_is_masked_everywhere_unless_asked(check: Check) -> None:
    src = check.file("dirty.csv", DIRTY)
    summary = check.tmp / "summary.md"
    outputs = [check.tmp / "check.json", check.tmp / "check.xml", summary]
    args = [src, "--region", "UA", "--json", outputs[0], "--junit", outputs[1], "--github"]
    result = check(*args, env={"GITHUB_STEP_SUMMARY": str(summary)})
    everything = result.stdout + result.stderr + "".join(p.read_text(encoding="utf-8") for p in outputs)
    assert [value for value in PERSONAL if value in everything] == []
    assert "b***@ukr.net" in everything and "+3*****2" in everything

    summary.unlink()
    shown = check(*args, "--show-values", env={"GITHUB_STEP_SUMMARY": str(summary)})
    everything = shown.stdout + "".join(p.read_text(encoding="utf-8") for p in outputs)
    assert "bad@@ukr.net" in everything and "+3806712" in everything
    assert json.loads(outputs[0].read_text(encoding="utf-8"))["values_masked"] is False


# --- baselines -------------------------------------------------------------------------------------


def test_baseline_fails_only_on_regressions(check: Check) -> None:
    before = check.file("before.csv", DIRTY)
    baseline = check.tmp / "baseline.json"
    assert check(before, "--region", "UA", "--json", baseline, "-q").exit_code == 1

    same = check(before, "--region", "UA", "--baseline", baseline)
    assert same.exit_code == 0
    assert lines(same.stdout)[2] == "pass      duplicate_rate        14.29% (1 of 7)    error if above 0%"
    assert lines(same.stdout)[-1] == "Passed: 0 failed, 0 warnings, 7 passed, 1 off"

    # One more record for E6's phone: a new duplicate, a higher rate.
    worse = check.file("after.csv", DIRTY + ",,+380501112233,,\n")
    result = check(worse, "--region", "UA", "--baseline", baseline)
    assert result.exit_code == 1
    assert "duplicate_rate: 2 of 8 records (25%) merge into another contact; worse than the baseline (14.29%)" in lines(
        result.stdout
    )


def test_report_of_an_earlier_run_serves_as_baseline(check: Check) -> None:
    before = check.file("before.csv", DIRTY)
    ran = check.idmerge.run(before, "--region", "UA", "--quiet")
    assert ran.result.exit_code == 0
    baseline = ran.out / "report.json"
    assert check(before, "--region", "UA", "--baseline", baseline, "-q").exit_code == 0

    worse = check.file("after.csv", DIRTY + ",,+380501112233,,\n")
    result = check(worse, "--region", "UA", "--baseline", baseline)
    assert result.exit_code == 1
    assert "duplicate_rate: 2 of 8 records (25%) merge into another contact; worse than the baseline (14.29%)" in lines(
        result.stdout
    )


def test_baseline_errors_exit_2(check: Check) -> None:
    src = check.file("clean.csv", CLEAN)
    run_report = check.file("report.json", json.dumps({"tool": "idmerge", "summary": {}}))
    assert check.usage_error(src, "--baseline", run_report) == (
        f"Error: {run_report}: is a report of idmerge run with no check figures (an older version); "
        f"create one with idmerge check FILE... --json {run_report}"
    )
    missing = check.tmp / "nope.json"
    assert check.usage_error(src, "--baseline", missing) == (
        f"Error: {missing}: baseline not found; create one with idmerge check FILE... --json {missing}"
    )


# --- help and docs ---------------------------------------------------------------------------------

OPTIONS_DOCUMENTED = [m.option for m in METRICS] + [
    "--require-column",
    "--min-fill-rate",
    "--fail-on",
    "--baseline",
    "--json",
    "--junit",
    "--github",
    "--show-values",
    "--memory-limit",
    "--temp-dir",
]


def test_check_has_help_and_every_option_is_documented(idmerge: Idmerge) -> None:
    result = idmerge.invoke("check", "--help")
    assert result.exit_code == 0
    help_text = plain(result.stdout)
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Use in CI", 1)[1].split("\n## ", 1)[0]
    docs = (ROOT / "docs" / "ci.md").read_text(encoding="utf-8")
    for option in OPTIONS_DOCUMENTED:
        assert option in help_text, option
        assert f"`{option}" in docs, option
    for metric in METRICS:
        assert metric.option in section and metric.key in docs, metric.name
    for code in ("| 0 |", "| 1 |", "| 2 |"):
        assert code in section
    assert "check" in plain(idmerge.invoke("--help").stdout)


def test_preset_option_is_checked(check: Check, idmerge: Idmerge) -> None:
    src = idmerge.file("list.csv", "Email Address,LEID\nann@x.com,1\nbob@x.com,2\n")
    assert check.usage_error(src, "--preset", "sendgrid").startswith(
        "Error: --preset 'sendgrid' is not a known preset; known: bitrix24,"
    )
    assert check(src, "--preset", "mailchimp").exit_code == 0


def test_memory_limit_and_temp_dir_work_as_for_run(check: Check) -> None:
    """A gate on a large file in a small CI container needs the same cap as a run."""
    unlimited = check.json(*SAMPLES, code=1)
    spill = check.tmp / "spill"
    spill.mkdir()
    limited = check.json(*SAMPLES, "--memory-limit", "200MB", "--temp-dir", spill, code=1)
    for report in (unlimited, limited):
        del report["started_at"]
        report.pop("seconds", None)
    assert limited == unlimited
    assert list(spill.iterdir()) == []  # the run's working folder and DuckDB's files are gone
    src = check.file("clean.csv", CLEAN)
    assert check.usage_error(src, "--memory-limit", "lots") == (
        "Error: --memory-limit 'lots' is not a size; write it like 50MB, 300MB or 1GB"
    )
    missing = check.tmp / "no-such-folder"
    assert check.usage_error(src, "--temp-dir", missing) == (
        f"Error: --temp-dir {missing}: no such folder; create it or choose another"
    )
    out_of_memory = check(src, "--memory-limit", "1MB", "--temp-dir", spill)
    assert out_of_memory.exit_code == 3
    assert plain(out_of_memory.stderr).startswith("Error: out of memory; give --memory-limit a size")
