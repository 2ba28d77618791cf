"""Run signals through vectorbt: the only module that imports it.

Every setting is passed explicitly (cash, size, fees, slippage, frequency,
direction, stop fill price); ``vbt.settings`` is never read for a result and
never changed. Numba's compile cache goes under the package cache so a second
run skips compilation.
"""

from __future__ import annotations

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


def _check_settings(size: float, fees: Cost, slippage: Cost, borrow_rate: Cost) -> None:
    if not (0 < size <= 10):
        raise StrategyError(f"size={size} is out of range: use a fraction of equity in (0, 10]")
    for value in _values(borrow_rate):
        if not (0 <= value < 1):
            raise StrategyError(f"borrow_rate={value} is out of range: use an annual fraction in [0, 1), e.g. 0.005 for 0.5 %")
    for name, cost in (("fees", fees), ("slippage", slippage)):
        for value in _values(cost):
            if not (0 <= value < 0.1):
                raise StrategyError(f"{name}={value} is out of range: use a fraction in [0, 0.1), e.g. 0.0002 for 2 bp")


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
    )
    if target_weights is not None:
        return vbt.Portfolio.from_orders(
            close,
            size=target_weights * size,
            size_type=enums.SizeType.TargetPercent,
            direction=enums.Direction.Both,
            val_price=close,
            **common,
        )
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
    freq: str = "1D",
) -> Backtest:
    """Simulate ``signals`` and return returns, equity, exposure and trades.

    Parameters
    ----------
    init_cash : starting equity.
    size : position size as a fraction of equity at entry (1.0 = fully
        invested, no leverage); for ``target_weights`` it scales the weights.
    fees, slippage : fractions of traded value, per side (one for all assets,
        or per asset symbol, see ``Cost``).
    borrow_rate : annual cost of borrowing what is sold short, as a fraction of
        the short position's value; charged each bar on the short value held
        at the previous close (``rate / bars per year``), taken from the
        returns without shrinking the position.
    freq : bar frequency, used by vectorbt for its time arithmetic.
    """
    _check_settings(size, fees, slippage, borrow_rate)
    vbt = _vbt()
    multi = isinstance(signals.close, pd.DataFrame)
    false = None if signals.target_weights is not None else signals.close.astype(bool) & False
    pf = _simulate(
        vbt,
        signals.close,
        entries=false if signals.entries is None else signals.entries,
        exits=false if signals.exits is None else signals.exits,
        short_entries=false if signals.short_entries is None else signals.short_entries,
        short_exits=false if signals.short_exits is None else signals.short_exits,
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
    rates = np.ravel(_per_column(borrow_rate, _names(signals.close)))
    if (rates > 0).any():
        from jpmacro_bt.engine.metrics import periods_per_year

        # Annual cost per bar on each asset's short value at the previous close, over equity.
        short_value = np.abs(np.asarray(pf.asset_value(direction="shortonly", group_by=False) if multi else pf.asset_value(direction="shortonly"), dtype=np.float64))
        cost = (short_value.reshape(len(equity), -1) * rates).sum(axis=1)
        held = pd.Series(cost / equity.to_numpy(), index=equity.index).shift(1, fill_value=0.0)
        returns = (returns - held / periods_per_year(returns.index)).rename("strategy")
        equity = (float(init_cash) * (1 + returns).cumprod()).rename("equity")
    held = pf.position_mask(group_by=False) if multi else pf.position_mask()
    exposure = (held.any(axis=1) if isinstance(held, pd.DataFrame) else held).rename("exposure")
    return Backtest(returns=returns, equity=equity, exposure=exposure, trades=_trades(pf, signals.close))


def _trades(pf, close: pd.Series | pd.DataFrame) -> pd.DataFrame:
    """Positions as a plain table: one row per round trip, open ones marked."""
    rec = pf.positions.records
    index = close.index
    names = list(close.columns) if isinstance(close, pd.DataFrame) else [close.name]
    status = np.where(rec["status"] == 1, "closed", "open")
    table = pd.DataFrame(
        {
            "symbol": [names[c] for c in rec["col"]],
            "direction": np.where(rec["direction"] == 0, "long", "short"),
            "entry_date": index[rec["entry_idx"]].strftime("%Y-%m-%d"),
            "entry_price": rec["entry_price"],
            "exit_date": np.where(status == "closed", index[rec["exit_idx"]].strftime("%Y-%m-%d"), ""),
            "exit_price": np.where(status == "closed", rec["exit_price"], np.nan),
            "size": rec["size"],
            "fees": rec["entry_fees"] + rec["exit_fees"],
            "pnl": rec["pnl"],
            "return": rec["return"],
            "status": status,
        }
    )
    return table.sort_values(["entry_date", "symbol"], kind="stable").reset_index(drop=True)


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
    freq: str = "1D",
) -> Batch:
    """Simulate many signal sets in one vectorbt call, each as its own portfolio.

    The settings are :func:`backtest`'s, passed through the same
    :func:`_simulate`; the signal sets become columns (ungrouped, no cash
    shared between them). A multi-asset set keeps its own cash sharing: its
    assets form one group. Every set must have the same :func:`batch_key`
    and the same close index.
    """
    _check_settings(size, fees, slippage, borrow_rate)
    if not signals:
        raise StrategyError("backtest_many: no signal sets given")
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
    columns = pd.MultiIndex.from_product([range(n), first.close.columns], names=["set", "symbol"]) if multi else pd.RangeIndex(n, name="set")

    def frame(values: np.ndarray) -> pd.DataFrame:
        return pd.DataFrame(values, index=index, columns=columns, copy=False)

    same_close = all(s.close is first.close or s.close.equals(first.close) for s in signals[1:])
    if same_close and not multi:
        close = first.close  # vectorbt broadcasts it across the columns
    else:
        close = frame(_stack([s.close for s in signals], len(index), n_cols, np.nan, np.float64))
    vbt = _vbt()
    if key[0]:
        arrays = dict(
            target_weights=frame(_stack([s.target_weights for s in signals], len(index), n_cols, np.nan, np.float64)),
            entries=None, exits=None, short_entries=None, short_exits=None, sl_stop=None,
        )
    else:
        arrays = {
            name: frame(_stack([getattr(s, name) for s in signals], len(index), n_cols, False, np.bool_))
            for name in ("entries", "exits", "short_entries", "short_exits")
        }
        stops = np.array([np.nan if s.sl_stop is None else float(s.sl_stop) for s in signals], dtype=np.float64)
        arrays["sl_stop"] = np.repeat(stops, width)[None, :]
        arrays["target_weights"] = None
    pf = _simulate(
        vbt,
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
        from jpmacro_bt.engine.metrics import periods_per_year

        # As in backtest(): each asset's short value at the previous close times its rate, over its set's equity.
        equity = np.asarray(pf.value(), dtype=np.float64).reshape(len(index), n)
        short_value = np.abs(np.asarray(pf.asset_value(direction="shortonly", group_by=False), dtype=np.float64)).reshape(len(index), n_cols)
        cost = (short_value * np.broadcast_to(rates, (n_cols,))).reshape(len(index), n, width).sum(axis=2)
        held = np.zeros_like(returns)
        held[1:] = (cost / equity)[:-1]
        returns = returns - held / periods_per_year(index)
    held_mask = np.asarray(pf.position_mask(), dtype=bool).reshape(len(index), n)
    rec = pf.positions.records
    owner = rec["col"] // width
    done = rec["status"] == 1
    return Batch(
        returns=pd.DataFrame(np.asfortranarray(returns[:, :wanted]), index=index, columns=pd.RangeIndex(wanted, name="set"), copy=False),
        exposure=held_mask.mean(axis=0)[:wanted],
        trades=np.bincount(owner, minlength=n)[:wanted],
        closed=np.bincount(owner[done], minlength=n)[:wanted],
        wins=np.bincount(owner[done & (rec["pnl"] > 0)], minlength=n)[:wanted],
    )
