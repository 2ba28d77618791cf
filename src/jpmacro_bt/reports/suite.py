"""Every strategy with its defaults, in parallel, into one suite folder with a comparison page.

:func:`run_suite` runs each strategy of a strategies folder in a pool of
worker processes sized to the cores this process may use; each worker calls
:func:`~jpmacro_bt.engine.run.run_strategy` and :func:`~jpmacro_bt.reports.runfolder.save_run`
and writes its run folder inside the suite. A strategy that fails (its data
cannot be loaded offline, a bad file, a bug) is recorded with its error,
and a bug with its traceback; the others go on. The suite folder
``reports/suite-<UTC time>/`` holds the run folders, ``index.html`` (see
:mod:`jpmacro_bt.reports.compare`), ``metrics.csv``, ``correlation.csv`` and
``suite.json`` (settings, command and each strategy's outcome). It is built
in a hidden folder and renamed into place when complete.

Workers are started with ``spawn``: a fresh interpreter per worker, so no
lock held by the parent's threads (the progress display) is inherited by a
forked child.
"""

from __future__ import annotations

import multiprocessing
import os
import shlex
import sys
import time
import traceback
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path

from jpmacro_bt.errors import JpMacroError, ReportError
from jpmacro_bt.files import atomic_folder, json_text, write_text
from jpmacro_bt.engine.run import RunSettings
from jpmacro_bt.reports.tearsheet import one_process_charts

__all__ = ["Outcome", "SuiteResult", "available_cores", "run_suite", "strategy_ids"]


@dataclass(frozen=True)
class Outcome:
    """What became of one strategy: its run folder's name, or its error (and a bug's traceback)."""

    strategy: str
    run: str | None = None
    error: str | None = None
    traceback: str | None = None
    seconds: float = 0.0
    warnings: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return self.run is not None


@dataclass(frozen=True)
class SuiteResult:
    folder: Path
    outcomes: list[Outcome]
    comparison: object  # jpmacro_bt.reports.compare.Comparison

    @property
    def page(self) -> Path:
        return self.folder / "index.html"

    @property
    def failed(self) -> list[Outcome]:
        return [o for o in self.outcomes if not o.ok]


def available_cores() -> int:
    """Cores this process may run on (its CPU affinity where the OS tells it)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def strategy_ids(strategies_dir: Path | None = None) -> list[str]:
    """Ids of the strategy files in the folder, without executing them (a broken file fails in its own worker)."""
    from jpmacro_bt.errors import StrategyError
    from jpmacro_bt.catalog import default_strategies_dir

    directory = strategies_dir or default_strategies_dir()
    if not directory.is_dir():
        raise StrategyError(f"strategies folder {str(directory)!r} does not exist; pass an existing folder to --strategies")
    return sorted(p.stem for p in directory.glob("*.py") if not p.name.startswith("_"))


def run_command(strategy: str, settings: RunSettings, strategies_dir: Path | None) -> list[str]:
    """The ``jpmacro-bt run`` command that makes the same run on its own (recorded in its manifest)."""
    argv = ["jpmacro-bt", "run", strategy]
    for flag, value in (("--start", settings.start), ("--end", settings.end), ("--source", settings.source), ("--data-dir", settings.data_dir), ("--strategies", strategies_dir)):
        if value is not None:
            argv += [flag, str(value)]
    return argv + (["--offline"] if settings.offline else [])


def run_one(strategy: str, strategies_dir: Path | None, settings: RunSettings, folder: Path, tearsheet: bool = True) -> Outcome:
    """Run one strategy with its defaults into ``folder``; never raises for a failing strategy (runs in a worker)."""
    from jpmacro_bt.engine.run import run_strategy
    from jpmacro_bt.reports.runfolder import save_run
    from jpmacro_bt.catalog import find

    began = time.perf_counter()
    try:
        spec = find(strategy, strategies_dir)
        result = run_strategy(spec, spec.build(), settings)
        path = save_run(result, folder, argv=run_command(strategy, settings, strategies_dir), tearsheet=tearsheet)
    except JpMacroError as exc:
        return Outcome(strategy, error=f"{type(exc).__name__}: {exc}", seconds=time.perf_counter() - began)
    except Exception as exc:  # a bug in one strategy must not stop the suite; its traceback goes to the index
        return Outcome(strategy, error=f"{type(exc).__name__}: {exc}", traceback=traceback.format_exc(), seconds=time.perf_counter() - began)
    return Outcome(strategy, run=path.name, seconds=time.perf_counter() - began, warnings=tuple(result.warnings))


def run_suite(
    settings: RunSettings,
    *,
    reports_dir: Path,
    strategies_dir: Path | None = None,
    only: list[str] | None = None,
    jobs: int | None = None,
    tearsheet: bool = True,
    align: bool = True,
    sort: str = "sharpe",
    command: str = "",
    on_start: Callable[[list[str], int], None] | None = None,
    on_done: Callable[[Outcome], None] | None = None,
    now: datetime | None = None,
) -> SuiteResult:
    """Run every strategy (or ``only`` these) and write ``reports_dir/suite-<UTC time>/``.

    ``jobs`` worker processes (default: :func:`available_cores`); with one job,
    or one strategy, everything runs in this process. ``on_start(ids, jobs)``
    and ``on_done(outcome)`` report progress.
    """
    from jpmacro_bt.reports.compare import Problem, compare
    from jpmacro_bt.reports.compare_page import render_into
    from jpmacro_bt.reports.runs import load_run

    ids = strategy_ids(strategies_dir)
    if only:
        from jpmacro_bt.errors import StrategyError, did_you_mean

        unknown = [s for s in only if s not in ids]
        if unknown:
            raise StrategyError(f"unknown strategy {unknown[0]!r}{did_you_mean(unknown[0], ids)}; `jpmacro-bt list` shows them")
        ids = [s for s in ids if s in only]
    if not ids:
        raise ReportError(f"no strategies in {strategies_dir or 'the bundled strategies folder'}; add a strategy module there")
    now = now or datetime.now(timezone.utc)
    jobs = max(1, min(jobs or available_cores(), len(ids)))

    def write_index(folder: Path, suite_id: str) -> None:
        """suite.json and the page, which name the suite (again with a suffix when two suites started in the same second)."""
        write_text(folder / "suite.json", json_text(_suite_record(suite_id, now, settings, strategies_dir, command, jobs, outcomes)))
        render_into(
            folder,
            comparison,
            title=f"{suite_id}: {sum(o.ok for o in outcomes)} of {len(outcomes)} strategies ran",
            subtitle=f"every strategy with its default parameters; {_settings_text(settings)}",
            command=command,
        )

    target = atomic_folder(reports_dir / f"suite-{now:%Y%m%d-%H%M%S}", what="suite folder", unique=True, renamed=write_index)
    with target as tmp:
        if on_start:
            on_start(ids, jobs)
        outcomes = _run_all(ids, strategies_dir, settings, tmp, tearsheet, jobs, on_done)
        runs, problems = [], [Problem(o.strategy, o.error or "", o.traceback) for o in outcomes if not o.ok]
        for o in outcomes:
            if o.ok:
                try:
                    runs.append(load_run(tmp / o.run))
                except ReportError as exc:
                    problems.append(Problem(o.strategy, str(exc)))
        comparison = compare(runs, align=align, sort=sort, problems=problems)
        write_index(tmp, target.final.name)
    return SuiteResult(target.final, outcomes, comparison)


def _run_all(ids, strategies_dir, settings, folder, tearsheet, jobs, on_done) -> list[Outcome]:
    done: dict[str, Outcome] = {}

    def record(outcome: Outcome) -> None:
        done[outcome.strategy] = outcome
        if on_done:
            on_done(outcome)

    if jobs == 1:
        for sid in ids:
            record(run_one(sid, strategies_dir, settings, folder, tearsheet))
        return [done[s] for s in ids]
    # One worker per core: each draws its tearsheet's charts itself rather than forking for a core that is busy.
    pool = ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("spawn"), initializer=one_process_charts)
    try:
        futures: dict[Future, str] = {pool.submit(run_one, sid, strategies_dir, settings, folder, tearsheet): sid for sid in ids}
        pending = set(futures)
        while pending:
            finished, pending = wait(pending, return_when=FIRST_COMPLETED)
            for future in finished:
                try:
                    record(future.result())
                except BrokenProcessPool:
                    # A worker died (killed, out of memory): what it ran and what was queued have no result.
                    record(Outcome(futures[future], error="ReportError: its worker process died (out of memory, or killed); run it alone with `jpmacro-bt run`"))
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    return [done[s] for s in ids]


def _settings_text(settings: RunSettings) -> str:
    parts = [f"{k}={v}" for k, v in (("start", settings.start), ("end", settings.end), ("source", settings.source), ("data_dir", settings.data_dir)) if v is not None]
    if settings.offline:
        parts.append("offline")
    return ", ".join(parts) or "default data options"


def _suite_record(suite_id, now, settings, strategies_dir, command, jobs, outcomes) -> dict:
    return {
        "suite_id": suite_id,
        "created_at": now.isoformat(timespec="seconds"),
        "command": command or shlex.join(["jpmacro-bt", *sys.argv[1:]]),
        "jobs": jobs,
        "strategies_dir": None if strategies_dir is None else str(strategies_dir),
        "settings": {k: None if v is None else (v if isinstance(v, bool | int | float) else str(v)) for k, v in asdict(settings).items()},
        "outcomes": [{**asdict(o), "warnings": list(o.warnings)} for o in outcomes],
    }
