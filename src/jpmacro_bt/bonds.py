"""A constant-maturity par bond built from a yield series: a tradable price from a yield.

Yield symbols (``UST30Y``, ``JGB10Y``, ...) are percent levels and must never be
traded as prices. This module turns one into the total-return price index of
a bond that is, at every close, a fresh par bond of the stated maturity (the
usual "constant-maturity" approximation: the bond held over a bar is sold at
the next close and a new par bond is bought).

Formulas (``y`` the yield as a decimal, ``f`` coupons a year, ``N = n f``
coupon periods, ``v = 1 / (1 + y / f)``; a par bond pays coupon ``c = y``):

* price at yield ``x`` of the bond with coupon ``c``:
  ``P(x) = sum_{i=1..N} CF_i (1 + x/f)^-i`` with ``CF_i = c/f`` and ``CF_N = c/f + 1``;
  ``P(y) = 1`` at par;
* modified duration (years): ``D = -P'(y) / P(y) = sum CF_i (i/f) v^(i+1) / P``;
  for a par bond it equals ``(1 - v^N) / y`` (and ``n`` as ``y -> 0``);
* convexity (years squared): ``C = P''(y) / P(y) = sum CF_i (i/f) ((i+1)/f) v^(i+2) / P``.

The return over the bar from ``t-1`` to ``t`` (a fraction) is

``r_t = y_{t-1} * a_t - D(y_{t-1}) * dy_t + 0.5 * C(y_{t-1}) * dy_t**2``

with ``dy_t = y_t - y_{t-1}`` (decimal: 10 bp = 0.001) and ``a_t`` the accrual
of one bar: ``1/252`` (``day_count="bar/252"``, the default) or calendar
days / 365 (``"act/365"``). The first term is the carry (coupon income), the
others the price change of a par bond for the yield move. Ignored: roll-down
along the curve, the gap between the coupon and the new par coupon (second
order), financing, and bid-ask costs (the runner charges fees and slippage).
Duration and convexity are computed from the sums above, so zero and negative
yields (JGBs in 2016-2021) need no special case.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from jpmacro_bt.errors import DataError

__all__ = ["DAY_COUNTS", "par_bond_index", "par_bond_returns", "par_bond_risk"]

DAY_COUNTS = ("bar/252", "act/365")


def _check(maturity_years: float, freq: int) -> int:
    periods = maturity_years * freq
    if freq not in (1, 2, 4, 12):
        raise DataError(f"freq={freq!r}: use 1, 2, 4 or 12 coupons a year (2 for Treasuries and JGBs)")
    if maturity_years <= 0 or abs(periods - round(periods)) > 1e-9:
        raise DataError(f"maturity_years={maturity_years!r} must be positive and a whole number of coupon periods (freq={freq})")
    return int(round(periods))


def par_bond_risk(yield_pct: pd.Series | np.ndarray, maturity_years: float, freq: int = 2) -> tuple[np.ndarray, np.ndarray]:
    """Modified duration (years) and convexity (years squared) of a par bond at each yield.

    Parameters
    ----------
    yield_pct : yields in percent (``4.25`` means 4.25 %).
    maturity_years : maturity of the bond, a whole number of coupon periods.
    freq : coupons a year.
    """
    n_periods = _check(maturity_years, freq)
    y = np.asarray(yield_pct, dtype=float)[:, None] / 100.0
    i = np.arange(1, n_periods + 1, dtype=float)[None, :]
    cf = np.broadcast_to(y / freq, (y.shape[0], n_periods)).copy()
    cf[:, -1] += 1.0
    base = 1.0 + y / freq
    price = (cf * base ** (-i)).sum(axis=1)
    duration = (cf * (i / freq) * base ** (-i - 1)).sum(axis=1) / price
    convexity = (cf * (i / freq) * ((i + 1) / freq) * base ** (-i - 2)).sum(axis=1) / price
    return duration, convexity


def par_bond_returns(yield_pct: pd.Series, maturity_years: float, *, freq: int = 2, day_count: str = "bar/252") -> pd.Series:
    """Total return per bar (fraction) of a constant-maturity par bond, from its yield in percent.

    The first bar has no return (NaN). See the module docstring for the formula.
    """
    if day_count not in DAY_COUNTS:
        raise DataError(f"day_count={day_count!r}: use one of {', '.join(DAY_COUNTS)}")
    y = yield_pct.astype(float) / 100.0
    prev = y.shift(1)
    dy = y - prev
    duration, convexity = par_bond_risk(prev.fillna(0.0).to_numpy() * 100.0, maturity_years, freq)
    if day_count == "bar/252":
        accrual = pd.Series(1.0 / 252.0, index=y.index)
    else:
        days = pd.Series(pd.DatetimeIndex(y.index).to_series().diff().dt.days.to_numpy(), index=y.index)
        accrual = days / 365.0
    ret = prev * accrual - duration * dy + 0.5 * convexity * dy**2
    return ret.where(prev.notna()).rename(f"{yield_pct.name or 'bond'}_tr")


def par_bond_index(yield_pct: pd.Series, maturity_years: float, *, freq: int = 2, day_count: str = "bar/252", start: float = 100.0) -> pd.Series:
    """Price index of a constant-maturity par bond: ``start`` at the first bar, compounding :func:`par_bond_returns`.

    A tradable price: trade it like any price series.
    """
    ret = par_bond_returns(yield_pct, maturity_years, freq=freq, day_count=day_count)
    return (start * (1.0 + ret.fillna(0.0)).cumprod()).rename(f"{yield_pct.name or 'bond'}_{maturity_years:g}y_par")
