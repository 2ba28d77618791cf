"""The strategy contract: Strategy, Signals and param (the folder loader is jpmacro_bt.catalog).

A strategy is a module in a strategies folder; its id is the file name. The
module defines one frozen dataclass subclassing :class:`Strategy`:

* class attributes ``claim`` (one line), ``source`` (the research it comes
  from), ``symbols`` (what it needs with default parameters; ``needs()`` may
  depend on the parameters) and optionally ``calendars`` (the event calendars
  it reads, so a run can warn when it outruns them);
* parameters as typed dataclass fields declared with :func:`param` (default,
  bounds, unit, sweep grid);
* a pure, vectorised ``signals(data, events) -> Signals``;
* ``benchmark(data) -> pd.Series`` of daily benchmark returns (default: cash).

Only the module files a user points at are executed; nothing else.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from jpmacro_bt.errors import StrategyError

__all__ = [
    "Signals",
    "Strategy",
    "hold_for",
    "param",
]


def param(default: Any, *, min: float | None = None, max: float | None = None, help: str = "", grid: Sequence[Any] = ()) -> Any:
    """Declare a strategy parameter: default, inclusive bounds, help text with its unit, sweep grid."""
    return dataclasses.field(default=default, metadata={"min": min, "max": max, "help": help, "grid": tuple(grid)})


def hold_for(entries: pd.Series, bars: int) -> tuple[pd.Series, pd.Series]:
    """Entries kept and their exits ``bars`` bars later.

    An entry that falls inside an earlier entry's holding window is dropped,
    so a window is never cut short or extended by a later signal (and a stop
    inside a window does not re-open a trade before it ends). Uses only past
    and current bars: cutting the series never changes earlier output.
    """
    flags = entries.to_numpy(dtype=bool)
    keep = np.zeros_like(flags)
    leave = np.zeros_like(flags)
    free_from = 0
    for i in np.flatnonzero(flags):
        if i >= free_from:
            keep[i] = True
            if i + bars < len(flags):
                leave[i + bars] = True
            free_from = i + bars
    return pd.Series(keep, index=entries.index), pd.Series(leave, index=entries.index)


@dataclass(frozen=True)
class Signals:
    """What a strategy wants traded, in vectorbt's own argument names.

    Either entries/exits (long and/or short) on ``close``, or ``target_weights``
    (fraction of equity per bar, NaN = keep). ``sl_stop`` is a stop-loss as a
    fraction of the entry price. ``close`` may be a Series or, for several
    assets traded with shared cash, a DataFrame.
    """

    close: pd.Series | pd.DataFrame
    entries: pd.Series | pd.DataFrame | None = None
    exits: pd.Series | pd.DataFrame | None = None
    short_entries: pd.Series | pd.DataFrame | None = None
    short_exits: pd.Series | pd.DataFrame | None = None
    sl_stop: float | None = None
    target_weights: pd.Series | pd.DataFrame | None = None

    def __post_init__(self) -> None:
        arrays = {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name not in ("close", "sl_stop")}
        given = {k: v for k, v in arrays.items() if v is not None}
        if not given:
            raise StrategyError("signals: give entries/exits or target_weights")
        if self.target_weights is not None and len(given) > 1:
            raise StrategyError("signals: give either entries/exits or target_weights, not both")
        for name, value in given.items():
            if not value.index.equals(self.close.index):
                raise StrategyError(f"signals: {name} is not indexed like close")

    def cut(self, start: pd.Timestamp | None, end: pd.Timestamp | None) -> Signals:
        """The same signals on bars ``start .. end``."""
        sl = slice(start, end)
        return dataclasses.replace(
            self,
            **{f.name: getattr(self, f.name).loc[sl] for f in dataclasses.fields(self) if isinstance(getattr(self, f.name), pd.Series | pd.DataFrame)},
        )


@dataclass(frozen=True)
class Strategy:
    """Base of every strategy; subclasses are frozen dataclasses."""

    claim: ClassVar[str] = ""
    source: ClassVar[str] = ""
    symbols: ClassVar[tuple[str, ...]] = ()
    calendars: ClassVar[tuple[str, ...]] = ()

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            lo, hi = f.metadata.get("min"), f.metadata.get("max")
            if value is None:
                continue
            if lo is not None and value < lo or hi is not None and value > hi:
                bounds = f"between {lo} and {hi}" if lo is not None and hi is not None else (f">= {lo}" if lo is not None else f"<= {hi}")
                raise StrategyError(f"parameter {f.name}={value!r} is out of range: use a value {bounds}")

    def signals(self, data: Any, events: Any) -> Signals:  # pragma: no cover - abstract
        raise NotImplementedError

    def needs(self) -> tuple[str, ...]:
        """Symbols to load for these parameters; the first is the one traded, whose
        asset class sets the default costs. The default is the class's ``symbols``;
        a strategy whose parameters choose an asset overrides this."""
        return self.symbols

    def benchmark(self, data: Any) -> pd.Series:
        """Daily returns of the benchmark; the default is cash (zero)."""
        close = data.close(self.needs()[0])
        return pd.Series(0.0, index=close.index, name="cash")

    @property
    def benchmark_name(self) -> str:
        return "cash"

    def params(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
