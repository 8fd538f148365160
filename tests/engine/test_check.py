"""``idmerge check``'s engine: figures, thresholds, config, masking and baselines, on real files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from matchers import ConfigError, RunOptions, resolve
from matchers.check import (
    CheckOptions,
    CheckReport,
    CheckSettings,
    Measurements,
    Threshold,
    Unit,
    apply_options,
    check,
    evaluate,
    is_placeholder,
    load_baseline,
    mask,
    measure,
    parse_threshold,
)
from matchers.check_formats import report_json
from matchers.config import load_config
from tests.engine.helpers import write_csv

SAMPLES = Path(__file__).resolve().parents[2] / "sample_data"
HEADER = ["external_id", "email", "phone", "device_id", "updated_at"]
#: Seven records, one of each problem:
#: rows 1 and 2 share an email (1 duplicate); row 3 has an invalid email and phone;
#: row 4 a junk email and phone and a device that moves to row 5's newer contact;
#: rows 5 and 6 share an email across two External IDs (a conflict).
DIRTY = [
    {"external_id": "E1", "email": "ann@ukr.net", "phone": "+380671234567", "updated_at": "2024-01-01"},
    {"email": "ann@ukr.net", "updated_at": "2024-01-02"},
    {"external_id": "E2", "email": "bad@@ukr.net", "phone": "+3806712", "updated_at": "2024-01-03"},
    {"external_id": "E3", "email": "n/a", "phone": "0000000000", "device_id": "D1", "updated_at": "2024-01-04"},
    {"external_id": "E4", "email": "fam@ukr.net", "device_id": "D1", "updated_at": "2024-02-01"},
    {"external_id": "E5", "email": "fam@ukr.net", "updated_at": "2024-02-02"},
    {"external_id": "E6", "phone": "+380501112233"},
]
CLEAN = [
    {"external_id": "E1", "email": "ann@ukr.net", "phone": "+380671234567"},
    {"external_id": "E2", "email": "bob@ukr.net", "phone": "+380501112233"},
]


def _measure(path: Path, *, config: Path | None = None, show_values: bool = False) -> Measurements:
    resolution = resolve([path], RunOptions(region="UA", config=config))
    try:
        return measure(resolution, show_values=show_values)
    finally:
        resolution.db.close()


@pytest.fixture(scope="module")
def dirty(tmp_path_factory: pytest.TempPathFactory) -> Measurements:
    path = write_csv(tmp_path_factory.mktemp("dirty") / "dirty.csv", DIRTY, HEADER)
    return _measure(path)


def _config(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "idmerge.toml"
    path.write_text(text, encoding="utf-8")
    return path


def _statuses(
    measurements: Measurements, settings: CheckSettings, baseline: dict[str, float] | None = None
) -> dict[str, str]:
    return {r.name: r.status for r in evaluate(measurements, settings, baseline)}


# --- figures -----------------------------------------------------------------------------------


def test_figures_of_the_dirty_file(dirty: Measurements) -> None:
    f = dirty.figures
    assert (dirty.records, dirty.contacts) == (7, 6)
    assert (f["duplicate_rate"].numerator, f["duplicate_rate"].denominator) == (1, 7)
    assert f["duplicate_rate"].value == 1 / 7
    assert f["duplicates"].value == 1
    assert (f["invalid_email_rate"].numerator, f["invalid_email_rate"].denominator) == (1, 6)
    assert (f["invalid_phone_rate"].numerator, f["invalid_phone_rate"].denominator) == (1, 4)
    assert [f[n].value for n in ("junk_values", "conflicts", "moved_devices", "over_shared_values")] == [2, 1, 1, 0]
    assert (f["fill_rate:email"].numerator, f["fill_rate:phone"].numerator) == (5, 3)  # junk is not a value
    assert f["required_column:email"].value == 0 and f["required_column:cookie"].value == 1


def test_messages_and_examples_say_what_was_found(dirty: Measurements) -> None:
    f = dirty.figures
    assert f["duplicate_rate"].text == "1 of 7 records (14.29%) merge into another contact"
    assert f["duplicate_rate"].examples == ("2 records, dirty.csv: rows 1, 2 (by email)",)
    assert f["invalid_email_rate"].text == "1 of 6 records with an email (16.67%) have an invalid one"
    assert f["invalid_email_rate"].examples == ("b***@ukr.net (1 record)",)
    assert f["invalid_phone_rate"].examples == ("+3*****2 (1 record)",)
    assert f["junk_values"].text == "2 junk or placeholder values (2 records)"
    assert f["junk_values"].examples == ("email n/a (1 record)", "phone 0000000000 (1 record)")
    assert f["conflicts"].examples == ("email f***@ukr.net (2 records, 2 contacts)",)
    assert f["moved_devices"].examples == ("device_id *** (2 records)",)
    assert f["required_column:cookie"].text == "no column for cookie in dirty.csv"
    assert f["fill_rate:email"].text == "email filled on 71.43% of records (5 of 7)"


def test_show_values_gives_examples_unmasked(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "dirty.csv", DIRTY, HEADER)
    shown = _measure(path, show_values=True).figures
    assert shown["invalid_email_rate"].examples == ("bad@@ukr.net (1 record)",)
    assert shown["conflicts"].examples == ("email fam@ukr.net (2 records, 2 contacts)",)


def test_phones_without_a_region_are_invalid_and_the_message_says_pass_region(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "local.csv", [{"phone": "0671234567"}, {"phone": "0501112233"}], HEADER)
    resolution = resolve([path], RunOptions())
    try:
        figure = measure(resolution).figures["invalid_phone_rate"]
    finally:
        resolution.db.close()
    assert figure.value == 1.0
    assert figure.text.endswith("; 2 phones have no country code: pass --region")


def test_fill_rate_examples_give_each_file_when_there_are_several(tmp_path: Path) -> None:
    a = write_csv(tmp_path / "a.csv", [{"email": "a@ukr.net"}, {"email": ""}], ["email", "phone"])
    b = write_csv(tmp_path / "b.csv", [{"phone": "+380671234567"}], ["phone"])
    resolution = resolve([a, b], RunOptions())
    try:
        figures = measure(resolution).figures
    finally:
        resolution.db.close()
    assert figures["fill_rate:email"].examples == ("a.csv: 50%", "b.csv: 0%")
    assert figures["required_column:email"].text == "no column for email in 1 of 2 files"
    assert figures["required_column:email"].examples == ("b.csv",)


# --- defaults and each threshold, passing and failing ----------------------------------------------


def test_defaults_make_any_duplicate_an_error_and_the_rest_warnings(dirty: Measurements) -> None:
    assert _statuses(dirty, CheckSettings()) == {
        "duplicate_rate": "fail",
        "duplicates": "skip",
        "invalid_email_rate": "warn",
        "invalid_phone_rate": "warn",
        "junk_values": "warn",
        "conflicts": "warn",
        "moved_devices": "warn",
        "over_shared_values": "pass",
    }


# (check, a threshold the dirty file passes, one it fails); figures in test_figures_of_the_dirty_file.
THRESHOLDS = [
    ("duplicate_rate", "0.15", "0.14"),
    ("duplicates", "1", "0"),
    ("invalid_email_rate", "0.17", "16%"),
    ("invalid_phone_rate", "0.25", "0.24"),
    ("junk_values", "2", "1"),
    ("conflicts", "1", "0"),
    ("moved_devices", "1", "0"),
]


@pytest.mark.parametrize(("name", "passing", "failing"), THRESHOLDS)
def test_each_threshold_passes_and_fails(dirty: Measurements, name: str, passing: str, failing: str) -> None:
    def status(spec: str) -> str:
        settings = apply_options(CheckSettings(), CheckOptions(thresholds={name: spec}), list(dirty.identifiers))
        return _statuses(dirty, settings)[name]

    assert (status(passing), status(failing)) == ("pass", "fail")
    assert (status(f"warn:{passing}"), status(f"warn:{failing}")) == ("pass", "warn")
    assert status("off") == "skip"


def test_over_shared_values_passes_and_fails(tmp_path: Path, dirty: Measurements) -> None:
    config = _config(tmp_path, "over_shared = 1\n")
    rows = [{"external_id": "E1", "email": "hub@ukr.net"}, {"external_id": "E2", "email": "hub@ukr.net"}]
    hub = _measure(write_csv(tmp_path / "hub.csv", rows, HEADER), config=config)
    assert hub.figures["over_shared_values"].value == 1
    assert hub.figures["over_shared_values"].text == "1 value on records of more than 1 customers (2 records)"
    assert _statuses(hub, CheckSettings())["over_shared_values"] == "warn"
    failing = CheckSettings(thresholds={"over_shared_values": Threshold(error=0)})
    assert _statuses(hub, failing)["over_shared_values"] == "fail"
    assert _statuses(dirty, failing)["over_shared_values"] == "pass"


def test_required_column_passes_and_fails(dirty: Measurements) -> None:
    options = CheckOptions(require_columns=("email", "cookie", "warn:ad_id"))
    settings = apply_options(CheckSettings(), options, list(dirty.identifiers))
    results = {r.name: r for r in evaluate(dirty, settings)}
    assert results["required_column:email"].status == "pass"
    assert results["required_column:cookie"].status == "fail"
    assert results["required_column:ad_id"].status == "warn"
    assert results["required_column:cookie"].message == "no column for cookie in dirty.csv"


def test_min_fill_rate_passes_and_fails(dirty: Measurements) -> None:
    # email is filled on 5 of 7 records (71.43%); phone on 3 of 7.
    options = CheckOptions(min_fill_rates=("email=0.7", "phone=0.43", "external_id=warn:0.9,error:0.5"))
    settings = apply_options(CheckSettings(), options, list(dirty.identifiers))
    statuses = _statuses(dirty, settings)
    assert (statuses["fill_rate:email"], statuses["fill_rate:phone"]) == ("pass", "fail")
    assert statuses["fill_rate:external_id"] == "warn"  # 6 of 7: below the warning, above the error


def test_a_rate_equal_to_its_threshold_passes(tmp_path: Path) -> None:
    # 2 duplicates of 100 records is exactly 0.02, which the threshold allows.
    rows = [{"email": f"p{i}@ukr.net"} for i in range(98)] + [{"email": "p0@ukr.net"}, {"email": "p1@ukr.net"}]
    measurements = _measure(write_csv(tmp_path / "hundred.csv", rows, HEADER))
    assert measurements.figures["duplicate_rate"].value == 0.02
    settings = CheckSettings(thresholds={"duplicate_rate": Threshold(error=0.02)})
    assert _statuses(measurements, settings)["duplicate_rate"] == "pass"


def test_checks_come_in_a_fixed_order(dirty: Measurements) -> None:
    settings = CheckSettings(required={"phone": "error", "email": "warn"}, fill_rates={"phone": Threshold(error=0.1)})
    assert [r.name for r in evaluate(dirty, settings)][-3:] == [
        "required_column:email",
        "required_column:phone",
        "fill_rate:phone",
    ]


# --- threshold syntax ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "unit", "expected"),
    [
        ("0.02", "rate", Threshold(error=0.02)),
        ("2%", "rate", Threshold(error=0.02)),
        ("error:0.02", "rate", Threshold(error=0.02)),
        ("WARN:0.01", "rate", Threshold(warn=0.01)),
        ("warn:1%, error:5%", "rate", Threshold(warn=0.01, error=0.05)),
        ("off", "rate", Threshold()),
        ("10", "count", Threshold(error=10)),
        ("warn:0", "count", Threshold(warn=0)),
    ],
)
def test_threshold_syntax(text: str, unit: Unit, expected: Threshold) -> None:
    assert parse_threshold(text, unit, "--opt") == expected


@pytest.mark.parametrize(
    ("text", "unit", "message"),
    [
        ("abc", "rate", "--opt: 'abc' is not a rate; give a fraction between 0 and 1 such as 0.02 (or 2%)"),
        ("2", "rate", "--opt: '2' is not a rate; give a fraction between 0 and 1 such as 0.02 (or 2%)"),
        ("-0.1", "rate", "--opt: '-0.1' is not a rate; give a fraction between 0 and 1 such as 0.02 (or 2%)"),
        ("1.5", "count", "--opt: '1.5' is not a count; give a whole number such as 10"),
        ("fatal:3", "count", "--opt: 'fatal:3': the level must be warn or error, as in warn:3"),
        ("warn:1,warn:2", "count", "--opt: warn is given twice; write warn:VALUE,error:VALUE"),
        ("warn:5,error:1", "count", "--opt: the warning threshold must not be above the error threshold"),
    ],
)
def test_bad_threshold_is_refused_with_the_fix(text: str, unit: Unit, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_threshold(text, unit, "--opt")
    assert str(caught.value) == message


def test_options_name_unknown_identifiers_and_bad_forms(dirty: Measurements) -> None:
    known = list(dirty.identifiers)
    for options, message in [
        (CheckOptions(require_columns=("emial",)), "--require-column: unknown identifier 'emial'; known: "),
        (CheckOptions(min_fill_rates=("email",)), "--min-fill-rate: 'email' needs the form IDENTIFIER=RATE"),
        (CheckOptions(min_fill_rates=("email=2",)), "--min-fill-rate email: '2' is not a rate"),
        (CheckOptions(min_fill_rates=("email=warn:0.5,error:0.9",)), "--min-fill-rate email: the warning"),
        (CheckOptions(thresholds={"conflicts": "x"}), "--max-conflicts: 'x' is not a count"),
    ]:
        with pytest.raises(ConfigError) as caught:
            apply_options(CheckSettings(), options, known)
        assert str(caught.value).startswith(message)


# --- the [check] table of the config -------------------------------------------------------------

TABLE = """
[check]
fail_on = "warn"
max_duplicate_rate = 0.02
max_duplicates = 10
max_invalid_email_rate = { warn = 0.01, error = 0.05 }
max_invalid_phone_rate = "warn:3%"
max_moved_devices = "off"
require_columns = { error = ["email"], warn = ["phone"] }

[check.min_fill_rate]
email = 0.9
phone = { warn = 0.5 }
"""


def test_config_check_table_sets_thresholds(tmp_path: Path) -> None:
    config = load_config(_config(tmp_path, TABLE))
    assert config.check == CheckSettings(
        thresholds={
            "duplicate_rate": Threshold(error=0.02),
            "duplicates": Threshold(error=10),
            "invalid_email_rate": Threshold(warn=0.01, error=0.05),
            "invalid_phone_rate": Threshold(warn=0.03),
            "moved_devices": Threshold(),
        },
        required={"email": "error", "phone": "warn"},
        fill_rates={"email": Threshold(error=0.9), "phone": Threshold(warn=0.5)},
        fail_on="warn",
    )


def test_a_config_without_check_table_keeps_the_defaults(tmp_path: Path) -> None:
    assert load_config(_config(tmp_path, 'region = "UA"\n')).check is None
    assert load_config(None).check is None


def test_command_line_replaces_the_config_per_check(tmp_path: Path) -> None:
    config = load_config(_config(tmp_path, TABLE))
    assert config.check is not None
    options = CheckOptions(
        thresholds={"duplicate_rate": "warn:0.5"},
        require_columns=("error:phone",),
        min_fill_rates=("email=0.1",),
        fail_on="error",
    )
    merged = apply_options(config.check, options, config.names)
    assert merged.thresholds["duplicate_rate"] == Threshold(warn=0.5)
    assert merged.thresholds["duplicates"] == Threshold(error=10)  # untouched
    assert merged.required == {"email": "error", "phone": "error"}
    assert merged.fill_rates == {"email": Threshold(error=0.1), "phone": Threshold(warn=0.5)}
    assert merged.fail_on == "error"


@pytest.mark.parametrize(
    ("table", "message"),
    [
        (
            "max_dupes = 1",
            "unknown key 'max_dupes' in [check]; allowed keys: fail_on, max_conflicts, max_duplicate_rate, "
            "max_duplicates, max_invalid_email_rate, max_invalid_phone_rate, max_junk_values, max_moved_devices, "
            "max_over_shared_values, min_fill_rate, require_columns",
        ),
        ("max_duplicate_rate = 5", "[check] max_duplicate_rate: '5' is not a rate; give a fraction between 0 and 1"),
        ("max_duplicates = 1.5", "[check] max_duplicates: 1.5 is not a count; give a whole number such as 10"),
        ("max_conflicts = true", '[check] max_conflicts: give a number such as 10, "warn:10" or "off"'),
        (
            "max_conflicts = { warning = 1 }",
            "[check] max_conflicts: a threshold table takes warn and/or error, e.g. { warn = 0.01, error = 0.05 }",
        ),
        ('fail_on = "never"', '[check] fail_on must be "error" or "warn"'),
        ('require_columns = ["emial"]', "[check] require_columns: unknown identifier 'emial'; known: external_id"),
        ('require_columns = "email"', "[check] require_columns must be a list of identifiers"),
        ("min_fill_rate = 0.5", "[check] min_fill_rate must be a table of identifier = rate"),
        ("min_fill_rate = { phone = 2 }", "[check] min_fill_rate.phone: '2' is not a rate"),
    ],
)
def test_bad_check_table_is_refused_naming_the_key(tmp_path: Path, table: str, message: str) -> None:
    path = _config(tmp_path, f"[check]\n{table}\n")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert str(caught.value).startswith(f"{path}: {message}")


def test_check_table_accepts_a_custom_identifier(tmp_path: Path) -> None:
    text = '[identifiers.loyalty_card]\nkind = "personal"\n\n[check]\nrequire_columns = ["loyalty_card"]\n'
    config = load_config(_config(tmp_path, text))
    assert config.check is not None and dict(config.check.required) == {"loyalty_card": "error"}


# --- masking -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("identifier", "value", "shown"),
    [
        ("email", "jane.doe@example.com", "j***@example.com"),
        ("email", "olena@@ukr.net", "o***@ukr.net"),
        ("email", "ivan.ukr.net", "iv***et"),
        ("email", "n/a", "n/a"),
        ("phone", "+380671234567", "+38067*****67"),
        ("phone", "0671234567", "067*****67"),
        ("phone", "+3806712", "+3*****2"),
        ("phone", "12345", "*****"),
        ("phone", "0000000000", "0000000000"),
        ("device_id", "a41f9c27d3e8b605", "a4***05"),
        ("external_id", "C-1001", "C***1"),
        ("external_id", "E1", "***"),
        ("system_id", "esputnik_export.csv:104827301", "esputnik_export.csv:10***01"),
        ("cookie", "null", "null"),
        (None, "esputnik_export.csv:40", "esputnik_export.csv:40"),
    ],
)
def test_mask(identifier: str | None, value: str, shown: str) -> None:
    assert mask(identifier, value) == shown


@settings(max_examples=200, deadline=None)
@given(st.from_regex(r"[a-z0-9._%+-]{2,20}@[a-z0-9-]{1,10}\.[a-z]{2,4}", fullmatch=True))
def test_masked_email_shows_one_letter_of_the_local_part(email: str) -> None:
    assume(not is_placeholder(email))
    local, _, domain = email.rpartition("@")
    assert mask("email", email) == f"{local[0]}***@{domain}"


@settings(max_examples=200, deadline=None)
@given(st.from_regex(r"\+?[0-9]{6,15}", fullmatch=True))
def test_masked_phone_hides_at_least_five_digits(phone: str) -> None:
    assume(not is_placeholder(phone))
    shown = mask("phone", phone)
    assert len(shown) == len(phone) and shown.count("*") >= 5
    assert sum(c.isdigit() for c in shown) <= 8


# --- baselines and the whole check ------------------------------------------------------------------


def test_baseline_passes_what_is_no_worse_and_fails_what_is_worse(dirty: Measurements) -> None:
    same = {name: figure.value for name, figure in dirty.figures.items()}
    assert set(_statuses(dirty, CheckSettings(), same).values()) == {"pass", "skip"}
    better = dict(same, duplicate_rate=0.1, conflicts=0.0)
    statuses = _statuses(dirty, CheckSettings(), better)
    assert (statuses["duplicate_rate"], statuses["conflicts"], statuses["junk_values"]) == ("fail", "warn", "pass")
    results = {r.name: r for r in evaluate(dirty, CheckSettings(), better)}
    assert results["duplicate_rate"].message.endswith("; worse than the baseline (10%)")
    assert results["junk_values"].message.endswith("; no worse than the baseline (2)")


def test_baseline_of_a_fill_rate_fails_only_when_it_drops(dirty: Measurements) -> None:
    settings = CheckSettings(fill_rates={"email": Threshold(error=0.9)})
    assert _statuses(dirty, settings, {"fill_rate:email": 0.7})["fill_rate:email"] == "pass"
    assert _statuses(dirty, settings, {"fill_rate:email": 0.75})["fill_rate:email"] == "fail"


def _check(paths: list[Path], **options: Any) -> CheckReport:
    return check(paths, RunOptions(region="UA"), CheckOptions(**options))


def test_check_on_the_sample_data_fails_on_duplicates(tmp_path: Path) -> None:
    report = _check([SAMPLES / "esputnik_export.csv", SAMPLES / "mailchimp_export.csv"])
    assert (report.records, report.contacts, report.outcome, report.passed) == (65, 45, "fail", False)
    assert [r.name for r in report.failing] == ["duplicate_rate"]
    assert (report.count("warn"), report.count("pass"), report.count("skip")) == (5, 1, 1)


def test_check_of_a_clean_file_passes(tmp_path: Path) -> None:
    report = _check([write_csv(tmp_path / "clean.csv", CLEAN, HEADER)])
    assert (report.outcome, report.passed, report.count("pass"), report.count("skip")) == ("pass", True, 7, 1)


def test_fail_on_warn_makes_warnings_fail_the_gate(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "junk.csv", [*CLEAN, {"external_id": "E3", "email": "n/a"}], HEADER)
    assert _check([path]).outcome == "warn"
    report = _check([path], fail_on="warn")
    assert (report.outcome, [r.name for r in report.failing]) == ("fail", ["junk_values"])


def test_json_of_a_check_is_its_own_baseline(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "dirty.csv", DIRTY, HEADER)
    first = _check([path])
    baseline = tmp_path / "baseline.json"
    baseline.write_text(json.dumps(report_json(first)), encoding="utf-8")
    assert load_baseline(baseline)["duplicate_rate"] == 1 / 7
    again = _check([path], baseline=baseline)
    assert (again.outcome, again.baseline) == ("pass", str(baseline))


def test_bad_baselines_are_refused_before_reading_inputs(tmp_path: Path) -> None:
    missing = tmp_path / "nope.json"
    run_report = tmp_path / "report.json"
    run_report.write_text(json.dumps({"tool": "idmerge", "summary": {}}), encoding="utf-8")
    garbage = tmp_path / "garbage.json"
    garbage.write_text("{", encoding="utf-8")
    other = tmp_path / "other.json"
    other.write_text("[1, 2]", encoding="utf-8")
    unnamed = tmp_path / "unnamed.json"
    unnamed.write_text(json.dumps({"command": "check", "checks": [{"measured": 1}]}), encoding="utf-8")
    fix = "create one with idmerge check FILE... --json"
    for path, message in [
        (missing, f"{missing}: baseline not found; {fix} {missing}"),
        (
            run_report,
            f"{run_report}: is a report of idmerge run with no check figures (an older version); {fix} {run_report}",
        ),
        (garbage, f"{garbage}: not a JSON file; give --baseline the JSON of an earlier check ({fix} {garbage})"),
        (other, f"{other}: not the JSON of idmerge check; {fix} {other}"),
        (unnamed, f"{unnamed}: a check has no name; {fix} {unnamed}"),
        (tmp_path, f"{tmp_path}: is a folder; give --baseline the JSON file of an earlier check"),
    ]:
        with pytest.raises(ConfigError) as caught:
            # The input does not exist: the baseline is refused first.
            _check([tmp_path / "never-read.csv"], baseline=path)
        assert str(caught.value) == message


def test_check_writes_nothing_next_to_its_inputs(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "clean.csv", CLEAN, HEADER)
    assert _check([path]).passed
    assert list(tmp_path.iterdir()) == [path]


def test_check_resolves_without_merged_rows_and_measures_the_same(tmp_path: Path) -> None:
    # idmerge check resolves with merged_rows=False: the figures and examples it
    # prints come from the contacts, findings and figures, never the merged rows.
    paths = sorted(SAMPLES.glob("*.csv"))
    measured = {}
    for merged_rows in (True, False):
        resolution = resolve(paths, RunOptions(), merged_rows=merged_rows)
        try:
            tables = {name for (name,) in resolution.db.rows("SELECT table_name FROM duckdb_tables()")}
            views = {name for (name,) in resolution.db.rows("SELECT view_name FROM duckdb_views() WHERE NOT internal")}
            made = {"cbase", "cid_vals"} & tables | {"contacts"} & views
            assert made == ({"cbase", "cid_vals", "contacts"} if merged_rows else set())
            measured[merged_rows] = measure(resolution)
        finally:
            resolution.db.close()
    assert measured[False] == measured[True]
    assert measured[False].figures["duplicates"].value == 20
