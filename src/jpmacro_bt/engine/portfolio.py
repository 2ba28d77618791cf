"""Several strategies run as one portfolio with shared cash.

Each member is backtested on its own (its own data, calendar and costs);
the portfolio then holds the members in fixed proportions, **rebalanced to
the weights at every close**: its daily return is ``sum(w_i * r_i)``. Weights
are fractions of equity; what they leave (``1 - sum(w)``) stays in cash, and
a sum above 1 is leverage, stated in the manifest. Members trade on different
calendars: a member's return on a day its market is closed is zero, and the
portfolio covers the period all members share.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from jpmacro_bt.errors import DataError, StrategyError
from jpmacro_bt.engine.run import RunResult

__all__ = ["PortfolioResult", "check_weights", "combine", "parse_weights"]


def parse_weights(text: str | None, count: int) -> tuple[float, ...]:
    """``"0.5,0.25,0.25"`` -> floats; None -> equal weights summing to 1."""
    if text is None:
        return tuple([1.0 / count] * count)
    try:
        weights = tuple(float(w) for w in text.split(","))
    except ValueError:
        raise StrategyError(f"--weights {text!r} is not a list of numbers; e.g. --weights 0.5,0.25,0.25") from None
    return check_weights(weights, count)


def check_weights(weights: tuple[float, ...], count: int) -> tuple[float, ...]:
    """``weights`` if they can hold ``count`` strategies: one each, finite, positive, at most 3x in all."""
    text = ",".join(f"{w:g}" for w in weights)
    if len(weights) != count:
        raise StrategyError(f"--weights has {len(weights)} values for {count} strategies; give one weight per strategy")
    if not all(math.isfinite(w) and w > 0 for w in weights):
        raise StrategyError(f"--weights {text}: every weight must be a positive number (a short is a strategy of its own)")
    if sum(weights) > 3:
        raise StrategyError(f"--weights {text} sum to {sum(weights):g}: more than 3x leverage; scale them down")
    return weights


@dataclass(frozen=True)
class PortfolioResult:
    """A combination of member runs, shaped like a :class:`~jpmacro_bt.engine.run.RunResult` for writing."""

    members: tuple[RunResult, ...]
    weights: tuple[float, ...]
    returns: pd.DataFrame
    trades: pd.DataFrame
    metrics: dict[str, dict[str, float | None]]
    warnings: tuple[str, ...] = field(default=())

    @property
    def settings(self):
        return self.members[0].settings

    @property
    def label(self) -> str:
        return "portfolio"

    @property
    def title(self) -> str:
        parts = ", ".join(f"{w:g} {m.label}" for m, w in zip(self.members, self.weights))
        return f"portfolio: {parts}"

    @property
    def benchmark_name(self) -> str:
        return "members' benchmarks, same weights"

    def display_params(self) -> dict[str, Any]:
        return {m.label: f"{w:g}" for m, w in zip(self.members, self.weights)} | {"rebalance": "daily"}

    def describe(self) -> dict[str, Any]:
        return {
            "id": "portfolio",
            "rebalance": "to the weights at every close",
            "gross_weight": sum(self.weights),
            "members": [m.describe() | {"weight": w} for m, w in zip(self.members, self.weights)],
        }

    def fingerprint(self) -> dict[str, dict[str, str]]:
        out: dict[str, dict[str, str]] = {}
        for m in self.members:
            out |= m.fingerprint()
        return out

    def calendars_used(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(c for m in self.members for c in m.calendars_used()))

    @property
    def prices(self) -> pd.DataFrame | None:
        """Every member's traded closes over the portfolio's period, columns named ``member: symbol``."""
        frames = [m.prices.add_prefix(f"{m.label}: ") for m in self.members if m.prices is not None]
        if not frames:
            return None
        index = self.returns.index
        return pd.concat(frames, axis=1).reindex(index)

    def config_key(self) -> dict[str, Any]:
        return {"members": [m.config_key() for m in self.members], "weights": list(self.weights)}


def combine(members: list[RunResult], weights: tuple[float, ...]) -> PortfolioResult:
    """Weight the members' daily returns over their common period (see the module docstring)."""
    from jpmacro_bt.engine.metrics import compute_metrics

    start = max(m.returns.index[0] for m in members)
    end = min(m.returns.index[-1] for m in members)
    if start >= end:
        spans = "; ".join(f"{m.label}: {m.returns.index[0]:%Y-%m-%d} .. {m.returns.index[-1]:%Y-%m-%d}" for m in members)
        raise DataError(f"the strategies share no period ({spans}); choose strategies or --start/--end that overlap")
    index = pd.DatetimeIndex(sorted(set().union(*(m.returns.loc[start:end].index for m in members)))).rename("date")
    parts = [m.returns.loc[start:end].reindex(index, fill_value=0.0) for m in members]
    # The first common day starts the portfolio: nothing is held before it.
    strategy = sum(w * p["strategy"] for p, w in zip(parts, weights)).rename("strategy")
    benchmark = sum(w * p["benchmark"] for p, w in zip(parts, weights)).rename("benchmark")
    strategy.iloc[0] = benchmark.iloc[0] = 0.0
    trades = pd.concat(
        [m.trades.assign(strategy=m.label, weight=w) for m, w in zip(members, weights)], ignore_index=True
    )
    trades = trades[(trades["entry_date"] >= f"{start:%Y-%m-%d}") & (trades["entry_date"] <= f"{end:%Y-%m-%d}")]
    exposure = pd.concat(
        [m.backtest.exposure.loc[start:end].reindex(index, fill_value=False) for m in members], axis=1
    ).any(axis=1)
    metrics = {
        "strategy": compute_metrics(strategy, trades=trades, exposure=exposure),
        "benchmark": compute_metrics(benchmark),
    }
    warns = tuple(f"{m.label}: {w}" for m in members for w in m.warnings)
    return PortfolioResult(tuple(members), weights, pd.DataFrame({"strategy": strategy, "benchmark": benchmark}),
                           trades.reset_index(drop=True), metrics, warns)
