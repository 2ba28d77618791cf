"""jgb_spillover_short_ust: a Tokyo yield move traded at the New York close of the same day."""

from __future__ import annotations

import pytest

from jpmacro_bt.bonds import par_bond_index
from jpmacro_bt.errors import StrategyError
from jpmacro_bt.events import load_events

from ..conftest import make_market
from .helpers import NEW_YORK, TOKYO, build, flags, market, series

# JGB30Y (Tokyo close) 1..12 Jan 2024; 2-bar changes: 3 Jan +5 bp, 4 Jan +20 bp (fires at 15), 5 Jan +17 bp.
JGB30Y = series([2.00, 2.00, 2.05, 2.20, 2.22, 2.22, 2.22, 2.22, 2.22, 2.22])
TLT = series([90, 91, 92, 93, 92, 91, 90, 90, 90, 90])
UST30Y = series([4.0, 4.0, 4.0, 4.1, 4.2, 4.3, 4.3, 4.3, 4.3, 4.3])


def _data():
    return market(JGB30Y=(JGB30Y, TOKYO), TLT=(TLT, NEW_YORK), UST30Y=(UST30Y, NEW_YORK))


def test_short_at_the_new_york_close_of_the_tokyo_day():
    # Tokyo's 4 Jan close (06:00 UTC) is public before New York's (21:00 UTC): short TLT at 93 on 4 Jan.
    # The 5 Jan rise (+17 bp) is inside the 3-bar window. Out 3 bars later: Tue 9 Jan.
    sig = build("jgb_spillover_short_ust", bars=2, rise_bp=15.0, hold_days=3).signals(_data(), load_events())
    assert flags(sig.short_entries) == ["2024-01-04"]
    assert flags(sig.short_exits) == ["2024-01-09"]


def test_rise_is_a_difference_in_bp():
    # The 2-bar changes are 20 and 17 bp, not percentages: 21 bp does not fire.
    sig = build("jgb_spillover_short_ust", bars=2, rise_bp=21.0).signals(_data(), load_events())
    assert not sig.short_entries.any()


def test_synthetic_instrument_is_the_par_bond_of_ust30y():
    sig = build("jgb_spillover_short_ust", bars=2, rise_bp=15.0, instrument="synthetic").signals(_data(), load_events())
    assert sig.close.tolist() == pytest.approx(par_bond_index(UST30Y, 30).tolist())
    assert flags(sig.short_entries) == ["2024-01-04"]


def test_higher_threshold_never_adds_trades():
    data = make_market(["TLT", "JGB30Y", "UST30Y"])
    counts = [int(build("jgb_spillover_short_ust", rise_bp=x, hold_days=1).signals(data, load_events()).short_entries.sum()) for x in (5.0, 10.0, 15.0, 25.0)]
    assert counts == sorted(counts, reverse=True) and counts[0] > 0


def test_unknown_choices_are_refused():
    with pytest.raises(StrategyError, match="did you mean JGB40Y"):
        build("jgb_spillover_short_ust", signal="JGB40")
    with pytest.raises(StrategyError, match="instrument"):
        build("jgb_spillover_short_ust", instrument="IEF")
