"""jpmacro-bt: honest, reproducible backtests of Japan-macro trade ideas.

::

    import jpmacro_bt as jb
    r = jb.run("boj_hike_long_jpy", hold_days=10, start="2016-01-01")
    r.stats(); r.trades; r.plot(); r.save()
    jb.study("boj:hike", asset="USDJPY").summary
    jb.claims(data_dir="market/").table

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
    SweepError,
)

__version__ = "0.1.0"

# Public name -> the module that defines it, imported on first use.
_LAZY = {
    "run": "api",
    "sweep": "api",
    "compare": "api",
    "list_strategies": "api",
    "Result": "api",
    "SweepRun": "api",
    "Comparison": "api",
    "study": "research.studies",
    "Study": "research.studies",
    "select_events": "research.studies",
    "claims": "research.claims",
    "Scorecard": "research.claims",
    "load_claims": "research.claims",
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
    "save_run": "reports.runfolder",
}

__all__ = [
    "CalendarError",
    "CalendarWarning",
    "DataError",
    "JpMacroError",
    "JpMacroWarning",
    "ReportError",
    "SourceError",
    "StrategyError",
    "SweepError",
    *_LAZY,
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(f"jpmacro_bt.{_LAZY[name]}"), name)
        globals()[name] = value  # later lookups skip this function
        return value
    raise AttributeError(f"module 'jpmacro_bt' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})
