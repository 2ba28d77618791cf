"""Trades as a table: vectorbt's positions, cut where one hold ends and the next begins on the same bar.

Pure numpy and pandas: :mod:`jpmacro_bt.engine.simulate` hands these functions
vectorbt's position records and the signal arrays it simulated.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

__all__ = ["HOLD_FIELDS", "column_names", "continued", "split_holds", "trades_table"]


def column_names(close: pd.Series | pd.DataFrame) -> list[object]:
    """The asset of each column of ``close`` (a Series is one asset, named by its name)."""
    return list(close.columns) if isinstance(close, pd.DataFrame) else [close.name]


def continued(arrays: Mapping[str, object], shape: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """Bars (x columns) where a long, and a short, entry meets an exit of its own direction: a hold ends and the next
    begins. ``arrays`` are the four signal arrays as simulated (None for target weights)."""

    def both(entries, exits) -> np.ndarray:
        if entries is None or exits is None:
            return np.zeros(shape, dtype=bool)
        return np.asarray(entries, dtype=bool).reshape(shape) & np.asarray(exits, dtype=bool).reshape(shape)

    return both(arrays["entries"], arrays["exits"]), both(arrays["short_entries"], arrays["short_exits"])


HOLD_FIELDS = ("col", "direction", "size", "entry_idx", "entry_price", "entry_fees", "exit_idx", "exit_price", "exit_fees", "status", "pnl", "return")


def split_holds(rec, close: np.ndarray, long_next: np.ndarray, short_next: np.ndarray) -> dict[str, np.ndarray]:
    """vectorbt's positions as trades, one per hold.

    A position kept through a bar where its hold ended and the next began is
    cut there into two trades, the first exited and the second entered at that
    bar's close (no order was made there, so no fee); their P&L adds up to the
    position's. Other positions are vectorbt's records as they are.
    """
    out = {k: np.asarray(rec[k]) for k in HOLD_FIELDS}
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
    pieces: dict[str, list[np.ndarray]] = {k: [] for k in HOLD_FIELDS}
    for r in range(len(col)):
        if r not in cuts_of:
            for name in HOLD_FIELDS:
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
        for name in HOLD_FIELDS:
            pieces[name].append(part[name])
    return {name: np.concatenate(parts).astype(out[name].dtype) for name, parts in pieces.items()}


def trades_table(holds: dict[str, np.ndarray], close: pd.Series | pd.DataFrame) -> pd.DataFrame:
    """Trades as a plain table: one row per hold (see :func:`split_holds`), open ones marked."""
    index = close.index
    names = column_names(close)
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
