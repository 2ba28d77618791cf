"""What a claim's test returns, what every test shares, and the small statistics several tests use."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from scipy import stats

from jpmacro_bt.events import Events
from jpmacro_bt.research.studies import Study

__all__ = ["ClaimContext", "Finding", "normal_mde", "price_returns"]


@dataclass(frozen=True)
class ClaimContext:
    """What every test shares: the calendars, draw counts, the seed and the power of the MDE."""

    events: Events
    placebo: int = 10_000
    bootstrap: int = 2000
    seed: int = 0
    power: float = 0.8


@dataclass(frozen=True, eq=False)
class Finding:
    """One test's result.

    Attributes
    ----------
    statistic : what ``estimate`` measures, in words.
    estimate, ci : the statistic and its two-sided interval at the claim's level.
    p_value, p_method : two-sided p-value of "no effect" and how it was found.
    n, n_what : the number of independent-ish observations and what they are.
    period : first and last date the statistic uses (ISO).
    halves : the statistic on the first and the second half of the sample.
    mde : minimum detectable effect at the claim's level and the context's power.
    notes : what a reader must know to read the number.
    study : the event study behind it, if any (its page is the detail).
    draw : builds the detail figure when there is no study.
    table : the series behind the figure, written beside it as CSV.
    """

    statistic: str
    estimate: float
    ci: tuple[float, float]
    p_value: float
    p_method: str
    n: int
    n_what: str
    period: tuple[str, str]
    halves: tuple[float, float]
    mde: float
    notes: tuple[str, ...] = ()
    study: Study | None = None
    draw: Callable[[], Any] | None = field(default=None, repr=False)
    table: pd.DataFrame | None = field(default=None, repr=False)

    def plot(self):
        """The detail figure (a matplotlib Figure): the study's, or the test's own."""
        if self.study is not None:
            return self.study.plot()
        return self.draw() if self.draw is not None else None


def price_returns(close: pd.Series, bars: int = 1) -> pd.Series:
    """Simple returns over ``bars`` bars; NaN where either close is not positive (WTI settled below zero in 2020)."""
    prev = close.shift(bars)
    return (close / prev - 1.0).where((close > 0) & (prev > 0))


def normal_mde(se: float, alpha: float, power: float) -> float:
    """Smallest true effect a two-sided z-test of size ``alpha`` with standard error ``se`` finds with probability ``power``."""
    if not math.isfinite(se):
        return math.nan
    return float((stats.norm.ppf(1 - alpha / 2) + stats.norm.ppf(power)) * se)
