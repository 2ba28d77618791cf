"""vectorbt's signal simulation and its accounting, called on plain arrays for many single-asset columns at once.

:func:`simulate_columns` is what ``vbt.Portfolio.from_signals`` followed by
``returns()``, ``position_mask()``, ``positions`` and ``asset_value()`` computes
for ungrouped columns, through the same compiled vectorbt functions and in the
same order: the simulation kernel ``simulate_from_signals_nb`` with the arrays
``from_signals`` hands it, then ``asset_flow_nb`` .. ``returns_nb`` and
``get_exit_trades_nb``/``get_positions_nb``. What it leaves out is the pandas
wrapping of every intermediate (bars x columns) array, which costs more than
the simulation itself once a batch has thousands of columns. The settings are
those of :func:`jpmacro_bt.engine.simulate.backtest` (its module docstring
states the rules); ``tests/test_fast_path.py`` checks the results equal
``from_signals``'s on every shipped strategy and on sweeps with stops.

Only :mod:`jpmacro_bt.engine.simulate` calls this module, with vectorbt
already imported (and its signal kernel cached on disk).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["Columns", "simulate_columns"]


@dataclass(frozen=True)
class Columns:
    """What :func:`simulate_columns` produced, bars x columns.

    Attributes
    ----------
    returns : daily returns of each column's equity.
    value : each column's equity.
    held : True on bars that end with an open position.
    short_value : value of the short position held at each close (0 when flat or long).
    positions : vectorbt's position records (a structured array).
    """

    returns: np.ndarray
    value: np.ndarray
    held: np.ndarray
    short_value: np.ndarray
    positions: np.ndarray


def _scalars(enums, size: float) -> dict[str, np.ndarray]:
    """The settings ``from_signals`` passes as 0-d arrays, as :func:`jpmacro_bt.engine.simulate.backtest` sets them."""
    a = np.asarray
    return dict(
        size=a(float(size)), price=a(np.inf), size_type=a(enums.SizeType.Percent), fixed_fees=a(0.0), min_size=a(0.0), max_size=a(np.inf),
        size_granularity=a(np.nan), reject_prob=a(0.0), lock_cash=a(False), allow_partial=a(True), raise_reject=a(False), log=a(False),
        accumulate=a(False), upon_long_conflict=a(enums.ConflictMode.Entry), upon_short_conflict=a(enums.ConflictMode.Entry),
        upon_dir_conflict=a(enums.DirectionConflictMode.Ignore), upon_opposite_entry=a(enums.OppositeEntryMode.Reverse), val_price=a(np.inf),
        open=a(np.nan), high=a(np.nan), low=a(np.nan), sl_trail=a(False), tp_stop=a(np.nan), stop_entry_price=a(enums.StopEntryPrice.Close),
        stop_exit_price=a(enums.StopExitPrice.Close), upon_stop_exit=a(enums.StopExitMode.Close), upon_stop_update=a(enums.StopUpdateMode.Override),
    )


def _simulate(vbt, close: np.ndarray, signals: dict[str, np.ndarray], sl_stop: np.ndarray, *, init_cash: float, size: float, fees, slippage) -> np.ndarray:
    """Order records of ``from_signals`` on these columns (long/short entries/exits given, no cash shared)."""
    nb, enums = vbt.portfolio.nb, vbt.portfolio.enums
    rows, cols = close.shape
    group_lens = np.ones(cols, dtype=np.int64)
    s = _scalars(enums, size)
    order_records, _ = nb.simulate_from_signals_nb(
        (rows, cols), group_lens, np.full(cols, float(init_cash)), np.zeros((rows, cols), dtype=np.int64, order="F"),
        np.asarray(False), np.asarray(False), np.asarray(enums.Direction.LongOnly),
        signals["entries"], signals["exits"], signals["short_entries"], signals["short_exits"],
        s["size"], s["price"], s["size_type"], np.asarray(fees, dtype=np.float64), s["fixed_fees"], np.asarray(slippage, dtype=np.float64),
        s["min_size"], s["max_size"], s["size_granularity"], s["reject_prob"], s["lock_cash"], s["allow_partial"], s["raise_reject"], s["log"],
        s["accumulate"], s["upon_long_conflict"], s["upon_short_conflict"], s["upon_dir_conflict"], s["upon_opposite_entry"],
        s["val_price"], s["open"], s["high"], s["low"], close, sl_stop, s["sl_trail"], s["tp_stop"],
        s["stop_entry_price"], s["stop_exit_price"], s["upon_stop_exit"], s["upon_stop_update"],
        use_stops=True, auto_call_seq=False, ffill_val_price=True, update_value=False, max_orders=rows * cols, max_logs=1,
        init_temp_records=False, flex_2d=True,
    )
    return order_records


def simulate_columns(vbt, close: np.ndarray, signals: dict[str, np.ndarray], sl_stop: np.ndarray, *, init_cash: float, size: float, fees,
                     slippage, short_value: bool = False) -> Columns:
    """Simulate each column as its own portfolio and account for it as vectorbt's ``Portfolio`` does.

    Parameters
    ----------
    close : bars x columns, float64.
    signals : ``entries``, ``exits``, ``short_entries``, ``short_exits``, each bars x columns, bool.
    sl_stop : 1 x columns, NaN for no stop.
    fees, slippage : a fraction, or 1 x columns.
    short_value : also value the short positions (for borrow); otherwise ``Columns.short_value`` is empty.
    """
    pnb, rnb = vbt.portfolio.nb, vbt.records.nb
    close = np.asfortranarray(close, dtype=np.float64)  # vectorbt's loops run down each column
    rows, cols = close.shape
    orders = _simulate(vbt, close, {k: np.asfortranarray(v) for k, v in signals.items()}, np.ascontiguousarray(sl_stop, dtype=np.float64),
                       init_cash=init_cash, size=size, fees=fees, slippage=slippage)
    col_map = rnb.col_map_nb(orders["col"], cols)
    assets = pnb.assets_nb(pnb.asset_flow_nb((rows, cols), orders, col_map, vbt.portfolio.enums.Direction.Both))
    start = pnb.init_cash_nb(np.full(cols, float(init_cash)), np.ones(cols, dtype=np.int64), False)
    # Intermediates (bars x columns each) are dropped as soon as they are used: a batch has thousands of columns.
    value = pnb.cash_nb(pnb.cash_flow_nb((rows, cols), orders, col_map, False), start)
    filled = _filled(close)  # Portfolio.asset_value: the close filled forward then backward, zero where nothing is held
    value = pnb.value_nb(value, pnb.asset_value_nb(np.where(assets == 0, 0.0, filled), assets))
    shorts = np.empty((0, cols))
    if short_value:
        short = np.where(assets < 0, -assets, 0.0)
        shorts = pnb.asset_value_nb(np.where(short == 0, 0.0, filled), short)
    trades = pnb.get_exit_trades_nb(orders, close, col_map)
    positions = pnb.get_positions_nb(trades, rnb.col_map_nb(trades["col"], cols))
    return Columns(returns=vbt.returns.nb.returns_nb(value, start), value=value, held=assets != 0, short_value=shorts, positions=positions)


def _filled(close: np.ndarray) -> np.ndarray:
    """``close`` forward- then backward-filled down each column (a copy only when something is missing)."""
    if not np.isnan(close).any():
        return close
    import pandas as pd

    return np.asfortranarray(pd.DataFrame(close).ffill().bfill().to_numpy())
