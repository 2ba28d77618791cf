"""Every shipped strategy, traded by the engine, equals the reference simulator (tests/reference.py) bar by bar.

The reference is the package's documented trading rules written again as one
plain loop over bars; the engine is vectorbt driven by jpmacro_bt. On a
multi-market fixture (seeded random walks on each market's own calendar and
close time, the bundled event calendars), their daily returns must agree to
1e-10 and their trade counts exactly, under the default costs and under heavy
ones.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from jpmacro_bt.catalog import discover
from jpmacro_bt.engine.run import RunSettings, run_strategy
from jpmacro_bt.events import load_events

from .conftest import make_market
from .reference import simulate

SPECS = discover()

# Per strategy: its defaults, and variants that make it trade on random walks and reach each rule
# (stops, shorts paying borrow, FX priced with carry, baskets, reversals through target weights,
# back-to-back holds, a run that starts inside a position).
CASES: dict[str, list[dict]] = {
    "boj_hike_long_jpy": [{}, {"hold_days": 60, "stop": 0.02}, {"carry": False}],
    "boj_hike_short_risk": [{}, {"asset": "AUDJPY", "hold_days": 5}],
    "carry_unwind_short_risk": [{}, {"asset": "basket", "threshold": 0.02}, {"trigger": "either", "threshold": 0.02, "hold": 3}],
    "correlation_to_one_risk_off": [{}, {"mode": "short", "enter": 1.0}, {"asset": "AUDJPY", "enter": 1.0}],
    "fade_the_panic": [{}, {"drop": 0.03, "yen_threshold": 0.01, "hold_days": 5, "stop": 0.02}, {"asset": "AUDJPY", "drop": 0.02, "yen_threshold": 0.01}],
    "hedged_yield_repatriation": [{}, {"trade": "both", "short_rates": "2y"}, {"trade": "TLT", "threshold_bp": 100.0}],
    "japan_fiscal_melt_up": [{}],
    "jgb_spillover_short_ust": [{}, {"rise_bp": 5.0, "hold_days": 3}, {"instrument": "synthetic", "rise_bp": 5.0}],
    "nikkei_leads_global": [{}, {"long_only": True, "min_move": 0.005}],
    "spread_tightening_long_jpy": [{}, {"narrow_bp": 5.0, "hold_days": 5, "stop": 0.01}],
    "tic_japan_dumps_treasuries": [{}, {"months": 1, "drop": 0.003, "hold_days": 5}],
    "yen_carry_unwind_filter": [{}],
}
SETTINGS = {
    "default costs": RunSettings(start=date(2016, 1, 4)),
    "heavy costs": RunSettings(start=date(2016, 1, 4), init_cash=1e6, size=0.8, fees=0.002, slippage=0.001, borrow=0.04),
}
PARAMS = [(sid, case) for sid, cases in CASES.items() for case in cases]


@pytest.fixture(scope="module")
def market():
    needs = sorted({s for sid, case in PARAMS for s in SPECS[sid].build(case).needs()})
    return make_market(needs, start="2012-01-02", end="2026-10-30")


def _both(sid: str, case: dict, settings: RunSettings, market):
    strategy = SPECS[sid].build(case)
    engine = run_strategy(SPECS[sid], strategy, settings, data=market)
    fees, slippage, borrow = engine.costs
    signals = strategy.signals(market, load_events())  # uncut: the reference finds the starting position itself
    reference = simulate(signals, pd.Timestamp(settings.start), init_cash=settings.init_cash, size=settings.size,
                         fees=fees, slippage=slippage, borrow=borrow)
    return engine, reference, signals


def test_every_shipped_strategy_has_a_case():
    assert set(CASES) == set(SPECS)


@pytest.mark.parametrize("costs", list(SETTINGS))
@pytest.mark.parametrize(("sid", "case"), PARAMS, ids=[f"{sid}-{i}" for sid, cases in CASES.items() for i in range(len(cases))])
def test_engine_equals_the_reference(sid, case, costs, market):
    engine, reference, _ = _both(sid, case, SETTINGS[costs], market)
    mine = engine.backtest.returns
    assert mine.index.equals(reference.returns.index)
    np.testing.assert_allclose(mine.to_numpy(), reference.returns.to_numpy(), rtol=0, atol=1e-10)
    assert len(engine.trades) == reference.trades


def test_the_fixture_reaches_every_rule(market):
    """The cases above are only a check if they exercise what could differ: each rule is reached at least once."""
    reached = dict.fromkeys(["stop", "back-to-back holds", "borrow", "carry", "basket", "reversal", "starts in a position"], False)
    for sid, case in PARAMS:
        engine, _, signals = _both(sid, case, SETTINGS["default costs"], market)
        first = int(signals.close.index.searchsorted(pd.Timestamp(SETTINGS["default costs"].start)))
        if signals.target_weights is None:
            held = signals.held()[:, 0]
            entries = signals.entries if signals.entries is not None else signals.short_entries
            exits = signals.exits if signals.exits is not None else signals.short_exits
            both = (entries & exits).to_numpy()
            reached["back-to-back holds"] |= bool((both[first + 1 :] & (held[first:-1] != 0)).any())
            # A stop leaves the engine flat where the signals still hold a position.
            reached["stop"] |= bool(((held[first:] != 0) & ~engine.backtest.exposure.to_numpy()).any())
            reached["starts in a position"] |= bool(held[first] != 0)
        else:
            weights = signals.target_weights
            reached["basket"] |= isinstance(weights, pd.DataFrame) and weights.shape[1] > 1
            reached["reversal"] |= bool((weights < 0).to_numpy().any() and (weights > 0).to_numpy().any())
        borrow = engine.costs[2]
        reached["borrow"] |= bool(borrow) and bool((engine.trades["direction"] == "short").any())
        if isinstance(signals.close, pd.Series) and signals.close.name in ("USDJPY", "AUDJPY"):
            spot = market.close(signals.close.name).reindex(signals.close.index)
            reached["carry"] |= not np.allclose(signals.close.to_numpy(), spot.to_numpy(), rtol=1e-6)
    assert all(reached.values()), [k for k, v in reached.items() if not v]


def test_the_reference_sees_a_difference_the_engine_would_make():
    """The comparison can fail: one basis point of fees the reference does not charge shows beyond 1e-10."""
    market_data = make_market(["USDJPY"], start="2023-01-02", end="2026-10-30")
    strategy = SPECS["boj_hike_long_jpy"].build({"carry": False})
    settings = RunSettings(start=date(2024, 1, 2), fees=0.0001, slippage=0.0)
    engine = run_strategy(SPECS["boj_hike_long_jpy"], strategy, settings, data=market_data)
    signals = strategy.signals(market_data, load_events())
    start = pd.Timestamp(settings.start)
    free = simulate(signals, start, init_cash=settings.init_cash, size=1.0, fees=0.0, slippage=0.0)
    priced = simulate(signals, start, init_cash=settings.init_cash, size=1.0, fees=0.0001, slippage=0.0)
    assert np.abs(engine.backtest.returns.to_numpy() - free.returns.to_numpy()).max() > 1e-6
    assert np.abs(engine.backtest.returns.to_numpy() - priced.returns.to_numpy()).max() < 1e-10
