"""IDMERGE_TRACE: each statement's seconds, CPU seconds and opening words, and no data."""

from __future__ import annotations

from pathlib import Path

import pytest

from matchers.db import TRACE_ENV
from tests.engine.helpers import resolve_rows


def test_trace_has_seconds_cpu_seconds_and_words_of_each_statement_and_no_values(
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
    assert len(lines) > 50
    fields = [line.split("\t") for line in lines]
    assert {len(f) for f in fields} == {3}
    assert all(float(seconds) >= 0 and float(cpu) >= 0 for seconds, cpu, _ in fields)
    assert any(words.startswith("CREATE OR REPLACE TABLE screened AS") for _, _, words in fields)
    text = trace.read_text(encoding="utf-8")
    for secret in ("E-7781", "olena.secret", "671234567"):
        assert secret not in text
