"""The constant-maturity par bond: duration, convexity and daily returns checked by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from jpmacro_bt.bonds import par_bond_index, par_bond_returns, par_bond_risk
from jpmacro_bt.errors import DataError


def test_one_year_annual_bond_by_hand():
    # One cash flow 1 + y at t = 1: P(x) = (1 + y) / (1 + x); D = 1 / (1 + y), C = 2 / (1 + y)^2.
    d, c = par_bond_risk(np.array([4.0]), 1, freq=1)
    assert d[0] == pytest.approx(1 / 1.04)
    assert c[0] == pytest.approx(2 / 1.04**2)


def test_two_year_annual_bond_by_hand():
    # Flows 0.05 at t=1 and 1.05 at t=2, priced at par (y = 5 %):
    # D = (1 * 0.05 / 1.05^2 + 2 * 1.05 / 1.05^3) = 0.05/1.1025 + 2/1.1025;
    # C = (1*2 * 0.05 / 1.05^3 + 2*3 * 1.05 / 1.05^4).
    d, c = par_bond_risk(np.array([5.0]), 2, freq=1)
    assert d[0] == pytest.approx(0.05 / 1.1025 + 2 / 1.1025)
    assert c[0] == pytest.approx(2 * 0.05 / 1.05**3 + 6 / 1.05**3)


@pytest.mark.parametrize("y", [-0.3, 0.5, 4.5, 9.0])
def test_duration_matches_the_par_bond_closed_form(y):
    # Par bond: D = (1 - v^N) / y with v = 1 / (1 + y/2), N = 2n.
    d, _ = par_bond_risk(np.array([y]), 30)
    yd = y / 100
    assert d[0] == pytest.approx((1 - (1 + yd / 2) ** -60) / yd)


def test_zero_yield_is_a_zero_coupon_bond():
    # Coupon 0: one flow at n; D = n, C = n (n + 1/f) for f coupons a year.
    d, c = par_bond_risk(np.array([0.0]), 10)
    assert d[0] == pytest.approx(10.0)
    assert c[0] == pytest.approx(10.0 * 10.5)


def test_convexity_matches_a_finite_difference_of_the_price():
    y, h = 0.045, 1e-4
    flows = np.full(60, y / 2)
    flows[-1] += 1

    def price(x):
        return float((flows * (1 + x / 2) ** -np.arange(1, 61)).sum())

    _, c = par_bond_risk(np.array([4.5]), 30)
    assert c[0] == pytest.approx((price(y + h) - 2 * price(y) + price(y - h)) / h**2, rel=1e-5)


def test_daily_returns_by_hand():
    # Yields 4.00 -> 4.10 -> 4.10 (percent). Bar 1: carry 0.04/252 - D(4 %) * 0.001 + 0.5 * C(4 %) * 0.001^2;
    # bar 2: carry 0.041/252 only.
    y = pd.Series([4.0, 4.1, 4.1], index=pd.bdate_range("2024-01-01", periods=3), name="UST10Y")
    d, c = par_bond_risk(np.array([4.0]), 10)
    r = par_bond_returns(y, 10)
    assert np.isnan(r.iloc[0])
    assert r.iloc[1] == pytest.approx(0.04 / 252 - d[0] * 0.001 + 0.5 * c[0] * 1e-6)
    assert r.iloc[2] == pytest.approx(0.041 / 252)
    assert -0.0080 < r.iloc[1] < -0.0079  # a 10-year duration of about 8.1: 10 bp up is about -0.8 %
    idx = par_bond_index(y, 10)
    assert idx.tolist() == pytest.approx([100.0, 100 * (1 + r.iloc[1]), 100 * (1 + r.iloc[1]) * (1 + r.iloc[2])])


def test_act_365_carry_counts_calendar_days():
    # Fri -> Mon: three days of carry at 3.65 %: 0.0003.
    y = pd.Series([3.65, 3.65], index=pd.DatetimeIndex(["2024-01-05", "2024-01-08"]))
    assert par_bond_returns(y, 10, day_count="act/365").iloc[1] == pytest.approx(0.0003)


def test_bad_arguments_name_the_fix():
    y = pd.Series([1.0, 1.1], index=pd.bdate_range("2024-01-01", periods=2))
    with pytest.raises(DataError, match="whole number of coupon periods"):
        par_bond_returns(y, 10.3)
    with pytest.raises(DataError, match="day_count"):
        par_bond_returns(y, 10, day_count="30/360")
    with pytest.raises(DataError, match="freq"):
        par_bond_risk(np.array([1.0]), 10, freq=3)


def test_input_unchanged():
    y = pd.Series([1.0, 1.2, 0.9], index=pd.bdate_range("2024-01-01", periods=3))
    before = y.copy()
    par_bond_index(y, 30)
    pd.testing.assert_series_equal(y, before)
