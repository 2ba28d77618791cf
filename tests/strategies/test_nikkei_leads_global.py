"""nikkei_leads_global: Tokyo's day decides the next New York close-to-close position."""

from __future__ import annotations

import pandas as pd
import pytest

from jpmacro_bt.events import load_events
from jpmacro_bt.engine.simulate import backtest

from .helpers import NEW_YORK, TOKYO, build, market, series

# Mon 1 .. Fri 5 Jan 2024. Nikkei moves: 2 Jan +1 %, 3 Jan -2 %, 4 Jan +0.3 %, 5 Jan +1 %.
NIKKEI = series([100, 101, 98.98, 99.27694, 100.2697094])
SPX = series([50, 51, 52, 50, 49])


def test_positions_follow_the_sign_of_tokyos_day():
    # Tokyo's close of D (06:00 UTC) precedes New York's close of D: the weight set at NY close D is the
    # sign of the Nikkei's move on D: +1 (2 Jan), -1 (3 Jan), +1 (4 Jan; min_move 0), +1 (5 Jan, unchanged).
    sig = build("nikkei_leads_global").signals(market(NIKKEI225=(NIKKEI, TOKYO), SPX=(SPX, NEW_YORK)), load_events())
    assert sig.target_weights.isna().tolist() == [True, False, False, False, True]
    assert sig.target_weights.dropna().tolist() == [1.0, -1.0, 1.0]


def test_it_earns_the_next_close_to_close_return():
    # Long from 51 (2 Jan) to 52 (3 Jan), short from 52 to 50 (4 Jan), long from 50 to 49 (5 Jan).
    sig = build("nikkei_leads_global").signals(market(NIKKEI225=(NIKKEI, TOKYO), SPX=(SPX, NEW_YORK)), load_events())
    r = backtest(sig, init_cash=100.0, size=1.0, fees=0.0, slippage=0.0).returns
    assert r.tolist() == pytest.approx([0.0, 0.0, 52 / 51 - 1, 1 - 50 / 52, 49 / 50 - 1])


def test_min_move_and_long_only():
    data = market(NIKKEI225=(NIKKEI, TOKYO), SPX=(SPX, NEW_YORK))
    # 0.5 %: the +0.3 % day gives no signal (flat on 4 Jan).
    w = build("nikkei_leads_global", min_move=0.005).signals(data, load_events()).target_weights
    assert w.tolist()[1:] == [1.0, -1.0, 0.0, 1.0]
    w = build("nikkei_leads_global", long_only=True).signals(data, load_events()).target_weights
    assert w.dropna().tolist() == [1.0, 0.0, 1.0]


def test_a_tokyo_holiday_gives_no_signal():
    # Tokyo shut on Wed 3 Jan: New York's 3 Jan row has no fresh Nikkei move, so it is flat.
    nikkei = pd.Series([100.0, 101.0, 102.0, 101.0], index=pd.DatetimeIndex(["2024-01-01", "2024-01-02", "2024-01-04", "2024-01-05"], name="date"))
    w = build("nikkei_leads_global").signals(market(NIKKEI225=(nikkei, TOKYO), SPX=(SPX, NEW_YORK)), load_events()).target_weights
    # 2 Jan +1 % -> long; 3 Jan nothing -> flat; 4 Jan +0.99 % (over two Tokyo bars) -> long; 5 Jan -0.98 % -> short.
    assert w.tolist()[1:] == [1.0, 0.0, 1.0, -1.0]
