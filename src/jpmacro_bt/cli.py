"""The ``jpmacro-bt`` command line.

Heavy libraries (pandas, vectorbt, quantstats) are imported inside the
commands that need them, so ``--help`` answers at once. A user error
(:class:`~jpmacro_bt.errors.JpMacroError`) prints one line,
``ErrorName: message``, and exits 1; usage errors exit 2; anything else is a
bug and keeps its traceback.
"""

from __future__ import annotations

import functools
import sys
from datetime import date
from pathlib import Path
from typing import Annotated, Optional

import typer

from .cli_options import (
    BorrowOpt,
    DataDirOpt,
    EndOpt,
    FeesOpt,
    InitCashOpt,
    OfflineOpt,
    SizeOpt,
    SlippageOpt,
    SourceOpt,
    StartOpt,
    StrategiesOpt,
)
from .errors import JpMacroError

app = typer.Typer(
    name="jpmacro-bt",
    help="Backtest Japan-macro trade ideas on real data, offline, with tearsheets.",
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)



def _console(stderr: bool = False):
    from rich.console import Console

    return Console(stderr=stderr, highlight=False, soft_wrap=False)


def user_errors(fn):
    """Turn a JpMacroError into one line on stderr and exit code 1."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except JpMacroError as exc:
            print(f"{type(exc).__name__}: {exc}", file=sys.stderr)
            raise typer.Exit(1) from None

    return wrapper


def _date(value: Optional[str], flag: str) -> Optional[date]:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        from .errors import DataError

        raise DataError(f"{flag} {value!r} is not a date; use YYYY-MM-DD, e.g. {flag} 2016-01-01") from None


def _params(pairs: list[str]) -> dict[str, str]:
    from .errors import StrategyError

    out = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise StrategyError(f"--param {pair!r} is not NAME=VALUE; e.g. --param hold_days=10")
        out[name.strip()] = value.strip()
    return out


@app.command("list")
@user_errors
def list_strategies(strategies: StrategiesOpt = None) -> None:
    """List strategies, each with the claim it tests."""
    from rich.table import Table

    from .strategy import discover

    table = Table(title="strategies", title_justify="left")
    table.add_column("id", style="bold", no_wrap=True)
    table.add_column("claim")
    table.add_column("symbols", no_wrap=True)
    table.add_column("parameters (defaults)")
    for sid, spec in discover(strategies).items():
        defaults = ", ".join(f"{f.name}={f.default}" for f in spec.parameters())
        table.add_row(sid, spec.claim, " ".join(spec.cls.symbols), defaults)
    _console().print(table)


@app.command()
@user_errors
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
    reports_dir: Annotated[Path, typer.Option(help="Where run folders are written.")] = Path("reports"),
    strategies: StrategiesOpt = None,
) -> None:
    """Backtest a strategy (or several as one portfolio) and write reports/<run-id>/.

    The run folder holds tearsheet.html, metrics.json, returns.csv, trades.csv and manifest.json.
    Several strategies are held in fixed weights, rebalanced at every close.
    """
    from .errors import StrategyError
    from .portfolio import combine, parse_weights
    from .run import RunSettings, run_strategy, write_run
    from .strategy import find

    settings = RunSettings(
        start=_date(start, "--start"),
        end=_date(end, "--end"),
        init_cash=init_cash,
        size=size,
        fees=fees,
        slippage=slippage,
        borrow=borrow,
        source=source,
        data_dir=data_dir,
        offline=offline,
    )
    specs = [find(sid, strategies) for sid in strategy]
    overrides = _params(param)
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
    err = _console(stderr=True)
    with err.status(f"backtesting {', '.join(strategy)}"):
        members = [run_strategy(s, b, settings) for s, b in built]
        result = combine(members, weight_values) if weight_values else members[0]
    for message in result.warnings:
        err.print(f"[yellow]warning:[/] {message}")
    with err.status("writing tearsheet"):
        folder = write_run(result, reports_dir, argv=["jpmacro-bt", *sys.argv[1:]])
    _print_metrics(result)
    _console().print(f"report: {folder / 'tearsheet.html'}")


def _print_metrics(result) -> None:
    from rich.table import Table

    from .ledger import trial_count
    from .report import METRICS, format_metric

    period = result.returns.index
    params = ", ".join(f"{k}={v}" for k, v in result.display_params().items())
    out = _console()
    out.print(f"{result.label} ({params}), {period[0]:%Y-%m-%d} .. {period[-1]:%Y-%m-%d}, {len(period)} bars")
    table = Table()
    table.add_column("metric")
    table.add_column(result.label, justify="right")
    table.add_column(f"benchmark: {result.benchmark_name}", justify="right")
    trials = trial_count(result.label)
    for key in METRICS:
        label = f"sharpe ({trials:,} trial{'s' if trials != 1 else ''})" if key == "sharpe" else key
        table.add_row(label, format_metric(key, result.metrics["strategy"].get(key)), format_metric(key, result.metrics["benchmark"].get(key)))
    out.print(table)


@app.command()
@user_errors
def events(
    calendar: Annotated[str, typer.Argument(help="boj, fomc or mof")] = "boj",
    kind: Annotated[Optional[str], typer.Option("--kind", help="Only this decision: hike, cut, hold, other, unknown.", show_default=False)] = None,
    sources: Annotated[bool, typer.Option("--sources", help="Add each event's sources.")] = False,
) -> None:
    """Show a bundled event calendar as a table."""
    from rich.table import Table

    from .events import load_calendar

    cal = load_calendar(calendar)
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
    _console().print(table)


@app.command()
@user_errors
def symbols() -> None:
    """List the canonical symbols and their sources."""
    from rich.table import Table

    from .symbols import SYMBOLS

    table = Table(title="symbols (any ECB cross such as ZARJPY also works)", title_justify="left")
    for col in ("symbol", "kind", "class", "description", "sources (in order)", "bar close"):
        table.add_column(col)
    for s in SYMBOLS.values():
        table.add_row(s.name, s.kind, s.asset_class, s.description, ", ".join(f"{k}:{v}" for k, v in s.sources.items()), s.close)
    _console().print(table)


data_app = typer.Typer(help="Fetch, import, inspect and clear cached market data.", no_args_is_help=True)
app.add_typer(data_app, name="data")


@data_app.command("fetch")
@user_errors
def data_fetch(
    symbols: Annotated[list[str], typer.Argument(help="Canonical symbols, e.g. NIKKEI225 UST10Y (see `jpmacro-bt symbols`).")],
    source: Annotated[Optional[str], typer.Option(help="Download from this source only.", show_default=False)] = None,
    data_dir: Annotated[Optional[Path], typer.Option(help="Import SYMBOL.csv files from this folder instead of downloading.", show_default=False)] = None,
) -> None:
    """Download symbols into the cache (or import them from --data-dir) so runs work offline."""
    from rich.progress import Progress

    from .errors import DataError, JpMacroError
    from .sources.resolve import import_csv, load_bars

    failed = []
    with Progress(console=_console(stderr=True), transient=True, disable=not sys.stderr.isatty()) as progress:
        task = progress.add_task("fetching", total=len(symbols))
        for symbol in symbols:
            progress.update(task, description=f"fetching {symbol}")
            try:
                bars = import_csv(symbol, data_dir) if data_dir else load_bars(symbol, source=source)
            except JpMacroError as exc:
                failed.append(f"  {symbol}: {exc}")
            else:
                f = bars.frame
                _console().print(f"{symbol}: {len(f)} rows, {f.index[0]:%Y-%m-%d} .. {f.index[-1]:%Y-%m-%d} from {bars.source}")
            progress.advance(task)
    if failed:
        raise DataError(f"could not fetch {len(failed)} of {len(symbols)} symbols:\n" + "\n".join(failed))


@data_app.command("list")
@user_errors
def data_list() -> None:
    """What the cache holds: symbol, source, range, rows, age."""
    from rich.table import Table

    from .cache import Cache

    cache = Cache()
    table = Table(title=f"cache: {cache.root}", title_justify="left")
    for col in ("symbol", "source", "upstream id", "start", "end", "rows", "age"):
        table.add_column(col)
    for e in cache.entries():
        if "error" in e:
            table.add_row("?", e["source"], e["upstream_id"], "", "", "", f"[red]{e['error']}[/]")
            continue
        age = e["age"]
        table.add_row(e["symbol"], e["source"], e["upstream_id"], e["start"], e["end"], str(e["rows"]),
                      f"{age.days}d {age.seconds // 3600}h")
    _console().print(table)


@data_app.command("show")
@user_errors
def data_show(
    symbol: Annotated[str, typer.Argument(help="Canonical symbol.")],
    source: Annotated[Optional[str], typer.Option(help="Only this source.", show_default=False)] = None,
    data_dir: Annotated[Optional[Path], typer.Option(help="Folder of SYMBOL.csv files.", show_default=False)] = None,
    rows: Annotated[int, typer.Option(help="Rows of head and tail.")] = 5,
) -> None:
    """Head, tail and statistics of the data a run would use (offline: bundled, imported or cached)."""
    from .sources.resolve import load_bars

    bars = load_bars(symbol, source=source, data_dir=data_dir, offline=True)
    f = bars.frame
    out = _console()
    out.print(f"{symbol} from {bars.source} ({bars.upstream_id}), bar close {bars.close}, sha256 {bars.sha256[:12]}")
    out.print(f"{len(f)} rows, {f.index[0]:%Y-%m-%d} .. {f.index[-1]:%Y-%m-%d}")
    out.print(f.head(rows).to_string())
    out.print("...")
    out.print(f.tail(rows).to_string())
    out.print(f["close"].describe().to_string())


@data_app.command("clear")
@user_errors
def data_clear(symbol: Annotated[Optional[str], typer.Argument(help="Only this symbol (default: everything).", show_default=False)] = None) -> None:
    """Delete cached data."""
    from .cache import Cache

    removed = Cache().clear(symbol)
    _console().print(f"removed {removed} cache entr{'y' if removed == 1 else 'ies'}")


def _register_more() -> None:
    from . import cli_reports, cli_sweep

    cli_reports.register(app)
    cli_sweep.register(app)


_register_more()


def main() -> None:
    """Console entry point."""
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
