"""What every command shares: options defined once with one help text, the console, and option parsing."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated, Optional

import typer

__all__ = [
    "console",
    "parse_date",
    "parse_params",
    "print_warnings",
    "BorrowOpt",
    "DataDirOpt",
    "EndOpt",
    "FeesOpt",
    "InitCashOpt",
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
