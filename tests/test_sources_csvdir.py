"""A folder of SYMBOL.csv files in the accepted layouts."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from jpmacro_bt.errors import SourceError
from jpmacro_bt.sources.csvdir import CsvDirSource, parse_csv

DATA = Path(__file__).parent / "data" / "sources"


@pytest.fixture
def data_dir(tmp_path):
    # UST10Y in date,close; SPY as a Yahoo export; USDJPY as an old FRED download.
    shutil.copy(DATA / "ust10y_date_close.csv", tmp_path / "UST10Y.csv")
    shutil.copy(DATA / "yahoo_spy_export.csv", tmp_path / "SPY.csv")
    shutil.copy(DATA / "fred_dexjpus_old.csv", tmp_path / "USDJPY.csv")
    return tmp_path


def test_date_close(data_dir):
    bars = CsvDirSource(data_dir).load("UST10Y", close="16:00 America/New_York")
    assert bars.frame["close"].tolist() == [3.95, 3.91, 3.99, 4.05]
    assert (bars.source, bars.upstream_id, bars.close) == ("csv", "UST10Y", "16:00 America/New_York")
    assert bars.origin == str(data_dir / "UST10Y.csv")


def test_yahoo_export_adjusted_by_default(data_dir):
    frame = CsvDirSource(data_dir).load("SPY", close="16:00 America/New_York").frame
    assert frame["close"].tolist() == [461.247, 457.481, 456.007]
    # Open scaled by Adj Close / Close: 472.16 * 461.247 / 472.65 = 460.769..., and the
    # shared SPY.csv (Yahoo, auto-adjusted) independently has 460.769 for that day.
    assert frame.loc["2024-01-02", "open"] == pytest.approx(460.769, abs=5e-4)
    assert frame.loc["2024-01-02", "volume"] == 123623700


def test_yahoo_export_raw_close(data_dir):
    frame = CsvDirSource(data_dir, adjusted=False).load("SPY", close="16:00 America/New_York").frame
    assert frame["close"].tolist() == [472.65, 468.79, 467.28]
    assert frame.loc["2024-01-02", "open"] == 472.16


def test_fred_layout(data_dir):
    frame = CsvDirSource(data_dir).load("USDJPY", close="17:00 America/New_York").frame
    assert frame["close"].tolist() == [106.34, 105.97]  # '.' on 2020-09-07 dropped


def test_has(data_dir):
    src = CsvDirSource(data_dir)
    assert src.has("SPY") and not src.has("TLT")


def test_missing_file_names_path_and_lists_files(data_dir):
    with pytest.raises(SourceError) as info:
        CsvDirSource(data_dir).load("SPX", close="16:00 America/New_York")
    message = str(info.value)
    assert str(data_dir / "SPX.csv") in message
    assert "SPY.csv, USDJPY.csv, UST10Y.csv" in message
    assert "did you mean SPY?" in message


def test_missing_dir(tmp_path):
    with pytest.raises(SourceError, match="does not exist"):
        CsvDirSource(tmp_path / "nope").load("SPY", close="16:00 America/New_York")


def test_date_with_offset_keeps_the_written_date():
    # yfinance's to_csv writes aware stamps; the local date as written is the bar date.
    frame = parse_csv("Date,Close\n2024-01-04 00:00:00+09:00,33288.3\n2024-01-05 00:00:00+09:00,33377.4\n")
    assert list(frame.index) == [pd.Timestamp("2024-01-04"), pd.Timestamp("2024-01-05")]


def test_unreadable_layout_and_dates():
    with pytest.raises(SourceError, match="cannot tell the layout"):
        parse_csv("date,a,b\n2024-01-02,1,2\n")
    with pytest.raises(SourceError, match="no date column"):
        parse_csv("day,close\n2024-01-02,1\n")
    with pytest.raises(SourceError, match="cannot read date '02.01.2024'"):
        parse_csv("date,close\n02.01.2024,1\n")
