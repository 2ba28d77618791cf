"""Shared indicators on 5-12 bar series, each expectation computed by hand or by numpy."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from jpmacro_bt.errors import DataError, StrategyError
from jpmacro_bt.indicators import (
    above_sma,
    align,
    align_flags,
    basket_close,
    buy_and_hold,
    carry_priced,
    change_bp,
    drawdown,
    hold_until,
    latch,
    mean_pairwise_corr,
    require_price_symbol,
    returns,
    rolling_vol,
    state_on,
    to_basket,
    to_target_weights,
    traded_price,
    yen_spike,
    zscore,
)
from jpmacro_bt.strategy import hold_for

from .conftest import make_market
from .strategies.helpers import ECB, NEW_YORK, TOKYO, market, series


def b(*values) -> pd.Series:
    return series([float(v) for v in values])


def test_returns_over_k_bars():
    got = returns(b(100, 110, 99, 121), 2)
    assert got.isna().tolist() == [True, True, False, False]
    assert got.iloc[2:].tolist() == pytest.approx([99 / 100 - 1, 121 / 110 - 1])


def test_yield_changes_are_differences_in_bp_never_ratios():
    # 0.10 % -> 0.25 % is +15 bp (a ratio would say +150 %); -0.10 % -> 0.10 % is +20 bp.
    assert change_bp(b(0.10, 0.25), 1).iloc[1] == pytest.approx(15.0)
    assert change_bp(b(-0.10, 0.10), 1).iloc[1] == pytest.approx(20.0)
    assert change_bp(b(1.0, 1.2, 1.1), 2).iloc[2] == pytest.approx(10.0)


def test_zscore_by_hand():
    # Last three of 1, 2, 3, 10: mean 5, sample sd sqrt(((2-5)^2 + (3-5)^2 + (10-5)^2) / 2) = sqrt(19).
    z = zscore(b(1, 2, 3, 10), 3)
    assert z.iloc[:2].isna().all()
    assert z.iloc[2] == pytest.approx((3 - 2) / 1.0)
    assert z.iloc[3] == pytest.approx((10 - 5) / np.sqrt(19))
    assert np.isnan(zscore(b(2, 2, 2), 3).iloc[2])  # zero deviation: undefined, not infinite


def test_rolling_vol_by_hand():
    # Log returns ln(1.1), ln(1/1.1), ln(1.1): sample sd over 3, times sqrt(252).
    close = b(100, 110, 100, 110)
    lr = np.log([1.1, 1 / 1.1, 1.1])
    assert rolling_vol(close, 3).iloc[3] == pytest.approx(np.std(lr, ddof=1) * np.sqrt(252))
    assert rolling_vol(close, 3).iloc[:3].isna().all()


def test_drawdown_from_the_running_or_recent_peak():
    close = b(100, 120, 90, 100, 80)
    assert drawdown(close).tolist() == pytest.approx([0, 0, 90 / 120 - 1, 100 / 120 - 1, 80 / 120 - 1])
    # Peak of the last 2 bars: 100, 120, 120, 100, 100.
    assert drawdown(close, 2).tolist() == pytest.approx([0, 0, 90 / 120 - 1, 0, 80 / 100 - 1])


def test_above_sma():
    # 3-bar means: -, -, 2, 3, 10/3; closes 3, 4, 3 vs them.
    assert above_sma(b(1, 2, 3, 4, 3), 3).tolist() == [False, False, True, True, False]


def test_mean_pairwise_corr_matches_numpy():
    rng = np.random.default_rng(1)
    frame = pd.DataFrame(rng.normal(size=(12, 3)), columns=list("abc"), index=pd.bdate_range("2024-01-01", periods=12))
    got = mean_pairwise_corr(frame, 5)
    assert got.iloc[:4].isna().all()
    for t in range(4, 12):
        c = np.corrcoef(frame.iloc[t - 4 : t + 1].to_numpy().T)
        assert got.iloc[t] == pytest.approx(c[np.triu_indices(3, 1)].mean())
    with pytest.raises(StrategyError, match="at least two columns"):
        mean_pairwise_corr(frame[["a"]], 5)


def test_yen_spike_fires_on_a_fast_fall_of_usdjpy():
    usdjpy = b(100, 99, 97, 96, 98)
    # 2-bar returns: -, -, -3 %, -3.03 %, +1.03 %.
    assert yen_spike(usdjpy, 2, 0.025).tolist() == [False, False, True, True, False]
    assert not yen_spike(usdjpy, 2, 0.05).any()
    with pytest.raises(StrategyError, match="threshold or a z level"):
        yen_spike(usdjpy, 2, None, None)


def test_latch():
    on = pd.Series([False, True, False, False, False, True])
    off = pd.Series([False, False, False, True, False, True])
    # On at 1, off at 3; on and off together at 5: on wins.
    assert latch(on, off).tolist() == [False, True, True, False, False, True]


def test_hold_until_exits_after_bars_or_at_the_first_exit_condition():
    entries = pd.Series([True, False, True, False, False, False, True, False, False, False])
    stop = pd.Series([False, False, False, True, False, False, False, False, False, False])
    keep, leave = hold_until(entries, 5, stop)
    # Entry 0; the entry at 2 is inside the window; the stop at 3 ends it. Entry 6, out 5 bars later (11: beyond the data).
    assert keep.tolist() == [True, False, False, False, False, False, True, False, False, False]
    assert leave.tolist() == [False, False, False, True, False, False, False, False, False, False]
    # Without an exit condition it is hold_for.
    for got, want in zip(hold_until(entries, 3), hold_for(entries, 3)):
        pd.testing.assert_series_equal(got, want)


def test_target_weights_only_where_the_state_changes():
    state = pd.Series([0, 1, 1, 0, -1, -1])
    got = to_target_weights(state, 0.5)
    assert got.isna().tolist() == [True, False, True, False, False, True]
    assert got.dropna().tolist() == [0.5, 0.0, -0.5]
    assert to_target_weights(pd.Series([1, 1]), 1.0).tolist()[0] == 1.0  # a position from the first bar


def test_state_on_keeps_the_last_known_state():
    state = pd.Series([True, False], index=pd.DatetimeIndex(["2024-01-02", "2024-01-04"]))
    index = pd.DatetimeIndex(["2024-01-01", "2024-01-02", "2024-01-03", "2024-01-04", "2024-01-05"])
    assert state_on(state, index).tolist() == [False, True, True, False, False]


def test_align_uses_only_values_public_before_each_close():
    # A Tokyo series (06:00 UTC) onto New York bars (21:00 UTC): each NY day sees that day's Tokyo value.
    # The other way round, Tokyo sees the previous NY day's value.
    tokyo = b(1, 2, 3, 4, 5)
    ny = b(10, 20, 30, 40, 50)
    data = market(NIKKEI225=(tokyo, TOKYO), SPX=(ny, NEW_YORK))
    on_ny = align(data, "SPX", {"x": (tokyo, TOKYO)})["x"]
    assert on_ny.tolist() == [1, 2, 3, 4, 5]
    on_tokyo = align(data, "NIKKEI225", {"x": (ny, NEW_YORK)})["x"]
    assert on_tokyo.index[0] == pd.Timestamp("2024-01-02") and on_tokyo.tolist() == [10, 20, 30, 40]


def test_align_max_fill_zero_keeps_only_fresh_values():
    # Tokyo shut on 3 Jan: with max_fill=0 New York's 3 Jan row has no value (not the stale 2 Jan one).
    tokyo = pd.Series([1.0, 2.0, 4.0], index=pd.DatetimeIndex(["2024-01-01", "2024-01-02", "2024-01-04"], name="date"))
    data = market(SPX=(b(10, 20, 30, 40), NEW_YORK))
    fresh = align(data, "SPX", {"x": (tokyo, TOKYO)}, max_fill=0)["x"]
    assert [f"{d:%m-%d}" for d in fresh.index] == ["01-01", "01-02", "01-04"]
    stale = align(data, "SPX", {"x": (tokyo, TOKYO)}, max_fill=1)["x"]
    assert stale.tolist() == [1.0, 2.0, 2.0, 4.0]
    with pytest.raises(DataError, match="not loaded"):
        align(data, "NIKKEI225", {"x": (tokyo, TOKYO)})


def test_basket_close_and_weights_on_the_union_of_dates():
    weekdays = b(1, 2, 3, 4, 5)  # Mon 1 .. Fri 5 Jan
    every_day = series([10, 20, 30, 40, 50, 60, 70], freq="D")  # Mon 1 .. Sun 7 Jan
    close = basket_close({"A": weekdays, "B": every_day})
    assert len(close) == 7 and close["A"].tolist() == [1, 2, 3, 4, 5, 5, 5]
    w = pd.Series([np.nan, 1.0, np.nan, np.nan, 0.0], index=weekdays.index)
    _, target = to_basket({"A": weekdays, "B": every_day}, {"A": w, "B": pd.Series(dtype=float)})
    assert target["A"].dropna().tolist() == [1.0, 0.0] and target["A"].iloc[5:].isna().all()


def test_require_price_symbol():
    require_price_symbol("NIKKEI225", "asset")
    require_price_symbol("ZARJPY", "asset")  # an ECB cross is a price
    require_price_symbol("basket", "asset", extra=("basket",))
    with pytest.raises(StrategyError, match="is a yield"):
        require_price_symbol("JGB10Y", "asset")


def test_inputs_unchanged():
    data = make_market(["USDJPY", "NIKKEI225"])
    fx = data.close("USDJPY")
    before = fx.copy()
    for fn in (lambda s: returns(s, 5), lambda s: zscore(s, 20), lambda s: rolling_vol(s, 20), drawdown, lambda s: yen_spike(s, 5, 0.03, 2.0)):
        fn(fx)
    align(data, "NIKKEI225", {"fx": (fx, ECB)})
    pd.testing.assert_series_equal(fx, before)


def test_align_flags_is_align_of_booleans():
    # The Tokyo flag reaches New York the same day; rows without a value are dropped as align drops them.
    tokyo = pd.Series([True, False, True], index=pd.DatetimeIndex(["2024-01-01", "2024-01-02", "2024-01-04"], name="date"))
    data = market(SPX=(b(10, 20, 30, 40), NEW_YORK))
    got = align_flags(data, "SPX", {"x": (tokyo, TOKYO)}, max_fill=0)["x"]
    assert got.dtype == bool and got.tolist() == [True, False, True]
    assert [f"{d:%m-%d}" for d in got.index] == ["01-01", "01-02", "01-04"]
    pd.testing.assert_series_equal(got, align(data, "SPX", {"x": (tokyo.astype(float), TOKYO)}, max_fill=0)["x"] > 0.5)


def test_buy_and_hold_is_the_price_return_from_zero():
    got = buy_and_hold(b(100, 110, 99), "bench")
    assert got.name == "bench" and got.tolist() == pytest.approx([0.0, 0.1, 99 / 110 - 1])


def test_traded_price_is_carry_inclusive_for_fx_pairs_only():
    from jpmacro_bt.carry import carry_price
    from jpmacro_bt.events import load_events

    data = make_market(["AUDJPY", "NIKKEI225", "EURJPY"])
    events = load_events()
    pd.testing.assert_series_equal(traded_price(data, "AUDJPY", events), carry_price(data, "AUDJPY", events).rename("AUDJPY"))
    pd.testing.assert_series_equal(traded_price(data, "AUDJPY", events, carry=False), data.close("AUDJPY"))
    pd.testing.assert_series_equal(traded_price(data, "NIKKEI225", events), data.close("NIKKEI225"))
    assert (carry_priced("AUDJPY"), carry_priced("EURJPY"), carry_priced("NIKKEI225"), carry_priced("basket")) == (True, False, False, False)
    with pytest.raises(StrategyError, match="asset='EURJPY': no policy rates"):
        require_price_symbol("EURJPY", "asset", carry=True)
    require_price_symbol("EURJPY", "asset")  # a price all the same, for a strategy that does not hold it


def test_hold_until_checks_its_bars():
    with pytest.raises(StrategyError, match="bars=0 must be a whole number of bars >= 1"):
        hold_until(b(1, 0, 1).astype(bool), 0)
