"""What every command shares: options defined once with one help text, the console, and option parsing."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated, Optional

import typer

__all__ = [
    "console",
    "id_column",
    "print_table",
    "parse_date",
    "parse_max_move",
    "parse_params",
    "print_warnings",
    "BorrowOpt",
    "DataDirOpt",
    "EndOpt",
    "FeesOpt",
    "InitCashOpt",
    "LeverageOpt",
    "MaxMoveOpt",
    "OfflineOpt",
    "SizeOpt",
    "SlippageOpt",
    "SourceOpt",
    "StartOpt",
    "StrategiesOpt",
]

StartOpt = Annotated[Optional[str], typer.Option(help="First date traded, YYYY-MM-DD.", show_default=False)]
EndOpt = Annotated[Optional[str], typer.Option(help="Last date of data used, YYYY-MM-DD.", show_default=False)]
FeesOpt = Annotated[Optional[float], typer.Option(help="Fees per side, fraction of traded value (default: by asset class).", show_default=False)]
SlippageOpt = Annotated[Optional[float], typer.Option(help="Slippage per side, fraction (default: by asset class).", show_default=False)]
BorrowOpt = Annotated[
    Optional[float], typer.Option(help="Annual cost of short positions, fraction of their value (default: by asset class).", show_default=False)
]
InitCashOpt = Annotated[float, typer.Option(help="Starting equity.")]
SizeOpt = Annotated[float, typer.Option(help="Position size as a fraction of equity (1.0 = no leverage).")]
SourceOpt = Annotated[Optional[str], typer.Option(help="Use only this data source (ecb, yahoo, fred, mof, tic).", show_default=False)]
DataDirOpt = Annotated[Optional[Path], typer.Option(help="Folder of SYMBOL.csv files read before any other source.", show_default=False)]
OfflineOpt = Annotated[bool, typer.Option(help="Read downloaded data from the cache only.")]
MaxMoveOpt = Annotated[
    list[str],
    typer.Option(
        "--max-move",
        help="KEY=BOUND: allow larger daily moves for a symbol, an asset class (fx, equity, rates, commodity, crypto) or yield "
        "(a fraction for prices, points for yields, off for none); repeatable.",
        show_default=False,
    ),
]
LeverageOpt = Annotated[
    Optional[float], typer.Option(help="Largest gross exposure target weights may ask for, a multiple of equity (default: --size).", show_default=False)
]
StrategiesOpt = Annotated[
    Optional[Path], typer.Option("--strategies", help="Folder of strategy modules (default: the bundled strategies/).", show_default=False)
]


def console(stderr: bool = False):
    """A rich console that never wraps or highlights on its own."""
    from rich.console import Console

    return Console(stderr=stderr, highlight=False, soft_wrap=False)


def print_warnings(err, messages) -> None:
    """Each warning on its own line: the word in yellow, the message as written (it may quote a strategy's text)."""
    from rich.text import Text

    for message in messages:
        err.print(Text.assemble(("warning:", "yellow"), " ", str(message)), soft_wrap=True)


def parse_date(value: Optional[str], flag: str) -> Optional[date]:
    """``value`` of option ``flag`` as a date, or a DataError that shows the format."""
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        from jpmacro_bt.errors import DataError

        raise DataError(f"{flag} {value!r} is not a date; use YYYY-MM-DD, e.g. {flag} 2016-01-01") from None


def parse_params(pairs: list[str]) -> dict[str, str]:
    """``NAME=VALUE`` pairs of ``--param`` as a dict."""
    from jpmacro_bt.errors import StrategyError

    out = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise StrategyError(f"--param {pair!r} is not NAME=VALUE; e.g. --param hold_days=10")
        out[name.strip()] = value.strip()
    return out


def parse_max_move(items: list[str]) -> dict[str, float] | None:
    """``--max-move`` values as bounds (None when not given)."""
    if not items:
        return None
    from jpmacro_bt.symbols import parse_max_move as parse

    return parse(items)


def id_column(table, header: str, values, **kwargs) -> None:
    """Add a column of identifiers (ids, symbols, dates, paths): never wrapped, never cut."""
    width = max([len(header), *(len(line) for v in values for line in str(v).splitlines() or [""])])
    table.add_column(header, no_wrap=True, min_width=width, overflow="fold", **kwargs)


def print_table(table, *, stderr: bool = False) -> None:
    """Print ``table`` at least as wide as its columns' minimum widths, so identifier columns stay whole
    even in a narrow terminal or an 80-column pipe; text columns wrap into what is left."""
    out = console(stderr)
    # Each column: its minimum width and one space of padding either side; then one border more than columns.
    need = sum(c.min_width or 8 for c in table.columns) + 3 * len(table.columns) + 1
    if need > out.width:
        from rich.console import Console

        out = Console(stderr=stderr, highlight=False, soft_wrap=False, width=need)
    out.print(table, crop=False)
