"""Run signals through vectorbt: the only module that imports it.

Every setting is passed explicitly (cash, size, fees, slippage, frequency,
direction, stop fill price); ``vbt.settings`` is never read for a result and
never changed. Numba's compile cache goes under the package cache so a second
run skips compilation.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .errors import StrategyError
from .paths import cache_dir
from .strategy import Signals

__all__ = ["Backtest", "backtest"]


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


def backtest(
    signals: Signals,
    *,
    init_cash: float,
    size: float,
    fees: float,
    slippage: float,
    borrow_rate: float = 0.0,
    freq: str = "1D",
) -> Backtest:
    """Simulate ``signals`` and return returns, equity, exposure and trades.

    Parameters
    ----------
    init_cash : starting equity.
    size : position size as a fraction of equity at entry (1.0 = fully
        invested, no leverage); for ``target_weights`` it scales the weights.
    fees, slippage : fractions of traded value, per side.
    borrow_rate : annual cost of borrowing what is sold short, as a fraction of
        the short position's value; charged each bar on the short value held
        at the previous close (``rate / bars per year``), taken from the
        returns without shrinking the position.
    freq : bar frequency, used by vectorbt for its time arithmetic.
    """
    if not (0 < size <= 10):
        raise StrategyError(f"size={size} is out of range: use a fraction of equity in (0, 10]")
    if not (0 <= borrow_rate < 1):
        raise StrategyError(f"borrow_rate={borrow_rate} is out of range: use an annual fraction in [0, 1), e.g. 0.005 for 0.5 %")
    for name, value in (("fees", fees), ("slippage", slippage)):
        if not (0 <= value < 0.1):
            raise StrategyError(f"{name}={value} is out of range: use a fraction in [0, 0.1), e.g. 0.0002 for 2 bp")
    vbt = _vbt()
    enums = vbt.portfolio.enums
    multi = isinstance(signals.close, pd.DataFrame)
    common = dict(
        init_cash=float(init_cash),
        fees=float(fees),
        fixed_fees=0.0,
        slippage=float(slippage),
        freq=freq,
        cash_sharing=multi,
        group_by=True if multi else None,
        call_seq="auto" if multi else None,
    )
    if signals.target_weights is not None:
        pf = vbt.Portfolio.from_orders(
            signals.close,
            size=signals.target_weights * size,
            size_type=enums.SizeType.TargetPercent,
            direction=enums.Direction.Both,
            val_price=signals.close,
            **common,
        )
    else:
        false = signals.close.astype(bool) & False
        pf = vbt.Portfolio.from_signals(
            signals.close,
            entries=false if signals.entries is None else signals.entries,
            exits=false if signals.exits is None else signals.exits,
            short_entries=false if signals.short_entries is None else signals.short_entries,
            short_exits=false if signals.short_exits is None else signals.short_exits,
            size=float(size),
            size_type=enums.SizeType.Percent,
            # Direction comes from which of entries/short_entries are set.
            accumulate=False,
            upon_opposite_entry=enums.OppositeEntryMode.Reverse,
            sl_stop=np.nan if signals.sl_stop is None else float(signals.sl_stop),
            # Daily closes only: a stop fills at the close that breached it, never at the
            # stop price itself, which the market may have gapped through.
            stop_entry_price=enums.StopEntryPrice.Close,
            stop_exit_price=enums.StopExitPrice.Close,
            upon_stop_exit=enums.StopExitMode.Close,
            **common,
        )
    returns = pf.returns().rename("strategy")
    equity = pf.value().rename("equity")
    if borrow_rate > 0:
        from .report import periods_per_year

        short_value = pf.asset_value(direction="shortonly")
        if isinstance(short_value, pd.DataFrame):
            short_value = short_value.sum(axis=1)
        held = (short_value.abs() / equity).shift(1, fill_value=0.0)
        returns = (returns - borrow_rate / periods_per_year(returns.index) * held).rename("strategy")
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
