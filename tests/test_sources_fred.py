"""FRED CSV downloads: both header layouts, '.' and empty cells, tail URLs."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from jpmacro_bt.errors import SourceError
from jpmacro_bt.sources.fred import FredSource, fred_url, parse_fred_csv

DATA = Path(__file__).parent / "data" / "sources"
# DGS10 around New Year 2024 as FRED serves it now (observation_date,DGS10; the holiday
# is an empty cell); values typed from FRED, equal to UST10Y.csv's rows for those dates.
DGS10 = (DATA / "fred_dgs10.csv").read_bytes()
# DEXJPUS around Labor Day 2020 in the older DATE,VALUE layout ('.' on the holiday).
DEXJPUS = (DATA / "fred_dexjpus_old.csv").read_bytes()


def test_new_layout_drops_empty_cells():
    frame = parse_fred_csv(DGS10, series="DGS10")
    assert frame["close"].to_dict() == {
        pd.Timestamp("2023-12-29"): 3.88,
        pd.Timestamp("2024-01-02"): 3.95,
        pd.Timestamp("2024-01-03"): 3.91,
    }
    assert frame.index.name == "date"


def test_old_layout_drops_dots():
    frame = parse_fred_csv(DEXJPUS, series="DEXJPUS")
    assert frame["close"].tolist() == [106.34, 105.97]
    assert pd.Timestamp("2020-09-07") not in frame.index


def test_wrong_series_column_is_an_error():
    with pytest.raises(SourceError, match="expected a column 'DGS2', found 'DGS10'"):
        parse_fred_csv(DGS10, series="DGS2")


def test_web_page_instead_of_csv_names_the_series():
    with pytest.raises(SourceError, match=r"fred:NOPE: got a web page.*fred\.stlouisfed\.org/series/NOPE"):
        parse_fred_csv(b"<!DOCTYPE html><html>Not found</html>", series="NOPE")


def test_only_missing_values_is_an_error():
    with pytest.raises(SourceError, match="no data"):
        parse_fred_csv("observation_date,DGS10\n2024-01-01,\n2024-01-15,.\n", series="DGS10")


def test_non_number_names_the_cell():
    with pytest.raises(SourceError, match="'n/a!'"):
        parse_fred_csv("observation_date,DGS10\n2024-01-02,n/a!\n", series="DGS10")


def test_urls():
    assert fred_url("DGS10") == "https://fred.stlouisfed.org/graph/fredgraph.csv?id=DGS10"
    assert fred_url("DGS10", date(2024, 1, 2)).endswith("?id=DGS10&cosd=2024-01-02")


def test_source_uses_the_fetcher_and_the_symbol_close():
    seen = []
    src = FredSource(lambda url: seen.append(url) or DGS10)
    bars = src.load("DGS10", close="16:00 America/New_York", start=date(2024, 1, 2))
    assert seen == ["https://fred.stlouisfed.org/graph/fredgraph.csv?id=DGS10&cosd=2024-01-02"]
    # A server that ignores cosd still yields only the tail.
    assert bars.frame["close"].tolist() == [3.95, 3.91]
    assert (bars.source, bars.upstream_id, bars.close) == ("fred", "DGS10", "16:00 America/New_York")
