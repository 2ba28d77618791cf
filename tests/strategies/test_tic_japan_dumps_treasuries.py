"""tic_japan_dumps_treasuries: a monthly figure acts only after its release date."""

from __future__ import annotations

import pandas as pd
import pytest

from jpmacro_bt.events import load_events

from .helpers import NEW_YORK, build, flags, market, series

# Japan's holdings at month ends, USD bn; 1-month changes: Feb -0.8 %, Mar -3.4 %, Apr -4.3 %.
TIC = pd.Series([1200.0, 1190.0, 1150.0, 1100.0], index=pd.DatetimeIndex(["2024-01-31", "2024-02-29", "2024-03-31", "2024-04-30"], name="date"))
TLT = series([90.0] * 80, start="2024-03-01")  # business days 1 Mar .. 20 Jun 2024


def _data():
    return market(TLT=(TLT, NEW_YORK), TIC_JAPAN_UST=(TIC, NEW_YORK))


def test_acts_on_the_first_close_after_the_release():
    # The March figure (-3.4 % < -3 %) is released 50 days after 31 Mar: Mon 20 May, 18:00 New York,
    # after TLT's close, so TLT is shorted on Tue 21 May and covered 5 bars later, Tue 28 May.
    # The April figure (-4.3 %) is released Wed 19 Jun: shorted on Thu 20 Jun.
    sig = build("tic_japan_dumps_treasuries", months=1, drop=0.03, release_lag_days=50, hold_days=5).signals(_data(), load_events())
    assert flags(sig.short_entries) == ["2024-05-21", "2024-06-20"]
    assert flags(sig.short_exits) == ["2024-05-28"]


def test_nothing_before_the_release_even_though_the_month_is_over():
    sig = build("tic_japan_dumps_treasuries", months=1, drop=0.03, release_lag_days=50).signals(_data(), load_events())
    assert not sig.short_entries.loc[:"2024-05-20"].any()


def test_release_lag_moves_the_entry():
    sig = build("tic_japan_dumps_treasuries", months=1, drop=0.03, release_lag_days=60, hold_days=5).signals(_data(), load_events())
    # 31 Mar + 60 days = Thu 30 May (released after the close): Fri 31 May.
    assert flags(sig.short_entries)[0] == "2024-05-31"


def test_a_larger_drop_is_needed_over_more_months():
    # 3 months: April vs January, 1100/1200 - 1 = -8.3 %: fires at 5 % but not at 10 %.
    fires = build("tic_japan_dumps_treasuries", months=3, drop=0.05, hold_days=5).signals(_data(), load_events())
    assert flags(fires.short_entries) == ["2024-06-20"]
    quiet = build("tic_japan_dumps_treasuries", months=3, drop=0.10).signals(_data(), load_events())
    assert not quiet.short_entries.any()


@pytest.mark.parametrize("lag", [45, 50])
def test_holdings_steady_no_trade(lag):
    steady = pd.Series(1200.0, index=TIC.index)
    data = market(TLT=(TLT, NEW_YORK), TIC_JAPAN_UST=(steady, NEW_YORK))
    assert not build("tic_japan_dumps_treasuries", release_lag_days=lag).signals(data, load_events()).short_entries.any()
