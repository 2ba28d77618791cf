"""A second backtester: the package's documented trading rules, re-implemented as one plain loop over bars.

Written from the rules stated in the README ("How a backtest is made honest")
and in the docstring of :mod:`jpmacro_bt.engine.simulate`, not from the
engine's code: numpy and a loop, no vectorbt. The tests and
``benchmarks/reference_check.py`` hold every strategy's daily returns to it.

The rules, as implemented here:

* A run begins flat with ``init_cash`` at the close of its first bar and takes
  there the position the signals hold after that bar: for entries/exits, the
  position they opened before and have not closed; for target weights, the
  last weight given at or before that bar.
* Entries and exits, bar by bar: an entry with an exit of its own direction
  on the same bar counts as an entry; a long and a short entry on one bar
  cancel. From flat, an entry opens a position of ``size * equity`` (value
  plus fees). In a position, an exit of its direction closes it; an entry of
  its direction on the bar of its exit starts a new trade without trading.
* A stop-loss ``s``: from the close ``p`` at which a position opened, a long
  is closed at the first later close at or below ``p * (1 - s)``, a short at
  or above ``p * (1 + s)``; signals on that bar are ignored.
* Target weights: at a close with a weight ``w`` given for an asset, trade it
  to ``w * size`` of the equity valued at that close before any order;
  sells before buys, buys from the smallest; NaN keeps the position.
* Every fill is at the close moved against the trade by ``slippage`` and pays
  ``fees`` of the value traded; a buy never spends more cash than there is.
* Equity is cash plus positions at the close; the day's return is the change
  of equity, less borrow: each short asset's value at the previous close
  times its annual rate times the calendar days since / 365, over the
  equity at the previous close.
* Carry is in the prices: a strategy that holds FX gives carry-inclusive
  closes, so nothing is added here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["Reference", "simulate"]


@dataclass(frozen=True)
class Reference:
    """What the reference simulation gives: daily returns from the first bar traded, and the number of trades."""

    returns: pd.Series
    trades: int


def _cost(cost: float | Mapping[str, float], names: list[str]) -> np.ndarray:
    if isinstance(cost, Mapping):
        return np.array([float(cost.get(n, cost["*"])) for n in names])
    return np.full(len(names), float(cost))


class _Book:
    """Cash and units per asset, traded at a close by the rules above."""

    def __init__(self, cash: float, fees: np.ndarray, slippage: np.ndarray) -> None:
        self.cash = cash
        self.units = np.zeros(len(fees))
        self.fees, self.slippage = fees, slippage

    def value(self, prices: np.ndarray) -> float:
        return self.cash + float(np.dot(self.units, prices))

    def buy(self, j: int, units: float, price: float) -> None:
        paid = price * (1 + self.slippage[j])
        need = units * paid * (1 + self.fees[j])
        if need > self.cash * (1 + 1e-12):  # what the cash pays, fees included, and no more
            units = self.cash / (1 + self.fees[j]) / paid
            need = self.cash
        self.cash -= need
        self.units[j] += units

    def sell(self, j: int, units: float, price: float) -> None:
        got = units * price * (1 - self.slippage[j])
        self.cash += got * (1 - self.fees[j])
        self.units[j] -= units

    def open(self, j: int, side: int, size: float, price: float) -> None:
        """A position of ``side`` whose value and fees take ``size`` of the equity (flat: the equity is the cash)."""
        paid = price * (1 + side * self.slippage[j])
        units = size * self.cash / (paid * (1 + self.fees[j]))
        (self.buy if side > 0 else self.sell)(j, units, price)

    def close(self, j: int, price: float) -> None:
        held = self.units[j]
        if held > 0:
            self.sell(j, held, price)
        elif held < 0:
            self.buy(j, -held, price)


def _flags(signals, name: str, n: int) -> np.ndarray:
    value = getattr(signals, name)
    return np.zeros(n, dtype=bool) if value is None else np.asarray(value, dtype=bool).reshape(n)


def _resolve(le: bool, lx: bool, se: bool, sx: bool) -> tuple[bool, bool, bool, bool]:
    """One bar's signals after the tie rules: an entry beats its exit; opposite entries cancel."""
    lx, sx = lx and not le, sx and not se
    if le and se:
        le = se = False
    return le, lx, se, sx


def _next_side(side: int, le: bool, lx: bool, se: bool, sx: bool) -> int:
    """The position the (resolved) signals of one bar leave, from ``side``."""
    if le:
        return 1
    if se:
        return -1
    if (side > 0 and lx) or (side < 0 and sx):
        return 0
    return side


def _signal_run(signals, close: np.ndarray, first: int, size: float, book: _Book) -> tuple[np.ndarray, np.ndarray, int]:
    """Equity and position values per bar from ``first`` on, and the trade count, for entry/exit signals on one asset."""
    n = len(close)
    le_all, lx_all = _flags(signals, "entries", n), _flags(signals, "exits", n)
    se_all, sx_all = _flags(signals, "short_entries", n), _flags(signals, "short_exits", n)
    stop = signals.sl_stop
    side = 0
    for t in range(first + 1):  # the position the signals hold at the first bar, nothing traded
        side = _next_side(side, *_resolve(le_all[t], lx_all[t], se_all[t], sx_all[t]))
    held, opened_at, trades = 0, np.nan, 0
    equity, positions = np.empty(n - first), np.empty((n - first, 1))
    for t in range(first, n):
        price = close[t]
        if t == first:
            if side:
                book.open(0, side, size, price)
                held, opened_at, trades = side, price, 1
        elif held and stop is not None and (price <= opened_at * (1 - stop) if held > 0 else price >= opened_at * (1 + stop)):
            book.close(0, price)
            held = 0
        else:
            ends = lx_all[t] if held > 0 else sx_all[t]  # the bar the current hold exits
            le, lx, se, sx = _resolve(le_all[t], lx_all[t], se_all[t], sx_all[t])
            if held == 0 and (le or se):
                held = 1 if le else -1
                book.open(0, held, size, price)
                opened_at, trades = price, trades + 1
            elif held and (le if held < 0 else se):
                raise ValueError(f"bar {t}: an opposite entry while in a position; the rules refuse it")
            elif held and (le if held > 0 else se):
                trades += int(ends)  # a hold begins where the last one ends: the position is kept
            elif (held > 0 and lx) or (held < 0 and sx):
                book.close(0, price)
                held = 0
        equity[t - first] = book.value(np.array([price]))
        positions[t - first] = book.units * price
    return equity, positions, trades


def _weights_run(weights: np.ndarray, close: np.ndarray, first: int, size: float, book: _Book) -> tuple[np.ndarray, np.ndarray, int]:
    """Equity and position values per bar from ``first`` on, and the trade count, for target weights (bars x assets)."""
    n, m = close.shape
    start = weights[first].copy()
    for j in range(m):
        given = np.flatnonzero(~np.isnan(weights[: first + 1, j]))
        start[j] = weights[given[-1], j] if len(given) else np.nan
    trades = 0
    equity, positions = np.empty(n - first), np.empty((n - first, m))
    for t in range(first, n):
        prices = close[t]
        wanted = start if t == first else weights[t]
        value = book.value(prices)
        orders = []
        for j in np.flatnonzero(~np.isnan(wanted)):
            target = wanted[j] * size * value
            delta = target / prices[j] - book.units[j]
            if abs(delta) > 1e-12:
                orders.append((target - book.units[j] * prices[j], j, delta))
        for _, j, delta in sorted(orders, key=lambda o: o[0]):  # sells first, then buys from the smallest; stable
            before = book.units[j]
            (book.buy if delta > 0 else book.sell)(j, abs(delta), prices[j])
            after = book.units[j]
            trades += int(after != 0 and (before == 0 or np.sign(after) != np.sign(before)))
        equity[t - first] = book.value(prices)
        positions[t - first] = book.units * prices
    return equity, positions, trades


def _borrow(positions: np.ndarray, equity: np.ndarray, rates: np.ndarray, index: pd.DatetimeIndex) -> np.ndarray:
    """Per bar: the previous close's short value times its annual rate for the days since, over the equity then."""
    out = np.zeros(len(index))
    days = np.diff(index.to_numpy()).astype("timedelta64[s]").astype(np.float64) / 86_400.0
    short = np.where(positions < 0, -positions, 0.0) @ rates
    out[1:] = short[:-1] * days / 365.0 / equity[:-1]
    return out


def simulate(signals, start: pd.Timestamp | None, *, init_cash: float, size: float, fees, slippage, borrow=0.0) -> Reference:
    """Trade ``signals`` (a strategy's, uncut) from the first bar at or after ``start`` by the rules of this module.

    ``fees``, ``slippage`` and ``borrow`` are one fraction for all assets or a
    mapping by asset name with ``"*"`` for the others, as the engine takes them.
    """
    frame = signals.close if isinstance(signals.close, pd.DataFrame) else signals.close.to_frame()
    names = [str(c) for c in frame.columns]
    close = frame.to_numpy(dtype=np.float64)
    first = 0 if start is None else int(frame.index.searchsorted(start))
    book = _Book(float(init_cash), _cost(fees, names), _cost(slippage, names))
    if signals.target_weights is None:
        if close.shape[1] != 1:
            raise NotImplementedError("entry/exit signals on several assets")
        equity, positions, trades = _signal_run(signals, close[:, 0], first, size, book)
    else:
        weights = np.asarray(signals.target_weights, dtype=np.float64).reshape(close.shape)
        equity, positions, trades = _weights_run(weights, close, first, size, book)
    index = frame.index[first:]
    returns = np.empty(len(equity))
    returns[0] = equity[0] / init_cash - 1
    returns[1:] = equity[1:] / equity[:-1] - 1
    returns -= _borrow(positions, equity, _cost(borrow, names), index)
    return Reference(pd.Series(returns, index=index, name="reference"), trades)
