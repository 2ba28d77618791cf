"""japan_fiscal_melt_up: in when all three melt-up conditions hold, out on the crash and for the cooldown."""

from __future__ import annotations

import numpy as np
import pytest

from jpmacro_bt.events import load_events
from jpmacro_bt.engine.simulate import backtest

from .helpers import ECB, TOKYO, build, market, series

N = 40  # business days from Mon 1 Jan 2024
STEPS = np.arange(N)
# Nikkei +1 % a bar, -12 % at bar 31, then +1 % a bar again.
NIKKEI = 100 * 1.01 ** STEPS * np.where(STEPS >= 31, 0.88 / 1.01, 1.0)
USDJPY = 140 * 1.005 ** STEPS
JGB_UP = 1.0 + 0.01 * STEPS  # +1 bp a bar
PARAMS = dict(trend_window=5, fx_window=5, jgb_bars=5, crash_dd=0.10, dd_window=5, vol_window=5, vol_max=0.35, cooldown=5)


def _data(jgb=JGB_UP):
    return market(NIKKEI225=(series(NIKKEI), TOKYO), USDJPY=(series(USDJPY), ECB), JGB10Y=(series(jgb), TOKYO))


def test_in_from_bar_6_out_on_the_crash_at_bar_31():
    # Trend: the Nikkei is above its 5-bar average from bar 4. Weak yen: USDJPY above its average from
    # its bar 4, a fixing public after Tokyo's bar-4 close, so from Nikkei bar 5. Rising JGB: the 5-bar
    # change exists from bar 5 and is used one bar late, so from bar 6. Held from bar 6.
    # Bar 31: 12 % below the 5-bar peak (> 10 %): out; the 5-bar volatility then stays above 35 % to
    # bar 35 and the 5-bar cooldown keeps it out to the end.
    sig = build("japan_fiscal_melt_up", **PARAMS).signals(_data(), load_events())
    held = sig.entries.to_numpy()
    assert np.flatnonzero(held).tolist() == list(range(6, 31))
    trades = backtest(sig, init_cash=100.0, size=1.0, fees=0.0, slippage=0.0).trades
    assert len(trades) == 1
    assert trades["entry_price"].iloc[0] == pytest.approx(NIKKEI[6])
    assert trades["exit_price"].iloc[0] == pytest.approx(NIKKEI[31])


def test_falling_jgb_yields_keep_it_out():
    sig = build("japan_fiscal_melt_up", **PARAMS).signals(_data(jgb=2.0 - 0.01 * STEPS), load_events())
    assert not sig.entries.any()


def test_benchmark_is_the_nikkei():
    bench = build("japan_fiscal_melt_up").benchmark(_data())
    assert bench.iloc[1] == pytest.approx(0.01)
