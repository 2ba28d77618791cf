"""The vectorbt runner on series small enough to check by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from jpmacro_bt.errors import StrategyError
from jpmacro_bt.engine.simulate import backtest, backtest_many
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
    # The rate accrues over calendar days (act/365): Fri 5 -> Mon 8 Jan (bar 4 -> 5) is three days.
    eq = [100_000, 100_000, 98_000, 99_000, 101_000, 102_000, 102_000, 102_000, 102_000, 102_000]
    short_value = [0, 100_000, 102_000, 101_000, 99_000, 0, 0, 0, 0, 0]
    days = [None, 1, 1, 1, 1, 3, 1, 1, 1, 1]
    expected = 1.0
    for t in range(1, 10):
        expected *= 1 + eq[t] / eq[t - 1] - 1 - 0.252 * days[t] / 365 * short_value[t - 1] / eq[t - 1]
    sig = Signals(close=CLOSE, short_entries=_flags(1), short_exits=_flags(5))
    bt = backtest(sig, init_cash=100_000.0, size=1.0, fees=0.0, slippage=0.0, borrow_rate=0.252)
    assert (1 + bt.returns).prod() == pytest.approx(expected, rel=1e-12)
    assert bt.equity.iloc[-1] == pytest.approx(100_000 * expected, rel=1e-12)


def test_a_year_of_borrow_costs_the_annual_rate():
    # A flat price shorted for 365 calendar days (every day a bar) pays 1 % of its value once:
    # each day 0.01 / 365 of the short value (100, the equity after the short's proceeds is 100 too).
    idx = pd.date_range("2023-01-01", periods=366, freq="D")
    close = pd.Series(100.0, index=idx, name="X")
    entries = pd.Series(False, index=idx)
    entries.iloc[0] = True
    bt = backtest(Signals(close=close, short_entries=entries, short_exits=entries & False), init_cash=100.0, size=1.0,
                  fees=0.0, slippage=0.0, borrow_rate=0.01)
    assert bt.returns.sum() == pytest.approx(-0.01, rel=1e-12)


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
    # Short A (rate 36.5 %) and B (rate 0) at half the equity each, no price moves: each calendar day
    # after entry costs 0.365 / 365 of A's short value (50) over equity (100); Mon 1 .. Thu 4 Jan.
    idx = pd.bdate_range("2024-01-01", periods=4)
    close = pd.DataFrame({"A": [100.0] * 4, "B": [100.0] * 4}, index=idx)
    w = pd.DataFrame({"A": [-0.5] + [float("nan")] * 3, "B": [-0.5] + [float("nan")] * 3}, index=idx)
    bt = backtest(Signals(close=close, target_weights=w), init_cash=100.0, size=1.0, fees=0.0, slippage=0.0,
                  borrow_rate={"A": 0.365, "B": 0.0, "*": 0.0})
    daily = 0.001 * 50 / 100
    assert bt.returns.tolist()[1:] == pytest.approx([-daily] * 3, rel=1e-12)


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


# --- back-to-back holds -------------------------------------------------------------------


def test_back_to_back_holds_are_two_trades_of_one_position():
    # hold_for(entries at 1 and 4, 3 bars): hold 1 is bars 1 -> 4, hold 2 starts on bar 4 and exits on 7.
    # The position is kept through bar 4 (no order, no fee) and the trades table cuts it there.
    entries, exits = hold_for(_flags(1, 4), 3)
    assert entries.iloc[4] and exits.iloc[4]
    sig = Signals(close=CLOSE, short_entries=entries, short_exits=exits)
    bt = backtest(sig, init_cash=100_000.0, size=1.0, fees=0.001, slippage=0.0)
    one, two = bt.trades.itertuples()
    assert (one.entry_date, one.exit_date, two.entry_date, two.exit_date) == ("2024-01-02", "2024-01-05", "2024-01-05", "2024-01-10")
    # By hand: short 100000 / (100 * 1.001) units at 100; cut at bar 4's close (99); covered at 97 with a 0.1 % fee.
    units = 100_000 / (100 * 1.001)
    assert (one.entry_price, one.exit_price, two.entry_price, two.exit_price) == pytest.approx((100, 99, 99, 97))
    assert one.fees == pytest.approx(units * 100 * 0.001) and two.fees == pytest.approx(units * 97 * 0.001)
    assert one.pnl == pytest.approx(units * (100 - 99) - units * 100 * 0.001)
    assert two.pnl == pytest.approx(units * (99 - 97) - units * 97 * 0.001)
    assert bt.trades.loc[1, "return"] == pytest.approx(two.pnl / (units * 99))
    # The equity is that of one position: no cost at the cut.
    assert bt.equity.iloc[-1] == pytest.approx(100_000 + units * (100 - 97) - units * (100 + 97) * 0.001)


def test_a_hold_starting_where_a_stopped_one_would_have_ended_opens():
    # Short at bar 1 (100) with a 1.5 % stop: bar 2 closes at 102 and stops it out. The next hold
    # starts on bar 4 (where the first would have ended): flat there, so it opens at 99.
    entries, exits = hold_for(_flags(1, 4), 3)
    bt = backtest(Signals(close=CLOSE, short_entries=entries, short_exits=exits, sl_stop=0.015),
                  init_cash=100_000.0, size=1.0, fees=0.0, slippage=0.0)
    assert bt.trades[["entry_date", "exit_date"]].values.tolist() == [["2024-01-02", "2024-01-03"], ["2024-01-05", "2024-01-10"]]


def test_the_batch_counts_every_hold_as_a_trade():
    from jpmacro_bt.engine.simulate import backtest_many

    entries, exits = hold_for(_flags(1, 4, 7), 3)
    sig = Signals(close=CLOSE, short_entries=entries, short_exits=exits)
    batch = backtest_many([sig], init_cash=100_000.0, size=1.0, fees=0.0, slippage=0.0)
    one = backtest(sig, init_cash=100_000.0, size=1.0, fees=0.0, slippage=0.0)
    # Holds 1 -> 4, 4 -> 7, 7 -> (open): three trades, two closed; the prices fall, so both closed shorts win.
    closed = one.trades[one.trades["status"] == "closed"]
    assert (batch.trades[0], batch.closed[0], batch.wins[0]) == (3, 2, 2) == (len(one.trades), len(closed), int((closed["pnl"] > 0).sum()))


# --- where a run starts -------------------------------------------------------------------


def test_a_cut_starts_in_the_position_the_signals_hold():
    # Short from bar 1 to bar 5: a run from bar 3 is short from its first close (101) to bar 5 (98).
    sig = Signals(close=CLOSE, short_entries=_flags(1), short_exits=_flags(5))
    cut = sig.cut(IDX[3], None)
    assert cut.short_entries.tolist() == [True, False, False, False, False, False, False]
    bt = backtest(cut, init_cash=100.0, size=1.0, fees=0.0, slippage=0.0)
    assert (1 + bt.returns).prod() - 1 == pytest.approx((101 - 98) / 101)
    # After the exit nothing is held.
    assert not sig.cut(IDX[6], None).short_entries.any()


def test_a_cut_keeps_the_last_target_weight():
    w = pd.Series(float("nan"), index=IDX)
    w.iloc[1], w.iloc[6] = 0.5, 0.0
    assert Signals(close=CLOSE, target_weights=w).cut(IDX[3], None).target_weights.iloc[:4].tolist()[0] == 0.5
    assert np.isnan(Signals(close=CLOSE, target_weights=w).cut(IDX[1], None).target_weights.iloc[1])
    bt = backtest(Signals(close=CLOSE, target_weights=w).cut(IDX[3], None), init_cash=100.0, size=1.0, fees=0.0, slippage=0.0)
    # Half long from bar 3 (101) to bar 6 (100): equity 100 + 0.5 * 100 * (100 / 101 - 1).
    assert bt.equity.iloc[-1] == pytest.approx(100 + 50 * (100 / 101 - 1))


def test_held_follows_the_engines_rules():
    # Long entry 1, exit 3; entry and exit on 5 (entry wins); short entry 6 reverses; a long exit on 8
    # does not close a short; short exit 9.
    sig = Signals(close=CLOSE, entries=_flags(1, 5), exits=_flags(3, 5, 8), short_entries=_flags(6), short_exits=_flags(9))
    assert sig.held().ravel().tolist() == [0, 1, 1, 0, 0, 1, -1, -1, -1, 0]


# --- what the engine refuses --------------------------------------------------------------


def _weights(*values) -> pd.Series:
    return pd.Series([float(v) for v in values] + [float("nan")] * (10 - len(values)), index=IDX)


@pytest.mark.parametrize(("weights", "kw", "message"), [
    (_weights("nan", "inf"), {}, "target weight inf for X on 2024-01-02 is not a fraction of equity"),
    (_weights(-50), {}, r"target weights on 2024-01-01 hold a gross exposure of 50x equity, beyond --size 1: allow it with --leverage 50"),
    (_weights(0.5, -1.5), {"leverage": 1.2}, r"target weights on 2024-01-02 hold a gross exposure of 1.5x equity, beyond --leverage 1.2"),
    (_weights(1.5), {"leverage": 2.0}, r"net long exposure of 1.5x equity"),
])
def test_target_weights_beyond_what_was_allowed_are_refused(weights, kw, message):
    with pytest.raises(StrategyError, match=message):
        backtest(Signals(close=CLOSE, target_weights=weights), init_cash=100.0, size=1.0, fees=0.0, slippage=0.0, **kw)


def test_leverage_allows_a_larger_short():
    # Short 2x equity at 100 from bar 0: the equity moves twice as much against the price.
    bt = backtest(Signals(close=CLOSE, target_weights=_weights(-2)), init_cash=100.0, size=1.0, fees=0.0, slippage=0.0, leverage=2.0)
    assert bt.equity.iloc[2] == pytest.approx(100 - 2 * (102 - 100))


def test_a_long_beyond_equity_is_refused():
    with pytest.raises(StrategyError, match="size=2 with long entries"):
        backtest(Signals(close=CLOSE, entries=_flags(1)), init_cash=100.0, size=2.0, fees=0.0, slippage=0.0)


def test_an_opposite_entry_while_in_a_position_is_named():
    with pytest.raises(StrategyError, match="cannot be reversed in one order"):
        backtest(Signals(close=CLOSE, entries=_flags(1), short_entries=_flags(3)), init_cash=100.0, size=1.0, fees=0.0, slippage=0.0)


def test_an_opposite_entry_in_a_batch_is_named_too():
    # A sweep simulates single-asset sets on vectorbt's kernels directly: the same refusal, the same line.
    flat = Signals(close=CLOSE, entries=_flags(1), exits=_flags(5))
    reversing = Signals(close=CLOSE, entries=_flags(1), short_entries=_flags(3))
    with pytest.raises(StrategyError, match="cannot be reversed in one order"):
        backtest_many([flat, reversing], init_cash=100.0, size=1.0, fees=0.0, slippage=0.0)
