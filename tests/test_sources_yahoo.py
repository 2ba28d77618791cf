"""Yahoo through a fake downloader: errors, retries, time zones and the FX date correction."""

from __future__ import annotations

import logging
import subprocess
import sys
import types
from datetime import date

import numpy as np
import pandas as pd
import pytest

from jpmacro_bt.errors import SourceError
from jpmacro_bt.sources.yahoo import (
    FX_CLOSE,
    YahooRateLimitError,
    YahooSource,
    fx_shift_scores,
    to_fx_bars,
    yfinance_download,
)

TOKYO = "15:00 Asia/Tokyo"
FX_NY = "17:00 America/New_York"


def yf_frame(rows: dict[str, float], tz: str | None = None) -> pd.DataFrame:
    """A frame shaped like ``yfinance.download(..., multi_level_index=False)``."""
    index = pd.DatetimeIndex(list(rows), name="Date")
    if tz:
        index = index.tz_localize(tz)
    close = list(rows.values())
    return pd.DataFrame({"Close": close, "High": close, "Low": close, "Open": close, "Volume": 0.0}, index=index)


class FakeDownloader:
    """Returns (or raises) the queued results in order and records each call."""

    def __init__(self, *results):
        self.results = list(results)
        self.calls = []

    def __call__(self, ticker, **kwargs):
        self.calls.append((ticker, kwargs))
        result = self.results.pop(0) if len(self.results) > 1 else self.results[0]
        if isinstance(result, BaseException):
            raise result
        return result


def source(downloader, **kwargs):
    sleeps = []
    return YahooSource(downloader, sleep=sleeps.append, **kwargs), sleeps


def test_empty_frame_exact_message():
    src, _ = source(FakeDownloader(pd.DataFrame()))
    with pytest.raises(SourceError) as info:
        src.load("^N225", close=TOKYO, start=date(2024, 1, 4), end=date(2024, 1, 5))
    assert str(info.value) == (
        "yahoo: ^N225 (2024-01-04 .. 2024-01-05): Yahoo returned no data (Yahoo could not be reached, "
        "or it does not list ^N225); try --data-dir DIR with SYMBOL.csv files, or --offline to use the cache"
    )


def test_download_arguments_are_explicit():
    fake = FakeDownloader(yf_frame({"2024-01-04": 33288.3, "2024-01-05": 33377.4}))
    src, _ = source(fake, adjusted=False)
    src.load("^N225", close=TOKYO, start=date(2024, 1, 4), end=date(2024, 1, 5))
    ticker, kwargs = fake.calls[0]
    assert ticker == "^N225"
    assert kwargs["auto_adjust"] is False and kwargs["progress"] is False
    assert kwargs["start"] == "2024-01-04"
    assert kwargs["end"] == "2024-01-06"  # yfinance's end is exclusive: one day past the last wanted
    src.load("^N225", close=TOKYO)
    assert fake.calls[1][1]["period"] == "max" and "start" not in fake.calls[1][1]


def test_partial_range_is_an_error():
    # Asked from 2024-01-02, got bars from 2024-03-25 on: more than RANGE_SLACK (10 days) short.
    fake = FakeDownloader(yf_frame({"2024-03-25": 151.305, "2024-03-26": 151.373}))
    src, _ = source(fake)
    with pytest.raises(SourceError, match=r"returned only 2024-03-25 \.\. 2024-03-26 \(a partial download"):
        src.load("SPY", close="16:00 America/New_York", start=date(2024, 1, 2), end=date(2024, 3, 26))


def test_holiday_gap_at_range_start_is_not_partial():
    # Asked from 2024-01-01 (a holiday): the first bar on 2024-01-04 is within the slack.
    fake = FakeDownloader(yf_frame({"2024-01-04": 33288.3, "2024-01-05": 33377.4}))
    src, _ = source(fake)
    bars = src.load("^N225", close=TOKYO, start=date(2024, 1, 1), end=date(2024, 1, 5))
    assert bars.frame["close"].tolist() == [33288.3, 33377.4]


def test_rate_limit_retried_with_backoff_then_error():
    limited = YahooRateLimitError("Too Many Requests. Rate limited. Try after a while.")
    fake = FakeDownloader(limited)
    src, sleeps = source(fake, attempts=3, base_delay=1.5)
    with pytest.raises(SourceError, match=r"yahoo: SPY \(the start \.\. today\): rate-limited by Yahoo after 3 tries"):
        src.load("SPY", close="16:00 America/New_York")
    assert len(fake.calls) == 3
    assert sleeps == [1.5, 3.0]  # 1.5 * 2**0, 1.5 * 2**1; none after the last try


def test_rate_limit_then_success():
    fake = FakeDownloader(
        YahooRateLimitError("Too Many Requests"),
        ConnectionError("reset by peer"),
        yf_frame({"2024-01-04": 33288.3}),
    )
    src, sleeps = source(fake)
    assert src.load("^N225", close=TOKYO).frame["close"].tolist() == [33288.3]
    assert sleeps == [2.0, 4.0]


def test_other_errors_are_not_retried():
    fake = FakeDownloader(KeyError("chart"))
    src, sleeps = source(fake)
    with pytest.raises(SourceError, match=r"download failed \(KeyError: 'chart'\); Yahoo could not be reached"):
        src.load("SPY", close="16:00 America/New_York")
    assert sleeps == [] and len(fake.calls) == 1


def test_aware_index_keeps_the_exchange_date():
    # 2024-01-04 00:00 in Tokyo is 2024-01-03 15:00 UTC; the bar is Tokyo's 4 January
    # (Nikkei 225 closes 33288.3 and 33377.4 on 4 and 5 January 2024).
    utc = FakeDownloader(yf_frame({"2024-01-03 15:00": 33288.3, "2024-01-04 15:00": 33377.4}, tz="UTC"))
    src, _ = source(utc)
    frame = src.load("^N225", close=TOKYO).frame
    assert list(frame.index) == [pd.Timestamp("2024-01-04"), pd.Timestamp("2024-01-05")]


def test_multiindex_columns_are_flattened():
    raw = yf_frame({"2024-01-04": 33288.3})
    raw.columns = pd.MultiIndex.from_product([raw.columns, ["^N225"]], names=["Price", "Ticker"])
    src, _ = source(FakeDownloader(raw))
    assert src.load("^N225", close=TOKYO).frame["close"].tolist() == [33288.3]


# USD/JPY closes typed from Yahoo's JPY=X history (the shared USDJPY_YAHOO.csv rows).
FX_ROWS = {
    "2010-06-25": 89.15,  # Friday, before the July 2010 change: moves to Monday 06-28
    "2010-06-28": 89.313,  # -> 06-29
    "2010-06-29": 88.649,  # -> 06-30
    "2010-06-30": 88.43,  # -> 07-01, where the unmoved 07-01 bar already is: dropped
    "2010-07-01": 87.60,
    "2010-07-02": 87.79,
    "2010-07-03": 87.79,  # a Saturday row: dropped
}


def test_fx_bars_are_redated_and_stamped_at_london_midnight():
    src, _ = source(FakeDownloader(yf_frame(FX_ROWS)))
    bars = src.load("JPY=X", close=FX_NY)
    assert bars.close == FX_CLOSE == "00:00 Europe/London"
    assert bars.frame["close"].to_dict() == {
        pd.Timestamp("2010-06-28"): 89.15,
        pd.Timestamp("2010-06-29"): 89.313,
        pd.Timestamp("2010-06-30"): 88.649,
        pd.Timestamp("2010-07-01"): 87.60,
        pd.Timestamp("2010-07-02"): 87.79,
    }


def test_fx_bars_after_the_change_keep_their_dates():
    # 2024-03-25..28 (Mon-Thu) are after July 2010: dates unchanged.
    rows = {"2024-03-25": 151.305, "2024-03-26": 151.373, "2024-03-27": 151.53, "2024-03-28": 151.287}
    frame = to_fx_bars(pd.DataFrame({"close": list(rows.values())}, index=pd.DatetimeIndex(list(rows), name="date")))
    assert frame["close"].to_dict() == {pd.Timestamp(d): v for d, v in rows.items()}


def test_non_fx_tickers_keep_the_symbol_close():
    src, _ = source(FakeDownloader(yf_frame({"2024-01-04": 33288.3})))
    assert src.load("^N225", close=TOKYO).close == TOKYO


def test_fx_shift_scores_finds_a_known_lag():
    # Reference: a seeded random walk on business days; "Yahoo" carries each value one
    # business day late, so moving Yahoo's dates back one day (shift -1) matches exactly.
    index = pd.bdate_range("2024-01-01", periods=60)
    reference = pd.Series(100 * np.exp(np.cumsum(np.random.default_rng(1).normal(0, 0.01, 60))), index=index)
    yahoo = reference.shift(1).dropna()
    scores = fx_shift_scores(yahoo, reference)
    assert scores.loc[-1, "corr"] == pytest.approx(1.0)
    assert scores.loc[-1, "median_bp"] == pytest.approx(0.0, abs=1e-9)
    assert scores["corr"].idxmax() == -1


def test_default_downloader_raises_what_yfinance_only_logs(monkeypatch):
    # A stand-in yfinance whose download logs the rate limit and returns nothing, as the real one does.
    def download(ticker, **kwargs):
        logging.getLogger("yfinance").error("['SPY']: YFRateLimitError('Too Many Requests. Rate limited.')")
        return pd.DataFrame()

    monkeypatch.setitem(sys.modules, "yfinance", types.SimpleNamespace(download=download))
    with pytest.raises(YahooRateLimitError, match="Too Many Requests"):
        yfinance_download("SPY", progress=False)


def test_importing_the_module_does_not_import_yfinance():
    code = "import sys, jpmacro_bt.sources.yahoo; print('yfinance' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
