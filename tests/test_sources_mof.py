"""MoF JGB yield files: cp932, a title row, era dates, '-' cells, history + current month."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from jpmacro_bt.errors import SourceError
from jpmacro_bt.sources.mof import MOF_ALL_URL, MOF_CURRENT_URL, MofSource, parse_jgbcm, to_mof_date

DATA = Path(__file__).parent / "data" / "sources"
# Eight rows typed from the MoF all-history file (jgbcm_all.csv), saved as cp932 with
# CRLF like the original: Showa (S49, S64), Heisei (H1, H11, H19, H31) and Reiwa (R1, R8).
HISTORY = (DATA / "mof_jgbcm_all_excerpt.csv").read_bytes()

# A current-month file as the MoF publishes it. The R8.6.29 10-year value is
# deliberately altered from 2.644 to 2.650 so the merge test can see which file wins.
CURRENT = (
    "国債金利情報,,,,,,,,,,,,,,,(単位 : %)\r\n"
    "基準日,1年,2年,3年,4年,5年,6年,7年,8年,9年,10年,15年,20年,25年,30年,40年\r\n"
    "R8.6.29,1.173,1.411,1.547,1.753,1.916,2.053,2.201,2.367,2.513,2.650,3.204,3.54,3.791,3.785,3.715\r\n"
    "R8.6.30,1.165,1.382,1.531,1.755,1.937,2.075,2.231,2.398,2.553,2.69,3.271,3.625,3.883,3.873,3.792\r\n"
).encode("cp932")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Showa 49 = 1925 + 49 = 1974; Showa 64 = 1989 (its last week); Heisei 1 = 1988 + 1;
        # Heisei 31 = 2019; Reiwa 1 = 2018 + 1 (from 1 May 2019); Reiwa 8 = 2026.
        ("S49.9.24", "1974-09-24"),
        ("S64.1.6", "1989-01-06"),
        ("H1.1.9", "1989-01-09"),
        ("H31.4.26", "2019-04-26"),
        ("R1.5.7", "2019-05-07"),
        ("R元.5.7", "2019-05-07"),
        ("R8.6.30", "2026-06-30"),
        ("2026/6/30", "2026-06-30"),
        ("2026-06-30", "2026-06-30"),
    ],
)
def test_era_dates(text, expected):
    assert to_mof_date(text) == pd.Timestamp(expected)


@pytest.mark.parametrize("bad", ["M45.7.29", "R8.2.30", "30 June"])
def test_bad_dates_name_the_cell(bad):
    with pytest.raises(SourceError, match=bad.replace(".", r"\.")):
        to_mof_date(bad)


def test_parse_history_excerpt():
    table = parse_jgbcm(HISTORY)
    assert list(table.columns) == ["1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "15", "20", "25", "30", "40"]
    assert len(table) == 8
    # Values as typed from the file; '-' (no 10-year JGB in 1974) is NaN.
    assert table.loc["1974-09-24", "1"] == 10.327
    assert pd.isna(table.loc["1974-09-24", "10"])
    assert table.loc["1999-09-02", "30"] == 2.842  # also JGB30Y.csv's first row (1999-09-02, 2.842)
    assert table.loc["2019-04-26", "10"] == -0.045  # negative yields survive
    assert table.loc["2007-11-06", "40"] == 2.439
    assert table.index.is_monotonic_increasing


def test_english_layout_with_iso_dates():
    # The English file's header (Date,1Y..40Y) with two of the rows above.
    text = (
        "Interest Rate,,,,,,,,,,,,,,,\n"
        "Date,1Y,2Y,3Y,4Y,5Y,6Y,7Y,8Y,9Y,10Y,15Y,20Y,25Y,30Y,40Y\n"
        "2019/4/26,-0.157,-0.153,-0.167,-0.174,-0.17,-0.171,-0.164,-0.137,-0.096,-0.045,0.173,0.374,0.468,0.557,0.625\n"
        "2019-05-07,-0.161,-0.156,-0.167,-0.176,-0.169,-0.172,-0.163,-0.141,-0.097,-0.049,0.169,0.365,0.452,0.539,0.607\n"
    )
    table = parse_jgbcm(text)
    assert table["10"].tolist() == [-0.045, -0.049]
    assert list(table.index) == [pd.Timestamp("2019-04-26"), pd.Timestamp("2019-05-07")]


def test_no_header_is_an_error():
    with pytest.raises(SourceError, match="基準日 or Date"):
        parse_jgbcm("just,some\n1,2\n")


def fake_fetcher(calls):
    files = {MOF_ALL_URL: HISTORY, MOF_CURRENT_URL: CURRENT}

    def fetch(url: str) -> bytes:
        calls.append(url)
        return files[url]

    return fetch


def test_load_merges_history_and_current_month():
    calls = []
    bars = MofSource(fake_fetcher(calls)).load("10", close="15:00 Asia/Tokyo")
    close = bars.frame["close"]
    # 10-year: no value in the S49 row ('-'), so 7 history rows + R8.6.30 from the current file.
    assert len(close) == 8
    assert close["2026-06-29"] == 2.650  # the current-month file wins on R8.6.29
    assert close["2026-06-30"] == 2.69
    assert close["1989-01-06"] == 4.843
    assert bars.close == "15:00 Asia/Tokyo" and bars.source == "mof" and bars.upstream_id == "10"
    assert set(calls) == {MOF_ALL_URL, MOF_CURRENT_URL}


def test_tail_inside_current_month_reads_only_that_file():
    calls = []
    bars = MofSource(fake_fetcher(calls)).load("40", close="15:00 Asia/Tokyo", start=pd.Timestamp("2026-06-29").date())
    assert calls == [MOF_CURRENT_URL]
    assert bars.frame["close"].tolist() == [3.715, 3.792]


def test_tail_before_current_month_reads_history_too():
    calls = []
    MofSource(fake_fetcher(calls)).load("40", close="15:00 Asia/Tokyo", start=pd.Timestamp("2026-06-01").date())
    assert set(calls) == {MOF_ALL_URL, MOF_CURRENT_URL}


def test_unknown_tenor_lists_the_tenors():
    with pytest.raises(SourceError, match=r"no tenor '11'.*1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 15, 20, 25, 30, 40"):
        MofSource(fake_fetcher([])).load("11", close="15:00 Asia/Tokyo")
