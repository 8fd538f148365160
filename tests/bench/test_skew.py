"""bench/skew.py measured for real: a value planted on K records of a small generated export, idmerge run on each."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from tests.bench.helpers import load_script

SKEW = Path(__file__).resolve().parents[2] / "bench" / "skew.py"
RECORDS = 3000


def _skew(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SKEW), "--records", str(RECORDS), "--quiet", "--data", str(tmp_path / "d"), *args],
        capture_output=True,
        text=True,
        timeout=300,
    )


def _rows(con: duckdb.DuckDBPyConnection, path: Path) -> list[tuple]:
    """Every row of an export with its position, read in file order."""
    con.execute("SET threads = 1")
    reader = (
        f"read_parquet('{path}')"
        if path.suffix == ".parquet"
        else f"read_csv('{path}', delim = ';', header = true, all_varchar = true)"
    )
    return con.execute(f"SELECT * FROM {reader}").fetchall()


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_planted_export_differs_only_in_the_planted_cells_of_keyed_records(tmp_path: Path, fmt: str) -> None:
    skew = load_script("skew")
    data = tmp_path / "d"
    skew.bench.generate.generate(RECORDS, 42, data, fmt)
    base, out = data / f"esputnik.{fmt}", tmp_path / f"planted.{fmt}"
    skew.plant(base, out, "Phone Number", "+380449990011", 40, 42)
    con = duckdb.connect()
    before, after = _rows(con, base), _rows(con, out)
    assert len(after) == len(before)
    phone, key = 3, 1  # Contact ID;External ID;Email;Phone Number;...
    changed = [i for i, (a, b) in enumerate(zip(before, after, strict=True)) if a != b]
    assert len(changed) == 40
    for i in changed:
        assert after[i][phone] == "+380449990011"
        assert after[i][key]  # every carrier is a keyed customer
        assert after[i][:phone] + after[i][phone + 1 :] == before[i][:phone] + before[i][phone + 1 :]
    # the same seed chooses the same carriers
    skew.plant(base, tmp_path / f"again.{fmt}", "Phone Number", "+380449990011", 40, 42)
    assert (tmp_path / f"again.{fmt}").read_bytes() == out.read_bytes()


def test_each_number_of_carriers_is_timed_and_its_finding_checked(tmp_path: Path) -> None:
    result = _skew(
        tmp_path, "--carriers", "200,25", "--identifiers", "phone,cookie", "--json", str(tmp_path / "s.json")
    )
    assert result.returncode == 0, result.stderr
    doc = json.loads((tmp_path / "s.json").read_text())
    rows = doc["results"]
    assert [(r["identifier"], r["carriers"]) for r in rows] == [
        ("phone", 25),
        ("phone", 200),
        ("cookie", 25),
        ("cookie", 200),
    ]
    for r in rows:
        assert "error" not in r
        assert r["records_per_s"] == round(RECORDS / r["wall_s"])
        assert set(r["stages"]) >= {"load", "link", "contacts"}
        assert len(r["runs"]) == 1
    assert [r["ratio_to_fewest"] for r in rows if r["carriers"] == 25] == [1.0, 1.0]
    assert rows[1]["ratio_to_fewest"] == round(rows[1]["wall_s"] / rows[0]["wall_s"], 2)
    assert result.stdout.splitlines()[0].startswith("| identifier | carriers | wall |")
    assert "| phone | 200 |" in result.stdout


def test_a_planted_value_that_is_not_over_shared_fails_its_row_and_leaves_the_others_without_a_ratio(
    tmp_path: Path,
) -> None:
    # Above 100 customers a value is over-shared: 30 carriers are too few, 200 are not.
    config = tmp_path / "idmerge.toml"
    config.write_text("over_shared = 100\n")
    result = _skew(
        tmp_path,
        "--carriers",
        "30,200",
        "--identifiers",
        "phone",
        "--idmerge-arg=--config",
        f"--idmerge-arg={config}",
        "--json",
        str(tmp_path / "s.json"),
    )
    assert result.returncode == 1, result.stderr
    few, many = json.loads((tmp_path / "s.json").read_text())["results"]
    assert few["error"].startswith("expected one over_shared finding of 30 records, found [")
    assert "FAILED: expected one over_shared finding of 30 records" in result.stdout
    assert "error" not in many and many["wall_s"] > 0
    # no ratio to a run that failed
    assert many["ratio_to_fewest"] is None
    assert result.stdout.splitlines()[3].startswith("| phone | 200 | ") and result.stdout.splitlines()[3].endswith(
        " | — |"
    )


def test_more_carriers_than_keyed_records_is_a_clear_error(tmp_path: Path) -> None:
    result = _skew(tmp_path, "--carriers", "100,100000", "--identifiers", "phone")
    assert result.returncode == 2
    assert result.stderr.startswith("error: esputnik.csv: only ")
    assert "fewer than 100,000 carriers; use fewer --carriers or more --records" in result.stderr
    assert "Traceback" not in result.stderr


def test_carriers_at_or_below_the_over_shared_threshold_are_refused(tmp_path: Path) -> None:
    result = _skew(tmp_path, "--carriers", "20,100")
    assert result.returncode == 2
    assert "--carriers must be above 20" in result.stderr


def test_unknown_identifiers_and_carriers_that_are_not_numbers_are_refused(tmp_path: Path) -> None:
    unknown = _skew(tmp_path, "--identifiers", "phone,fax")
    assert unknown.returncode == 2
    assert "unknown identifier(s): fax (choose from phone, email, cookie, device_id)" in unknown.stderr
    words = _skew(tmp_path, "--carriers", "100,many")
    assert words.returncode == 2
    assert "--carriers must be numbers, not '100,many'" in words.stderr


def test_an_idmerge_command_that_cannot_be_found_is_a_clear_error(tmp_path: Path) -> None:
    result = _skew(tmp_path, "--idmerge", str(tmp_path / "no-such-idmerge"))
    assert result.returncode == 2
    assert result.stderr == (
        f"error: '{tmp_path / 'no-such-idmerge'}' was not found; install the project or pass --idmerge\n"
    )
