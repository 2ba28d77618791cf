"""Walk-forward validation: parameters chosen in sample, traded out of sample.

The bars of a sweep are cut into ``folds + 1`` consecutive blocks of (nearly)
equal length. Fold ``i`` (1 .. folds) trades block ``i`` out of sample; its
in-sample window is blocks ``0 .. i-1`` (``anchored``) or block ``i-1`` only
(``rolling``).

No out-of-sample bar can reach its own parameter choice: the in-sample sweep
of a fold runs on the data *cut at the last in-sample bar* (what a user had
that day), so even a strategy that peeked ahead would find nothing there. The
chosen combination is then run alone, as a run would be, on the data cut at
the fold's last bar and traded from its first out-of-sample bar, flat at the
start: signals see all earlier history (warm-up), trades
start in the fold. The folds' out-of-sample returns, stitched, are the
walk-forward's track record.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["Fold", "Split", "WalkForward", "splits", "walk_forward"]

MODES = ("anchored", "rolling")


@dataclass(frozen=True)
class Split:
    """One fold's windows, as first and last bar dates (inclusive)."""

    number: int
    is_start: pd.Timestamp
    is_end: pd.Timestamp
    is_bars: int
    oos_start: pd.Timestamp
    oos_end: pd.Timestamp
    oos_bars: int


def splits(index: pd.DatetimeIndex, folds: int, mode: str = "anchored") -> list[Split]:
    """The ``folds`` in/out-of-sample windows over the bars ``index`` (see the module docstring)."""
    from jpmacro_bt.errors import SweepError

    if mode not in MODES:
        raise SweepError(f"walk-forward mode {mode!r}: use anchored or rolling")
    if folds < 2:
        raise SweepError(f"--walk-forward {folds}: use 2 or more folds")
    blocks = np.array_split(np.arange(len(index)), folds + 1)
    shortest = min(len(b) for b in blocks)
    if shortest < 20:
        raise SweepError(f"--walk-forward {folds}: {len(index)} bars give blocks of {shortest} bars; use fewer folds or a longer period")
    out = []
    for i in range(1, folds + 1):
        ins = np.concatenate(blocks[:i] if mode == "anchored" else blocks[i - 1 : i])
        oos = blocks[i]
        out.append(Split(i, index[ins[0]], index[ins[-1]], len(ins), index[oos[0]], index[oos[-1]], len(oos)))
    return out


@dataclass(frozen=True)
class Fold:
    """A fold's choice and how it fared.

    ``is_value``/``oos_value`` are the selection metric in and out of sample;
    ``fallback`` is True when no combination had a metric in sample (nothing
    traded) and the default parameters were taken.
    """

    split: Split
    row: int
    chosen: Mapping[str, Any]
    is_value: float
    oos_value: float
    is_sharpe: float
    oos_sharpe: float
    oos_trades: int
    fallback: bool

    @property
    def number(self) -> int:
        return self.split.number


@dataclass(frozen=True)
class WalkForward:
    """The folds, the stitched out-of-sample returns and their benchmark, and the degradation figures."""

    mode: str
    metric: str
    folds: tuple[Fold, ...]
    returns: pd.Series
    benchmark: pd.Series
    periods: int
    oos_metrics: Mapping[str, float]
    warnings: tuple[str, ...]

    @property
    def paired(self) -> tuple[Fold, ...]:
        """Folds with the metric defined both in and out of sample (the degradation figures use only these)."""
        return tuple(f for f in self.folds if math.isfinite(f.is_value) and math.isfinite(f.oos_value))

    @property
    def is_mean(self) -> float:
        return float(np.mean([f.is_value for f in self.paired])) if self.paired else math.nan

    @property
    def oos_mean(self) -> float:
        return float(np.mean([f.oos_value for f in self.paired])) if self.paired else math.nan

    @property
    def efficiency(self) -> float:
        """Mean out-of-sample metric over mean in-sample metric (1 = no degradation); NaN unless in-sample is positive."""
        return self.oos_mean / self.is_mean if self.is_mean > 0 and math.isfinite(self.oos_mean) else math.nan

    @property
    def worse(self) -> int:
        """Paired folds whose out-of-sample metric fell below the in-sample one."""
        return sum(1 for f in self.paired if f.oos_value < f.is_value)

    def folds_table(self) -> pd.DataFrame:
        rows = []
        for f in self.folds:
            s = f.split
            rows.append({
                "fold": f.number,
                "is_start": f"{s.is_start:%Y-%m-%d}", "is_end": f"{s.is_end:%Y-%m-%d}", "is_bars": s.is_bars,
                "oos_start": f"{s.oos_start:%Y-%m-%d}", "oos_end": f"{s.oos_end:%Y-%m-%d}", "oos_bars": s.oos_bars,
                **dict(f.chosen),
                f"is_{self.metric}": f.is_value, f"oos_{self.metric}": f.oos_value,
                "is_sharpe": f.is_sharpe, "oos_sharpe": f.oos_sharpe, "oos_trades": f.oos_trades, "fallback": f.fallback,
            })
        return pd.DataFrame(rows)

    def describe(self) -> dict[str, Any]:
        def num(x: float) -> float | None:
            return float(x) if x is not None and math.isfinite(x) else None

        table = self.folds_table()
        return {
            "mode": self.mode,
            "metric": self.metric,
            "folds": [{k: (num(v) if isinstance(v, float) else (v.item() if hasattr(v, "item") else v)) for k, v in row.items()} for row in table.to_dict("records")],
            "is_mean": num(self.is_mean),
            "oos_mean": num(self.oos_mean),
            "efficiency": num(self.efficiency),
            "folds_with_both": len(self.paired),
            "folds_worse_out_of_sample": self.worse,
            "oos_stitched": {k: num(v) for k, v in self.oos_metrics.items()},
        }


def walk_forward(
    spec,
    params: Sequence[Mapping[str, Any]],
    *,
    data,
    index: pd.DatetimeIndex,
    start: pd.Timestamp | None,
    metric: str,
    folds: int,
    mode: str,
    evaluate: Callable[[Any, pd.Timestamp, int], pd.DataFrame],
    single: Callable[[Any, Any, pd.Timestamp, pd.Timestamp], tuple[pd.Series, int]],
    default_row: int | None = None,
) -> WalkForward:
    """Choose among ``params`` in sample and trade the choice out of sample, fold by fold.

    ``evaluate(data, start, bars)`` returns the metrics table of every
    combination of ``params`` on ``data`` traded from ``start`` (the sweep
    engine); it is only ever given data cut at a fold's last in-sample bar.
    ``single(strategy, data, start, end)`` runs one strategy as a run would
    (data cut at ``end``, traded from ``start``) and returns its daily returns
    and trade count.
    """
    from jpmacro_bt.engine.metrics import calendar_years, periods_per_year
    from jpmacro_bt.research.stats import return_metrics

    periods = periods_per_year(index)
    chosen_folds: list[Fold] = []
    pieces: list[pd.Series] = []
    notes: list[str] = []
    for split in splits(index, folds, mode):
        table = evaluate(data.truncate(split.is_end), split.is_start, split.is_bars)
        score = table[metric].to_numpy(dtype=float)
        fallback = bool(np.isnan(score).all())
        if fallback:
            row = default_row if default_row is not None else 0
            notes.append(f"walk-forward fold {split.number}: no combination had a {metric} in sample; it took the default parameters")
        else:
            row = int(np.argmax(np.where(np.isnan(score), -np.inf, score)))
        chosen = dict(params[row])
        oos, trades = single(spec.build(chosen), data, split.oos_start, split.oos_end)
        pieces.append(oos)
        m = return_metrics(oos.to_numpy(), periods, calendar_years(oos.index))
        chosen_folds.append(Fold(
            split=split, row=row, chosen=chosen, is_value=float(score[row]), oos_value=float(m[metric][0]),
            is_sharpe=float(table["sharpe"].iloc[row]), oos_sharpe=float(m["sharpe"][0]), oos_trades=trades, fallback=fallback,
        ))
    returns = pd.concat(pieces).rename("strategy")
    first = spec.build(dict(chosen_folds[0].chosen))
    bench = first.benchmark(data).reindex(returns.index).fillna(0.0)
    bench.iloc[0] = 0.0
    stitched = {k: float(v[0]) for k, v in return_metrics(returns.to_numpy(), periods, calendar_years(returns.index)).items()}
    stitched["trades"] = float(sum(f.oos_trades for f in chosen_folds))
    return WalkForward(mode, metric, tuple(chosen_folds), returns, bench.rename("benchmark"), periods, stitched, tuple(dict.fromkeys(notes)))
