"""Commands for parameter sweeps, walk-forward validation and the trial ledger."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Optional

import typer

from jpmacro_bt.cli._common import (
    BorrowOpt,
    DataDirOpt,
    EndOpt,
    FeesOpt,
    InitCashOpt,
    LeverageOpt,
    MaxMoveOpt,
    OfflineOpt,
    SizeOpt,
    SlippageOpt,
    SourceOpt,
    StartOpt,
    StrategiesOpt,
    console,
    id_column,
    print_table,
    parse_date,
    parse_max_move,
    parse_params,
    print_warnings,
)

GRID_HELP = (
    "NAME=FIRST:LAST[:STEP] (LAST included when it lands on the grid; step 1 for ints) or NAME=V1,V2,...; repeatable. "
    "Default: every parameter's own grid."
)


def sweep(
    strategy: Annotated[str, typer.Argument(help="Strategy id, e.g. boj_hike_long_jpy (see `jpmacro-bt list`).")],
    grid: Annotated[list[str], typer.Option("--grid", "-g", help=GRID_HELP, show_default=False)] = [],  # noqa: B006
    param: Annotated[list[str], typer.Option("--param", "-p", help="NAME=VALUE fixed for every combination; repeatable.", show_default=False)] = [],  # noqa: B006
    metric: Annotated[str, typer.Option(help="What ranks the combinations: sharpe, sortino, cagr, total_return or max_drawdown.")] = "sharpe",
    walk_forward: Annotated[int, typer.Option("--walk-forward", help="Walk-forward folds (0 = off): parameters chosen in sample, traded out of sample.")] = 0,
    wf_mode: Annotated[str, typer.Option("--wf-mode", help="anchored (in sample grows from the start) or rolling (the previous block only).")] = "anchored",
    heatmap: Annotated[Optional[str], typer.Option(help="X,Y: the two parameters of the heatmap (default: the two with most values).", show_default=False)] = None,
    top: Annotated[int, typer.Option(help="Rows of the top table.")] = 20,
    max_memory: Annotated[Optional[str], typer.Option(help="Memory budget, e.g. 4G, 500MB or 25% (default: a quarter of RAM).", show_default=False)] = None,
    chunk_size: Annotated[Optional[int], typer.Option(help="Combinations per vectorbt call (default: as many as the budget allows, at most 500).", show_default=False)] = None,
    executor: Annotated[str, typer.Option(help="local (in this process) or dask.")] = "local",
    scheduler: Annotated[Optional[str], typer.Option(help="Dask scheduler, tcp://HOST:PORT (with --executor dask; default: a local cluster on 127.0.0.1).", show_default=False)] = None,
    pbo_blocks: Annotated[int, typer.Option(help="Blocks of the probability of backtest overfitting (even; 16 as in the paper).")] = 16,
    bootstrap: Annotated[int, typer.Option(help="Bootstrap resamples for the confidence intervals (0 = off).")] = 1000,
    seed: Annotated[int, typer.Option(help="Seed of the bootstrap.")] = 0,
    record: Annotated[bool, typer.Option(help="Append every combination to the trial ledger.")] = True,
    start: StartOpt = None,
    end: EndOpt = None,
    fees: FeesOpt = None,
    slippage: SlippageOpt = None,
    borrow: BorrowOpt = None,
    init_cash: InitCashOpt = 100_000.0,
    size: SizeOpt = 1.0,
    source: SourceOpt = None,
    data_dir: DataDirOpt = None,
    offline: OfflineOpt = False,
    max_move: MaxMoveOpt = [],  # noqa: B006
    leverage: LeverageOpt = None,
    reports_dir: Annotated[Path, typer.Option(help="Where the sweep folder is written.")] = Path("reports"),
    tearsheet: Annotated[bool, typer.Option(help="Write the walk-forward's out-of-sample tearsheet.")] = True,
    strategies: StrategiesOpt = None,
) -> None:
    """Run every combination of a parameter grid; write reports/sweep-<id>/ (metrics, heatmaps, deflated Sharpe, PBO, walk-forward)."""
    from jpmacro_bt.engine.run import RunSettings
    from jpmacro_bt.catalog import find
    from jpmacro_bt.errors import SweepError
    from jpmacro_bt.reports.sweep_page import write_sweep
    from jpmacro_bt.research.chunks import parse_memory
    from jpmacro_bt.research.grid import parse_grid
    from jpmacro_bt.research.sweep import SweepOptions

    # RunSettings refuses bad money settings before any data is loaded or strategy code runs.
    settings = RunSettings(
        start=parse_date(start, "--start"), end=parse_date(end, "--end"), init_cash=init_cash, size=size, fees=fees, slippage=slippage,
        borrow=borrow, source=source, data_dir=data_dir, offline=offline, max_move=parse_max_move(max_move), leverage=leverage,
    )
    spec = find(strategy, strategies)
    parsed = parse_grid(spec, grid, parse_params(param))
    axes = None
    if heatmap is not None:
        names = [n.strip() for n in heatmap.split(",")]
        if len(names) != 2 or not all(names):
            raise SweepError(f"--heatmap {heatmap!r} is not X,Y; e.g. --heatmap hold_days,stop")
        axes = (names[0], names[1])
    options = SweepOptions(
        metric=metric, top=top, heatmap=axes, max_memory=parse_memory(max_memory) if max_memory else None, chunk_size=chunk_size,
        executor=executor, scheduler=scheduler, pbo_blocks=pbo_blocks, bootstrap=bootstrap, seed=seed, walk_forward=walk_forward,
        wf_mode=wf_mode, record=record,
    )
    options.check(parsed)
    err = console(stderr=True)
    result = _run_with_progress(spec, parsed, settings, options, err)
    print_warnings(err, result.warnings)
    with err.status("writing the sweep page"):
        folder = write_sweep(result, reports_dir, argv=["jpmacro-bt", *sys.argv[1:]], tearsheet=tearsheet)
    _print_sweep(result)
    console().print(f"report: {folder / 'sweep.html'}", markup=False, soft_wrap=True)  # one line: a path stays whole


def _run_with_progress(spec, grid, settings, options, err):
    """The sweep, with a progress bar on a terminal and progress lines on a pipe or in a log file."""
    from jpmacro_bt.research.sweep import run_sweep

    if not err.is_terminal:
        return run_sweep(spec, grid, settings, options, progress=ProgressLines(lambda line: typer.echo(line, err=True)))
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

    with Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), TimeRemainingColumn(),
        console=err, transient=True,
    ) as bar:
        tasks: dict[str, int] = {}

        def progress(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(f"{stage} {spec.id}", total=total)
            elif done == 0:
                bar.reset(tasks[stage], total=total)
            bar.update(tasks[stage], completed=done)

        return run_sweep(spec, grid, settings, options, progress=progress)


def duration(seconds: float) -> str:
    """``8.2 s``, ``4 min 05 s``, ``2 h 13 min``: as precise as a wait needs."""
    if seconds < 60:
        return f"{seconds:.1f} s"
    if seconds < 3600:
        return f"{int(seconds // 60)} min {int(seconds % 60):02d} s"
    return f"{int(seconds // 3600)} h {int(seconds % 3600 // 60):02d} min"


class ProgressLines:
    """Sweep progress as plain lines, for stderr that is not a terminal (a pipe, a log file, a batch job).

    Called as ``progress(stage, done, total)`` (see :func:`~jpmacro_bt.research.sweep.run_sweep`).
    When a stage starts it says how many combinations it has; when its first
    chunk is in, the estimate of the whole stage timed on that chunk; then a
    line at most every ``every`` seconds (done, elapsed, time left), and one
    when the stage ends.
    """

    def __init__(self, write: Callable[[str], None], *, every: float = 10.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.write, self.every, self.clock = write, every, clock
        self.started: dict[str, float] = {}
        self.last: dict[str, float] = {}
        self.estimated: set[str] = set()

    def __call__(self, stage: str, done: int, total: int) -> None:
        now = self.clock()
        if done == 0 or stage not in self.started:
            self.started[stage] = self.last[stage] = now
            self.estimated.discard(stage)
            if done == 0:
                self.write(f"{stage}: {total:,} combinations")
                return
        elapsed = now - self.started[stage]
        left = elapsed / done * (total - done) if done else 0.0
        if done >= total:
            self.write(f"{stage}: {total:,}/{total:,} combinations in {duration(elapsed)}")
        elif stage not in self.estimated:
            self.write(f"{stage}: {done:,} of {total:,} combinations in {duration(elapsed)}; estimated {duration(elapsed / done * total)} in all, about {duration(left)} left")
        elif now - self.last[stage] >= self.every:
            self.write(f"{stage}: {done:,}/{total:,} ({done / total:.0%}), {duration(elapsed)} elapsed, about {duration(left)} left")
        else:
            return
        self.estimated.add(stage)
        self.last[stage] = now


def _print_sweep(result) -> None:
    import math

    from rich.table import Table
    from rich.text import Text

    from jpmacro_bt.engine.metrics import REGISTRY, format_metric
    from jpmacro_bt.research.grid import show

    out = console()
    index = result.best_returns.index
    swept = list(result.grid.names)
    out.print(
        f"{result.spec.id}: {len(result.table):,} combinations, {index[0]:%Y-%m-%d} .. {index[-1]:%Y-%m-%d}, {len(index):,} bars, "
        f"{result.seconds:.1f} s ({result.chunks} chunk(s), {result.options.executor})"
    )
    table = Table(title=f"top {min(result.options.top, len(result.table))} by {result.options.metric}", title_justify="left")
    top = result.table.sort_values("rank").head(result.options.top)
    table.add_column("rank", justify="right")
    for name in swept:
        # Parameter names and values are identifiers: whole, never cut.
        id_column(table, name, [show(v) for v in top[name]], justify="right")
    shown = ("sharpe", "cagr", "max_drawdown", "trades", "win_rate", "exposure")
    for key in shown:
        table.add_column(REGISTRY[key].short, justify="right", no_wrap=True, min_width=max(6, len(REGISTRY[key].short)))
    for _, row in top.iterrows():
        table.add_row(str(int(row["rank"])), *(Text(show(row[k])) for k in swept), *(format_metric(k, row[k]) for k in shown))
    print_table(table)
    best = result.table.iloc[result.best]
    d = result.deflated
    out.print(f"sharpe of the best: {format_metric('sharpe', best['sharpe'])} (trials on {result.spec.id}: {result.trials:,}; this sweep: {result.trials_in_sweep:,})")
    out.print(f"deflated sharpe ratio: {'-' if not math.isfinite(d.dsr) else f'{d.dsr:.2f}'} "
              f"(luck alone reaches {format_metric('sharpe', d.threshold * math.sqrt(result.periods))} over {d.n_trials:,} trials)")
    if result.pbo is not None:
        out.print(f"probability of backtest overfitting: {result.pbo.pbo:.0%} ({result.pbo.n_splits:,} CSCV splits)")
    elif result.pbo_note:
        out.print(f"probability of backtest overfitting: - ({result.pbo_note})")
    if result.bootstrap is not None:
        b = result.bootstrap
        out.print(f"{b.level:.0%} bootstrap: sharpe {format_metric('sharpe', b.sharpe[0])} .. {format_metric('sharpe', b.sharpe[1])}, cagr {format_metric('cagr', b.cagr[0])} .. {format_metric('cagr', b.cagr[1])}")
    wf = result.walk_forward
    if wf is not None:
        out.print(
            f"walk-forward ({len(wf.folds)} {wf.mode} folds, {len(wf.paired)} with a {wf.metric} in and out of sample): "
            f"{format_metric(wf.metric, wf.is_mean)} in sample, {format_metric(wf.metric, wf.oos_mean)} out of sample, {wf.worse} worse out of sample; "
            f"stitched out of sample sharpe {format_metric('sharpe', wf.oos_metrics['sharpe'])}"
        )



def ledger(
    strategy: Annotated[Optional[str], typer.Argument(help="Show this strategy's trials (default: a summary of every strategy).", show_default=False)] = None,
    limit: Annotated[int, typer.Option(help="Most recent rows shown for a strategy.")] = 30,
) -> None:
    """Show the trial ledger: every run and sweep combination ever made, so a Sharpe ratio can be deflated."""
    import math

    from rich.table import Table
    from rich.text import Text

    from jpmacro_bt.research import ledger as trials

    out = console()
    where = trials.ledger_path()
    if strategy is None:
        rows = trials.summary()
        if not rows:
            out.print(f"the trial ledger is empty ({where})", markup=False)
            return
        table = Table(title=Text(f"trial ledger: {where}"), title_justify="left")
        for col in ("strategy", "trials", "rows", "runs", "sweeps", "best sharpe", "last recorded"):
            table.add_column(col, justify="left" if col in ("strategy", "last recorded") else "right")
        for r in rows:
            best = "-" if r["best_sharpe"] is None else f"{r['best_sharpe']:.2f}"
            table.add_row(Text(r["strategy"]), f"{r['trials']:,}", f"{r['rows']:,}", f"{r['runs']:,}", f"{r['sweeps']:,}", best, r["last"])
        out.print(table)
        out.print("trials: distinct configurations (parameters, period, costs, data) with a Sharpe ratio")
        return
    rows = trials.read(strategy, limit=limit)
    count = trials.trial_count(strategy)
    if not rows:
        known = [r["strategy"] for r in trials.summary()]
        from jpmacro_bt.errors import StrategyError, did_you_mean

        raise StrategyError(f"no trials of {strategy!r} in the ledger{did_you_mean(strategy, known)}; `jpmacro-bt ledger` lists the strategies in it")
    table = Table(title=Text(f"{strategy}: {count:,} trials (latest {len(rows)} rows)"), title_justify="left")
    for col in ("recorded (UTC)", "kind", "from", "params", "period", "sharpe", "trades", "data"):
        table.add_column(col, justify="right" if col in ("sharpe", "trades") else "left")
    for r in rows:
        sharpe = "-" if r["sharpe"] is None or not math.isfinite(r["sharpe"]) else f"{r['sharpe']:.2f}"
        params = ", ".join(f"{k}={'none' if v is None else v}" for k, v in r["params"].items())
        table.add_row(r["recorded_at"], r["kind"], Text(r["source_id"] or ""), Text(params), f"{r['start']} .. {r['end']}", sharpe,
                      "-" if r["trades"] is None else str(r["trades"]), r["data_digest"][:8])
    out.print(table)


def register(app) -> None:
    """Add this module's commands to ``app``."""
    app.command("sweep")(sweep)
    app.command("ledger")(ledger)
