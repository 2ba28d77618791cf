"""The vectorbt runner on series small enough to check by hand."""

from __future__ import annotations

import pandas as pd
import pytest

from jpmacro_bt.errors import StrategyError
from jpmacro_bt.engine.simulate import backtest
from jpmacro_bt.strategy import Signals, hold_for

IDX = pd.bdate_range("2024-01-01", periods=10)
CLOSE = pd.Series([100, 100, 102, 101, 99, 98, 100, 97, 96, 95.0], index=IDX, name="X")


def _flags(*positions: int) -> pd.Series:
    s = pd.Series(False, index=IDX)
    s.iloc[list(positions)] = True
    return s


def _short(fees=0.0, slippage=0.0, sl_stop=None, entries=(1,), exits=(5,)):
    sig = Signals(close=CLOSE, short_entries=_flags(*entries), short_exits=_flags(*exits), sl_stop=sl_stop)
    return backtest(sig, init_cash=100_000.0, size=1.0, fees=fees, slippage=slippage)


def test_single_short_trade_without_costs():
    # Short at bar 1's close (100), cover at bar 5's close (98): (100 - 98) / 100 = +2 %.
    bt = _short()
    assert (1 + bt.returns).prod() - 1 == pytest.approx(0.02, abs=1e-12)
    (trade,) = bt.trades.itertuples()
    assert (trade.direction, trade.entry_date, trade.exit_date) == ("short", "2024-01-02", "2024-01-08")
    assert trade.pnl == pytest.approx(2000.0)
    assert bt.exposure.tolist() == [False, True, True, True, True, False, False, False, False, False]


def test_single_short_trade_with_fees_and_slippage():
    # By hand: the short sells at 100 * (1 - 0.002) = 99.8; all equity goes in, fees included,
    # so size = 100000 / (99.8 * 1.001). It buys back at 98 * 1.002 = 98.196.
    # pnl = size * (99.8 - 98.196) - 0.001 * size * (99.8 + 98.196).
    size = 100_000 / (99.8 * 1.001)
    pnl = size * (99.8 - 98.196) - 0.001 * size * (99.8 + 98.196)
    bt = _short(fees=0.001, slippage=0.002)
    assert (1 + bt.returns).prod() - 1 == pytest.approx(pnl / 100_000, rel=1e-9)
    assert bt.trades.loc[0, "entry_price"] == pytest.approx(99.8)
    assert bt.trades.loc[0, "exit_price"] == pytest.approx(98.196)


def test_higher_fees_never_raise_equity():
    finals = [(1 + _short(fees=f).returns).prod() for f in (0.0, 0.0005, 0.001, 0.01)]
    assert finals == sorted(finals, reverse=True)


def test_stop_fills_at_the_breaching_close_not_the_stop_price():
    # Short at 100 (bar 1) with a 1.5 % stop: bar 2 closes at 102 (+2 %), so the stop fires
    # there and fills at 102, not at the 101.5 stop level the close gapped through.
    bt = _short(sl_stop=0.015)
    trade = bt.trades.iloc[0]
    assert (trade.exit_date, trade.exit_price) == ("2024-01-03", pytest.approx(102.0))
    assert (1 + bt.returns).prod() - 1 == pytest.approx(-0.02)


def test_no_signals_no_trades():
    bt = _short(entries=(), exits=())
    assert bt.trades.empty and (bt.returns == 0).all()


def test_open_trade_is_reported_open():
    bt = _short(entries=(7,), exits=())
    assert bt.trades.loc[0, "status"] == "open" and bt.trades.loc[0, "exit_date"] == ""


def test_target_weights_half_invested():
    # Half the equity long from bar 0: the portfolio moves half as much as the asset.
    w = pd.Series(float("nan"), index=IDX)
    w.iloc[0] = 0.5
    bt = backtest(Signals(close=CLOSE, target_weights=w), init_cash=100.0, size=1.0, fees=0.0, slippage=0.0)
    # Equity after bar 1: 50 cash + 0.5 units * 100 = 100; after bar 2: 50 + 0.5 * 102 = 101.
    assert bt.equity.iloc[2] == pytest.approx(101.0)


@pytest.mark.parametrize(("kw", "message"), [
    ({"size": 0}, "size=0 is out of range"),
    ({"fees": -0.1}, "fees=-0.1 is out of range"),
    ({"slippage": 0.5}, "slippage=0.5 is out of range"),
])
def test_bad_settings_are_named(kw, message):
    args = {"init_cash": 100.0, "size": 1.0, "fees": 0.0, "slippage": 0.0, **kw}
    with pytest.raises(StrategyError, match=message):
        backtest(Signals(close=CLOSE, entries=_flags(1)), **args)


def test_hold_for_skips_signals_inside_an_open_window():
    # Signals at 0, 2 and 4 with a 3-bar hold: 0 opens (exit 3); 2 is inside; 4 opens (exit 7).
    entries, exits = hold_for(_flags(0, 2, 4), 3)
    assert list(entries[entries].index) == [IDX[0], IDX[4]]
    assert list(exits[exits].index) == [IDX[3], IDX[7]]


def test_signals_must_share_the_close_index():
    with pytest.raises(StrategyError, match="entries is not indexed like close"):
        Signals(close=CLOSE, entries=_flags(1).iloc[:-1])


def test_borrow_cost_is_charged_on_the_short_value_held():
    # Short 1000 units at 100 (bar 1) until bar 5 (98), no fees: equity = 200000 - 1000 * price.
    eq = [100_000, 100_000, 98_000, 99_000, 101_000, 102_000, 102_000, 102_000, 102_000, 102_000]
    short_value = [0, 100_000, 102_000, 101_000, 99_000, 0, 0, 0, 0, 0]
    daily = 0.252 / 252  # annual rate over 252 bars a year (business days)
    expected = 1.0
    for t in range(1, 10):
        expected *= 1 + eq[t] / eq[t - 1] - 1 - daily * short_value[t - 1] / eq[t - 1]
    sig = Signals(close=CLOSE, short_entries=_flags(1), short_exits=_flags(5))
    bt = backtest(sig, init_cash=100_000.0, size=1.0, fees=0.0, slippage=0.0, borrow_rate=0.252)
    assert (1 + bt.returns).prod() == pytest.approx(expected, rel=1e-12)
    assert bt.equity.iloc[-1] == pytest.approx(100_000 * expected, rel=1e-12)


def test_borrow_cost_leaves_long_trades_alone():
    sig = Signals(close=CLOSE, entries=_flags(1), exits=_flags(5))
    kw = dict(init_cash=100_000.0, size=1.0, fees=0.0, slippage=0.0)
    pd.testing.assert_series_equal(backtest(sig, **kw, borrow_rate=0.1).returns, backtest(sig, **kw).returns)


def test_each_asset_pays_its_own_costs():
    # Two flat assets at 100, half the equity in each from bar 0: about 50 is traded in each, so A
    # (fee 1 %) costs 0.5 and B (0.1 %) 0.05, against 0.1 with one 0.1 % fee for both. (The order
    # size leaves room for its own fee, hence the 0.1 % tolerance.)
    idx = pd.bdate_range("2024-01-01", periods=3)
    close = pd.DataFrame({"A": [100.0, 100.0, 100.0], "B": [100.0, 100.0, 100.0]}, index=idx)
    w = pd.DataFrame({"A": [0.5, float("nan"), float("nan")], "B": [0.5, float("nan"), float("nan")]}, index=idx)
    bt = backtest(Signals(close=close, target_weights=w), init_cash=100.0, size=1.0,
                  fees={"A": 0.01, "B": 0.001, "*": 0.0}, slippage=0.0)
    # TargetPercent sizes each order to 50 of value; a fee of f on 50 traded costs 50 * f.
    assert bt.equity.iloc[-1] == pytest.approx(100.0 - 50 * 0.01 - 50 * 0.001, rel=1e-3)
    flat = backtest(Signals(close=close, target_weights=w), init_cash=100.0, size=1.0, fees=0.001, slippage=0.0)
    assert flat.equity.iloc[-1] == pytest.approx(100.0 - 100 * 0.001, rel=1e-3)


def test_borrow_is_charged_per_asset():
    # Short A (rate 25.2 %) and B (rate 0) at half the equity each, no price moves:
    # each bar after entry costs 0.252 / 252 of A's short value (50) over equity (100).
    idx = pd.bdate_range("2024-01-01", periods=4)
    close = pd.DataFrame({"A": [100.0] * 4, "B": [100.0] * 4}, index=idx)
    w = pd.DataFrame({"A": [-0.5] + [float("nan")] * 3, "B": [-0.5] + [float("nan")] * 3}, index=idx)
    bt = backtest(Signals(close=close, target_weights=w), init_cash=100.0, size=1.0, fees=0.0, slippage=0.0,
                  borrow_rate={"A": 0.252, "B": 0.0, "*": 0.0})
    daily = 0.001 * 50 / 100
    assert bt.returns.tolist()[1:] == pytest.approx([-daily] * 3, rel=1e-6)


def test_a_mixed_basket_takes_each_symbols_default_costs():
    from jpmacro_bt.engine.run import RunSettings
    from jpmacro_bt.catalog import find
    from jpmacro_bt.symbols import ASSET_CLASS_COSTS

    strategy = find("carry_unwind_short_risk").build({"asset": "basket"})
    basket = pd.DataFrame(columns=["NIKKEI225", "SPX", "BTCUSD"], dtype=float)
    fees, slippage, borrow = RunSettings().costs_for(strategy, basket)
    assert fees["BTCUSD"] == ASSET_CLASS_COSTS["crypto"]["fees"] and fees["SPX"] == ASSET_CLASS_COSTS["equity"]["fees"]
    assert borrow["BTCUSD"] == ASSET_CLASS_COSTS["crypto"]["borrow"]
    # A cost the user sets applies to every asset.
    assert RunSettings(fees=0.0003).costs_for(strategy, basket)[0] == 0.0003
