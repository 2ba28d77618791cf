"""Commands that run suites and compare run folders.

``run-all`` runs every strategy into a suite folder, ``compare`` puts run
folders side by side in one page, ``reports`` lists the run folders. Heavy
imports stay inside the commands.
"""

# No `from __future__ import annotations`: typer reads the annotations when the commands are registered.

from pathlib import Path
from typing import Annotated, Optional

import typer

from jpmacro_bt.cli._common import DataDirOpt, EndOpt, MaxMoveOpt, OfflineOpt, SourceOpt, StartOpt, StrategiesOpt, console, id_column, parse_date, parse_max_move, print_table

_SORT_HELP = "Order runs best first by this metric (total_return, cagr, sharpe, sortino, max_drawdown, volatility, trades, win_rate, exposure) or newest first (created)."


def run_all(
    start: StartOpt = None,
    end: EndOpt = None,
    source: SourceOpt = None,
    data_dir: DataDirOpt = None,
    offline: OfflineOpt = False,
    max_move: MaxMoveOpt = [],  # noqa: B006
    reports_dir: Annotated[Path, typer.Option(help="Where the suite folder is written.")] = Path("reports"),
    strategies: StrategiesOpt = None,
    only: Annotated[list[str], typer.Option("--only", help="Run only this strategy id; repeatable.", show_default=False)] = [],  # noqa: B006
    jobs: Annotated[Optional[int], typer.Option(min=1, help="Worker processes (default: the cores available).", show_default=False)] = None,
    sort: Annotated[str, typer.Option(help=_SORT_HELP)] = "sharpe",
    align: Annotated[bool, typer.Option("--align/--no-align", help="Compare on the runs' common period, or each over its own.")] = True,
) -> None:
    """Run every strategy with its defaults, in parallel, into reports/suite-<id>/ with a comparison index.html.

    A strategy that fails (e.g. its data cannot be loaded offline) is listed with its error in the index;
    the others go on. Exits 1 only when no strategy ran.
    """
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from jpmacro_bt.reports.compare import SORT_KEYS, command_line
    from jpmacro_bt.errors import ReportError
    from jpmacro_bt.engine.run import RunSettings
    from jpmacro_bt.reports.suite import run_suite

    if sort not in SORT_KEYS:
        raise ReportError(f"--sort {sort!r} is not a metric; use one of {', '.join(SORT_KEYS)}")
    settings = RunSettings(
        start=parse_date(start, "--start"), end=parse_date(end, "--end"), source=source, data_dir=data_dir, offline=offline,
        max_move=parse_max_move(max_move),
    )
    err = console(stderr=True)
    progress = Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        console=err, transient=True, disable=not err.is_terminal,
    )
    task = None

    def started(ids: list[str], jobs: int) -> None:
        nonlocal task
        err.print(f"running {len(ids)} strategies on {jobs} worker{'s' if jobs > 1 else ''}")
        task = progress.add_task("backtesting", total=len(ids))

    def done(outcome) -> None:
        if outcome.ok:
            err.print(f"[green]ok[/]     {outcome.strategy} ({outcome.seconds:.1f} s)", markup=True, highlight=False)
        else:
            err.print(f"[red]failed[/] {outcome.strategy}: ", end="", markup=True)
            err.print(outcome.error, markup=False, highlight=False)
            if outcome.traceback:
                err.print(outcome.traceback, markup=False, highlight=False)
        progress.advance(task)

    with progress:
        result = run_suite(
            settings, reports_dir=reports_dir, strategies_dir=strategies, only=only or None, jobs=jobs,
            align=align, sort=sort, command=command_line(), on_start=started, on_done=done,
        )
    _print_comparison(result.comparison, console())
    ran = len(result.outcomes) - len(result.failed)
    console().print(f"suite: {result.page}  ({ran} of {len(result.outcomes)} strategies ran)", soft_wrap=True, markup=False, highlight=False)
    if not ran:
        raise ReportError(f"none of the {len(result.outcomes)} strategies ran; their errors are above and in {result.page}")

def compare(
    runs: Annotated[Optional[list[Path]], typer.Argument(help="Run folders (a suite folder stands for its runs).", show_default=False)] = None,
    latest: Annotated[Optional[int], typer.Option(min=1, help="Also compare the N newest runs under --reports-dir.", show_default=False)] = None,
    reports_dir: Annotated[Path, typer.Option(help="Where --latest looks, and where the comparison folder goes.")] = Path("reports"),
    out: Annotated[Optional[Path], typer.Option(help="Comparison folder to write (default: <reports-dir>/compare-<UTC time>).", show_default=False)] = None,
    sort: Annotated[str, typer.Option(help=_SORT_HELP)] = "sharpe",
    align: Annotated[bool, typer.Option("--align/--no-align", help="Compare on the runs' common period, or each over its own.")] = True,
) -> None:
    """Compare runs side by side: index.html (metrics, equity, drawdowns, heatmaps, correlations) and metrics.csv.

    A folder that is not a readable run is named with the reason and left out; the rest are compared.
    """
    from datetime import datetime, timezone

    from jpmacro_bt.reports.compare import command_line
    from jpmacro_bt.reports.compare import compare as build
    from jpmacro_bt.reports.compare_page import write_comparison
    from jpmacro_bt.errors import ReportError
    from jpmacro_bt.reports.runs import expand, scan

    if not runs and latest is None:
        raise typer.BadParameter("name run folders, or pass --latest N (`jpmacro-bt reports` lists the runs)", param_hint="RUNS")
    chosen, skipped = expand(list(runs or []))
    if latest is not None:
        newest, _ = scan(reports_dir)
        if not newest:
            raise ReportError(f"no runs under {reports_dir}; run `jpmacro-bt run STRATEGY` or `jpmacro-bt run-all` first")
        have = {r.path.resolve() for r in chosen}
        chosen += [r for r in newest[:latest] if r.path.resolve() not in have]
    err = console(stderr=True)
    comparison = build(chosen, align=align, sort=sort, skipped=skipped)
    for problem in comparison.problems:
        err.print("skipped: ", end="", style="yellow")
        err.print(problem.message, markup=False, highlight=False, soft_wrap=True)  # one line: paths stay whole
    if not comparison.entries:
        raise ReportError("no run to compare: every folder named was skipped (reasons above)")
    now = datetime.now(timezone.utc)
    target = out or reports_dir / f"compare-{now:%Y%m%d-%H%M%S}"
    page = write_comparison(
        comparison, target, title=f"comparison of {len(comparison.entries)} runs",
        subtitle=f"written {now:%Y-%m-%d %H:%M} UTC", command=command_line(),
    )
    _print_comparison(comparison, console())
    console().print(f"comparison: {page}", soft_wrap=True, markup=False, highlight=False)

def list_reports(
    reports_dir: Annotated[Path, typer.Option(help="Where run folders are.")] = Path("reports"),
    limit: Annotated[Optional[int], typer.Option(min=1, help="Show only the N newest.", show_default=False)] = None,
) -> None:
    """List run folders, newest first (runs inside suite folders too): id, strategy, params, period, Sharpe, CAGR, max DD."""
    from rich.table import Table
    from rich.text import Text

    from jpmacro_bt.engine.metrics import REGISTRY, format_metric
    from jpmacro_bt.reports.runs import scan

    runs, skipped = scan(reports_dir)
    shown = runs[:limit] if limit else runs
    table = Table(title=f"{len(runs)} runs in {reports_dir}/, newest first (compare takes {reports_dir}/ID)", title_justify="left")
    id_column(table, "id", [r.path.relative_to(reports_dir).as_posix() for r in shown])
    id_column(table, "strategy", [r.strategy for r in shown])
    table.add_column("params", min_width=12, overflow="fold")
    id_column(table, "period", [f"{r.start} .. {r.end}" for r in shown])
    for name in (REGISTRY[k].short for k in ("sharpe", "cagr", "max_drawdown")):
        table.add_column(name, justify="right", no_wrap=True, min_width=7)
    for run in shown:
        params = ", ".join(f"{k}={v}" for k, v in run.params.items()) or "-"
        cells = (
            run.path.relative_to(reports_dir).as_posix(), run.strategy, params, f"{run.start} .. {run.end}",
            format_metric("sharpe", run.metrics.get("sharpe")), format_metric("cagr", run.metrics.get("cagr")), format_metric("max_drawdown", run.metrics.get("max_drawdown")),
        )
        table.add_row(*map(Text, cells))
    print_table(table)
    err = console(stderr=True)
    for s in skipped:
        err.print("skipped: ", end="", style="yellow")
        err.print(s.reason, markup=False, highlight=False, soft_wrap=True)  # one line: paths stay whole


def _print_comparison(comparison, console) -> None:
    """The page's metrics table in the terminal."""
    from rich import box
    from rich.table import Table
    from rich.text import Text

    from jpmacro_bt.engine.metrics import METRICS, REGISTRY

    console.print(comparison.note, markup=False, highlight=False)
    if not comparison.entries:
        return
    # Compact: no box, short headers, percentages to one decimal; run labels stay whole (they are ids).
    # Aligned runs share the period printed above, so the period column appears only without alignment.
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, padding=(0, 1, 0, 0))
    id_column(table, "run", [e.label for e in comparison.entries])
    if not comparison.aligned:
        id_column(table, "period", [f"{e.start} .. {e.end}" for e in comparison.entries])
    for key in METRICS:
        table.add_column(REGISTRY[key].short, justify="right", no_wrap=True, min_width=6)
    for e in comparison.entries:
        period = () if comparison.aligned else (f"{e.start} .. {e.end}",)
        table.add_row(*map(Text, (e.label, *period, *(_short(k, e.metrics.get(k)) for k in METRICS))))
    print_table(table)


def _short(key: str, value) -> str:
    from jpmacro_bt.engine.metrics import format_metric

    text = format_metric(key, value)
    return f"{value:.1%}" if text.endswith("%") else text


def register(app: typer.Typer) -> None:
    """Add this module's commands to ``app``."""
    app.command("run-all")(run_all)
    app.command("compare")(compare)
    app.command("reports")(list_reports)
