"""correlation_to_one_risk_off: out of risk while the average pairwise correlation is high."""

from __future__ import annotations

import numpy as np
import pytest

from jpmacro_bt.errors import StrategyError
from jpmacro_bt.events import load_events

from ..conftest import make_market
from .helpers import NEW_YORK, build, market, series

UNIVERSE = ("SPX", "NIKKEI225", "BTCUSD", "WTI", "AUDJPY")
N = 40


def _returns(n: int = N, together: slice = slice(21, None)) -> np.ndarray:
    """Independent moves, except on bars in ``together`` (default 21-39), where all five move as one."""
    rng = np.random.default_rng(7)
    r = rng.normal(0, 0.01, size=(n, 5))
    common = rng.normal(0, 0.01, size=n)
    r[together] = common[together, None]
    r[0] = 0.0
    return r


def _data(n: int = N, together: slice = slice(21, None)):
    prices = 100 * np.cumprod(1 + _returns(n, together), axis=0)
    # One clock for all five, so the panel is a plain table and the expectation is numpy's.
    return market(**{s: (series(prices[:, i]), NEW_YORK) for i, s in enumerate(UNIVERSE)})


def _expected_risk_off(window: int, enter: float, leave: float) -> list[bool | None]:
    """Independent state machine over numpy correlations; None where undefined."""
    r = _returns()[1:]
    out: list[bool | None] = [None]
    state = False
    for t in range(1, N):
        if t < window:
            out.append(None)
            continue
        c = np.corrcoef(r[t - window : t].T)
        mean = c[np.triu_indices(5, 1)].mean()
        if mean > enter:
            state = True
        elif mean < leave:
            state = False
        out.append(state)
    return out


def test_flat_while_correlations_are_high():
    # Level measure: out above 0.9, back in below 0.5; expectations from numpy's corrcoef.
    strategy = build("correlation_to_one_risk_off", window=10, measure="level", enter=0.9, leave=0.5)
    sig = strategy.signals(_data(), load_events())
    expected = _expected_risk_off(10, 0.9, 0.5)
    assert expected[-1] is True and expected[15] is False  # the data do what they were built to do
    long_wanted = [e is False for e in expected]
    assert sig.entries.tolist() == long_wanted
    assert sig.exits.tolist() == [not x for x in long_wanted]


def test_short_mode_uses_target_weights():
    sig = build("correlation_to_one_risk_off", window=10, measure="level", enter=0.9, leave=0.5, mode="short").signals(_data(), load_events())
    expected = _expected_risk_off(10, 0.9, 0.5)
    state = [0.0 if e is None else (-1.0 if e else 1.0) for e in expected]
    held = sig.target_weights.ffill().fillna(0.0).tolist()
    assert held == state


def test_mean_corr_matches_numpy():
    got = build("correlation_to_one_risk_off", window=10).mean_corr(_data())
    r = _returns()[1:]
    c = np.corrcoef(r[-10:].T)
    assert got.iloc[-1] == pytest.approx(c[np.triu_indices(5, 1)].mean())


def test_a_higher_threshold_never_cuts_more_risk():
    data = make_market(UNIVERSE, start="2014-01-01", end="2018-12-31")
    held = [int(build("correlation_to_one_risk_off", enter=x, leave=0.0).signals(data, load_events()).entries.sum()) for x in (0.5, 1.0, 2.0, 3.0)]
    assert held == sorted(held) and held[0] < held[-1]


def test_zscore_measure_against_numpy():
    # z_t = (c_t - mean of the last 20 c) / their sample sd, then the same enter/leave state machine.
    # 90 bars; the five move together on bars 45-59 only, so correlations rise and fall back.
    strategy = build("correlation_to_one_risk_off", window=10, z_window=20, enter=1.0, leave=0.0)
    data = _data(90, slice(45, 60))
    c = strategy.mean_corr(data).to_numpy()
    state, want = False, []
    for t in range(len(c)):
        w = c[max(0, t - 19) : t + 1]
        if t < 29 or np.isnan(w).any():  # 10 bars of returns, then 20 values of the average
            want.append(False)
            continue
        z = (c[t] - w.mean()) / w.std(ddof=1)
        state = True if z > 1.0 else (False if z < 0.0 else state)
        want.append(not state)
    sig = strategy.signals(data, load_events())
    assert sig.entries.tolist() == want
    assert not all(want[29:]) and any(want[29:])  # both states occur


def test_bad_parameters():
    with pytest.raises(StrategyError, match="leave"):
        build("correlation_to_one_risk_off", enter=0.3, leave=0.4)
    with pytest.raises(StrategyError, match="asset"):
        build("correlation_to_one_risk_off", asset="TLT")
