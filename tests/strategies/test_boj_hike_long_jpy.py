"""boj_hike_long_jpy: short USDJPY after each hike, carry-inclusive by default, held for whole windows."""

from __future__ import annotations

import pytest

from jpmacro_bt.engine.simulate import backtest

from .helpers import ECB, build, events, flags, market, series

# Tue 2 .. Mon 15 Jan 2024 (business days); a hike announced Thu 4 Jan at 12:00 Tokyo (03:00 UTC),
# before that day's ECB fixing (13:15 UTC): the short opens at the 4 Jan fix.
USDJPY = series([150, 150, 150, 148, 148, 147, 147, 147, 147, 147], start="2024-01-02")
HIKE = ("2024-01-04 12:00", "hike", 0.25)
FED = ("2023-12-13 14:00", "hold", 5.5)


def _data():
    return market(USDJPY=(USDJPY, ECB))


def test_short_usdjpy_from_the_hike_fix_for_hold_days_bars():
    sig = build("boj_hike_long_jpy", hold_days=3, carry=False).signals(_data(), events(boj=[HIKE], fomc=[FED]))
    assert flags(sig.short_entries) == ["2024-01-04"] and flags(sig.short_exits) == ["2024-01-09"]
    trades = backtest(sig, init_cash=100.0, size=1.0, fees=0.0, slippage=0.0).trades
    # Spot: short at 150 (Thu 4), covered at 147 (Tue 9): +2 %.
    assert trades["return"].iloc[0] == pytest.approx(1 - 147 / 150)


def test_the_short_pays_the_us_japan_carry_by_default():
    # BoJ 0.25 % from the 4 Jan decision, Fed 5.50 %: each bar of the short pays the rate gap, by calendar
    # day (act/365) on the bar's rates as of the previous close: Thu 4 -> Fri 5 (148 -> 148, 1 day, the
    # BoJ rate 0.25 % already in force at the 4 Jan fix), Fri 5 -> Mon 8 (148 -> 147, 3 days),
    # Mon 8 -> Tue 9 (147 -> 147, 1 day).
    sig = build("boj_hike_long_jpy", hold_days=3).signals(_data(), events(boj=[HIKE], fomc=[FED]))
    assert sig.close.name == "USDJPY"
    legs = [(148 / 148, 1), (147 / 148, 3), (147 / 147, 1)]
    growth = 1.0
    for move, days in legs:
        growth *= move * (1 + 0.055 * days / 365) - (1 + 0.0025 * days / 365) + 1
    close = sig.close
    assert close.loc["2024-01-09"] / close.loc["2024-01-04"] == pytest.approx(148 / 150 * growth)
    trades = backtest(sig, init_cash=100.0, size=1.0, fees=0.0, slippage=0.0).trades
    assert trades["return"].iloc[0] == pytest.approx(1 - close.loc["2024-01-09"] / close.loc["2024-01-04"])
    assert trades["return"].iloc[0] < 1 - 147 / 150  # the carry costs the long-yen trade


def test_the_benchmark_holds_yen_at_the_price_traded():
    spot = build("boj_hike_long_jpy", carry=False).benchmark(_data())
    assert spot.iloc[0] == 0.0 and spot.loc["2024-01-05"] == pytest.approx(150 / 148 - 1)
    carry = build("boj_hike_long_jpy").benchmark(_data())
    # Holding yen against dollars forgoes the dollar's higher rate: below spot on every day with a move.
    assert (carry.iloc[1:] < spot.iloc[1:]).all()


def test_back_to_back_hikes_are_two_trades():
    # Hikes on Thu 4 and Tue 9 Jan with 3-bar holds: the second starts on the bar the first ends.
    second = ("2024-01-09 12:00", "hike", 0.5)
    sig = build("boj_hike_long_jpy", hold_days=3, carry=False).signals(_data(), events(boj=[HIKE, second], fomc=[FED]))
    assert flags(sig.short_entries) == ["2024-01-04", "2024-01-09"] and "2024-01-09" in flags(sig.short_exits)
    trades = backtest(sig, init_cash=100.0, size=1.0, fees=0.0, slippage=0.0).trades
    assert trades[["entry_date", "exit_date"]].values.tolist() == [["2024-01-04", "2024-01-09"], ["2024-01-09", "2024-01-12"]]
