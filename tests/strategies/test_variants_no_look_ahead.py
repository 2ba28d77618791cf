"""The truncation check of tests/test_strategies.py for non-default modes (baskets, other assets, z-scores).

tests/test_strategies.py runs every strategy with its defaults; these parameters take other code paths.
"""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest

from jpmacro_bt.events import load_events

from ..conftest import make_market
from .helpers import build

CUTS = [pd.Timestamp(d) for d in ("2024-07-30", "2024-08-02", "2025-12-18")]
VARIANTS = [
    ("boj_hike_short_risk", {"asset": "BTCUSD"}, ("BTCUSD",)),
    ("carry_unwind_short_risk", {"asset": "basket"}, ("NIKKEI225", "SPX", "BTCUSD", "USDJPY")),
    ("carry_unwind_short_risk", {"trigger": "either"}, ("NIKKEI225", "USDJPY")),
    ("jgb_spillover_short_ust", {"instrument": "synthetic"}, ("TLT", "JGB30Y", "UST30Y")),
    ("hedged_yield_repatriation", {"trade": "both"}, ("USDJPY", "UST10Y", "JGB10Y", "UST2Y", "JGB2Y", "TLT")),
    ("hedged_yield_repatriation", {"short_rates": "2y", "trade": "TLT"}, ("USDJPY", "UST10Y", "JGB10Y", "UST2Y", "JGB2Y", "TLT")),
    ("nikkei_leads_global", {"asset": "GOLD"}, ("GOLD", "NIKKEI225")),
    ("correlation_to_one_risk_off", {"mode": "short", "asset": "BTCUSD"}, ("SPX", "NIKKEI225", "BTCUSD", "WTI", "AUDJPY")),
    ("correlation_to_one_risk_off", {"measure": "level", "enter": 0.1, "leave": 0.05}, ("SPX", "NIKKEI225", "BTCUSD", "WTI", "AUDJPY")),
    ("fade_the_panic", {"asset": "SPX", "drop": 0.03, "yen_threshold": 0.01}, ("SPX", "USDJPY")),
    ("japan_fiscal_melt_up", {"jgb": "JGB30Y"}, ("NIKKEI225", "USDJPY", "JGB30Y")),
]


def _arrays(signals):
    return {f.name: getattr(signals, f.name) for f in dataclasses.fields(signals) if isinstance(getattr(signals, f.name), pd.Series | pd.DataFrame)}


@pytest.mark.parametrize(("sid", "params", "symbols"), VARIANTS, ids=lambda v: str(v) if isinstance(v, str) else None)
def test_variant_does_not_look_ahead(sid, params, symbols):
    strategy = build(sid, **params)
    data = make_market(symbols, start="2021-01-01")
    events = load_events()
    full = _arrays(strategy.signals(data, events))
    assert any(bool(v.fillna(0).astype(bool).to_numpy().any()) for k, v in full.items() if k != "close"), "the variant trades at all"
    for cut in CUTS:
        short = _arrays(strategy.signals(data.truncate(cut), events))
        assert set(short) == set(full)
        for name, value in full.items():
            pd.testing.assert_frame_equal(pd.DataFrame(value.loc[:cut]), pd.DataFrame(short[name]), obj=f"{sid}.{name} at {cut:%Y-%m-%d}")
