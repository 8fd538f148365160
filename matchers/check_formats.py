"""The formats CI reads from ``idmerge check``: JSON, JUnit XML, GitHub annotations and step summary.

All of them are built from a :class:`~matchers.check.CheckReport`, whose
examples are already masked unless the user asked for the values, so nothing
here sees personal data it should not print. Files are written under a
temporary name and renamed into place, so a reader never sees half a report.

The JUnit XML follows the shape pytest writes and Jenkins, GitLab and the
common GitHub test-report actions read: ``testsuites`` > ``testsuite``
(``name``, ``tests``, ``failures``, ``errors``, ``skipped``, ``time``) >
one ``testcase`` per check, with ``failure`` for a check that fails the gate
and ``skipped`` for a check with no threshold.
"""

from __future__ import annotations

import json
import os
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from matchers.check import CheckReport, CheckResult, Status, describe_threshold, format_measured, printable
from matchers.errors import OutputError

#: GitHub shows at most this many annotations of each level per step.
MAX_ANNOTATIONS = 10
STATUSES: tuple[Status, ...] = ("fail", "warn", "pass", "skip")
SUITE = "idmerge check"
CLASSNAME = "idmerge.check"


def check_writable(path: Path, option: str) -> None:
    """Refuse, before any work, an output path that cannot be written."""
    if path.is_dir():
        raise OutputError(f"{path}: is a folder; give {option} a file name")
    if not path.parent.is_dir():
        raise OutputError(f"{path}: the folder {path.parent} does not exist; create it or choose another {option} path")


def _write(path: Path, text: str, option: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise OutputError(f"{path}: cannot write the {option} file ({exc.strerror}); check the folder") from None


# --- JSON --------------------------------------------------------------------------------------


def _number(value: float, unit: str) -> float | int:
    return float(value) if unit == "rate" else int(value)


def check_json(result: CheckResult) -> dict[str, Any]:
    """One check as JSON: threshold, measured figure, status and why."""
    figure, unit = result.figure, result.unit
    return {
        "name": result.name,
        "status": result.status,
        "meaning": result.meaning,
        "unit": unit,
        "direction": result.direction,
        "threshold": {
            level: None if limit is None else _number(limit, unit)
            for level, limit in (("warn", result.threshold.warn), ("error", result.threshold.error))
        },
        "threshold_text": describe_threshold(result.threshold, unit, result.direction),
        "measured": _number(figure.value, unit),
        "numerator": figure.numerator,
        "denominator": figure.denominator,
        "baseline": None if result.baseline is None else _number(result.baseline, unit),
        "message": result.message,
        "examples": list(figure.examples),
    }


def report_json(report: CheckReport) -> dict[str, Any]:
    """The whole check as JSON; the same document serves as a ``--baseline`` later."""
    return {
        "tool": "idmerge",
        "command": "check",
        "version": report.version,
        "outcome": report.outcome,
        "passed": report.passed,
        "fail_on": report.fail_on,
        "values_masked": report.masked,
        "baseline": report.baseline,
        "inputs": [printable(p) for p in report.inputs],
        "records": report.records,
        "contacts": report.contacts,
        "counts": {status: report.count(status) for status in STATUSES},
        "checks": [check_json(r) for r in report.results],
        "started_at": report.started_at,
        "seconds": report.seconds,
    }


def write_json(report: CheckReport, path: Path) -> None:
    _write(path, json.dumps(report_json(report), indent=2, ensure_ascii=False) + "\n", "--json")


# --- JUnit XML ---------------------------------------------------------------------------------

#: Characters XML 1.0 cannot hold, even escaped.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _xml(text: str) -> str:
    return _NOT_XML.sub("\ufffd", text)


def _details(result: CheckResult) -> str:
    """The message, figure, threshold and examples of a check, one per line."""
    lines = [
        result.message,
        f"measured: {format_measured(result)}; threshold: "
        + describe_threshold(result.threshold, result.unit, result.direction),
        *(f"  {e}" for e in result.figure.examples),
    ]
    return _xml("\n".join(printable(line) for line in lines))


def junit_xml(report: CheckReport) -> str:
    """JUnit XML with one test case per check; a check that fails the gate is a failure."""
    failing = {r.name for r in report.failing}
    counts = {
        "tests": str(len(report.results)),
        "failures": str(len(failing)),
        "errors": "0",
    }
    seconds = f"{report.seconds:.3f}"
    root = ET.Element("testsuites", {"name": SUITE, **counts, "time": seconds})
    suite = ET.SubElement(
        root,
        "testsuite",
        {"name": SUITE, **counts, "skipped": str(report.count("skip")), "time": seconds},
    )
    if report.started_at:
        suite.set("timestamp", report.started_at)
    properties = ET.SubElement(suite, "properties")
    for name, value in (
        ("idmerge_version", report.version),
        ("inputs", " ".join(report.inputs)),
        ("records", str(report.records)),
        ("contacts", str(report.contacts)),
        ("fail_on", report.fail_on),
        ("values_masked", str(report.masked).lower()),
        ("baseline", report.baseline or ""),
    ):
        ET.SubElement(properties, "property", {"name": name, "value": _xml(printable(value))})
    for result in report.results:
        case = ET.SubElement(suite, "testcase", {"classname": CLASSNAME, "name": result.name, "time": "0.000"})
        if result.status == "skip":
            ET.SubElement(case, "skipped", {"message": _xml(f"no threshold set; {result.message}")})
            continue
        if result.name in failing:
            failure = ET.SubElement(
                case,
                "failure",
                {
                    "type": "error" if result.status == "fail" else "warning",
                    "message": _xml(
                        f"{result.message} ({describe_threshold(result.threshold, result.unit, result.direction)})"
                    ),
                },
            )
            failure.text = _details(result)
        else:
            output = ET.SubElement(case, "system-out")
            output.text = f"{result.status}: {_details(result)}"
    ET.indent(root)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def write_junit(report: CheckReport, path: Path) -> None:
    _write(path, junit_xml(report), "--junit")


# --- GitHub Actions ----------------------------------------------------------------------------


def _command_data(text: str) -> str:
    """Escape a workflow command's message (the runner turns these back)."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _command_property(text: str) -> str:
    return _command_data(text).replace(":", "%3A").replace(",", "%2C")


def github_annotations(report: CheckReport) -> list[str]:
    """``::error``/``::warning`` workflow commands for failed and warning checks, at most
    :data:`MAX_ANNOTATIONS` of each (GitHub shows no more); a ``::notice`` says how many were left out."""
    lines: list[str] = []
    for status, command in (("fail", "error"), ("warn", "warning")):
        results = [r for r in report.results if r.status == status]
        for result in results[:MAX_ANNOTATIONS]:
            title = _command_property(f"idmerge check: {result.name}")
            lines.append(f"::{command} title={title}::{_command_data(_details(result))}")
        if len(results) > MAX_ANNOTATIONS:
            left = len(results) - MAX_ANNOTATIONS
            lines.append(f"::notice title=idmerge check::{left} more {command}s; see the job summary or --json report")
    return lines


_MARKDOWN = re.compile(r"([\\`*_\[\]<>|~])")
_ICONS = {"fail": "\u274c fail", "warn": "\u26a0\ufe0f warn", "pass": "\u2705 pass", "skip": "off"}


def _md(text: str) -> str:
    """Text from user files made inert in Markdown (and in the HTML GitHub allows in it)."""
    return _MARKDOWN.sub(r"\\\1", printable(text))


def step_summary(report: CheckReport) -> str:
    """A Markdown job summary: the outcome, the checks table, and what lies behind each problem."""
    verdict = {"fail": "failed", "warn": "passed with warnings", "pass": "passed"}[report.outcome]
    files = ", ".join(_md(p) for p in report.inputs)
    lines = [
        f"### idmerge check {verdict}",
        "",
        f"{report.records:,} records, {report.contacts:,} contacts in {files}. "
        + ("Values are masked." if report.masked else "Values are shown unmasked (--show-values)."),
        "",
        "| status | check | measured | threshold |",
        "|---|---|---|---|",
    ]
    for r in report.results:
        threshold = describe_threshold(r.threshold, r.unit, r.direction)
        lines.append(f"| {_ICONS[r.status]} | `{r.name}` | {_md(format_measured(r))} | {_md(threshold)} |")
    for r in report.results:
        if r.status in ("fail", "warn"):
            lines += ["", f"**`{r.name}`**: {_md(r.message)}"]
            lines += [f"- {_md(e)}" for e in r.figure.examples]
    return "\n".join(lines) + "\n\n"


def append_step_summary(report: CheckReport, path: Path) -> None:
    """Add the summary to ``$GITHUB_STEP_SUMMARY`` (a file other steps write to as well)."""
    try:
        with path.open("a", encoding="utf-8") as fh:
            fh.write(step_summary(report))
    except OSError as exc:
        raise OutputError(
            f"{path}: cannot append the job summary ({exc.strerror}); check GITHUB_STEP_SUMMARY"
        ) from None
