"""Checks every module in strategies/ must pass, whatever idea it implements."""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest

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
