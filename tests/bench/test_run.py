"""bench/run.py measured for real: the generator, idmerge and the references on a small generated file."""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
from pathlib import Path

from matchers.pipeline import STAGES
from tests.bench.helpers import load_script

RUN = Path(__file__).resolve().parents[2] / "bench" / "run.py"


def _bench(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(RUN), "--sizes", "2000", "--no-splink", "--quiet", "--data", str(tmp_path / "d"), *args],
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_repeat_reports_the_median_of_runs_that_take_turns(tmp_path: Path) -> None:
    result = _bench(tmp_path, "--repeat", "3", "--json", str(tmp_path / "r.json"), "--work", str(tmp_path / "work"))
    assert result.returncode == 0, result.stderr
    row = json.loads((tmp_path / "r.json").read_text())["results"][0]
    assert row["repeat"] == 3
    for name, wall, peak in (
        ("idmerge", "wall_s", "peak_rss_mb"),
        ("floor", "floor_s", "floor_rss_mb"),
        ("cc", "cc_s", "cc_rss_mb"),
    ):
        runs = row["runs"][name]
        assert len(runs["wall_s"]) == 3 and len(runs["peak_rss_mb"]) == 3
        assert row[wall] == round(statistics.median(runs["wall_s"]), 3)
        assert row[peak] == round(statistics.median(runs["peak_rss_mb"]), 1)
    assert row["records_per_s"] == round(2000 / row["wall_s"])
    assert row["ratio_to_floor"] == round(row["wall_s"] / row["floor_s"], 2)
    # every run of every command left its own log, in turn
    logs = sorted(p.name for p in (tmp_path / "work" / "n2000_csv").glob("*.log"))
    assert logs == sorted(f"{n}.{k}.log" for n in ("idmerge", "floor", "cc") for k in (1, 2, 3))
    # scored once: the outputs of every run are the same
    assert row["precision"] == 1.0 and 0 < row["recall"] <= 1
    # the median run's slowest stage, statement by statement, from its trace
    traces = sorted(p.name for p in (tmp_path / "work" / "n2000_csv").glob("*.trace.txt"))
    assert traces == [f"idmerge.{k}.trace.txt" for k in (1, 2, 3)]
    profile = row["profile"]
    assert profile["stage"] in STAGES
    seconds = [s["seconds"] for s in profile["statements"]]
    assert 0 < len(seconds) <= 10 and seconds == sorted(seconds, reverse=True)
    assert sum(seconds) <= profile["statements_s"] + 0.01
    assert f"slowest stage at 2,000 records (csv): {profile['stage']}" in result.stdout
    assert profile["peak"]["mb"] > 0 and profile["peak"]["stage"] in STAGES
    assert f"  peak {profile['peak']['mb']:,} MB, reached in {profile['peak']['stage']}" in result.stdout


def test_one_run_keeps_no_list_of_runs(tmp_path: Path) -> None:
    result = _bench(tmp_path, "--json", str(tmp_path / "r.json"), "--no-cc")
    assert result.returncode == 0, result.stderr
    row = json.loads((tmp_path / "r.json").read_text())["results"][0]
    assert row["repeat"] == 1 and "runs" not in row
    assert row["wall_s"] > 0 and row["floor_s"] > 0 and "cc_s" not in row


def test_repeat_below_one_is_refused(tmp_path: Path) -> None:
    result = _bench(tmp_path, "--repeat", "0")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1].endswith("error: --repeat must be at least 1")


def test_profile_takes_the_stage_whose_statements_took_longest_and_counts_ranges_as_one(tmp_path: Path) -> None:
    trace = tmp_path / "trace.txt"
    trace.write_text(
        "# stage load\n"
        "    2.000\t    3.000\t    400\tCREATE OR REPLACE TABLE src_0_raw AS SELECT\n"
        "    0.100\t    0.100\t    650\tCREATE OR REPLACE TABLE screened AS SELECT 12\n"
        "# stage write\n"
        '    0.500\t    0.900\t    650\tCOPY (SELECT * FROM "contacts_part1" ORDER BY contact_id)\n'
        '    0.700\t    1.300\t    650\tCOPY (SELECT * FROM "contacts_part12" ORDER BY contact_id)\n'
        "    1.000\t    1.500\t    650\tCOPY (SELECT source FROM membership)\n"
        "    0.001\t    0.001\t    650\tDROP TABLE x\n",
        encoding="utf-8",
    )
    profile = load_script("run").stage_profile(trace)
    assert profile == {
        "stage": "write",
        "statements_s": 2.201,
        "statements": [
            {
                "statement": 'COPY (SELECT * FROM "contacts_part#" ORDER BY contact_id)',
                "count": 2,
                "seconds": 1.2,
                "cpu_s": 2.2,
            },
            {"statement": "COPY (SELECT source FROM membership)", "count": 1, "seconds": 1.0, "cpu_s": 1.5},
            {"statement": "DROP TABLE x", "count": 1, "seconds": 0.001, "cpu_s": 0.001},
        ],
        # the statement that first reached the run's peak, and how far it rose in it
        "peak": {
            "mb": 650,
            "stage": "load",
            "statement": "CREATE OR REPLACE TABLE screened AS SELECT #",
            "rise_mb": 250,
        },
    }
