"""boj_hike_short_risk on a 10-bar Nikkei and hand-made BoJ calendars."""

from __future__ import annotations

import pytest

from jpmacro_bt.errors import StrategyError
from jpmacro_bt.engine.simulate import backtest

from .helpers import NEW_YORK, TOKYO, build, events, flags, market, series

# Nikkei bars 2024-01-01 (Mon) .. 2024-01-12, closing 15:00 Tokyo.
NIKKEI = series([100, 101, 102, 100, 98, 97, 99, 96, 95, 97])


def test_short_from_the_first_close_after_the_hike_for_hold_days_bars():
    # A hike at 15:30 Tokyo on Wed 3 Jan is after that day's 15:00 close: the first
    # tradable close is Thu 4 Jan (100); 3 bars later is Tue 9 Jan (99).
    ev = events(boj=[("2024-01-03 15:30", "hike", 0.1)])
    sig = build("boj_hike_short_risk", hold_days=3).signals(market(NIKKEI225=(NIKKEI, TOKYO)), ev)
    assert flags(sig.short_entries) == ["2024-01-04"]
    assert flags(sig.short_exits) == ["2024-01-09"]
    trades = backtest(sig, init_cash=100.0, size=1.0, fees=0.0, slippage=0.0).trades
    # Short at 100, cover at 99: +1 %.
    assert trades[["entry_date", "exit_date", "direction"]].values.tolist() == [["2024-01-04", "2024-01-09", "short"]]
    assert trades["return"].iloc[0] == pytest.approx(0.01)


def test_a_hike_before_the_close_trades_that_same_close():
    ev = events(boj=[("2024-01-03 12:00", "hike", 0.1)])
    sig = build("boj_hike_short_risk", hold_days=2).signals(market(NIKKEI225=(NIKKEI, TOKYO)), ev)
    assert flags(sig.short_entries) == ["2024-01-03"]


def test_holds_and_cuts_give_no_trades():
    ev = events(boj=[("2024-01-03 12:00", "hold", 0.1), ("2024-01-08 12:00", "cut", 0.0)])
    sig = build("boj_hike_short_risk").signals(market(NIKKEI225=(NIKKEI, TOKYO)), ev)
    assert not sig.short_entries.any() and not sig.short_exits.any()


def test_another_asset_on_its_own_clock():
    # The same hike (15:30 Tokyo = 06:30 UTC on 3 Jan) is before New York's close that day.
    ev = events(boj=[("2024-01-03 15:30", "hike", 0.1)])
    sig = build("boj_hike_short_risk", asset="SPX", hold_days=1).signals(market(SPX=(NIKKEI.rename("SPX"), NEW_YORK)), ev)
    assert flags(sig.short_entries) == ["2024-01-03"]


@pytest.mark.parametrize(("asset", "message"), [("UST10Y", "is a yield"), ("TIC_JAPAN_UST", "is a level"), ("NIKEI225", "did you mean NIKKEI225")])
def test_asset_must_be_a_price_symbol(asset, message):
    with pytest.raises(StrategyError, match=message):
        build("boj_hike_short_risk", asset=asset)
