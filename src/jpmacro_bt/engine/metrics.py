"""The metrics registry: each metric's name, label, format and direction, in one place.

The terminal, the tearsheet, the comparison and sweep pages and the sweeps'
ranking all read :data:`REGISTRY`; nothing else names a metric's label or
decides whether more of it is better.

:func:`compute_metrics` computes the headline metrics of one return series with
quantstats' own functions (``quantstats.stats``; the HTML report lives in
:mod:`jpmacro_bt.reports.tearsheet`), except CAGR, which is annualised over
calendar time (:func:`calendar_years`); volatility, Sharpe and Sortino are
annualised per bar with :func:`periods_per_year` bars a year.
"""

from __future__ import annotations

import logging
import math
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import pandas as pd

__all__ = [
    "METRICS",
    "RANKABLE",
    "REGISTRY",
    "Metric",
    "calendar_years",
    "cagr",
    "compute_metrics",
    "format_metric",
    "label",
    "periods_per_year",
    "quiet",
]


@dataclass(frozen=True)
class Metric:
    """One metric: its key, its label on pages and in tables, a short label for narrow terminals,
    how it prints, and whether a larger value is better."""

    key: str
    label: str
    short: str
    kind: str  # "percent" (a fraction shown in %), "ratio" (to 0.01) or "count"
    higher_is_better: bool = True

    def format(self, value: float | None) -> str:
        """``value`` for display: ``-`` where undefined, counts as integers, fractions in percent, ratios to 0.01."""
        if value is None or not math.isfinite(float(value)):
            return "-"
        if self.kind == "count":
            return f"{int(value):,}"
        if self.kind == "percent":
            return f"{value:.2%}"
        return f"{value:.2f}"


REGISTRY: dict[str, Metric] = {
    m.key: m
    for m in (
        Metric("total_return", "total return", "total", "percent"),
        Metric("cagr", "CAGR", "CAGR", "percent"),
        Metric("sharpe", "Sharpe", "Sharpe", "ratio"),
        Metric("sortino", "Sortino", "Sortino", "ratio"),
        # A drawdown is a negative fraction: closer to zero (larger) is better.
        Metric("max_drawdown", "max drawdown", "maxDD", "percent"),
        Metric("volatility", "volatility", "vol", "percent", higher_is_better=False),
        Metric("trades", "trades", "trades", "count"),
        Metric("win_rate", "win rate", "win", "percent"),
        Metric("exposure", "exposure", "expo", "percent"),
    )
}
# Every headline metric, in the order tables show them.
METRICS: tuple[str, ...] = tuple(REGISTRY)
# The metrics a sweep may rank combinations by (a larger value is better for each).
RANKABLE: tuple[str, ...] = ("sharpe", "sortino", "cagr", "total_return", "max_drawdown")


def format_metric(key: str, value: float | None) -> str:
    """``value`` of metric ``key`` for display (see :meth:`Metric.format`); unknown keys print as ratios."""
    metric = REGISTRY.get(key) or Metric(key, key, key, "ratio")
    return metric.format(value)


def label(key: str) -> str:
    """The display label of metric ``key`` (the key itself for anything not in the registry)."""
    return REGISTRY[key].label if key in REGISTRY else key


DAYS_A_YEAR = 365.25  # a calendar year, leap years included


def calendar_years(index: pd.DatetimeIndex) -> float:
    """Calendar time from the first bar to the last, in years of 365.25 days (0 for fewer than two bars).

    A run starts flat at its first close, so its first bar's return is that of
    no time held: ``n`` bars span ``n - 1`` bar-to-bar returns over this time.
    """
    if len(index) < 2:
        return 0.0
    return (index[-1] - index[0]).total_seconds() / (DAYS_A_YEAR * 86_400.0)


def periods_per_year(index: pd.DatetimeIndex) -> int:
    """Bars a year, for annualising per-bar volatility and Sharpe: measured from the data's own calendar.

    Over a span of a year or more: ``round((bars - 1) / calendar_years(index))``,
    the bar-to-bar returns per calendar year (the ECB calendar gives about
    256, Tokyo 245, New York 252, a merged ECB and Tokyo calendar 260,
    markets open every day 365). Over a shorter span a calendar cannot be
    measured (a holiday season would decide it): 365 when any bar falls on a
    weekend, else 252.
    """
    years = calendar_years(index)
    if years * DAYS_A_YEAR >= 365.0:
        return max(1, round((len(index) - 1) / years))
    return 365 if (index.day_of_week >= 5).any() else 252


def cagr(total_return: float, years: float) -> float | None:
    """Compound annual growth over calendar time: ``(1 + total_return) ** (1 / years) - 1``.

    None where undefined: no time elapsed, or a loss beyond everything.
    """
    wealth = 1.0 + float(total_return)
    if not years > 0 or not math.isfinite(wealth) or wealth < 0:
        return None
    return _num(math.pow(wealth, 1.0 / years) - 1.0)


def _num(value: float) -> float | None:
    value = float(value)
    return None if math.isnan(value) or math.isinf(value) else value


@contextmanager
def quiet() -> Iterator[None]:
    """Silence the noise quantstats and matplotlib make on a machine without Arial.

    quantstats asks for Arial by name; matplotlib falls back to its bundled
    DejaVu Sans (same glyph coverage) and logs a line per text element.
    """
    log = logging.getLogger("matplotlib.font_manager")
    level = log.level
    log.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        log.setLevel(level)


def compute_metrics(returns: pd.Series, *, trades: pd.DataFrame | None = None, exposure: pd.Series | None = None) -> dict[str, float | None]:
    """Headline metrics as plain floats (None where undefined, e.g. Sharpe of a flat series).

    Return-based metrics are quantstats' own, annualised with
    :func:`periods_per_year` bars a year, except CAGR: :func:`cagr` of the
    total return over :func:`calendar_years` from the first bar to the last.
    ``trades`` counts trades closed and open (one per hold), ``win_rate`` is
    the share of closed ones with a positive P&L and ``exposure`` the share of
    bars ending in a position.
    """
    import quantstats.stats as qs

    periods = periods_per_year(returns.index)
    flat = bool((returns == 0).all())
    with quiet():
        total = qs.comp(returns)
        out = {
            "total_return": _num(total),
            "cagr": cagr(total, calendar_years(returns.index)),
            "sharpe": None if flat else _num(qs.sharpe(returns, rf=0.0, periods=periods)),
            "sortino": None if flat else _num(qs.sortino(returns, rf=0.0, periods=periods)),
            "max_drawdown": _num(qs.max_drawdown(returns)) if not flat else 0.0,
            "volatility": _num(qs.volatility(returns, periods=periods)),
        }
    if trades is not None:
        closed = trades[trades["status"] == "closed"]
        out["trades"] = float(len(trades))
        out["win_rate"] = _num((closed["pnl"] > 0).mean()) if len(closed) else None
    if exposure is not None:
        out["exposure"] = _num(exposure.mean())
    return out
