"""fade_the_panic: buy when the asset crashes while the yen spikes, never on either alone."""

from __future__ import annotations

import pytest

from jpmacro_bt.events import load_events
from jpmacro_bt.engine.simulate import backtest

from .helpers import ECB, TOKYO, build, flags, market, series

# 1..12 Jan 2024. Nikkei 3-bar returns: 9 Jan -5 %, 10 Jan -10 %, 11 Jan -8 % (not beyond 8 %).
NIKKEI = series([100, 100, 100, 100, 100, 100, 95, 90, 92, 93])
# USDJPY 5-bar returns: from 8 Jan below -2 % (146/150 - 1 = -2.7 %).
USDJPY = series([150, 150, 150, 150, 150, 146, 145, 145, 145, 145])
PARAMS = dict(bars=3, drop=0.08, yen_bars=5, yen_threshold=0.02, hold_days=2)


def test_buys_the_crash_while_the_yen_spikes():
    # 10 Jan: the Nikkei is 10 % down over 3 bars and the latest fixing before Tokyo's close (9 Jan) shows
    # the yen spike. Bought at 90, sold 2 bars later (12 Jan) at 93.
    sig = build("fade_the_panic", **PARAMS).signals(market(NIKKEI225=(NIKKEI, TOKYO), USDJPY=(USDJPY, ECB)), load_events())
    assert flags(sig.entries) == ["2024-01-10"]
    assert flags(sig.exits) == ["2024-01-12"]
    trades = backtest(sig, init_cash=100.0, size=1.0, fees=0.0, slippage=0.0).trades
    assert trades["return"].iloc[0] == pytest.approx(93 / 90 - 1)


def test_no_yen_spike_no_trade():
    flat = series([150] * 10)
    sig = build("fade_the_panic", **PARAMS).signals(market(NIKKEI225=(NIKKEI, TOKYO), USDJPY=(flat, ECB)), load_events())
    assert not sig.entries.any()


def test_a_spike_fixed_after_tokyos_close_is_too_late_for_that_day():
    # The yen only spikes at the 10 Jan fixing (14:15 Frankfurt), after Tokyo's 10 Jan close: on 10 Jan the
    # strategy cannot know it; by 11 Jan the Nikkei's 3-bar fall is 8 %, not beyond 8 %: no trade.
    late = series([150, 150, 150, 150, 150, 150, 150, 145, 145, 145])
    sig = build("fade_the_panic", **PARAMS).signals(market(NIKKEI225=(NIKKEI, TOKYO), USDJPY=(late, ECB)), load_events())
    assert not sig.entries.any()


def test_benchmark_is_buy_and_hold():
    bench = build("fade_the_panic").benchmark(market(NIKKEI225=(NIKKEI, TOKYO), USDJPY=(USDJPY, ECB)))
    assert bench.iloc[6] == pytest.approx(-0.05)
