"""carry_unwind_short_risk: the yen move, its timing across clocks, the early exit, the basket."""

from __future__ import annotations

import numpy as np
import pytest

from jpmacro_bt.errors import StrategyError
from jpmacro_bt.events import load_events

from ..conftest import make_market
from .helpers import ECB, NEW_YORK, TOKYO, UTC_DAY, build, flags, market, series

# USDJPY fixings (ECB, 14:15 Frankfurt = 13:15 UTC), 1..12 Jan 2024 (business days).
# 2-bar returns: 4 Jan 96/100-1 = -4 % (fires at 3 %), 5 Jan 95/100-1 = -5 % (fires),
# 8 Jan 95/96-1 = -1 %, 9 Jan 97/95-1 = +2.1 % (the move reverses: above 0).
USDJPY = series([100, 100, 100, 96, 95, 95, 97, 98, 98, 98])
NIKKEI = series([100] * 10)


def _data(**extra):
    return market(USDJPY=(USDJPY, ECB), NIKKEI225=(NIKKEI, TOKYO), **extra)


def test_enters_at_the_first_tokyo_close_after_the_fixing_and_leaves_when_the_yen_move_reverses():
    # The 4 Jan fixing (13:15 UTC) is public after Tokyo's 4 Jan close (06:00 UTC):
    # the Nikkei is shorted at its 5 Jan close. The 9 Jan reversal reaches Tokyo on 10 Jan.
    sig = build("carry_unwind_short_risk", k=2, threshold=0.03, hold=5, reversal=0.0).signals(_data(), load_events())
    assert flags(sig.short_entries) == ["2024-01-05"]
    assert flags(sig.short_exits) == ["2024-01-10"]


def test_without_the_reversal_exit_it_holds_hold_bars():
    # 5 Jan + 5 bars = 12 Jan; the 5 Jan fixing (fires again) falls inside the window.
    sig = build("carry_unwind_short_risk", k=2, threshold=0.03, hold=5, reversal=None).signals(_data(), load_events())
    assert flags(sig.short_entries) == ["2024-01-05"]
    assert flags(sig.short_exits) == ["2024-01-12"]


def test_a_threshold_above_the_move_gives_no_trade():
    sig = build("carry_unwind_short_risk", k=2, threshold=0.06).signals(_data(), load_events())
    assert not sig.short_entries.any()


def test_basket_each_asset_on_its_own_close():
    # New York (21:00 UTC) and Bitcoin's day (24:00 UTC) close after the 4 Jan fixing the same day;
    # Tokyo only on 5 Jan. The reversal (9 Jan fixing) closes NY and BTC on 9 Jan, Tokyo on 10 Jan.
    btc = series([100] * 12, freq="D")  # 1..12 Jan, weekends included
    data = _data(SPX=(NIKKEI.rename("SPX"), NEW_YORK), BTCUSD=(btc, UTC_DAY))
    sig = build("carry_unwind_short_risk", asset="basket", k=2, threshold=0.03, hold=5).signals(data, load_events())
    w = sig.target_weights
    assert list(w.columns) == ["NIKKEI225", "SPX", "BTCUSD"]
    assert len(sig.close) == 12  # union of dates: Bitcoin's weekend included
    third = -1.0 / 3.0
    expected = {"NIKKEI225": {"2024-01-05": third, "2024-01-10": 0.0}, "SPX": {"2024-01-04": third, "2024-01-09": 0.0}, "BTCUSD": {"2024-01-04": third, "2024-01-09": 0.0}}
    for name, by_day in expected.items():
        # Weights only where the position changes: the entry and the exit.
        assert {f"{d:%Y-%m-%d}": v for d, v in w[name].dropna().items()} == pytest.approx(by_day), name
    # No weight is ever set on a carried-forward close (the weekend for NIKKEI225/SPX).
    assert w.loc["2024-01-06":"2024-01-07", ["NIKKEI225", "SPX"]].isna().all().all()


def test_higher_threshold_never_fires_more():
    data = make_market(["NIKKEI225", "USDJPY"])
    counts = []
    for threshold in (0.01, 0.02, 0.03, 0.05):
        sig = build("carry_unwind_short_risk", threshold=threshold, reversal=None, hold=1).signals(data, load_events())
        counts.append(int(sig.short_entries.sum()))
    assert counts == sorted(counts, reverse=True) and counts[0] > 0


def test_unknown_trigger_is_refused_with_the_choices():
    with pytest.raises(StrategyError, match="did you mean zscore"):
        build("carry_unwind_short_risk", trigger="zscor")


def test_zscore_trigger_fires_on_an_outsized_move():
    # Small alternating moves, then a 5 % drop: its 1-bar z-score is far below -2.5.
    values = np.r_[100 * (1 + 0.001 * np.tile([1, -1], 15)), 95.0]
    usdjpy = series(values)
    data = market(USDJPY=(usdjpy, ECB), NIKKEI225=(series([100] * 32), TOKYO))
    sig = build("carry_unwind_short_risk", trigger="zscore", k=1, z=2.5, window=20, reversal=None).signals(data, load_events())
    # The drop is the 31st fixing (Mon 12 Feb 2024); Tokyo trades it on 13 Feb.
    assert flags(sig.short_entries) == ["2024-02-13"]
