"""yen_carry_unwind_filter: in while calm and trending, out for `cooldown` bars after a yen spike."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from jpmacro_bt.carry import carry_price
from jpmacro_bt.errors import CalendarWarning
from jpmacro_bt.events import load_events

from ..conftest import make_market
from .helpers import ECB, build, market, series

# 30 fixings from Wed 1 May 2024; every pair rises 0.2 % a bar, except USDJPY, which falls 4 % at bar 20.
N = 30
RISE = 100 * 1.002 ** np.arange(N)
DROP = RISE * np.where(np.arange(N) >= 20, 0.96, 1.0)
INDEX = pd.bdate_range("2024-05-01", periods=N, name="date")
PARAMS = dict(trend_window=5, vol_window=5, vol_max=0.5, unwind_bars=1, unwind_threshold=0.03, cooldown=8)


def _data():
    return market(**{p: (series(v, index=INDEX), ECB) for p, v in (("AUDJPY", RISE), ("MXNJPY", RISE), ("USDJPY", DROP))})


def test_in_when_calm_and_trending_out_for_the_cooldown_after_the_spike():
    # Bar 4: the basket is above its 5-bar average; bar 5: the first 5-bar volatility (a few % a year < 50 %).
    # Bar 20: USDJPY -4 % in one bar fires the unwind signal: flat for bars 20..27; back in at bar 28
    # (the basket is back above its average from bar 23).
    sig = build("yen_carry_unwind_filter", **PARAMS).signals(_data(), load_events())
    w = sig.target_weights
    third = 1.0 / 3.0
    expected = {INDEX[5]: third, INDEX[20]: 0.0, INDEX[28]: third}
    for pair in ("AUDJPY", "MXNJPY", "USDJPY"):
        assert w[pair].dropna().to_dict() == pytest.approx(expected), pair


def test_it_trades_the_carry_inclusive_prices():
    data = _data()
    sig = build("yen_carry_unwind_filter", **PARAMS).signals(data, load_events())
    mxn = carry_price(data, "MXNJPY", load_events())
    pd.testing.assert_series_equal(sig.close["MXNJPY"], mxn, check_names=False)
    # MXN 11 % vs JPY 0.10 % in May 2024: the carry price outruns the spot by about 10.9 % a year.
    spot = data.close("MXNJPY")
    days = (INDEX[-1] - INDEX[0]).days
    assert (mxn.iloc[-1] / spot.iloc[-1]) == pytest.approx(1 + 0.109 * days / 365, abs=2e-4)


def test_benchmark_is_the_basket_and_warns_where_rates_are_assumed():
    data = make_market(["AUDJPY", "MXNJPY", "USDJPY"])  # runs to October 2026, past every rate table
    strategy = build("yen_carry_unwind_filter")
    with pytest.warns(CalendarWarning, match="complete through"):
        bench = strategy.benchmark(data)
    close = strategy.signals(data, load_events()).close
    pd.testing.assert_series_equal(bench, close.pct_change().mean(axis=1).fillna(0.0), check_names=False)


def test_a_higher_vol_cap_never_holds_less():
    data = make_market(["AUDJPY", "MXNJPY", "USDJPY"], end="2018-12-31")
    held = []
    for vol_max in (0.08, 0.12, 0.2):
        w = build("yen_carry_unwind_filter", vol_max=vol_max).signals(data, load_events()).target_weights["AUDJPY"]
        held.append(int((w.ffill().fillna(0.0) > 0).sum()))
    assert held == sorted(held)
