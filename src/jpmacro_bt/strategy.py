"""The strategy contract: Strategy, Signals and param (the folder loader is jpmacro_bt.catalog).

A strategy is a module in a strategies folder; its id is the file name. The
module defines one frozen dataclass subclassing :class:`Strategy`:

* class attributes ``claim`` (one line), ``source`` (the research it comes
  from), ``symbols`` (what it needs with default parameters; ``needs()`` may
  depend on the parameters) and optionally ``calendars`` (the event calendars
  it reads, so a run can warn when it outruns them);
* parameters as typed dataclass fields declared with :func:`param` (default,
  bounds or allowed values, unit, sweep grid);
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

from jpmacro_bt.errors import StrategyError, did_you_mean

__all__ = [
    "Signals",
    "Strategy",
    "hold_for",
    "param",
]


def param(
    default: Any,
    *,
    min: float | None = None,
    max: float | None = None,
    help: str = "",
    grid: Sequence[Any] = (),
    choices: Sequence[Any] = (),
) -> Any:
    """Declare a strategy parameter: default, inclusive bounds, allowed values, help text with its unit, sweep grid.

    With ``choices``, a value outside them is refused when the strategy is
    built, with the closest choice suggested.
    """
    meta = {"min": min, "max": max, "help": help, "grid": tuple(grid), "choices": tuple(choices)}
    return dataclasses.field(default=default, metadata=meta)


def hold_for(entries: pd.Series, bars: int, exit_when: pd.Series | None = None) -> tuple[pd.Series, pd.Series]:
    """Entries kept and their exits: ``bars`` bars later, or earlier at the first bar after entry where ``exit_when`` is True.

    An entry that falls inside an earlier entry's holding window is dropped,
    so a window is never cut short or extended by a later signal (and a stop
    inside a window does not re-open a trade before it ends). An entry on the
    bar a window ends starts the next hold: that bar carries both an exit and
    an entry, and the engine keeps the position there (no order, no cost) and
    counts a new trade from that close. Uses only past and current bars:
    cutting the series never changes earlier output.
    """
    flags = entries.eq(True).to_numpy()
    stop = np.zeros_like(flags) if exit_when is None else exit_when.reindex(entries.index, fill_value=False).eq(True).to_numpy()
    keep = np.zeros_like(flags)
    leave = np.zeros_like(flags)
    free_from = 0
    for i in np.flatnonzero(flags):
        if i < free_from:
            continue
        keep[i] = True
        early = np.flatnonzero(stop[i + 1 : i + bars])
        out = i + 1 + early[0] if len(early) else i + bars
        if out < len(flags):
            leave[out] = True
        free_from = out
    return pd.Series(keep, index=entries.index), pd.Series(leave, index=entries.index)


def _as_2d(frame: pd.Series | pd.DataFrame | None, shape: tuple[int, int]) -> np.ndarray:
    if frame is None:
        return np.zeros(shape, dtype=bool)
    return frame.to_numpy(dtype=bool).reshape(shape)


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

    def held(self) -> np.ndarray:
        """The position the entry/exit signals hold after each bar: 1 long, -1 short, 0 flat (bars x columns).

        The rules the engine trades by, stops aside: an entry on a bar that also
        has an exit of the same direction wins (the position is kept); a long
        and a short entry on one bar cancel; an entry opens, or reverses, the
        position; an exit closes only a position of its own direction.
        """
        shape = (len(self.close.index), self.close.shape[1] if isinstance(self.close, pd.DataFrame) else 1)
        le, lx = _as_2d(self.entries, shape), _as_2d(self.exits, shape)
        se, sx = _as_2d(self.short_entries, shape), _as_2d(self.short_exits, shape)
        lx, sx = lx & ~le, sx & ~se
        both = le & se
        le, se = le & ~both, se & ~both
        rows = np.arange(shape[0])[:, None]
        # The last entry sets the direction; an exit of that direction after it closes the position.
        last = np.maximum.accumulate(np.where(le | se, rows, -1), axis=0)
        direction = np.where(last >= 0, np.where(le[np.maximum(last, 0), np.arange(shape[1])], 1, -1), 0)
        cols = np.arange(shape[1])
        closed = np.zeros(shape, dtype=bool)
        for exits, side in ((lx, 1), (sx, -1)):
            count = np.cumsum(exits, axis=0)
            since = count - np.where(last >= 0, count[np.maximum(last, 0), cols], 0)
            closed |= (direction == side) & (since > 0)
        return np.where(closed, 0, direction)

    def cut(self, start: pd.Timestamp | None, end: pd.Timestamp | None) -> Signals:
        """The same signals on bars ``start .. end``, starting from the position they hold at ``start``.

        What happened before ``start`` still decides where the run begins: a
        position the entries and exits hold at ``start`` (:meth:`held`), or the
        last target weight given at or before it, is taken at ``start``'s close,
        as if the signal had come there. Nothing else before ``start`` is used.
        """
        sl = slice(start, end)
        fields = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        out = {k: v.loc[sl] for k, v in fields.items() if isinstance(v, pd.Series | pd.DataFrame)}
        first = int(self.close.index.searchsorted(start)) if start is not None else 0
        if first == 0 or first >= len(self.close.index) or not len(out["close"].index):
            return dataclasses.replace(self, **out)
        if self.target_weights is not None:
            weights = out["target_weights"].copy()
            weights.iloc[0] = self.target_weights.iloc[: first + 1].ffill().iloc[-1]
            out["target_weights"] = weights
            return dataclasses.replace(self, **out)
        state = self.held()[first]
        names = list(self.close.columns) if isinstance(self.close, pd.DataFrame) else None
        for name, side in (("entries", 1), ("short_entries", -1)):
            if not (state == side).any():
                continue
            flags = out[name].copy()
            if names is None:
                flags.iloc[0] = True
            else:
                flags.iloc[0, np.flatnonzero(state == side)] = True
            out[name] = flags
        return dataclasses.replace(self, **out)


@dataclass(frozen=True)
class Strategy:
    """Base of every strategy; subclasses are frozen dataclasses."""

    claim: ClassVar[str] = ""
    source: ClassVar[str] = ""
    symbols: ClassVar[tuple[str, ...]] = ()
    calendars: ClassVar[tuple[str, ...]] = ()

    def __post_init__(self) -> None:
        fields = dataclasses.fields(self)
        for f in fields:
            value = getattr(self, f.name)
            lo, hi = f.metadata.get("min"), f.metadata.get("max")
            if value is None:
                continue
            if lo is not None and value < lo or hi is not None and value > hi:
                bounds = f"between {lo} and {hi}" if lo is not None and hi is not None else (f">= {lo}" if lo is not None else f"<= {hi}")
                raise StrategyError(f"parameter {f.name}={value!r} is out of range: use a value {bounds}")
        for f in fields:
            value, choices = getattr(self, f.name), f.metadata.get("choices", ())
            if choices and value is not None and value not in choices:
                names = [str(c) for c in choices]
                raise StrategyError(f"{f.name}={value!r}{did_you_mean(str(value), names)}; use one of {', '.join(names)}")

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
