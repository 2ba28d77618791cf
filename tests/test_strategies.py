"""Checks every module in strategies/ must pass, whatever idea it implements."""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest

from jpmacro_bt.errors import StrategyError
from jpmacro_bt.events import load_events
from jpmacro_bt.engine.run import compute_signals
from jpmacro_bt.engine.simulate import backtest
from jpmacro_bt.strategy import Signals
from jpmacro_bt.catalog import discover

from .conftest import make_market

SPECS = discover()
# Cut points: the eve of BoJ hikes (an event strategy peeking one bar ahead differs there),
# the August 2024 carry unwind, and a plain year end.
CUTS = [pd.Timestamp(d) for d in ("2024-03-18", "2024-07-30", "2024-08-02", "2024-12-31", "2025-12-18")]


def _arrays(signals: Signals) -> dict[str, pd.Series | pd.DataFrame]:
    return {
        f.name: getattr(signals, f.name)
        for f in dataclasses.fields(signals)
        if isinstance(getattr(signals, f.name), pd.Series | pd.DataFrame)
    }


@pytest.mark.parametrize("sid", sorted(SPECS))
def test_contract(sid):
    spec = SPECS[sid]
    cls = spec.cls
    module_doc = spec.path.read_text(encoding="utf-8").split('"""')[1]
    assert "Claim" in module_doc and "Requires" in module_doc, "docstring states claim and requirements"
    assert cls.claim and cls.source and cls.symbols
    for f in spec.parameters():
        assert f.metadata.get("help"), f"{sid}.{f.name} needs help text with its unit"
        for value in f.metadata.get("grid", ()):
            spec.build({f.name: value})  # every grid value passes validation


@pytest.mark.parametrize("sid", sorted(SPECS))
@pytest.mark.parametrize("CUT", CUTS, ids=lambda t: f"{t:%Y-%m-%d}")
def test_truncation_does_not_change_the_past(sid, CUT):
    """Signals and returns up to CUT are identical whether the data end at CUT or years later."""
    spec = SPECS[sid]
    strategy = spec.build()
    data = make_market(strategy.needs())
    events = load_events()
    full = compute_signals(strategy, data, events)
    cut = compute_signals(strategy, data.truncate(CUT), events)
    cut_arrays = _arrays(cut)
    assert set(cut_arrays) == set(_arrays(full))
    for name, series in _arrays(full).items():
        pd.testing.assert_frame_equal(
            pd.DataFrame(series.loc[:CUT]), pd.DataFrame(cut_arrays[name]), obj=f"{sid}.{name}"
        )
    kw = dict(init_cash=100_000.0, size=1.0, fees=0.0001, slippage=0.0001)
    r_full = backtest(full, **kw).returns.loc[:CUT]
    r_cut = backtest(cut, **kw).returns
    pd.testing.assert_series_equal(r_full, r_cut, obj=f"{sid} returns")


@pytest.mark.parametrize("sid", sorted(SPECS))
def test_inputs_unchanged(sid):
    strategy = SPECS[sid].build()
    data = make_market(strategy.needs())
    before = {s: data.close(s).copy() for s in strategy.needs()}
    compute_signals(strategy, data, load_events())
    for s, series in before.items():
        pd.testing.assert_series_equal(series, data.close(s))


@pytest.mark.parametrize("sid", sorted(SPECS))
def test_choices_hold_their_default_and_grid_and_refuse_the_rest(sid):
    spec = SPECS[sid]
    for f in spec.parameters():
        choices = f.metadata.get("choices", ())
        if not choices:
            continue
        assert f.default in choices and set(f.metadata.get("grid", ())) <= set(choices), f.name
        wrong = f"{choices[0]}x"
        with pytest.raises(StrategyError, match=rf"^{f.name}='{wrong}' \(did you mean {choices[0]}\?\); use one of {', '.join(choices)}$"):
            spec.build({f.name: wrong})


# Every strategy whose parameters can make it hold a currency pair, with such a choice.
FX_HOLDINGS = {
    "boj_hike_long_jpy": {},
    "boj_hike_short_risk": {"asset": "AUDJPY"},
    "carry_unwind_short_risk": {"asset": "USDJPY"},
    "correlation_to_one_risk_off": {"asset": "AUDJPY"},
    "fade_the_panic": {"asset": "MXNJPY"},
    "nikkei_leads_global": {"asset": "AUDJPY"},
    "spread_tightening_long_jpy": {},
    "hedged_yield_repatriation": {},
}


@pytest.mark.parametrize("sid", sorted(FX_HOLDINGS))
def test_a_currency_pair_is_held_at_its_carry_inclusive_price(sid):
    """FX pays no borrow because its carry is in the price: every strategy holding a pair trades carry_price."""
    from jpmacro_bt.carry import carry_price

    strategy = SPECS[sid].build(FX_HOLDINGS[sid])
    pair = strategy.needs()[0]
    data = make_market(strategy.needs())
    events = load_events()
    close = strategy.signals(data, events).close
    expected = carry_price(data, pair, events)
    pd.testing.assert_series_equal(close, expected.rename(pair))
    assert not close.equals(data.close(pair).loc[close.index])  # not the spot quote


@pytest.mark.parametrize("sid", ["boj_hike_short_risk", "carry_unwind_short_risk", "fade_the_panic", "nikkei_leads_global"])
def test_a_pair_whose_carry_cannot_be_priced_is_refused(sid):
    with pytest.raises(StrategyError, match=r"asset='EURJPY': no policy rates for its currencies, so the carry"):
        SPECS[sid].build({"asset": "EURJPY"})
