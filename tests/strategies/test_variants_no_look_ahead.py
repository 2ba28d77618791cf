"""Parameters that choose what is loaded (``needs()``), and the truncation check of tests/test_strategies.py
for non-default choices and modes (other assets, baskets, tenors, z-scores).

tests/test_strategies.py runs every strategy with its defaults; these parameters take other code paths and
load other symbols. Every market here is built from ``strategy.needs()``, so a choice that reads a symbol it
does not declare fails with the DataError of ``MarketData``.
"""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest

from jpmacro_bt.data import MarketData
from jpmacro_bt.errors import DataError
from jpmacro_bt.events import load_events
from jpmacro_bt.symbols import get_symbol

from ..conftest import make_market
from .helpers import SPECS, build

CUTS = [pd.Timestamp(d) for d in ("2024-07-30", "2024-08-02", "2025-12-18")]

# Every parameter that chooses what is loaded or traded, with each non-default value checked; the help
# texts' examples beyond the grids (TLT, WTI, ES, AUDJPY, USDJPY) included. A grid value that changes
# needs() must be listed (test_every_choice_in_a_grid_is_checked).
CHOICES: dict[str, dict[str, tuple]] = {
    "boj_hike_short_risk": {"asset": ("SPX", "BTCUSD", "TLT")},
    "carry_unwind_short_risk": {"asset": ("SPX", "BTCUSD", "basket", "USDJPY")},
    "correlation_to_one_risk_off": {"asset": ("NIKKEI225", "BTCUSD", "WTI", "AUDJPY")},
    "fade_the_panic": {"asset": ("SPX", "BTCUSD")},
    "hedged_yield_repatriation": {"short_rates": ("2y",), "trade": ("TLT", "both")},
    "japan_fiscal_melt_up": {"jgb": ("JGB30Y",)},
    "jgb_spillover_short_ust": {"signal": ("JGB40Y",), "instrument": ("synthetic",)},
    "nikkei_leads_global": {"asset": ("GOLD", "WTI", "ES")},
    "spread_tightening_long_jpy": {"tenor": ("10y",)},
}
# Thresholds that a few years of 1 %-a-day synthetic prices cross, so that each choice trades at all.
ACTIVE: dict[str, dict] = {
    "fade_the_panic": {"drop": 0.03, "yen_threshold": 0.01},
    "correlation_to_one_risk_off": {"measure": "level", "enter": 0.1, "leave": 0.05},
}
# Other modes, and choices combined.
MODES = [
    ("carry_unwind_short_risk", {"trigger": "either"}),
    ("carry_unwind_short_risk", {"asset": "basket", "trigger": "zscore"}),
    ("correlation_to_one_risk_off", {"mode": "short", "asset": "BTCUSD"}),
    ("correlation_to_one_risk_off", {"measure": "level", "enter": 0.1, "leave": 0.05}),
    ("hedged_yield_repatriation", {"short_rates": "2y", "trade": "both"}),
    ("hedged_yield_repatriation", {"short_rates": "2y", "trade": "TLT", "carry": False}),
    ("jgb_spillover_short_ust", {"instrument": "synthetic", "signal": "JGB40Y"}),
    ("spread_tightening_long_jpy", {"tenor": "10y", "carry": False}),
]
VARIANTS = [
    (sid, {**ACTIVE.get(sid, {}), name: value}) for sid, params in CHOICES.items() for name, values in params.items() for value in values
] + MODES


def _id(variant) -> str:
    sid, params = variant
    return f"{sid}[{','.join(f'{k}={v}' for k, v in params.items())}]"


def _arrays(signals):
    return {f.name: getattr(signals, f.name) for f in dataclasses.fields(signals) if isinstance(getattr(signals, f.name), pd.Series | pd.DataFrame)}


def _grid_builds():
    for sid, spec in sorted(SPECS.items()):
        for f in spec.parameters():
            for value in f.metadata.get("grid", ()):
                yield sid, f.name, value


@pytest.mark.parametrize("sid", sorted(SPECS))
def test_symbols_are_what_the_defaults_need(sid):
    """``symbols`` (what `jpmacro-bt list` shows) is what the default parameters load."""
    assert SPECS[sid].build().needs() == SPECS[sid].cls.symbols


@pytest.mark.parametrize("sid", sorted(SPECS))
def test_every_grid_value_needs_registered_symbols(sid):
    spec = SPECS[sid]
    for f in spec.parameters():
        for value in f.metadata.get("grid", ()):
            needs = spec.build({f.name: value}).needs()
            assert needs and isinstance(needs, tuple), f"{sid}.{f.name}={value!r}: needs() is a non-empty tuple"
            assert len(set(needs)) == len(needs), f"{sid}.{f.name}={value!r}: {needs} repeats a symbol"
            for symbol in needs:
                get_symbol(symbol)  # raises DataError for an unknown name
            assert get_symbol(needs[0]).kind == "price", f"{sid}.{f.name}={value!r}: the traded {needs[0]} is a price"


def test_every_choice_in_a_grid_is_checked():
    """A grid value that changes what is loaded has its truncation check below."""
    missing = [
        f"{sid}.{name}={value!r}"
        for sid, name, value in _grid_builds()
        if SPECS[sid].build({name: value}).needs() != SPECS[sid].cls.symbols
        and value not in CHOICES.get(sid, {}).get(name, ())
    ]
    assert not missing, f"add to CHOICES: {', '.join(missing)}"


@pytest.mark.parametrize("variant", VARIANTS, ids=_id)
def test_variant_does_not_look_ahead(variant):
    sid, params = variant
    strategy = build(sid, **params)
    assert len(set(strategy.needs())) == len(strategy.needs()), f"{strategy.needs()} repeats a symbol"
    data = make_market(strategy.needs(), start="2021-01-01")
    events = load_events()
    signals = strategy.signals(data, events)
    traded = signals.close.name if isinstance(signals.close, pd.Series) else signals.close.columns[0]
    assert str(traded).startswith(strategy.needs()[0]), f"needs() starts with the traded symbol, not {strategy.needs()}"
    full = _arrays(signals)
    assert any(bool(v.fillna(0).astype(bool).to_numpy().any()) for k, v in full.items() if k != "close"), "the variant trades at all"
    for cut in CUTS:
        short = _arrays(strategy.signals(data.truncate(cut), events))
        assert set(short) == set(full)
        for name, value in full.items():
            pd.testing.assert_frame_equal(pd.DataFrame(value.loc[:cut]), pd.DataFrame(short[name]), obj=f"{sid}.{name} at {cut:%Y-%m-%d}")


@pytest.mark.parametrize("variant", [(sid, {}) for sid in sorted(SPECS)] + VARIANTS, ids=_id)
def test_needs_nothing_it_does_not_use(variant):
    """Each symbol of needs() is read: without it the signals cannot be computed."""
    sid, params = variant
    strategy = build(sid, **params)
    data = make_market(strategy.needs(), start="2024-01-01")
    for symbol in strategy.needs():
        without = MarketData({s: b for s, b in data.bars.items() if s != symbol})
        with pytest.raises(DataError, match=f"symbol '{symbol}' was not loaded"):
            strategy.signals(without, load_events())
