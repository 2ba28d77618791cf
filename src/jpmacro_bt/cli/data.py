"""``jpmacro-bt data``: fetch, import, inspect and clear cached market data."""

# No `from __future__ import annotations`: typer reads the annotations when the commands are registered.

import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from jpmacro_bt.cli._common import MaxMoveOpt, console, parse_max_move

data_app = typer.Typer(help="Fetch, import, inspect and clear cached market data.", no_args_is_help=True)


@data_app.command("fetch")
def data_fetch(
    symbols: Annotated[list[str], typer.Argument(help="Canonical symbols, e.g. NIKKEI225 UST10Y (see `jpmacro-bt symbols`).")],
    source: Annotated[Optional[str], typer.Option(help="Download from this source only.", show_default=False)] = None,
    data_dir: Annotated[Optional[Path], typer.Option(help="Import SYMBOL.csv files from this folder instead of downloading.", show_default=False)] = None,
    max_move: MaxMoveOpt = [],  # noqa: B006
) -> None:
    """Download symbols into the cache (or import them from --data-dir) so runs work offline.

    ECB crosses (USDJPY, AUDJPY, ...) download the ECB's current history file, newer than the one bundled.
    """
    from rich.progress import Progress

    from jpmacro_bt.errors import DataError, JpMacroError
    from jpmacro_bt.sources.ecb import EcbSource
    from jpmacro_bt.sources.fetch import http_get
    from jpmacro_bt.sources.resolve import import_csv, load_bars

    bounds = parse_max_move(max_move)
    fetchers = {"ecb": EcbSource(fetcher=http_get)}
    failed = []
    with Progress(console=console(stderr=True), transient=True, disable=not sys.stderr.isatty()) as progress:
        task = progress.add_task("fetching", total=len(symbols))
        for symbol in symbols:
            progress.update(task, description=f"fetching {symbol}")
            try:
                bars = import_csv(symbol, data_dir, max_move=bounds) if data_dir else load_bars(symbol, source=source, fetchers=fetchers, max_move=bounds)
            except JpMacroError as exc:
                failed.append(f"  {symbol}: {exc}")
            else:
                f = bars.frame
                console().print(f"{symbol}: {len(f)} rows, {f.index[0]:%Y-%m-%d} .. {f.index[-1]:%Y-%m-%d} from {bars.source}", markup=False)
            progress.advance(task)
    if failed:
        raise DataError(f"could not fetch {len(failed)} of {len(symbols)} symbols:\n" + "\n".join(failed))


@data_app.command("list")
def data_list() -> None:
    """What the cache holds: symbol, source, range, rows, age."""
    from rich.table import Table
    from rich.text import Text

    from jpmacro_bt.sources.cache import Cache

    cache = Cache()
    table = Table(title=Text(f"cache: {cache.root}"), title_justify="left")
    for col in ("symbol", "source", "upstream id", "start", "end", "rows", "age"):
        table.add_column(col)
    # Text cells: what a cache file says is data, never rich markup.
    for e in cache.entries():
        if "error" in e:
            table.add_row("?", Text(str(e["source"])), Text(str(e["upstream_id"])), "", "", "", Text(str(e["error"]), style="red"))
            continue
        age = e["age"]
        table.add_row(*(Text(str(e[k])) for k in ("symbol", "source", "upstream_id", "start", "end", "rows")),
                      f"{age.days}d {age.seconds // 3600}h")
    console().print(table)


@data_app.command("show")
def data_show(
    symbol: Annotated[str, typer.Argument(help="Canonical symbol.")],
    source: Annotated[Optional[str], typer.Option(help="Only this source.", show_default=False)] = None,
    data_dir: Annotated[Optional[Path], typer.Option(help="Folder of SYMBOL.csv files.", show_default=False)] = None,
    rows: Annotated[int, typer.Option(help="Rows of head and tail.")] = 5,
) -> None:
    """Head, tail and statistics of the data a run would use (offline: bundled, imported or cached)."""
    from jpmacro_bt.sources.resolve import load_bars

    bars = load_bars(symbol, source=source, data_dir=data_dir, offline=True)
    f = bars.frame
    out = console()
    out.print(f"{symbol} from {bars.source} ({bars.upstream_id}), bar close {bars.close}, sha256 {bars.sha256[:12]}", markup=False)
    out.print(f"{len(f)} rows, {f.index[0]:%Y-%m-%d} .. {f.index[-1]:%Y-%m-%d}")
    out.print(f.head(rows).to_string(), markup=False)
    out.print("...")
    out.print(f.tail(rows).to_string(), markup=False)
    out.print(f["close"].describe().to_string(), markup=False)


@data_app.command("clear")
def data_clear(symbol: Annotated[Optional[str], typer.Argument(help="Only this symbol (default: everything).", show_default=False)] = None) -> None:
    """Delete cached data."""
    from jpmacro_bt.sources.cache import Cache

    removed = Cache().clear(symbol)
    console().print(f"removed {removed} cache entr{'y' if removed == 1 else 'ies'}")


def register(app: typer.Typer) -> None:
    """Add the ``data`` command group to ``app``."""
    app.add_typer(data_app, name="data")
