"""hedged_yield_repatriation: the hedged pickup by hand, its hysteresis, and where each rate comes from."""

from __future__ import annotations

import pytest

from jpmacro_bt.errors import StrategyError
from jpmacro_bt.engine.simulate import backtest

from .helpers import ECB, NEW_YORK, TOKYO, build, events, flags, market, series

N = 10  # 1..12 Jan 2024
UST2Y = series([3.0, 3.0, 3.0, 3.7, 3.7, 3.0, 3.0, 3.0, 3.0, 3.0])


def _data(**extra):
    return market(
        USDJPY=(series([150, 150, 150, 150, 150, 149, 148, 148, 148, 148]), ECB),
        UST10Y=(series([4.0] * N), NEW_YORK),
        UST2Y=(UST2Y, NEW_YORK),
        JGB10Y=(series([1.0] * N), TOKYO),
        JGB2Y=(series([0.5] * N), TOKYO),
        **extra,
    )


def test_pickup_with_2y_proxies_by_hand():
    # At the fixing of day D: UST10Y(D-1) - (UST2Y(D-1) - JGB2Y(D)) - JGB10Y(D) = 4 - (UST2Y(D-1) - 0.5) - 1
    # = 3.5 - UST2Y(D-1): +50 bp, or -20 bp on 5 and 8 Jan (UST2Y 3.7 on 4 and 5 Jan).
    pickup = build("hedged_yield_repatriation", short_rates="2y").pickup_bp(_data(), events())
    assert pickup.loc["2024-01-02":].round(6).tolist() == [50, 50, 50, -20, -20, 50, 50, 50, 50]


def test_pickup_with_policy_rates_switches_at_the_first_fixing_after_the_decision():
    # Fed 5.50 %, BoJ -0.10 %: 4 - 5.6 - 1 = -260 bp. A (made-up) cut to 2.00 % on Mon 8 Jan at 14:00
    # New York (19:00 UTC) is public after that day's fixing: 4 - 2.1 - 1 = +90 bp from Tue 9 Jan.
    ev = events(boj=[("2023-12-19 12:00", "hold", -0.1)], fomc=[("2023-12-13 14:00", "hold", 5.5), ("2024-01-08 14:00", "cut", 2.0)])
    pickup = build("hedged_yield_repatriation").pickup_bp(_data(), ev)
    assert pickup.loc[:"2024-01-08"].round(6).unique().tolist() == [-260]
    assert pickup.loc["2024-01-09":].round(6).unique().tolist() == [90]


def test_long_jpy_while_the_pickup_is_below_the_threshold_with_hysteresis():
    # In at -20 bp (< 0) on 5 Jan, still -20 on 8 Jan, out at +50 (> 0 + 25) on 9 Jan.
    sig = build("hedged_yield_repatriation", short_rates="2y", threshold_bp=0.0, band_bp=25.0, carry=False).signals(_data(), events())
    assert flags(sig.short_entries) == ["2024-01-05", "2024-01-08"]
    trades = backtest(sig, init_cash=100.0, size=1.0, fees=0.0, slippage=0.0).trades
    assert trades[["entry_date", "exit_date", "direction"]].values.tolist() == [["2024-01-05", "2024-01-09", "short"]]
    # Short USDJPY at 150 (Fri 5 Jan), covered at 148 (Tue 9 Jan).
    assert trades["return"].iloc[0] == pytest.approx(1 - 148 / 150)
    # A band of 60 bp: +50 never clears 0 + 60, so the position stays open.
    wide = build("hedged_yield_repatriation", short_rates="2y", band_bp=60.0).signals(_data(), events())
    assert wide.short_entries.loc["2024-01-05":].all()


def test_usdjpy_is_carry_inclusive_by_default():
    # The same trade, priced with the carry: flat USDJPY days now cost the short the rate gap.
    # Without BoJ/FOMC events the rates are the CSV back-fill: USD 0.25 %, JPY 0.10 %.
    sig = build("hedged_yield_repatriation", short_rates="2y").signals(_data(), events())
    assert sig.close.name == "USDJPY"  # named for the symbol traded, priced carry-inclusive
    fri_mon = sig.close.loc["2024-01-08"] / sig.close.loc["2024-01-05"] - 1
    assert fri_mon == pytest.approx((149 / 150) * (1 + 0.0025 * 3 / 365) - (1 + 0.0010 * 3 / 365))


def test_tlt_and_both():
    tlt = series([90, 90, 90, 90, 91, 92, 91, 90, 90, 90])
    data = _data(TLT=(tlt, NEW_YORK))
    # The 5 Jan fixing (13:15 UTC) is before New York's 5 Jan close: TLT is shorted that close.
    sig = build("hedged_yield_repatriation", short_rates="2y", trade="TLT").signals(data, events())
    assert flags(sig.short_entries) == ["2024-01-05", "2024-01-08"] and sig.close.name == "TLT"
    both = build("hedged_yield_repatriation", short_rates="2y", trade="both").signals(data, events())
    for name in ("USDJPY", "TLT"):
        weights = both.target_weights[name].dropna()
        assert flags(weights == -0.5) == ["2024-01-05"] and flags(weights == 0.0) == ["2024-01-09"] and len(weights) == 2
    assert build("hedged_yield_repatriation", trade="TLT").benchmark_name == "cash"


def test_unknown_choices_are_refused():
    with pytest.raises(StrategyError, match="did you mean policy"):
        build("hedged_yield_repatriation", short_rates="polcy")
