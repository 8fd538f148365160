"""IDMERGE_TRACE: each statement's seconds, CPU seconds, the process's peak memory so far
and opening words, the start of each stage, and no data."""

from __future__ import annotations

from pathlib import Path

import pytest

from matchers.db import TRACE_ENV, TRACE_MARK
from matchers.pipeline import STAGES
from tests.engine.helpers import resolve_rows


def test_trace_has_seconds_cpu_seconds_peak_and_words_of_each_statement_each_stage_and_no_values(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    trace = tmp_path / "trace.txt"
    monkeypatch.setenv(TRACE_ENV, str(trace))
    rows = [
        {"external_id": "E-7781", "email": "olena.secret@example.ua", "phone": "+380671234567"},
        {"external_id": "E-7782", "email": "olena.secret@example.ua", "phone": "0671234567"},
    ]
    resolve_rows(tmp_path, rows)
    lines = trace.read_text(encoding="utf-8").splitlines()
    marks = [line for line in lines if line.startswith(TRACE_MARK)]
    assert marks == [f"{TRACE_MARK}stage {name}" for name in STAGES]
    assert lines[0] == marks[0]
    # the findings are made in the contacts stage, the merged rows written in the write stage
    staged, stage = [], ""
    for line in lines:
        if line.startswith(TRACE_MARK):
            stage = line.removeprefix(f"{TRACE_MARK}stage ")
        else:
            staged.append((stage, line.split("\t")[3]))
    assert {s for s, words in staged if words.startswith("CREATE OR REPLACE TABLE findings AS")} == {"contacts"}
    assert {s for s, words in staged if words.startswith('COPY (SELECT * FROM "contacts_part')} == {"write"}
    statements = [line for line in lines if not line.startswith(TRACE_MARK)]
    assert len(statements) > 50
    fields = [line.split("\t") for line in statements]
    assert {len(f) for f in fields} == {4}
    assert all(float(seconds) >= 0 and float(cpu) >= 0 for seconds, cpu, _, _ in fields)
    # The peak so far, in MB: never falls, and is at least the interpreter's own.
    peaks = [int(peak) for _, _, peak, _ in fields]
    assert peaks == sorted(peaks) and peaks[0] >= 10
    assert any(words.startswith("CREATE OR REPLACE TABLE screened AS") for _, _, _, words in fields)
    text = trace.read_text(encoding="utf-8")
    for secret in ("E-7781", "olena.secret", "671234567"):
        assert secret not in text
