"""Market data handed to strategies: closes, their close times, and provenance.

:class:`MarketData` holds one :class:`~jpmacro_bt.sources.Bars` per symbol,
each on its own calendar. Strategies that mix symbols ask for a
:meth:`MarketData.panel`, aligned by one documented policy:

* the panel's rows are the bars of one *calendar* symbol (by default the first
  symbol asked for), so trades happen only when that market is open;
* every other symbol contributes its last value whose bar closed **at or
  before** that row's close (an as-of join in UTC: never a later value), and
  such a carried value may be at most ``max_fill`` rows old;
* the number of values carried forward is reported in ``panel.attrs["filled"]``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from jpmacro_bt.errors import DataError, did_you_mean
from jpmacro_bt.sources.base import Bars, clip_range

__all__ = ["MarketData", "bar_close_times", "load_market_data"]


def bar_close_times(dates: pd.DatetimeIndex, close: str) -> pd.DatetimeIndex:
    """UTC close timestamps of daily bars dated ``dates`` closing at ``close`` ("HH:MM Zone")."""
    hhmm, zone = close.split(" ", 1)
    hours, minutes = (int(x) for x in hhmm.split(":"))
    local = (dates + pd.Timedelta(hours=hours, minutes=minutes)).tz_localize(zone, nonexistent="shift_forward", ambiguous=True)
    return local.tz_convert("UTC")


def _utc_ns(times: pd.Series) -> np.ndarray:
    return pd.DatetimeIndex(times).tz_convert("UTC").as_unit("ns").asi8


@dataclass(frozen=True)
class MarketData:
    """Daily bars per symbol, cut to what was known at the end of the data."""

    bars: Mapping[str, Bars]

    @property
    def symbols(self) -> tuple[str, ...]:
        return tuple(self.bars)

    def _get(self, symbol: str) -> Bars:
        try:
            return self.bars[symbol]
        except KeyError:
            raise DataError(
                f"symbol {symbol!r} was not loaded{did_you_mean(symbol, self.bars)}; "
                f"a strategy must return it from `needs()`"
            ) from None

    def close(self, symbol: str) -> pd.Series:
        """Close prices (or yield levels) indexed by bar date."""
        return self._get(symbol).frame["close"].rename(symbol)

    def bar_close(self, symbol: str) -> pd.Series:
        """UTC timestamp at which each bar's close became public, indexed by bar date."""
        b = self._get(symbol)
        idx = b.frame.index
        return pd.Series(bar_close_times(idx, b.close), index=idx, name=symbol)

    def panel(self, symbols: Iterable[str], *, calendar: str | None = None, max_fill: int = 5) -> pd.DataFrame:
        """Closes of ``symbols`` on the bars of ``calendar`` (see the module docstring).

        Rows before every symbol has a value are dropped.
        """
        symbols = list(symbols)
        calendar = calendar or symbols[0]
        base = _utc_ns(self.bar_close(calendar))
        out: dict[str, np.ndarray] = {}
        filled: dict[str, int] = {}
        for s in symbols:
            if s == calendar:
                out[s], filled[s] = self.close(s).to_numpy(), 0
                continue
            # Latest bar of s that closed at or before each calendar bar's close.
            pos = np.searchsorted(_utc_ns(self.bar_close(s)), base, side="right") - 1
            col = np.where(pos >= 0, self.close(s).to_numpy()[np.clip(pos, 0, None)], np.nan)
            # Age: how many calendar rows the same value of s has been carried.
            new_value = np.r_[True, pos[1:] != pos[:-1]]
            run = np.cumsum(new_value)
            age = np.arange(len(pos)) - np.flatnonzero(new_value)[run - 1]
            col[age > max_fill] = np.nan
            filled[s] = int(((age > 0) & ~np.isnan(col)).sum())
            out[s] = col
        frame = pd.DataFrame(out, index=self.close(calendar).index).dropna()
        frame.attrs["filled"] = filled
        return frame

    def fingerprint(self) -> dict[str, dict[str, str]]:
        """Per symbol: source, upstream id, origin, range and SHA-256 of the data used."""
        return {
            s: {
                "source": b.source,
                "upstream_id": b.upstream_id,
                "origin": b.origin,
                "close": b.close,
                "start": f"{b.frame.index[0]:%Y-%m-%d}",
                "end": f"{b.frame.index[-1]:%Y-%m-%d}",
                "rows": str(len(b.frame)),
                "sha256": b.sha256,
            }
            for s, b in self.bars.items()
        }

    def truncate(self, end: date | pd.Timestamp) -> MarketData:
        """The same data cut after ``end``: what a user would have had on that day."""
        stop = pd.Timestamp(end)
        return MarketData({s: Bars(b.frame.loc[:stop], b.source, b.upstream_id, b.close, b.origin) for s, b in self.bars.items()})


def load_market_data(
    symbols: Iterable[str],
    *,
    end: date | None = None,
    source: str | None = None,
    data_dir: Path | None = None,
    offline: bool = False,
    max_move: Mapping[str, float] | None = None,
) -> MarketData:
    """Load every symbol, cut after ``end``; one error lists every symbol that failed.

    Every series is checked as it loads (no repeated or future dates, values
    of its kind, no move beyond its bound); ``max_move`` widens bounds by
    symbol, asset class or ``"yield"`` (see :func:`jpmacro_bt.symbols.parse_max_move`).
    """
    from jpmacro_bt.sources.resolve import load_many

    loaded = load_many(list(symbols), source=source, data_dir=data_dir, offline=offline, max_move=max_move)
    bars = {
        s: Bars(clip_range(b.frame, None, end, what=f"{s} ({b.source})"), b.source, b.upstream_id, b.close, b.origin)
        for s, b in loaded.items()
    }
    return MarketData(bars)
