"""Command-line options shared by ``run``, ``run-all`` and ``sweep``: one definition, one help text."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

__all__ = [
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
