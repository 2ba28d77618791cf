"""Run signals through vectorbt: the only module that imports it.

Every setting is passed explicitly (cash, size, fees, slippage, frequency,
direction, conflict rules, stop fill price); ``vbt.settings`` is never read
for a result and never changed. Numba's compile cache goes under the package
cache so a second run skips compilation.

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

import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

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
    import vectorbt as vbt

    return vbt


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


def _names(close: pd.Series | pd.DataFrame) -> list[object]:
    return list(close.columns) if isinstance(close, pd.DataFrame) else [close.name]


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
    try:
        return _from_signals(vbt, close, enums, entries, exits, short_entries, short_exits, sl_stop, size, common)
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
        fees=_per_column(fees, _names(signals.close)),
        slippage=_per_column(slippage, _names(signals.close)),
        freq=freq,
        cash_sharing=multi,
        group_by=True if multi else None,
    )
    returns = pf.returns().rename("strategy")
    equity = pf.value().rename("equity")
    names = _names(signals.close)
    rates = np.ravel(_per_column(borrow_rate, names))
    if (rates > 0).any():
        returns = pd.Series(returns.to_numpy() - _borrow(pf, rates, returns.index, 1, len(names))[:, 0], index=returns.index, name="strategy")
        equity = (float(init_cash) * (1 + returns).cumprod()).rename("equity")
    held = pf.position_mask(group_by=False) if multi else pf.position_mask()
    exposure = (held.any(axis=1) if isinstance(held, pd.DataFrame) else held).rename("exposure")
    shape = (len(signals.close.index), len(names))
    holds = _split_holds(pf.positions.records, np.asarray(signals.close, dtype=np.float64).reshape(shape), *_continued(arrays, shape))
    return Backtest(returns=returns, equity=equity, exposure=exposure, trades=_trades(holds, signals.close))


def _borrow(pf, rates: np.ndarray, index: pd.Index, sets: int, width: int) -> np.ndarray:
    """Borrow per bar (bars x sets), a fraction of each set's equity: every asset's short value at the previous
    close times its annual rate (one per column), over the set's equity then, for the calendar days since."""
    bars = len(index)
    equity = np.asarray(pf.value(), dtype=np.float64).reshape(bars, sets)
    short_value = np.abs(np.asarray(pf.asset_value(direction="shortonly", group_by=False), dtype=np.float64)).reshape(bars, sets * width)
    cost = (short_value * np.broadcast_to(rates, (sets * width,))).reshape(bars, sets, width).sum(axis=2)
    held = np.zeros((bars, sets))
    held[1:] = (cost / equity)[:-1]
    return held * _accrual(index)[:, None]


def _continued(arrays: Mapping[str, object], shape: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """Bars (x columns) where a long, and a short, entry meets an exit of its own direction: a hold ends and the next
    begins. ``arrays`` are the four signal arrays as simulated (None for target weights)."""

    def both(entries, exits) -> np.ndarray:
        if entries is None or exits is None:
            return np.zeros(shape, dtype=bool)
        return np.asarray(entries, dtype=bool).reshape(shape) & np.asarray(exits, dtype=bool).reshape(shape)

    return both(arrays["entries"], arrays["exits"]), both(arrays["short_entries"], arrays["short_exits"])


_HOLD_FIELDS = ("col", "direction", "size", "entry_idx", "entry_price", "entry_fees", "exit_idx", "exit_price", "exit_fees", "status", "pnl", "return")


def _split_holds(rec, close: np.ndarray, long_next: np.ndarray, short_next: np.ndarray) -> dict[str, np.ndarray]:
    """vectorbt's positions as trades, one per hold.

    A position kept through a bar where its hold ended and the next began is
    cut there into two trades, the first exited and the second entered at that
    bar's close (no order was made there, so no fee); their P&L adds up to the
    position's. Other positions are vectorbt's records as they are.
    """
    out = {k: np.asarray(rec[k]) for k in _HOLD_FIELDS}
    n = close.shape[0]
    col, entry = out["col"], out["entry_idx"]
    end = np.where(out["status"] == 1, out["exit_idx"], n)  # cut strictly inside the position
    marked = (long_next.any(axis=0), short_next.any(axis=0))
    cuts_of: dict[int, np.ndarray] = {}
    for r in np.flatnonzero(np.where(out["direction"] == 0, marked[0][col], marked[1][col])):
        marks = (long_next if out["direction"][r] == 0 else short_next)[entry[r] + 1 : end[r], col[r]]
        if marks.any():
            cuts_of[r] = np.flatnonzero(marks) + entry[r] + 1
    if not cuts_of:
        return out
    pieces: dict[str, list[np.ndarray]] = {k: [] for k in _HOLD_FIELDS}
    for r in range(len(col)):
        if r not in cuts_of:
            for name in _HOLD_FIELDS:
                pieces[name].append(out[name][r : r + 1])
            continue
        cuts = cuts_of[r]
        k = len(cuts) + 1
        part = {name: np.repeat(out[name][r], k) for name in ("col", "direction", "size")}
        part["entry_idx"], part["exit_idx"] = np.r_[entry[r], cuts], np.r_[cuts, out["exit_idx"][r]]
        part["entry_price"] = np.r_[out["entry_price"][r], close[cuts, col[r]]]
        part["exit_price"] = np.r_[close[cuts, col[r]], out["exit_price"][r]]
        part["entry_fees"] = np.r_[out["entry_fees"][r], np.zeros(k - 1)]
        part["exit_fees"] = np.r_[np.zeros(k - 1), out["exit_fees"][r]]
        part["status"] = np.r_[np.ones(k - 1, dtype=out["status"].dtype), out["status"][r]]
        # As vectorbt computes a trade's P&L and return.
        value = part["size"] * part["entry_price"]
        sign = 1.0 if out["direction"][r] == 0 else -1.0
        part["pnl"] = sign * (part["size"] * part["exit_price"] - value) - part["entry_fees"] - part["exit_fees"]
        part["return"] = part["pnl"] / value
        for name in _HOLD_FIELDS:
            pieces[name].append(part[name])
    return {name: np.concatenate(parts).astype(out[name].dtype) for name, parts in pieces.items()}


def _trades(holds: dict[str, np.ndarray], close: pd.Series | pd.DataFrame) -> pd.DataFrame:
    """Trades as a plain table: one row per hold (see :func:`_split_holds`), open ones marked."""
    index = close.index
    names = _names(close)
    status = np.where(holds["status"] == 1, "closed", "open")
    table = pd.DataFrame(
        {
            "symbol": [names[c] for c in holds["col"]],
            "direction": np.where(holds["direction"] == 0, "long", "short"),
            "entry_date": index[holds["entry_idx"]].strftime("%Y-%m-%d"),
            "entry_price": holds["entry_price"],
            "exit_date": np.where(status == "closed", index[holds["exit_idx"]].strftime("%Y-%m-%d"), ""),
            "exit_price": np.where(status == "closed", holds["exit_price"], np.nan),
            "size": holds["size"],
            "fees": holds["entry_fees"] + holds["exit_fees"],
            "pnl": holds["pnl"],
            "return": holds["return"],
            "status": status,
        }
    )
    return table.sort_values(["entry_date", "symbol"], kind="stable").reset_index(drop=True)


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


def _stack(frames: list, rows: int, n_cols: int, fill, dtype) -> np.ndarray:
    """Side by side as one bars x columns array; a None member becomes ``fill``."""
    width = n_cols // len(frames)
    out = np.empty((rows, n_cols), dtype=dtype)  # C order whatever the width: one compiled layout for every batch
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

    The settings are :func:`backtest`'s, passed through the same
    :func:`_simulate`; the signal sets become columns (ungrouped, no cash
    shared between them). A multi-asset set keeps its own cash sharing: its
    assets form one group. Every set must have the same :func:`batch_key`
    and the same close index.
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
    if wanted == 1:
        # vectorbt lays out one column's arrays differently from several (C against F/strided), and its signal
        # simulator, not cacheable on disk, compiles once per layout: a twin column keeps the one layout.
        signals = [first, first]
    n = len(signals)
    multi = isinstance(first.close, pd.DataFrame)
    width = first.close.shape[1] if multi else 1
    n_cols = n * width
    close, arrays = _stacked(signals, width)
    pf = _simulate(
        _vbt(),
        close,
        **arrays,
        init_cash=init_cash,
        size=size,
        fees=_per_column(fees, _names(first.close) * n),
        slippage=_per_column(slippage, _names(first.close) * n),
        freq=freq,
        cash_sharing=multi,
        group_by=np.repeat(np.arange(n), width) if multi else None,
    )
    returns = np.asarray(pf.returns(), dtype=np.float64).reshape(len(index), n)
    rates = np.ravel(_per_column(borrow_rate, _names(first.close) * n))
    if (rates > 0).any():
        returns = returns - _borrow(pf, rates, index, n, width)
    held_mask = np.asarray(pf.position_mask(), dtype=bool).reshape(len(index), n)
    close_values = np.broadcast_to(np.asarray(close, dtype=np.float64).reshape(len(index), -1), (len(index), n_cols))
    rec = _split_holds(pf.positions.records, close_values, *_continued(arrays, (len(index), n_cols)))
    owner = rec["col"] // width
    done = rec["status"] == 1
    return Batch(
        returns=pd.DataFrame(np.asfortranarray(returns[:, :wanted]), index=index, columns=pd.RangeIndex(wanted, name="set"), copy=False),
        exposure=held_mask.mean(axis=0)[:wanted],
        trades=np.bincount(owner, minlength=n)[:wanted],
        closed=np.bincount(owner[done], minlength=n)[:wanted],
        wins=np.bincount(owner[done & (rec["pnl"] > 0)], minlength=n)[:wanted],
    )
