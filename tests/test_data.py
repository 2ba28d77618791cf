"""MarketData: close times and the panel alignment policy."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from jpmacro_bt.data import MarketData, bar_close_times
from jpmacro_bt.errors import DataError
from jpmacro_bt.sources.base import Bars


def _bars(values, dates, close):
    return Bars(pd.DataFrame({"close": values}, index=pd.DatetimeIndex(dates, name="date")), "test", "x", close)


def test_bar_close_times_in_utc():
    # 15:00 Tokyo is 06:00 UTC; 16:00 New York is 21:00 UTC in winter, 20:00 in summer.
    tokyo = bar_close_times(pd.DatetimeIndex(["2024-01-10"]), "15:00 Asia/Tokyo")
    ny = bar_close_times(pd.DatetimeIndex(["2024-01-10", "2024-07-10"]), "16:00 America/New_York")
    assert tokyo[0] == pd.Timestamp("2024-01-10 06:00", tz="UTC")
    assert list(ny) == [pd.Timestamp("2024-01-10 21:00", tz="UTC"), pd.Timestamp("2024-07-10 20:00", tz="UTC")]


def test_panel_uses_only_values_public_at_each_close():
    # Tokyo closes before New York on the same date. On a New York calendar, the Nikkei of the
    # same date is already known; on a Tokyo calendar, only the previous New York close is.
    days = ["2024-01-09", "2024-01-10", "2024-01-11"]
    data = MarketData({
        "NK": _bars([1.0, 2.0, 3.0], days, "15:00 Asia/Tokyo"),
        "SP": _bars([10.0, 20.0, 30.0], days, "16:00 America/New_York"),
    })
    on_ny = data.panel(["SP", "NK"])
    assert on_ny["NK"].tolist() == [1.0, 2.0, 3.0]
    on_tokyo = data.panel(["NK", "SP"])
    # The 2024-01-09 Tokyo row has no earlier New York close: dropped.
    assert on_tokyo.index.strftime("%m-%d").tolist() == ["01-10", "01-11"]
    assert on_tokyo["SP"].tolist() == [10.0, 20.0]
    assert on_tokyo.attrs["filled"] == {"NK": 0, "SP": 0}


def test_panel_fills_forward_at_most_max_fill_rows_and_counts_them():
    base_days = pd.bdate_range("2024-01-01", periods=6)
    data = MarketData({
        "A": _bars(np.arange(6.0), base_days, "16:00 America/New_York"),
        "B": _bars([100.0], base_days[:1], "16:00 America/New_York"),  # one value, then a holiday gap
    })
    panel = data.panel(["A", "B"], max_fill=2)
    # B's single value is reused on the next 2 rows and then expires: rows 0..2 stay.
    assert panel["B"].tolist() == [100.0, 100.0, 100.0]
    assert panel.attrs["filled"]["B"] == 2


def test_unknown_symbol_is_named():
    data = MarketData({"USDJPY": _bars([1.0], ["2024-01-01"], "14:15 Europe/Berlin")})
    with pytest.raises(DataError, match=r"symbol 'USDJYP' was not loaded \(did you mean USDJPY\?\)"):
        data.close("USDJYP")
