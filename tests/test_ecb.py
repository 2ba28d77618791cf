"""The ECB source against reference rates as the ECB published them."""

from __future__ import annotations

import pandas as pd
import pytest

from jpmacro_bt.errors import SourceError
from jpmacro_bt.sources.ecb import ECB_CLOSE, EcbSource, cross, read_history

# Published ECB reference rates (units per euro), typed from the ECB's daily releases.
PUBLISHED = {
    "1999-01-04": {"USD": 1.1789, "JPY": 133.73},
    "2024-08-05": {"USD": 1.0966, "JPY": 155.98},
    "2026-10-30": {"USD": 1.1172, "JPY": 175.68, "AUD": 1.5904, "MXN": 21.1237},
}


@pytest.mark.parametrize("day", sorted(PUBLISHED))
def test_usdjpy_is_jpy_over_usd(day):
    r = PUBLISHED[day]
    usdjpy = EcbSource().load("USDJPY").frame["close"]
    assert usdjpy[pd.Timestamp(day)] == pytest.approx(r["JPY"] / r["USD"], rel=1e-12)


def test_crosses_and_euro_legs():
    r = PUBLISHED["2026-10-30"]
    day = pd.Timestamp("2026-10-30")
    src = EcbSource()
    assert src.load("EURJPY").frame.loc[day, "close"] == pytest.approx(175.68)
    assert src.load("AUDJPY").frame.loc[day, "close"] == pytest.approx(r["JPY"] / r["AUD"])
    assert src.load("MXNJPY").frame.loc[day, "close"] == pytest.approx(r["JPY"] / r["MXN"])
    assert src.load("USDEUR").frame.loc[day, "close"] == pytest.approx(1 / r["USD"])


def test_bars_carry_the_fixing_time_and_a_clean_index():
    bars = EcbSource().load("USDJPY")
    assert bars.close == ECB_CLOSE == "14:15 Europe/Berlin"
    idx = bars.frame.index
    assert idx.tz is None and idx.is_monotonic_increasing and idx.is_unique
    assert idx[0] == pd.Timestamp("1999-01-04") and not bars.frame["close"].isna().any()


def test_missing_values_are_dropped_not_filled(tmp_path):
    path = tmp_path / "eurofxref-hist.csv"
    path.write_text("Date,USD,JPY,TRY,\n2024-01-03,1.09,157.0,N/A,\n2024-01-02,1.10,156.0,32.5,\n")
    read_history.cache_clear()
    assert cross(read_history(path), "TRYJPY").index.strftime("%Y-%m-%d").tolist() == ["2024-01-02"]


def test_unknown_currency_is_named():
    with pytest.raises(SourceError, match=r"cannot build 'XYZJPY': no ECB rate for XYZ"):
        EcbSource().load("XYZJPY")
