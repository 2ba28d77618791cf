"""jpmacro-bt: honest, reproducible backtests of Japan-macro trade ideas.

The public names load on first use, so ``import jpmacro_bt`` (and the CLI's
``--help``) stays instant; pandas, vectorbt and quantstats come in only when a
backtest needs them.
"""

from __future__ import annotations

import importlib
from typing import Any

from jpmacro_bt.errors import (
    CalendarError,
    CalendarWarning,
    DataError,
    JpMacroError,
    JpMacroWarning,
    ReportError,
    SourceError,
    StrategyError,
)

__version__ = "0.1.0"

_LAZY = {
    "Signals": "strategy",
    "Strategy": "strategy",
    "hold_for": "strategy",
    "param": "strategy",
    "MarketData": "data",
    "Events": "events",
    "EventCalendar": "events",
    "load_events": "events",
    "RunSettings": "engine.run",
    "run_strategy": "engine.run",
    "write_run": "reports.runfolder",
}

__all__ = [
    "CalendarError",
    "CalendarWarning",
    "DataError",
    "EventCalendar",
    "Events",
    "JpMacroError",
    "JpMacroWarning",
    "MarketData",
    "ReportError",
    "RunSettings",
    "Signals",
    "SourceError",
    "Strategy",
    "StrategyError",
    "hold_for",
    "load_events",
    "param",
    "run_strategy",
    "write_run",
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module 'jpmacro_bt' has no attribute {name!r}")
