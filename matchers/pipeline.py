"""The pipeline: files -> records -> identifier values -> links -> contacts -> outputs.

:func:`resolve` runs the stages in one DuckDB database and returns it with the
figures; :func:`run` also writes the outputs. Both are what the CLI calls, and
both work from Python::

    from matchers import run, RunOptions
    result = run([Path("a.csv"), Path("b.csv")], RunOptions(out=Path("result")))
    print(result.summary.contacts)
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from matchers import __version__, graph
from matchers.config import Config, describe, load_config
from matchers.consent import build_consent, merge_consent
from matchers.db import Database, q
from matchers.html_report import build_html
from matchers.link import link_all
from matchers.load import LoadOptions, Source, drop_source, keep_columns, load_sources
from matchers.normalise import build_records, build_values
from matchers.preset import Preset
from matchers.report import Summary, build_findings, summarise
from matchers.screen import screen_values
from matchers.survive import assign_contacts, build_contact_data, build_contacts, data_positions, hash_rows, layout
from matchers.target import import_layout, write_import
from matchers.write import Format, check_output_dir, write_outputs

STAGES = ("load", "normalise", "screen", "link", "contacts", "report", "write")
#: Each stage's share of a run's time, measured by bench/run.py at 1M and 4.5M records
#: (the mean of the two, rounded); ETAs are estimated from it.
STAGE_WEIGHTS = {
    "load": 0.03,
    "normalise": 0.08,
    "screen": 0.13,
    "link": 0.19,
    "contacts": 0.30,
    "report": 0.01,
    "write": 0.26,
}
#: The same for ``idmerge check``: resolving without the merged rows and writing nothing
#: (measured by traces of ``check`` at 1M and 4.5M records, the mean of the two, rounded).
CHECK_STAGE_WEIGHTS = {
    "load": 0.06,
    "normalise": 0.15,
    "screen": 0.24,
    "link": 0.35,
    "contacts": 0.18,
    "report": 0.02,
}


@dataclass(frozen=True)
class Stage:
    """What a progress display is told at the start of each stage."""

    name: str
    number: int
    total: int
    #: input records (0 until the files are loaded)
    records: int
    #: the share of the run's work done before this stage (by :data:`STAGE_WEIGHTS`)
    done: float
    #: seconds since the run started
    elapsed: float

    @property
    def records_per_second(self) -> float | None:
        """Records the run has got through per second so far (None before any work is measured)."""
        if not self.records or self.done <= 0 or self.elapsed <= 0:
            return None
        return self.records * self.done / self.elapsed

    @property
    def eta(self) -> float | None:
        """Seconds the rest of the run should take at the speed so far (None until it can be told)."""
        if self.done <= 0 or self.elapsed <= 0:
            return None
        return self.elapsed / self.done * (1 - self.done)


#: Called at the start of each stage.
Progress = Callable[[Stage], None]


def _stage(name: str, records: int, started: float, weights: dict[str, float] = STAGE_WEIGHTS) -> Stage:
    """The stage ``name`` of a job whose stages and shares are ``weights``."""
    stages = list(weights)
    number = stages.index(name) + 1
    done = sum(weights[s] for s in stages[: number - 1])
    return Stage(name, number, len(stages), records, done, time.perf_counter() - started)


@dataclass(frozen=True)
class RunOptions:
    out: Path | None = None
    format: Format | None = None
    force: bool = False
    config: Path | None = None
    region: str | None = None
    encoding: str | None = None
    delimiter: str | None = None
    skip_bad_rows: bool = False
    #: read every input as this export preset (None: detected per file)
    preset: str | None = None
    #: sources whose values survive first (file names or preset names)
    prefer: tuple[str, ...] = ()
    #: also write contacts in this target's import layout (a preset with an [import] table)
    to: str | None = None
    #: split target import files below this many bytes (None: the target's own limit)
    split_bytes: int | None = None
    memory_limit: str | None = None
    temp_dir: Path | None = None
    #: Write report.html next to the other outputs.
    html: bool = True
    #: Show identifier values unmasked in report.html.
    show_values: bool = False


@dataclass
class Resolution:
    """A resolved run: the database holding every stage's tables, and its figures."""

    db: Database
    config: Config
    sources: list[Source]
    summary: Summary
    timings: dict[str, float] = field(default_factory=dict)
    #: the preset whose import layout ``--to`` asked for
    target: Preset | None = None


@dataclass
class RunResult:
    summary: Summary
    sources: list[Source]
    outputs: list[Path]
    timings: dict[str, float]
    report: dict[str, Any]


def no_progress(stage: Stage) -> None:
    """The progress callback that shows nothing."""
    return None


def resolve(
    paths: list[Path], options: RunOptions, progress: Progress = no_progress, *, merged_rows: bool = True
) -> Resolution:
    """Load, normalise, screen, link and survive; no files written.

    Without ``merged_rows`` the contacts are named, their findings and
    figures made, but not their merged rows (the ``contacts`` view and its
    tables): ``idmerge check`` reads none of them, and at 4.5M records they
    are about a quarter of the time before writing.
    """
    config = load_config(options.config, region=options.region, preset=options.preset, prefer=options.prefer)
    target = import_layout(options.to) if options.to else None
    db = Database(
        memory_limit=options.memory_limit,
        temp_dir=str(options.temp_dir) if options.temp_dir else None,
    )
    timings: dict[str, float] = {}
    clock = started = time.perf_counter()
    records = 0
    weights = STAGE_WEIGHTS if merged_rows else CHECK_STAGE_WEIGHTS

    def stage(name: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        if timings or name != STAGES[0]:
            previous = STAGES[STAGES.index(name) - 1]
            timings[previous] = round(now - clock, 3)
        clock = now
        db.mark(f"stage {name}")
        progress(_stage(name, records, started, weights))

    with tempfile.TemporaryDirectory(prefix="idmerge-", dir=options.temp_dir) as workdir:
        stage("load")
        sources = load_sources(
            db,
            paths,
            config,
            LoadOptions(options.encoding, options.delimiter, options.skip_bad_rows),
            Path(workdir),
        )
        records = sum(s.records for s in sources)
        stage("normalise")
        unreadable = build_records(db, sources, config.prefer)
        normalised = build_values(db, sources, config)
        unreadable_statuses = build_consent(db, sources)
    stage("screen")
    # Once vals is a table, the normalised forms it was joined from are read no more.
    screen_values(db, config, free=NORMALISING_TABLES)
    stage("link")
    graph.prepare(db, config)
    # Of the input files' rows, only the columns the merged rows take are read
    # from here on, and the content of records that may make a contact with no
    # value of its own: that is hashed now, and the rest let go before linking.
    lay = layout(config, sources)
    hash_rows(db, sources)
    for source in sources:
        keep_columns(db, source, data_positions(source, lay))
    merges = link_all(db, config)
    stage("contacts")
    # Survivorship reads none of the linking tables but these few, which name
    # the contacts: the memory of the others serves it instead.
    _drop_tables(db, tuple(t for t in LINKING_TABLES if t not in NAMING_TABLES))
    assign_contacts(db, sources)
    merge_consent(db)
    _drop_tables(db, NAMING_TABLES)
    # The findings need the contacts' ids but not their merged rows: made now,
    # their working memory is not held beside the merged rows' tables.
    build_findings(db)
    if merged_rows:
        build_contact_data(db, sources, lay)
    # Nothing reads the input tables, recs or grp after that: the rest of survivorship
    # gets their memory (grp: 118 MB at 4.5M records, held until the outputs were written).
    for source in sources:
        drop_source(db, source)
    _drop_tables(db, ("recs", "grp"))
    if merged_rows:
        build_contacts(db, config, lay, phone_norm=target is not None)
    _drop_tables(db, WORKING_TABLES)
    stage("report")
    summary = summarise(
        db,
        config,
        sources,
        merges,
        unreadable_dates=unreadable,
        unreadable_statuses=unreadable_statuses,
        region=normalised.region,
        region_inferred=normalised.region_inferred,
        phones_without_region=normalised.phones_without_region,
    )
    timings["report"] = round(time.perf_counter() - clock, 3)
    return Resolution(db, config, sources, summary, timings, target)


#: Tables only linking needs; dropped once contacts are assigned.
LINKING_TABLES = (
    "sv",
    "uv",
    "lone_vals",
    "moved",
    "limits",
    "anchors",
    "row_hash",
    "edges",
    "comp_g",
    "comp_v",
    "node_g",
    "node_v",
    "cand",
    "verdict",
    "passing",
    "regroup",
    "dev",
    "gident",
    "contested",
    "losers",
    "owners",
    "key_recs",
    "identified",
    "hubs",
)
#: Each distinct email and phone with its normalised form; read until screening makes vals a table.
NORMALISING_TABLES = ("email_norm", "phone_norm")
#: The linking tables that naming the contacts (``assign_contacts``) reads or makes. It drops
#: lone_vals, anchors and row_hash itself as soon as it has read them (they are held at
#: one of the run's highest points of memory); the rest are dropped after it.
NAMING_TABLES = ("sv", "lone_vals", "limits", "anchors", "row_hash")
#: Tables only linking and survivorship need; dropped before the report so their memory serves the rest.
WORKING_TABLES = (*LINKING_TABLES, "rg", "cstatus", "consent_words", "unowned")


def _drop_tables(db: Database, names: tuple[str, ...]) -> None:
    """Free tables the later stages do not read."""
    for name in names:
        db.run(f"DROP TABLE IF EXISTS {q(name)}")


def run(paths: list[Path], options: RunOptions, progress: Progress = no_progress) -> RunResult:
    """Resolve the inputs and write every output into ``options.out``."""
    if options.out is None:
        raise ValueError("run() needs RunOptions.out")
    check_output_dir(options.out, force=options.force)
    started = time.perf_counter()
    resolution = resolve(paths, options, progress)
    fmt: Format = options.format or ("parquet" if resolution.sources[0].format == "parquet" else "csv")
    resolution.db.mark("stage write")
    progress(_stage("write", resolution.summary.records, started))
    write_started = time.perf_counter()
    timings = dict(resolution.timings)
    report = build_report(resolution, timings, started)
    try:
        html = (
            build_html(resolution.db, report, out=options.out, show_values=options.show_values)
            if options.html
            else None
        )
        outputs = write_outputs(
            resolution.db,
            options.out,
            fmt,
            report,
            resolution.sources,
            html,
            extra=(lambda writer: write_import(resolution, writer, options.split_bytes)) if resolution.target else None,
        )
    finally:
        resolution.db.close()
    timings["write"] = round(time.perf_counter() - write_started, 3)
    return RunResult(resolution.summary, resolution.sources, outputs, timings, report)


def quality_figures(resolution: Resolution) -> dict[str, float]:
    """The figure of every ``idmerge check`` check, so a run's report can serve as a check baseline."""
    from matchers.check import measure  # check builds on this module

    return {name: figure.value for name, figure in measure(resolution, examples=False).figures.items()}


def build_report(resolution: Resolution, timings: dict[str, float], started: float) -> dict[str, Any]:
    """report.json's content: figures, inputs, settings, version and timings."""
    return {
        "tool": "idmerge",
        "version": __version__,
        "summary": resolution.summary.as_dict(),
        "inputs": [
            {
                "file": s.name,
                "format": s.format,
                "encoding": s.encoding,
                "delimiter": s.delimiter,
                "preset": s.preset,
                "sheet": s.sheet,
                "records": s.records,
                "rejected": s.rejected,
                "columns": [
                    {
                        "header": h,
                        "identifier": s.roles.get(i),
                        "field": s.fields.get(i),
                        "consent": s.consent[i].channel if i in s.consent else None,
                        "split": s.split.get(i),
                    }
                    for i, h in enumerate(s.headers)
                ],
            }
            for s in resolution.sources
        ],
        "settings": describe(resolution.config),
        "quality": quality_figures(resolution),
        "timings_s": {**timings, "total_before_write": round(time.perf_counter() - started, 3)},
    }
