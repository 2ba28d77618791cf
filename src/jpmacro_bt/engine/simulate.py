"""Run signals through vectorbt: the only module that imports it.

Every setting is passed explicitly (cash, size, fees, slippage, frequency,
direction, conflict rules, stop fill price); ``vbt.settings`` is never read
for a result and never changed. Numba's compile cache goes under the package
cache, vectorbt's signal simulator included (:func:`_cache_signal_kernel`),
so a new process loads compiled code instead of compiling it.

:func:`backtest` runs ``vbt.Portfolio.from_signals`` (or ``from_orders`` for
target weights). :func:`backtest_many` gives single-asset signal sets, the
bulk of a sweep, to the same compiled vectorbt functions on plain arrays
(:mod:`jpmacro_bt.engine.kernels`), and the rest to ``vbt.Portfolio``.

The rules a backtest follows (``tests/reference.py`` re-implements them in a
plain loop over bars, and every strategy must agree with it):

* Orders fill at the bar's close, the price moved against the trade by
  ``slippage``, and pay ``fees`` on the value traded, per side. A buy never
  spends more cash than there is (fees included): the engine lends no cash.
* Entries and exits: an entry opens a position from flat, buying or selling
  ``size * equity / (p * (1 + fees))`` units at the slipped price ``p`` (value
  and fees together take ``size`` of the equity); an exit closes a position
  of its direction. A run that starts where the signals already hold a
  position takes it at its first close (:meth:`Signals.cut`). An entry on a bar that also has an exit of its direction
  keeps the position (no order, no cost) and starts a new trade at that
  close; a long and a short entry on one bar cancel; an opposite entry while
  in a position is refused (use target weights to reverse). A stop-loss is
  measured from the close at which the position opened, checked at each later
  close, and filled at the close that breached it; that bar's signals are
  then ignored.
* Target weights: at each close with a weight given, the asset is traded to
  ``weight * size`` of the equity valued at that close (NaN keeps the
  position as it drifted). Orders at one close go sells first, then buys from
  the smallest to the largest; a buy the cash cannot pay is cut to what it
  can.
* Borrow: a short pays ``borrow_rate`` a year of its value at the previous
  close, accrued over the calendar days since that close (act/365), taken
  from the bar's return without shrinking the position. FX pays none: its
  carry is in the strategies' carry-inclusive prices.
"""

from __future__ import annotations

import gc
import math
import os
import sys
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import pandas as pd

from jpmacro_bt.engine.holds import column_names, continued, split_holds, trades_table
from jpmacro_bt.engine.kernels import simulate_columns
from jpmacro_bt.errors import StrategyError
from jpmacro_bt.paths import cache_dir
from jpmacro_bt.strategy import Signals

__all__ = ["Backtest", "Batch", "backtest", "backtest_many", "batch_key"]


@dataclass(frozen=True)
class Backtest:
    """What a backtest produced.

    Attributes
    ----------
    returns : daily returns of the portfolio's equity, indexed by bar date.
    equity : portfolio value, starting at ``init_cash``.
    exposure : True on bars that end with an open position.
    trades : one row per position (see :func:`_trades`).
    """

    returns: pd.Series
    equity: pd.Series
    exposure: pd.Series
    trades: pd.DataFrame


def _vbt():
    os.environ.setdefault("NUMBA_CACHE_DIR", str(cache_dir() / "numba"))
    if "vectorbt" not in sys.modules:
        # Importing vectorbt (with quantstats, scipy, matplotlib and plotly) makes about a million objects, and the
        # collector would walk them again and again while they are made (about a second of a run). None of them is
        # garbage: they are collected never while importing, and frozen afterwards, out of every later collection.
        gc.disable()
        try:
            import vectorbt  # noqa: F401 - loaded here, bound below
        finally:
            gc.freeze()
            gc.enable()
    import vectorbt as vbt

    _cache_signal_kernel(vbt)
    return vbt


def _cache_signal_kernel(vbt) -> None:
    """Keep vectorbt's compiled signal simulator on disk, as its other kernels are.

    ``from_signals`` without callbacks runs the static kernel
    ``simulate_from_signals_nb``, which takes plain arrays only; vectorbt 1.2
    declares it without ``cache=True``, so every new process compiled it again
    (5-10 s). Caching that same dispatcher changes nothing but where its machine
    code comes from: numba keys the cache on vectorbt's source file (a new
    vectorbt version compiles afresh) and on numba's version.
    """
    kernel = vbt.portfolio.nb.simulate_from_signals_nb
    if type(kernel._cache).__name__ == "NullCache":
        kernel.enable_caching()


# A cost is one fraction for every asset, or a fraction per asset symbol with
# "*" for any other column (a basket mixing asset classes pays each its own).
Cost = float | Mapping[str, float]


def _values(cost: Cost) -> list[float]:
    return [float(v) for v in cost.values()] if isinstance(cost, Mapping) else [float(cost)]


def _per_column(cost: Cost, names: Sequence[object]) -> float | np.ndarray:
    """``cost`` for each column named ``names``: a scalar when all are equal, else a (1, columns) row."""
    if not isinstance(cost, Mapping):
        return float(cost)
    values = [float(cost.get(str(n), cost["*"])) for n in names]
    return values[0] if len(set(values)) == 1 else np.asarray(values, dtype=np.float64)[None, :]


def _check_settings(size: float, fees: Cost, slippage: Cost, borrow_rate: Cost, leverage: float | None = None) -> None:
    if not (0 < size <= 10):
        raise StrategyError(f"size={size} is out of range: use a fraction of equity in (0, 10]")
    if leverage is not None and not (math.isfinite(leverage) and 0 < leverage <= 10):
        raise StrategyError(f"leverage={leverage} is out of range: use the largest gross exposure allowed, a multiple of equity in (0, 10]")
    for value in _values(borrow_rate):
        if not (0 <= value < 1):
            raise StrategyError(f"borrow_rate={value} is out of range: use an annual fraction in [0, 1), e.g. 0.005 for 0.5 %")
    for name, cost in (("fees", fees), ("slippage", slippage)):
        for value in _values(cost):
            if not (0 <= value < 0.1):
                raise StrategyError(f"{name}={value} is out of range: use a fraction in [0, 0.1), e.g. 0.0002 for 2 bp")


def _check_exposure(signals: Signals, size: float, leverage: float | None) -> None:
    """Refuse what the simulation cannot do or was not allowed to: infinite weights, gross exposure beyond
    ``size`` without ``leverage`` (or beyond ``leverage``), and buying with cash the portfolio does not have."""
    if signals.target_weights is None:
        if size > 1 and signals.entries is not None and bool(np.asarray(signals.entries, dtype=bool).any()):
            raise StrategyError(
                f"size={size:g} with long entries: a long position is paid in cash and the engine lends none, so it would "
                f"silently hold 1x; use --size 1 or less for strategies that buy"
            )
        return
    frame = signals.target_weights
    frame = frame.to_frame(signals.close.name) if isinstance(frame, pd.Series) else frame
    values = frame.to_numpy(dtype=np.float64)
    if np.isinf(values).any():
        t, j = np.argwhere(np.isinf(values))[0]
        raise StrategyError(
            f"target weight {values[t, j]} for {frame.columns[j]} on {frame.index[t]:%Y-%m-%d} is not a fraction of equity; "
            f"return finite weights (NaN keeps the position)"
        )
    held = np.nan_to_num(frame.ffill().to_numpy(dtype=np.float64), nan=0.0) * size  # exposure intended at each close
    gross = np.abs(held).sum(axis=1)
    limit = size if leverage is None else leverage
    for t in np.flatnonzero(gross > limit * (1 + 1e-9))[:1]:
        day, value = f"{frame.index[t]:%Y-%m-%d}", f"{gross[t]:.4g}x equity"
        if leverage is None:
            raise StrategyError(
                f"target weights on {day} hold a gross exposure of {value}, beyond --size {size:g}: "
                f"allow it with --leverage {math.ceil(gross[t] * 100) / 100:g} (leverage=) or scale the weights down"
            )
        raise StrategyError(f"target weights on {day} hold a gross exposure of {value}, beyond --leverage {leverage:g}; raise it or scale the weights down")
    net = held.sum(axis=1)
    for t in np.flatnonzero(net > 1 + 1e-9)[:1]:
        raise StrategyError(
            f"target weights on {frame.index[t]:%Y-%m-%d} hold a net long exposure of {net[t]:.4g}x equity: longs are paid "
            f"in cash and the engine lends none, so they would silently be cut; keep longs minus shorts at 1x equity or less"
        )


def _accrual(index: pd.Index) -> np.ndarray:
    """Calendar days from each bar's previous bar, in years (act/365); 0 on the first bar."""
    days = np.zeros(len(index))
    if len(index) > 1:
        dates = pd.DatetimeIndex(index)
        days[1:] = (dates[1:] - dates[:-1]).total_seconds().to_numpy() / 86_400.0
    return days / 365.0


def _simulate(
    vbt,
    close,
    *,
    entries,
    exits,
    short_entries,
    short_exits,
    sl_stop,
    target_weights,
    init_cash: float,
    size: float,
    fees: float | np.ndarray,
    slippage: float | np.ndarray,
    freq: str,
    cash_sharing: bool,
    group_by,
):
    """The one vectorbt call behind :func:`backtest` and :func:`backtest_many`: every setting explicit.

    ``target_weights`` not None simulates orders towards those weights (times
    ``size``); otherwise the four signal arrays (all given, False where unused)
    and ``sl_stop`` (NaN = no stop; a scalar or one value per column). With
    ``cash_sharing`` the columns of a group share one cash balance and are
    ordered automatically (sells before buys).
    """
    enums = vbt.portfolio.enums
    common = dict(
        init_cash=float(init_cash),
        fees=fees,
        fixed_fees=0.0,
        slippage=slippage,
        freq=freq,
        cash_sharing=cash_sharing,
        group_by=group_by,
        call_seq="auto" if cash_sharing else None,
        # A buy is cut to the cash there is (no loan); a short is not limited by cash.
        lock_cash=False,
        allow_partial=True,
        min_size=0.0,
    )
    if target_weights is not None:
        return vbt.Portfolio.from_orders(
            close,
            size=target_weights * size,
            size_type=enums.SizeType.TargetPercent,
            direction=enums.Direction.Both,
            val_price=close,
            # Every order of a close is sized on the equity valued before the first of them.
            update_value=False,
            **common,
        )
    with _no_reversal():
        return _from_signals(vbt, close, enums, entries, exits, short_entries, short_exits, sl_stop, size, common)


@contextmanager
def _no_reversal() -> Iterator[None]:
    """vectorbt's refusal to reverse a position sized as a fraction of equity, as a user error that says what to do."""
    try:
        yield
    except ValueError as exc:
        if "reversal" not in str(exc):
            raise
        raise StrategyError(
            "signals: an entry came while a position of the other direction was open, and sized as a fraction of equity "
            "a position cannot be reversed in one order; exit first, or give target_weights (-1 .. 1)"
        ) from None


def _from_signals(vbt, close, enums, entries, exits, short_entries, short_exits, sl_stop, size: float, common: dict):
    return vbt.Portfolio.from_signals(
        close,
        entries=entries,
        exits=exits,
        short_entries=short_entries,
        short_exits=short_exits,
        size=float(size),
        size_type=enums.SizeType.Percent,
        # Direction comes from which of entries/short_entries are set.
        accumulate=False,
        upon_opposite_entry=enums.OppositeEntryMode.Reverse,
        # An entry on the bar of an exit (back-to-back holds) keeps the position; its new trade is
        # cut out of the position afterwards (see _split_holds). Opposite entries on one bar cancel.
        upon_long_conflict=enums.ConflictMode.Entry,
        upon_short_conflict=enums.ConflictMode.Entry,
        upon_dir_conflict=enums.DirectionConflictMode.Ignore,
        sl_stop=sl_stop,
        # Daily closes only: a stop fills at the close that breached it, never at the
        # stop price itself, which the market may have gapped through.
        stop_entry_price=enums.StopEntryPrice.Close,
        stop_exit_price=enums.StopExitPrice.Close,
        upon_stop_exit=enums.StopExitMode.Close,
        **common,
    )


def backtest(
    signals: Signals,
    *,
    init_cash: float,
    size: float,
    fees: Cost,
    slippage: Cost,
    borrow_rate: Cost = 0.0,
    leverage: float | None = None,
    freq: str = "1D",
) -> Backtest:
    """Simulate ``signals`` and return returns, equity, exposure and trades (the rules: the module docstring).

    Parameters
    ----------
    init_cash : starting equity.
    size : position size as a fraction of equity at entry (1.0 = fully
        invested, no leverage); for ``target_weights`` it scales the weights.
    fees, slippage : fractions of traded value, per side (one for all assets,
        or per asset symbol, see ``Cost``).
    borrow_rate : annual cost of borrowing what is sold short, as a fraction of
        the short position's value; charged each bar on the short value held
        at the previous close for the calendar days since (act/365), taken
        from the returns without shrinking the position.
    leverage : the largest gross exposure target weights may ask for, as a
        multiple of equity; None allows no more than ``size``.
    freq : bar frequency, used by vectorbt for its time arithmetic.
    """
    _check_settings(size, fees, slippage, borrow_rate, leverage)
    _check_exposure(signals, size, leverage)
    vbt = _vbt()
    multi = isinstance(signals.close, pd.DataFrame)
    false = None if signals.target_weights is not None else signals.close.astype(bool) & False
    arrays = {k: false if getattr(signals, k) is None else getattr(signals, k) for k in ("entries", "exits", "short_entries", "short_exits")}
    pf = _simulate(
        vbt,
        signals.close,
        **arrays,
        sl_stop=np.nan if signals.sl_stop is None else float(signals.sl_stop),
        target_weights=signals.target_weights,
        init_cash=init_cash,
        size=size,
        fees=_per_column(fees, column_names(signals.close)),
        slippage=_per_column(slippage, column_names(signals.close)),
        freq=freq,
        cash_sharing=multi,
        group_by=True if multi else None,
    )
    returns = pf.returns().rename("strategy")
    equity = pf.value().rename("equity")
    names = column_names(signals.close)
    rates = np.ravel(_per_column(borrow_rate, names))
    if (rates > 0).any():
        cost = _borrow(pf.value().to_numpy(), _short_value(pf), rates, returns.index, 1, len(names))[:, 0]
        returns = pd.Series(returns.to_numpy() - cost, index=returns.index, name="strategy")
        equity = (float(init_cash) * (1 + returns).cumprod()).rename("equity")
    held = pf.position_mask(group_by=False) if multi else pf.position_mask()
    exposure = (held.any(axis=1) if isinstance(held, pd.DataFrame) else held).rename("exposure")
    shape = (len(signals.close.index), len(names))
    holds = split_holds(pf.positions.records, np.asarray(signals.close, dtype=np.float64).reshape(shape), *continued(arrays, shape))
    return Backtest(returns=returns, equity=equity, exposure=exposure, trades=trades_table(holds, signals.close))


def _short_value(pf) -> np.ndarray:
    """Value of the short position of every column at each close (bars x columns, 0 when not short)."""
    return np.asarray(pf.asset_value(direction="shortonly", group_by=False), dtype=np.float64)


def _borrow(equity: np.ndarray, short_value: np.ndarray, rates: np.ndarray, index: pd.Index, sets: int, width: int) -> np.ndarray:
    """Borrow per bar (bars x sets), a fraction of each set's equity: every asset's short value at the previous
    close times its annual rate (one per column), over the set's equity then, for the calendar days since."""
    bars = len(index)
    equity = np.asarray(equity, dtype=np.float64).reshape(bars, sets)
    short_value = np.abs(np.asarray(short_value, dtype=np.float64)).reshape(bars, sets * width)
    cost = (short_value * np.broadcast_to(rates, (sets * width,))).reshape(bars, sets, width).sum(axis=2)
    held = np.zeros((bars, sets))
    held[1:] = (cost / equity)[:-1]
    return held * _accrual(index)[:, None]


def _stacked(signals: list[Signals], width: int) -> tuple[pd.Series | pd.DataFrame, dict[str, object]]:
    """The close and the signal arrays of many signal sets side by side (bars x sets * width), as :func:`_simulate` takes them."""
    first = signals[0]
    index, n = first.close.index, len(signals)
    n_cols = n * width
    multi = isinstance(first.close, pd.DataFrame)
    columns = pd.MultiIndex.from_product([range(n), first.close.columns], names=["set", "symbol"]) if multi else pd.RangeIndex(n, name="set")

    def frame(frames: list, fill, dtype) -> pd.DataFrame:
        return pd.DataFrame(_stack(frames, len(index), n_cols, fill, dtype), index=index, columns=columns, copy=False)

    same_close = all(s.close is first.close or s.close.equals(first.close) for s in signals[1:])
    close = first.close if same_close and not multi else frame([s.close for s in signals], np.nan, np.float64)  # a Series broadcasts
    if first.target_weights is not None:
        weights = frame([s.target_weights for s in signals], np.nan, np.float64)
        return close, dict(target_weights=weights, entries=None, exits=None, short_entries=None, short_exits=None, sl_stop=None)
    arrays: dict[str, object] = {
        name: frame([getattr(s, name) for s in signals], False, np.bool_) for name in ("entries", "exits", "short_entries", "short_exits")
    }
    stops = np.array([np.nan if s.sl_stop is None else float(s.sl_stop) for s in signals], dtype=np.float64)
    arrays["sl_stop"] = np.repeat(stops, width)[None, :]
    arrays["target_weights"] = None
    return close, arrays


@dataclass(frozen=True)
class Batch:
    """Many backtests simulated as the columns of one vectorbt call.

    Column ``j`` of each field belongs to the ``j``-th signal set given to
    :func:`backtest_many` and equals what :func:`backtest` gives for it alone.

    Attributes
    ----------
    returns : daily returns, bars x signal sets.
    exposure : share of bars that end with an open position, per signal set.
    trades : positions opened (closed and still open), per signal set.
    closed : closed positions, per signal set.
    wins : closed positions with a positive P&L, per signal set.
    """

    returns: pd.DataFrame
    exposure: np.ndarray
    trades: np.ndarray
    closed: np.ndarray
    wins: np.ndarray


def batch_key(signals: Signals) -> tuple:
    """Signal sets with equal keys can share one :func:`backtest_many` call (same kind, same bars and assets)."""
    close = signals.close
    columns = tuple(close.columns) if isinstance(close, pd.DataFrame) else None
    index = close.index
    ends = (index[0], index[-1]) if len(index) else (None, None)
    return (signals.target_weights is not None, columns, len(index), *ends)


def _stack(frames: list, rows: int, n_cols: int, fill, dtype, order: str = "C") -> np.ndarray:
    """Side by side as one bars x columns array; a None member becomes ``fill``.

    One memory order whatever the width, so that every batch has one compiled layout: C for ``vbt.Portfolio``,
    F (each column contiguous) for :mod:`jpmacro_bt.engine.kernels`, whose loops run down each column.
    """
    width = n_cols // len(frames)
    out = np.empty((rows, n_cols), dtype=dtype, order=order)
    for j, frame in enumerate(frames):
        block = out[:, j * width : (j + 1) * width]
        if frame is None:
            block[:] = fill
        else:
            block[:] = frame.to_numpy(dtype=dtype).reshape(rows, width)
    return out


def backtest_many(
    signals: list[Signals],
    *,
    init_cash: float,
    size: float,
    fees: Cost,
    slippage: Cost,
    borrow_rate: Cost = 0.0,
    leverage: float | None = None,
    freq: str = "1D",
) -> Batch:
    """Simulate many signal sets in one vectorbt call, each as its own portfolio.

    The settings are :func:`backtest`'s; the signal sets become columns
    (ungrouped, no cash shared between them). Single-asset entry/exit sets go
    through :func:`jpmacro_bt.engine.kernels.simulate_columns` (vectorbt's own
    compiled functions, without a pandas object per step); multi-asset and
    target-weight sets through the same :func:`_simulate` as :func:`backtest`,
    a multi-asset set keeping its own cash sharing (its assets form one
    group). Every set must have the same :func:`batch_key` and the same close index.
    """
    _check_settings(size, fees, slippage, borrow_rate, leverage)
    if not signals:
        raise StrategyError("backtest_many: no signal sets given")
    for sig in signals:
        _check_exposure(sig, size, leverage)
    first = signals[0]
    key = batch_key(first)
    index = first.close.index
    for sig in signals[1:]:
        if batch_key(sig) != key or not sig.close.index.equals(index):
            raise StrategyError("backtest_many: every signal set must have the same kind, assets and bars; group them by batch_key() first")
    wanted = len(signals)
    multi = isinstance(first.close, pd.DataFrame)
    plain = not multi and first.target_weights is None
    if wanted == 1 and not plain:
        # vectorbt lays out one column's arrays differently from several (C against F/strided), which would be
        # another compiled signature of its kernels: a twin column keeps the one layout.
        signals = [first, first]
    n, width = len(signals), first.close.shape[1] if multi else 1
    names = column_names(first.close) * n
    rates = np.ravel(_per_column(borrow_rate, names))
    kw = dict(init_cash=init_cash, size=size, fees=_per_column(fees, names), slippage=_per_column(slippage, names))
    if plain:
        returns, held_mask, records, close, arrays = _signal_columns(signals, rates, **kw)
    else:
        returns, held_mask, records, close, arrays = _portfolio_columns(signals, width, rates, freq=freq, **kw)
    bars, n_cols = len(index), n * width
    close_values = np.broadcast_to(np.asarray(close, dtype=np.float64).reshape(bars, -1), (bars, n_cols))
    rec = split_holds(records, close_values, *continued(arrays, (bars, n_cols)))
    owner = rec["col"] // width
    done = rec["status"] == 1
    return Batch(
        returns=pd.DataFrame(np.asfortranarray(returns[:, :wanted]), index=index, columns=pd.RangeIndex(wanted, name="set"), copy=False),
        exposure=held_mask.mean(axis=0)[:wanted],
        trades=np.bincount(owner, minlength=n)[:wanted],
        closed=np.bincount(owner[done], minlength=n)[:wanted],
        wins=np.bincount(owner[done & (rec["pnl"] > 0)], minlength=n)[:wanted],
    )


def _signal_columns(signals: list[Signals], rates: np.ndarray, *, init_cash: float, size: float, fees, slippage):
    """Single-asset signal sets, one column each, through vectorbt's kernels on plain arrays (:mod:`jpmacro_bt.engine.kernels`).

    Returns the returns (bars x sets, borrow taken), the held mask, vectorbt's position records, and the close and
    signal arrays simulated.
    """
    rows, n = len(signals[0].close.index), len(signals)
    close = _stack([s.close for s in signals], rows, n, np.nan, np.float64, "F")
    names = ("entries", "exits", "short_entries", "short_exits")
    arrays = {name: _stack([getattr(s, name) for s in signals], rows, n, False, np.bool_, "F") for name in names}
    stops = np.array([np.nan if s.sl_stop is None else float(s.sl_stop) for s in signals], dtype=np.float64)[None, :]
    borrow = bool((rates > 0).any())
    with _no_reversal():
        cols = simulate_columns(_vbt(), close, arrays, stops, init_cash=init_cash, size=size, fees=fees, slippage=slippage, short_value=borrow)
    returns = cols.returns - _borrow(cols.value, cols.short_value, rates, signals[0].close.index, n, 1) if borrow else cols.returns
    return returns, cols.held, cols.positions, close, arrays


def _portfolio_columns(signals: list[Signals], width: int, rates: np.ndarray, *, freq: str, **kw):
    """Multi-asset or target-weight sets through ``vbt.Portfolio`` (:func:`_simulate`), a multi-asset set one group; as :func:`_signal_columns`."""
    n = len(signals)
    multi = isinstance(signals[0].close, pd.DataFrame)
    close, arrays = _stacked(signals, width)
    pf = _simulate(_vbt(), close, **arrays, freq=freq, cash_sharing=multi, group_by=np.repeat(np.arange(n), width) if multi else None, **kw)
    index = signals[0].close.index
    returns = np.asarray(pf.returns(), dtype=np.float64).reshape(len(index), n)
    if (rates > 0).any():
        returns = returns - _borrow(pf.value().to_numpy(), _short_value(pf), rates, index, n, width)
    held_mask = np.asarray(pf.position_mask(), dtype=bool).reshape(len(index), n)
    return returns, held_mask, pf.positions.records, close, arrays
