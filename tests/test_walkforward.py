"""Walk-forward: windows that never overlap, and no out-of-sample bar reaching its own parameter choice."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest

from jpmacro_bt.catalog import spec_of_class
from jpmacro_bt.data import MarketData
from jpmacro_bt.engine.run import RunSettings, run_strategy
from jpmacro_bt.errors import SweepError
from jpmacro_bt.research.grid import parse_grid
from jpmacro_bt.research.sweep import SweepOptions, run_sweep
from jpmacro_bt.research.walkforward import splits
from jpmacro_bt.sources.base import Bars
from jpmacro_bt.strategy import Signals, Strategy, param


# `follow_end=1` trades in the direction of the whole data's move, first close to LAST close: a
# strategy that peeks at the end of whatever data it is given. `follow_end=0` is always short.
@dataclass(frozen=True)
class Peek(Strategy):
    """A strategy that looks ahead (a planted leak for the walk-forward test), defined in memory."""

    claim = "test"
    source = "test"
    symbols = ("USDJPY",)

    follow_end: int = param(0, min=0, max=1, help="1: trade the direction of the data's last close", grid=(0, 1))

    def signals(self, data, events) -> Signals:
        close = data.close("USDJPY")
        always = pd.Series(True, index=close.index)  # in the market from the first bar traded
        never = pd.Series(False, index=close.index)
        if self.follow_end and close.iloc[-1] > close.iloc[0]:
            return Signals(close=close, entries=always, exits=never)
        return Signals(close=close, short_entries=always, short_exits=never)


@pytest.fixture
def peek():
    return spec_of_class(Peek, "peek")


def _market(prices: np.ndarray) -> MarketData:
    index = pd.bdate_range("2015-01-01", periods=len(prices), name="date")
    return MarketData({"USDJPY": Bars(pd.DataFrame({"close": prices}, index=index), "test", "USDJPY", "14:15 Europe/Berlin")})


def test_splits_anchored_and_rolling():
    index = pd.bdate_range("2016-01-01", periods=600)
    anchored = splits(index, 5, "anchored")
    rolling = splits(index, 5, "rolling")
    assert [s.number for s in anchored] == [1, 2, 3, 4, 5]
    for a, r in zip(anchored, rolling):
        assert a.is_start == index[0] and a.is_end < a.oos_start and r.is_end < r.oos_start
        assert index.get_loc(a.oos_start) == index.get_loc(a.is_end) + 1  # out of sample right after in sample
        assert (a.oos_start, a.oos_end) == (r.oos_start, r.oos_end) and r.is_bars == 100 and a.oos_bars == 100
    assert [a.is_bars for a in anchored] == [100, 200, 300, 400, 500]
    assert anchored[-1].oos_end == index[-1]
    assert all(b.oos_start == index[index.get_loc(a.oos_end) + 1] for a, b in zip(anchored, anchored[1:]))
    with pytest.raises(SweepError, match="give blocks of 10 bars; use fewer folds"):
        splits(index[:60], 5)


def test_no_out_of_sample_bar_reaches_its_own_parameter_choice(peek):
    # Up 0.1 % a bar for 600 bars. In `later`, the last 200 bars (out of sample in folds 4 and 5) crash so
    # far that the whole series ends below its start: up to bar 399, the end of fold 4's in-sample window,
    # the two markets are the same.
    up = 100 * 1.001 ** np.arange(600)
    later = up.copy()
    later[400:] = up[399] * 0.995 ** np.arange(1, 201)
    assert later[-1] < later[0]
    options = SweepOptions(walk_forward=5, bootstrap=0, pbo_blocks=2, record=False)
    settings = RunSettings(fees=0.0, slippage=0.0, borrow=0.0)
    a = run_sweep(peek, parse_grid(peek), settings, options, data=_market(up)).walk_forward
    b = run_sweep(peek, parse_grid(peek), settings, options, data=_market(later)).walk_forward
    # In folds 1-4 the market only rose in sample, so the peeking combination went long and won, in both runs.
    # Had the in-sample signals been computed on the full data, `later` would have turned it short and a loser.
    for fa, fb in zip(a.folds[:4], b.folds[:4]):
        assert fa.chosen == fb.chosen == {"follow_end": 1}
        assert fa.is_value == fb.is_value and not fa.fallback
    # Folds whose out-of-sample windows end before the crash are identical.
    assert [f.oos_value for f in a.folds[:3]] == [f.oos_value for f in b.folds[:3]]


def test_stitched_returns_are_the_folds_single_runs(peek):
    prices = 100 * np.exp(np.cumsum(np.random.default_rng(4).normal(0, 0.01, 500)))
    data = _market(prices)
    settings = RunSettings(fees=0.0002, slippage=0.0001, borrow=0.0)
    wf = run_sweep(peek, parse_grid(peek), settings, SweepOptions(walk_forward=4, wf_mode="rolling", bootstrap=0, pbo_blocks=2, record=False), data=data).walk_forward
    assert wf.mode == "rolling" and len(wf.folds) == 4 and len(wf.returns) == sum(f.split.oos_bars for f in wf.folds)
    for f in wf.folds:
        one = run_strategy(peek, peek.build(dict(f.chosen)), RunSettings(start=f.split.oos_start.date(), end=f.split.oos_end.date(), fees=0.0002, slippage=0.0001, borrow=0.0), data=data)
        pd.testing.assert_series_equal(wf.returns.loc[f.split.oos_start : f.split.oos_end], one.returns["strategy"], check_names=False)
    table = wf.folds_table()
    assert list(table["fold"]) == [1, 2, 3, 4] and "oos_sharpe" in table and wf.describe()["mode"] == "rolling"
    assert wf.benchmark.index.equals(wf.returns.index) and wf.benchmark.iloc[0] == 0.0
