"""spread_tightening_long_jpy: the spread read at the ECB fixing, its change in bp, the yen trade."""

from __future__ import annotations

import pytest

from jpmacro_bt.events import load_events
from jpmacro_bt.engine.simulate import backtest

from ..conftest import make_market
from .helpers import ECB, NEW_YORK, TOKYO, build, events, flags, market, series

# 1..12 Jan 2024. UST2Y closes in New York (after the fixing), JGB2Y in Tokyo (before it).
UST2Y = series([4.50, 4.50, 4.45, 4.30, 4.25, 4.25, 4.25, 4.25, 4.25, 4.25])
JGB2Y = series([0.10, 0.10, 0.10, 0.10, 0.15, 0.15, 0.15, 0.15, 0.15, 0.15])
USDJPY = series([150, 150, 150, 150, 150, 148, 147, 147, 147, 147])


def _data():
    flat = series([1.0] * 10)
    return market(USDJPY=(USDJPY, ECB), UST2Y=(UST2Y, NEW_YORK), JGB2Y=(JGB2Y, TOKYO), UST10Y=(flat, NEW_YORK), JGB10Y=(flat, TOKYO))


def test_long_jpy_after_a_fast_narrowing():
    # At the fixing of day D the spread is UST2Y(D-1) - JGB2Y(D), in bp:
    # 2 Jan 440, 3 Jan 440, 4 Jan 435, 5 Jan 430-15 = 415, 8 Jan 425-15 = 410.
    # 2-bar changes: 4 Jan -5, 5 Jan -25 (fires at 20), 8 Jan -25 (inside the window).
    sig = build("spread_tightening_long_jpy", bars=2, narrow_bp=20.0, hold_days=3, carry=False).signals(_data(), load_events())
    assert flags(sig.short_entries) == ["2024-01-05"]
    assert flags(sig.short_exits) == ["2024-01-10"]
    assert sig.close.name == "USDJPY"
    trades = backtest(sig, init_cash=100.0, size=1.0, fees=0.0, slippage=0.0).trades
    assert trades["return"].iloc[0] == pytest.approx(1 - 147 / 150)


def test_the_short_pays_the_us_japan_carry():
    # Fed 5.50 %, BoJ -0.10 % (from made-up calendars): each bar of the short pays
    # (S_t/S_t-1) * (1 + 0.055 tau) - (1 - 0.001 tau), tau = calendar days / 365.
    # Fri 5 -> Mon 8 Jan: 150 -> 148, 3 days; Mon -> Tue: 148 -> 147; Tue -> Wed: 147 -> 147.
    ev = events(boj=[("2023-12-19 12:00", "hold", -0.1)], fomc=[("2023-12-13 14:00", "hold", 5.5)])
    sig = build("spread_tightening_long_jpy", bars=2, narrow_bp=20.0, hold_days=3).signals(_data(), ev)
    assert sig.close.name == "USDJPY" and flags(sig.short_entries) == ["2024-01-05"]
    r1 = (148 / 150) * (1 + 0.055 * 3 / 365) - (1 - 0.001 * 3 / 365)
    r2 = (147 / 148) * (1 + 0.055 / 365) - (1 - 0.001 / 365)
    r3 = 0.056 / 365
    trades = backtest(sig, init_cash=100.0, size=1.0, fees=0.0, slippage=0.0).trades
    assert trades["return"].iloc[0] == pytest.approx(1 - (1 + r1) * (1 + r2) * (1 + r3))
    assert trades["return"].iloc[0] < 1 - 147 / 150  # carry costs the long-JPY trade


def test_threshold_beyond_the_move_gives_no_trade():
    sig = build("spread_tightening_long_jpy", bars=2, narrow_bp=26.0).signals(_data(), load_events())
    assert not sig.short_entries.any()


def test_benchmark_is_holding_yen():
    bench = build("spread_tightening_long_jpy", carry=False).benchmark(_data())
    assert bench.iloc[5] == pytest.approx(150 / 148 - 1)


def test_higher_threshold_never_adds_trades():
    data = make_market(["USDJPY", "UST2Y", "JGB2Y", "UST10Y", "JGB10Y"])
    for tenor in ("2y", "10y"):
        counts = [int(build("spread_tightening_long_jpy", tenor=tenor, narrow_bp=x, hold_days=1).signals(data, load_events()).short_entries.sum()) for x in (10.0, 20.0, 40.0)]
        assert counts == sorted(counts, reverse=True) and counts[0] > 0
