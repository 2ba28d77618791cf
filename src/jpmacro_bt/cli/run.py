"""Commands that run and describe strategies: ``list``, ``run``, ``events``, ``symbols``."""

# No `from __future__ import annotations`: typer reads the annotations when the commands are registered.

import sys
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


def list_strategies(strategies: StrategiesOpt = None) -> None:
    """List strategies, each with the claim it tests; a file that does not load is listed with the reason."""
    from rich.table import Table
    from rich.text import Text

    from jpmacro_bt.catalog import survey

    specs, broken = survey(strategies)
    table = Table(title="strategies", title_justify="left")
    ids = sorted({*specs, *broken})
    id_column(table, "id", ids, style="bold")
    table.add_column("claim", min_width=20, overflow="fold")
    id_column(table, "symbols", ["\n".join(map(str, specs[s].cls.symbols)) for s in ids if s in specs])
    table.add_column("parameters (defaults)", min_width=24, overflow="fold")
    # Text cells: a claim is the strategy author's text, never rich markup ("[/]" prints as written).
    for sid in ids:
        if sid in broken:
            table.add_row(Text(sid), Text(f"does not load: {broken[sid]}", style="red"), Text(""), Text(""))
            continue
        spec = specs[sid]
        defaults = ", ".join(f"{f.name}={f.default}" for f in spec.parameters())
        table.add_row(Text(sid), Text(str(spec.claim)), Text("\n".join(map(str, spec.cls.symbols))), Text(defaults))
    print_table(table)


def run(
    strategy: Annotated[list[str], typer.Argument(help="Strategy id(s), e.g. boj_hike_long_jpy (see `jpmacro-bt list`); several make one portfolio.")],
    param: Annotated[list[str], typer.Option("--param", "-p", help="NAME=VALUE (ID.NAME=VALUE with several strategies), repeatable.", show_default=False)] = [],  # noqa: B006
    weights: Annotated[Optional[str], typer.Option(help="Portfolio weights, fractions of equity, e.g. 0.5,0.25,0.25 (default: equal).", show_default=False)] = None,
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
    reports_dir: Annotated[Path, typer.Option(help="Where run folders are written.")] = Path("reports"),
    strategies: StrategiesOpt = None,
) -> None:
    """Backtest a strategy (or several as one portfolio) and write reports/<run-id>/.

    The run folder holds tearsheet.html, metrics.json, returns.csv, trades.csv and manifest.json.
    Several strategies are held in fixed weights, rebalanced at every close.
    """
    from jpmacro_bt.errors import StrategyError
    from jpmacro_bt.engine.portfolio import combine, parse_weights
    from jpmacro_bt.engine.run import RunSettings, run_strategy
    from jpmacro_bt.reports.runfolder import save_run
    from jpmacro_bt.catalog import find

    # RunSettings refuses bad money settings before any data is loaded or strategy code runs.
    settings = RunSettings(
        start=parse_date(start, "--start"),
        end=parse_date(end, "--end"),
        init_cash=init_cash,
        size=size,
        fees=fees,
        slippage=slippage,
        borrow=borrow,
        source=source,
        data_dir=data_dir,
        offline=offline,
        max_move=parse_max_move(max_move),
        leverage=leverage,
    )
    specs = [find(sid, strategies) for sid in strategy]
    overrides = parse_params(param)
    if len(specs) == 1:
        if weights is not None:
            raise StrategyError("--weights needs two or more strategies")
        per_strategy = {specs[0].id: overrides}
    else:
        per_strategy = {s.id: {} for s in specs}
        for key, value in overrides.items():
            sid, dot, name = key.partition(".")
            if not dot or sid not in per_strategy:
                raise StrategyError(f"--param {key}={value}: with several strategies write ID.NAME=VALUE, ID one of {', '.join(per_strategy)}")
            per_strategy[sid][name] = value
    built = [(s, s.build(per_strategy[s.id])) for s in specs]
    weight_values = parse_weights(weights, len(specs)) if len(specs) > 1 else None
    err = console(stderr=True)
    with err.status(f"backtesting {', '.join(strategy)}"):
        members = [run_strategy(s, b, settings) for s, b in built]
        result = combine(members, weight_values) if weight_values else members[0]
    print_warnings(err, result.warnings)
    with err.status("writing tearsheet"):
        folder = save_run(result, reports_dir, argv=["jpmacro-bt", *sys.argv[1:]])
    _print_metrics(result)
    console().print(f"report: {folder / 'tearsheet.html'}", markup=False, soft_wrap=True)  # one line: a path stays whole


def _print_metrics(result) -> None:
    from rich.table import Table
    from rich.text import Text

    from jpmacro_bt.research.ledger import trial_count
    from jpmacro_bt.engine.metrics import METRICS, format_metric, label

    period = result.returns.index
    params = ", ".join(f"{k}={v}" for k, v in result.display_params().items())
    out = console()
    # Parameter values and the benchmark's name come from strategy code: printed as written, never as markup.
    out.print(f"{result.label} ({params}), {period[0]:%Y-%m-%d} .. {period[-1]:%Y-%m-%d}, {len(period)} bars", markup=False, soft_wrap=True)
    table = Table()
    table.add_column("metric")
    table.add_column(Text(result.label), justify="right")
    table.add_column(Text(f"benchmark: {result.benchmark_name}"), justify="right")
    trials = trial_count(result.label)
    for key in METRICS:
        name = f"{label(key)} ({trials:,} trial{'s' if trials != 1 else ''})" if key == "sharpe" else label(key)
        table.add_row(name, format_metric(key, result.metrics["strategy"].get(key)), format_metric(key, result.metrics["benchmark"].get(key)))
    out.print(table)


def events(
    calendar: Annotated[str, typer.Argument(help="boj, fomc or mof")] = "boj",
    kind: Annotated[Optional[str], typer.Option("--kind", help="Only this decision: hike, cut, hold, other, unknown.", show_default=False)] = None,
    sources: Annotated[bool, typer.Option("--sources", help="Add each event's sources.")] = False,
    coverage: Annotated[bool, typer.Option("--coverage", help="Show the periods the calendar covers, and how completely, instead of its events.")] = False,
) -> None:
    """Show a bundled event calendar as a table."""
    from rich.table import Table

    from jpmacro_bt.events import load_calendar

    cal = load_calendar(calendar)
    if coverage:
        _print_coverage(cal)
        return
    chosen = cal.select(kind)
    table = Table(
        title=f"{cal.name} calendar: {len(chosen)} events, complete through {cal.complete_through}, reviewed {cal.last_reviewed}",
        title_justify="left",
        caption=cal.gaps or None,
        caption_justify="left",
    )
    for col in ("date", "announced", "decision", "rate after %", "note", "verification", *(("source",) if sources else ())):
        table.add_column(col, no_wrap=col in ("date", "announced"), overflow="fold")
    for e in chosen:
        announced = e.announced_at.strftime("%H:%M %Z") + ("" if e.time_known else " (assumed)")
        rate = "" if e.rate_after is None else f"{e.rate_after:.2f}"
        table.add_row(e.date.isoformat(), announced, e.decision, rate, e.note, e.verification, *((e.source,) if sources else ()))
    console().print(table)


def _print_coverage(cal) -> None:
    from rich.table import Table
    from rich.text import Text

    frame = cal.coverage_frame()
    table = Table(title=f"{cal.name} calendar: coverage (reviewed {cal.last_reviewed})", title_justify="left")
    id_column(table, "from", [str(v) for v in frame["from"]])
    id_column(table, "through", [str(v) for v in frame["through"]])
    id_column(table, "complete", list(frame["complete"]))
    table.add_column("note", min_width=20, overflow="fold")
    for row in frame.itertuples(index=False):
        table.add_row(str(row[0]), str(row[1]), str(row[2]), Text(str(row[3] or "")))
    print_table(table)


def symbols() -> None:
    """List the canonical symbols and their sources."""
    from rich.table import Table

    from jpmacro_bt.symbols import SYMBOLS

    rows = [
        (s.name, s.kind, s.asset_class, s.description, "\n".join(f"{k}:{v}" for k, v in s.sources.items()), s.close)
        for s in SYMBOLS.values()
    ]
    table = Table(title="symbols (any ECB cross such as ZARJPY also works)", title_justify="left")
    for i, col in enumerate(("symbol", "kind", "class", "description", "sources (in order)", "bar close")):
        if col == "description":
            table.add_column(col, min_width=12, overflow="fold")
        else:
            id_column(table, col, [r[i] for r in rows])
    for row in rows:
        table.add_row(*row)
    print_table(table)


def register(app: typer.Typer) -> None:
    """Add this module's commands to ``app``."""
    app.command("list")(list_strategies)
    app.command("run")(run)
    app.command("events")(events)
    app.command("symbols")(symbols)
