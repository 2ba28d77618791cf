"""Errors and warnings raised by jpmacro-bt.

Every error a user can cause derives from :class:`JpMacroError`; the CLI catches
that type alone, prints ``ErrorName: message`` and exits 1. Anything else is a bug
and keeps its traceback.

::

    JpMacroError
    ├── DataError            data missing, empty, stale or out of range
    │   └── SourceError      a source could not deliver (empty download, bad file)
    ├── CalendarError        an event calendar could not be read or is malformed
    ├── StrategyError        unknown strategy, bad parameter, bad signals
    ├── SweepError           a sweep's settings cannot work (metric, memory, executor, walk-forward)
    └── ReportError          a run folder or report could not be written or read

    JpMacroWarning
    └── CalendarWarning      a backtest runs past the calendar's reviewed range
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

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
    "did_you_mean",
]


class JpMacroError(Exception):
    """Base of every error a user can cause."""


class DataError(JpMacroError):
    """Data are missing, empty, stale or outside the requested range."""


class SourceError(DataError):
    """A data source could not deliver the requested series."""


class CalendarError(JpMacroError):
    """An event calendar could not be read or is malformed."""


class StrategyError(JpMacroError):
    """Unknown strategy, bad parameter or malformed signals."""


class SweepError(JpMacroError):
    """A sweep's settings cannot work (metric, memory budget, executor, walk-forward)."""


class ReportError(JpMacroError):
    """A run folder or report could not be written or read."""


class JpMacroWarning(UserWarning):
    """Base of the package's warnings."""


class CalendarWarning(JpMacroWarning):
    """A backtest runs past the last date an event calendar is known complete."""


def did_you_mean(name: str, choices: Iterable[str]) -> str:
    """Return ``" (did you mean X?)"`` for the closest choice, or ``""``."""
    close = difflib.get_close_matches(name, list(choices), n=1, cutoff=0.5)
    return f" (did you mean {close[0]}?)" if close else ""
