"""What every command shares: options defined once with one help text, the console, and option parsing."""

from __future__ import annotations

import math
from datetime import date
from pathlib import Path
from typing import Annotated, Optional

import typer

__all__ = [
    "check_settings",
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


# The engine's own bounds (engine.simulate), checked here before any data is loaded or strategy code runs.
MAX_SIZE = 10.0
_COST_BOUNDS = {
    "--fees": (0.1, "--fees 0.0002 for 2 bp"),
    "--slippage": (0.1, "--slippage 0.0001 for 1 bp"),
    "--borrow": (1.0, "--borrow 0.005 for 0.5 % a year"),
}


def check_settings(*, init_cash: float, size: float, fees: Optional[float] = None, slippage: Optional[float] = None, borrow: Optional[float] = None) -> None:
    """Refuse money settings no backtest can use (NaN and infinities included), naming the option and a valid value."""
    from jpmacro_bt.errors import StrategyError

    if not (math.isfinite(init_cash) and init_cash > 0):
        raise StrategyError(f"--init-cash {init_cash:g} is not a positive amount of money; e.g. --init-cash 100000")
    if not (math.isfinite(size) and 0 < size <= MAX_SIZE):
        raise StrategyError(f"--size {size:g} is out of range: use a fraction of equity above 0 and at most {MAX_SIZE:g}, e.g. --size 1")
    for flag, value in (("--fees", fees), ("--slippage", slippage), ("--borrow", borrow)):
        top, example = _COST_BOUNDS[flag]
        if value is not None and not 0 <= value < top:  # NaN fails every comparison, so it lands here too
            raise StrategyError(f"{flag} {value:g} is out of range: use a fraction from 0 to below {top:g}, e.g. {example}")
