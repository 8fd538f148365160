"""``matchers.inspect``: profiles of real files, problems found, and the config ``init`` writes."""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import pytest

from matchers import InputError, OutputError, RunOptions, run
from matchers.config import load_config
from matchers.db import Database
from matchers.inspect import LIBRARY_SAMPLE, ColumnProfile, Inspection, InspectOptions, config_text, init, inspect
from matchers.load import LoadOptions, load_sources

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = [ROOT / "sample_data" / "esputnik_export.csv", ROOT / "sample_data" / "mailchimp_export.csv"]
PRESETS = ROOT / "tests" / "fixtures" / "presets"
OUTPUTS = ("contacts.csv", "membership.csv", "findings.csv")


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def column(report: Inspection, file: str, header: str) -> ColumnProfile:
    profile = next(f for f in report.files if f.name == file)
    return next(c for c in profile.columns if c.header == header)


def codes(report: Inspection) -> set[tuple[str, str | None, str]]:
    """(file, header or None for the file, problem code) of every problem."""
    found: set[tuple[str, str | None, str]] = set()
    for f in report.files:
        found |= {(f.name, None, p.code) for p in f.problems}
        found |= {(f.name, c.header, p.code) for c in f.columns for p in c.problems}
    return found


def test_sample_data_profile() -> None:
    report = inspect(SAMPLES, InspectOptions())
    esputnik, mailchimp = report.files
    assert (esputnik.name, esputnik.preset, esputnik.format, esputnik.delimiter, esputnik.records) == (
        "esputnik_export.csv",
        "esputnik",
        "csv",
        ";",
        40,
    )
    assert (mailchimp.preset, mailchimp.delimiter, mailchimp.records, mailchimp.rejected) == ("mailchimp", ",", 25, 0)
    email = column(report, "esputnik_export.csv", "Email")
    assert (email.identifier, email.filled, email.distinct, email.junk, email.invalid) == ("email", 29, 27, 5, 2)
    assert email.fill_rate == pytest.approx(29 / 40)
    assert email.samples == ("o***@gmail.com", "s***@i.ua", "b***@ukr.net")
    assert column(report, "esputnik_export.csv", "First Name").field == "first_name"
    assert column(report, "mailchimp_export.csv", "LAST_CHANGED").identifier == "updated_at"
    assert column(report, "mailchimp_export.csv", "TAGS").role is None
    assert (report.region, report.region_inferred, report.masked) == ("UA", True, True)
    assert report.count("error") == 0
    assert ("esputnik_export.csv", "IDFA", "junk_values") in codes(report)
    assert ("mailchimp_export.csv", "Phone Number", "invalid_values") in codes(report)


def test_mapping_is_the_one_run_uses(tmp_path: Path) -> None:
    """Roles, fields, consent and split are what load_sources gives the run."""
    paths = [*SAMPLES, *sorted(PRESETS.glob("*/*.csv"))] if PRESETS.is_dir() else SAMPLES
    report = inspect(paths, InspectOptions())
    db = Database()
    try:
        sources = load_sources(db, paths, load_config(None), LoadOptions(), tmp_path)
    finally:
        db.close()
    assert len(sources) == len(report.files)
    for source, profile in zip(sources, report.files, strict=True):
        assert profile.preset == source.preset
        assert {c.position: c.identifier for c in profile.columns if c.identifier} == source.roles
        assert {c.position: c.field for c in profile.columns if c.field} == source.fields
        assert {c.position: c.consent for c in profile.columns if c.consent} == source.consent
        assert {c.position: c.split for c in profile.columns if c.split} == source.split


def test_show_values_unmasks() -> None:
    report = inspect(SAMPLES[:1], InspectOptions(show_values=True))
    assert column(report, "esputnik_export.csv", "Email").samples[0] == "olenakoval@gmail.com"
    assert not report.masked


def test_email_column_holding_dates(tmp_path: Path) -> None:
    path = write(
        tmp_path / "dates.csv",
        "External ID,Email,Contact\nE1,2024-01-02,ann@ukr.net\nE2,03.01.2024,bob@ukr.net\nE3,2024-01-04 10:00,\n",
    )
    report = inspect([path], InspectOptions())
    email = column(report, "dates.csv", "Email")
    dates = next(p for p in email.problems if p.code == "holds_dates")
    assert dates.severity == "error"
    assert dates.message.startswith("column 'Email' holds dates (3 of 3 (100%) values)")
    contact = column(report, "dates.csv", "Contact")
    assert contact.suggested == "email"
    assert [p.suggestion for p in contact.problems] == ['[columns] "Contact" = "email"']


def test_wrong_kind_of_values(tmp_path: Path) -> None:
    path = write(
        tmp_path / "wrong.csv",
        "External ID,Email,Phone\nE1,Ann Smith,ann@ukr.net\nE2,Bob,bob@ukr.net\nE3,c@ukr.net,+380671234567\n",
    )
    found = codes(inspect([path], InspectOptions()))
    assert ("wrong.csv", "Email", "not_emails") in found
    assert ("wrong.csv", "Phone", "holds_emails") in found


def test_several_values_in_a_cell(tmp_path: Path) -> None:
    path = write(
        tmp_path / "multi.csv",
        'id,email,phone\n1,"a@ukr.net, b@ukr.net",+380671234567\n2,c@ukr.net,"+380671234567; +380501112233"\n'
        "3,olena@@ukr.net,\n",
    )
    report = inspect([path], InspectOptions())
    email = next(p for p in column(report, "multi.csv", "email").problems if p.code == "several_values")
    # Two '@' in one address is an invalid email, not two emails.
    assert (email.cells, email.suggestion) == (1, '[split] "email" = ","')
    phone = next(p for p in column(report, "multi.csv", "phone").problems if p.code == "several_values")
    assert (phone.cells, phone.suggestion) == (1, '[split] "phone" = ";"')


def test_unreadable_status_words(tmp_path: Path) -> None:
    path = write(
        tmp_path / "status.csv",
        "email,Email status\na@ukr.net,subscribed\nb@ukr.net,Yes please\nc@ukr.net,unsubscribed\n",
    )
    report = inspect([path], InspectOptions())
    status = column(report, "status.csv", "Email status")
    assert status.consent is not None and status.consent.channel == "email"
    (problem,) = status.problems
    assert problem.code == "unreadable_status" and problem.cells == 1
    assert "'Ye***se'" in problem.message
    # Known status words are not personal data: shown as they are.
    assert status.samples == ("subscribed", "Ye***se", "unsubscribed")


def test_file_with_no_identifier_is_profiled(tmp_path: Path) -> None:
    bad = write(tmp_path / "noid.csv", "Name,Contact\nAnn,ann@ukr.net\nBob,bob@ukr.net\n")
    report = inspect([bad, SAMPLES[1]], InspectOptions())
    noid = report.files[0]
    (problem,) = noid.problems
    assert (problem.severity, problem.code) == ("error", "no_identifier_column")
    assert problem.message == 'no identifier column: idmerge run stops on this file; e.g. [columns] "Contact" = "email"'
    assert [c.filled for c in noid.columns] == [2, 2]
    assert report.files[1].records == 25


def test_malformed_rows_are_counted(tmp_path: Path) -> None:
    path = write(tmp_path / "bad.csv", "email,phone\na@ukr.net,1\nb@ukr.net,2,3\nc@ukr.net,4\n")
    profile = inspect([path], InspectOptions()).files[0]
    assert (profile.records, profile.rejected) == (2, 1)
    assert [p.code for p in profile.problems] == ["malformed_rows"]


def test_unreadable_input_raises(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        inspect([tmp_path / "missing.csv"], InspectOptions())
    with pytest.raises(InputError, match="the file is empty"):
        inspect([write(tmp_path / "empty.csv", "")], InspectOptions())


def test_zip_members_are_sources(tmp_path: Path) -> None:
    archive = tmp_path / "audience.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.write(SAMPLES[1], "mailchimp_export.csv")
        z.writestr("readme.txt.md", "not read")
    (profile,) = inspect([archive], InspectOptions()).files
    assert (profile.name, profile.preset, profile.records) == ("audience.zip/mailchimp_export.csv", "mailchimp", 25)


def test_phone_region_not_inferred(tmp_path: Path) -> None:
    path = write(tmp_path / "local.csv", "phone\n0671234567\n0501112233\n")
    report = inspect([path], InspectOptions())
    assert report.region is None
    assert ("local.csv", "phone", "no_region") in codes(report)
    assert inspect([path], InspectOptions(region="UA")).files[0].columns[0].invalid == 0


def test_distinct_values_are_sampled_above_the_cap(tmp_path: Path) -> None:
    rows = "\n".join(f"u{n}@ukr.net" for n in range(LIBRARY_SAMPLE + 10))
    path = write(tmp_path / "big.csv", "email\n" + rows + "\n")
    email = inspect([path], InspectOptions()).files[0].columns[0]
    assert (email.sampled, email.checked, email.distinct, email.invalid) == (
        True,
        LIBRARY_SAMPLE,
        LIBRARY_SAMPLE + 10,
        0,
    )


# --- init ---------------------------------------------------------------------------------------


def run_outputs(paths: list[Path], out: Path, config: Path | None = None) -> dict[str, bytes]:
    run(paths, RunOptions(out=out, config=config, html=False))
    return {name: (out / name).read_bytes() for name in OUTPUTS}


def mixed_set(tmp_path: Path) -> list[Path]:
    """Sample data, every preset fixture there is, and a generic file with a multi-value split column."""
    generic = write(
        tmp_path / "crm.csv",
        "Customer ID,E-mail,Mobile,Subscribed,Notes\n"
        "C-100101,olenakoval@gmail.com,0671234567,yes,vip\n"
        "C-9,n/a,+380501112233,no,\n",
    )
    fixtures = sorted(PRESETS.glob("*/*.csv")) if PRESETS.is_dir() else []
    return [*SAMPLES, generic, *fixtures]


@pytest.mark.parametrize("which", ["sample_data", "mixed"])
def test_init_round_trip(tmp_path: Path, which: str) -> None:
    paths = SAMPLES if which == "sample_data" else mixed_set(tmp_path)
    config = tmp_path / "idmerge.toml"
    result = init(paths, InspectOptions(), config)
    assert config.read_text(encoding="utf-8") == result.text
    load_config(config)  # every key is one the loader knows
    assert run_outputs(paths, tmp_path / "auto") == run_outputs(paths, tmp_path / "configured", config)


def test_init_text(tmp_path: Path) -> None:
    text = init(SAMPLES, InspectOptions(), tmp_path / "idmerge.toml").text
    lines = text.splitlines()
    assert "# esputnik_export.csv: preset esputnik (eSputnik contacts export); layout from:" in lines
    assert 'region = "UA"   # inferred: the most common country among numbers written with +' in lines
    assert '"Email Address" = "email"' in lines
    assert '"LAST_CHANGED" = "updated_at"' in lines
    assert '"First Name" = "first_name"' in lines
    assert '# "TAGS" = "ignore"' in lines
    assert lines.count('"First Name" = "first_name"') == 1
    assert "[identifiers.external_id]" in lines and '# kind = "key"' in lines
    assert '# "Email" = ","   # suggested by inspect: 1 of 29 (3.4%) cells hold several emails' not in lines


def test_init_keeps_overrides_of_the_given_config(tmp_path: Path) -> None:
    given = write(
        tmp_path / "given.toml",
        'region = "PL"\nover_shared = 5\n[columns]\n"Notes" = "ignore"\n'
        '[identifiers.email]\nlimit = 3\nblocked = ["info@shop.ua"]\n[identifiers.loyalty]\nkind = "personal"\n'
        '[consent]\n"Opt" = { channel = "sms", read = "optin", values = { "Ja" = "subscribed" } }\n',
    )
    data = write(tmp_path / "crm.csv", "email,Opt,Loyalty\na@ukr.net,Ja,L1\n")
    out = tmp_path / "idmerge.toml"
    init([data], InspectOptions(config=given), out)
    config = load_config(out)
    assert (config.region, config.over_shared) == ("PL", 5)
    assert (config.identifier("email").limit, config.identifier("email").blocked) == (3, ("info@shop.ua",))
    assert config.identifier("loyalty").kind == "personal"
    assert config.consent["Opt"].values == (("ja", "subscribed"),)


def test_init_notes_headers_mapped_differently(tmp_path: Path) -> None:
    # Mailchimp's preset ignores EUID; in a generic file the header reads as a system id.
    generic = write(tmp_path / "other.csv", "Email Address,EUID\na@ukr.net,x1\n")
    audience = PRESETS / "mailchimp" / "subscribed_members_export_3f9a2c1b7e.csv"
    if not audience.is_file():
        pytest.skip("preset fixtures not present")
    result = init([audience, generic], InspectOptions(), tmp_path / "idmerge.toml")
    assert result.disagreements == (
        "'EUID': not mapped in subscribed_members_export_3f9a2c1b7e.csv, system_id in other.csv; "
        "no line is written, so each file keeps the mapping detected in it",
    )
    assert f"# NOTE {result.disagreements[0]}" in result.text.splitlines()


def test_init_refuses_to_overwrite(tmp_path: Path) -> None:
    out = write(tmp_path / "idmerge.toml", "# mine\n")
    with pytest.raises(OutputError, match="already exists; pass --force"):
        init(SAMPLES, InspectOptions(), out)
    assert out.read_text(encoding="utf-8") == "# mine\n"
    init(SAMPLES, InspectOptions(), out, force=True)
    assert out.read_text(encoding="utf-8").startswith("# idmerge.toml written by `idmerge init`")
    assert [p.name for p in tmp_path.iterdir()] == ["idmerge.toml"]  # no temporary file left


def test_config_text_quotes_awkward_headers(tmp_path: Path) -> None:
    path = write(tmp_path / "odd.csv", 'email,"Say ""hi"" \\ bye"\na@ukr.net,x\n')
    report = inspect([path], InspectOptions())
    text, _ = config_text(report, InspectOptions())
    target = tmp_path / "odd.toml"
    target.write_text(text, encoding="utf-8")
    load_config(target)
    assert '# "Say \\"hi\\" \\\\ bye" = "ignore"' in text.splitlines()


def test_copy_of_sample_keeps_the_preset(tmp_path: Path) -> None:
    copy = tmp_path / "copy.csv"
    shutil.copy(SAMPLES[0], copy)
    report = inspect([copy], InspectOptions(preset="esputnik"))
    assert report.files[0].preset == "esputnik"
