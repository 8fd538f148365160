"""Shared helpers for the CLI tests: run the real ``idmerge`` on real files in ``tmp_path``.

Typer's runner (0.26+) keeps stdout and stderr apart, so a test can pin that an
error is exactly one line on stderr and that data went to stdout or files only.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from cli.main import app

#: Rich may colour output when CI sets FORCE_COLOR; the tests read plain text.
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def plain(text: str) -> str:
    return _ANSI.sub("", text)


@dataclass
class Outcome:
    """What one ``idmerge`` invocation did."""

    result: Result
    out: Path

    @property
    def exit_code(self) -> int:
        return self.result.exit_code

    @property
    def stdout(self) -> str:
        return plain(self.result.stdout)

    @property
    def stderr(self) -> str:
        return plain(self.result.stderr)

    def error_line(self) -> str:
        """The one error line on stderr, after checking it is one line and no traceback."""
        assert "Traceback" not in self.stdout + self.stderr
        assert self.result.exception is None or isinstance(self.result.exception, SystemExit), (
            f"uncaught {self.result.exception!r}"
        )
        lines = self.stderr.splitlines()
        assert len(lines) == 1, f"expected one line on stderr, got {self.stderr!r}"
        return lines[0]

    def ok(self) -> Outcome:
        """Assert a clean success (exit 0, no exception, no traceback) and return self."""
        assert self.exit_code == 0, f"exit {self.exit_code}; stderr: {self.stderr!r}"
        assert self.result.exception is None, f"uncaught {self.result.exception!r}"
        assert "Traceback" not in self.stdout + self.stderr
        return self

    def rows(self, name: str) -> list[dict[str, str]]:
        """Rows of an output CSV (UTF-8)."""
        with (self.out / name).open(newline="", encoding="utf-8") as fh:
            return list(csv.DictReader(fh))

    def groups(self) -> list[set[tuple[str, int]]]:
        """Contacts as sets of (source, row) from membership.csv, sorted."""
        by_contact: dict[str, set[tuple[str, int]]] = {}
        for m in self.rows("membership.csv"):
            by_contact.setdefault(m["contact_id"], set()).add((m["source"], int(m["row"])))
        return sorted(by_contact.values(), key=min)

    def contacts_by(self, column: str) -> dict[str, dict[str, str]]:
        """contacts.csv keyed by one column's value."""
        return {c[column]: c for c in self.rows("contacts.csv")}


class Idmerge:
    """Writes input files into ``tmp_path`` and invokes ``idmerge run`` on them."""

    def __init__(self, tmp_path: Path) -> None:
        self.tmp = tmp_path
        self.out = tmp_path / "out"
        self.runner = CliRunner(env={"COLUMNS": "200"})

    def file(self, name: str, content: str | bytes, encoding: str = "utf-8") -> Path:
        """Write an input file byte for byte (``str`` content is encoded, newlines kept)."""
        path = self.tmp / name
        path.write_bytes(content if isinstance(content, bytes) else content.encode(encoding))
        return path

    def invoke(self, *args: str) -> Result:
        return self.runner.invoke(app, list(args))

    def run(self, *args: str | Path, out: Path | None = None) -> Outcome:
        """``idmerge run ARGS --out OUT`` (OUT defaults to ``tmp_path/out``)."""
        target = out or self.out
        result = self.invoke("run", *(str(a) for a in args), "--out", str(target))
        return Outcome(result, target)


@pytest.fixture
def idmerge(tmp_path: Path) -> Idmerge:
    return Idmerge(tmp_path)
