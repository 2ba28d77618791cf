"""load_bars / load_many: data dir first, source choice, fallback, cache, offline."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest

from jpmacro_bt.sources.cache import Cache
from jpmacro_bt.errors import DataError, JpMacroWarning, SourceError
from jpmacro_bt.sources.resolve import load_bars, load_many
from jpmacro_bt.sources.yahoo import YahooSource

DATA = Path(__file__).parent / "data" / "sources"
DGS10 = (DATA / "fred_dgs10.csv").read_bytes()  # 2023-12-29 3.88, 2024-01-02 3.95, 2024-01-03 3.91
MOF = (DATA / "mof_jgbcm_all_excerpt.csv").read_bytes()
DAY1 = datetime(2024, 1, 3, 22, 0, tzinfo=UTC)


class Recorder:
    """A fetcher that serves ``body`` (or raises it) and records the URLs asked for."""

    def __init__(self, body):
        self.body = body
        self.urls: list[str] = []

    def __call__(self, url: str) -> bytes:
        self.urls.append(url)
        if isinstance(self.body, BaseException):
            raise self.body
        return self.body


def unreachable(host: str) -> Recorder:
    return Recorder(SourceError(f"cannot reach {host} (no network)"))


def yahoo_returning(rows: dict[str, float]) -> YahooSource:
    frame = pd.DataFrame({"Close": list(rows.values())}, index=pd.DatetimeIndex(list(rows)))
    return YahooSource(lambda ticker, **kw: frame, sleep=lambda s: None)


@pytest.fixture
def cache(tmp_path) -> Cache:
    return Cache(tmp_path / "cache", clock=lambda: DAY1)


def test_data_dir_is_preferred(tmp_path, cache):
    shutil.copy(DATA / "ust10y_date_close.csv", tmp_path / "UST10Y.csv")
    fred = unreachable("fred.stlouisfed.org")
    bars = load_bars("UST10Y", data_dir=tmp_path, cache=cache, fetchers={"fred": fred})
    assert bars.source == "csv" and bars.close == "16:00 America/New_York"
    assert bars.frame["close"].tolist() == [3.95, 3.91, 3.99, 4.05]
    assert fred.urls == []


def test_data_dir_without_the_file_falls_through(tmp_path, cache):
    bars = load_bars("UST10Y", data_dir=tmp_path, cache=cache, fetchers={"fred": Recorder(DGS10)})
    assert bars.source == "fred"


def test_source_override_uses_only_that_source(cache):
    fred = Recorder(DGS10)
    bars = load_bars("UST10Y", source="yahoo", cache=cache, fetchers={"fred": fred, "yahoo": yahoo_returning({"2024-01-02": 3.955})})
    assert bars.source == "yahoo" and bars.upstream_id == "^TNX"
    assert fred.urls == []


def test_unknown_source_for_a_symbol_lists_its_sources(cache):
    with pytest.raises(DataError, match=r"^JGB10Y has no source 'fred'; its sources: mof \(or csv with --data-dir\)$"):
        load_bars("JGB10Y", source="fred", cache=cache)
    with pytest.raises(DataError, match=r"has no source 'yahooo' \(did you mean yahoo\?\)"):
        load_bars("UST10Y", source="yahooo", cache=cache)


def test_csv_source_needs_a_data_dir(cache):
    with pytest.raises(DataError, match="pass --data-dir DIR holding SPY.csv"):
        load_bars("SPY", source="csv", cache=cache)


def test_unknown_symbol(cache):
    with pytest.raises(DataError, match="unknown symbol 'JGB10'"):
        load_bars("JGB10", cache=cache)


def test_fallback_in_registry_order(cache):
    # UST10Y lists fred, then yahoo: FRED is unreachable, Yahoo delivers.
    fred = unreachable("fred.stlouisfed.org")
    bars = load_bars("UST10Y", cache=cache, fetchers={"fred": fred, "yahoo": yahoo_returning({"2024-01-02": 3.955})})
    assert len(fred.urls) == 1
    assert bars.source == "yahoo" and bars.frame["close"].tolist() == [3.955]


def test_every_source_failing_lists_each(cache):
    empty = YahooSource(lambda ticker, **kw: pd.DataFrame(), sleep=lambda s: None)
    with pytest.raises(SourceError) as info:
        load_bars("UST10Y", cache=cache, fetchers={"fred": unreachable("fred.stlouisfed.org"), "yahoo": empty})
    message = str(info.value)
    assert message.startswith("no source could deliver UST10Y: fred: cannot reach fred.stlouisfed.org (no network); yahoo: ")
    assert "\n" not in message


def test_download_is_cached_and_reused_the_same_day(cache):
    fred = Recorder(DGS10)
    first = load_bars("UST10Y", cache=cache, fetchers={"fred": fred})
    second = load_bars("UST10Y", cache=cache, fetchers={"fred": fred})
    assert len(fred.urls) == 1
    assert second.sha256 == first.sha256
    assert cache.info("fred", "DGS10")["symbol"] == "UST10Y"


def test_stale_entry_fetches_only_the_tail_and_merges(tmp_path):
    load_bars("UST10Y", cache=Cache(tmp_path, clock=lambda: DAY1), fetchers={"fred": Recorder(DGS10)})
    # Next day FRED serves from cosd=2023-12-27 (real DGS10: 12-27 3.79, 12-28 3.84, 12-29 3.88,
    # 01-02 3.95, 01-04 3.99, as in UST10Y.csv) with 2024-01-03 revised to a made-up 3.92: the
    # last cached bar may change, the tail wins there; the older overlap (12-29, 01-02) agrees.
    tail = Recorder(
        b"observation_date,DGS10\n2023-12-27,3.79\n2023-12-28,3.84\n2023-12-29,3.88\n2024-01-01,\n"
        b"2024-01-02,3.95\n2024-01-03,3.92\n2024-01-04,3.99\n"
    )
    later = Cache(tmp_path, clock=lambda: DAY1 + timedelta(days=1))
    bars = load_bars("UST10Y", cache=later, fetchers={"fred": tail})
    # Last cached bar 2024-01-03 minus the 7-day overlap = 2023-12-27; one request only.
    assert tail.urls == ["https://fred.stlouisfed.org/graph/fredgraph.csv?id=DGS10&cosd=2023-12-27"]
    assert bars.frame["close"].tolist() == [3.79, 3.84, 3.88, 3.95, 3.92, 3.99]
    assert later.get("fred", "DGS10").frame["close"].tolist() == [3.79, 3.84, 3.88, 3.95, 3.92, 3.99]
    assert later.is_fresh("fred", "DGS10")


def test_revised_history_is_fetched_whole(tmp_path):
    # SPY adjusted closes (shared SPY.csv, 2024-01-02..04). A dividend later re-adjusts every
    # earlier close (here by a made-up factor 0.99), so the tail's overlap no longer matches
    # the cache: appending would leave a false step, so the whole history is fetched again.
    first = {"2024-01-02": 461.247, "2024-01-03": 457.481, "2024-01-04": 456.007}
    readjusted = {d: round(v * 0.99, 3) for d, v in first.items()} | {"2024-01-05": 452.1}
    calls = []

    def downloader(ticker, **kwargs):
        calls.append(kwargs.get("period", kwargs.get("start")))
        rows = first if len(calls) == 1 else readjusted
        return pd.DataFrame({"Close": list(rows.values())}, index=pd.DatetimeIndex(list(rows)))

    yahoo = YahooSource(downloader, sleep=lambda s: None)
    load_bars("SPY", cache=Cache(tmp_path, clock=lambda: DAY1), fetchers={"yahoo": yahoo})
    later = Cache(tmp_path, clock=lambda: DAY1 + timedelta(days=3))
    bars = load_bars("SPY", cache=later, fetchers={"yahoo": yahoo})
    assert calls == ["max", "2023-12-28", "max"]  # whole, tail (01-04 minus 7 days), whole again
    assert bars.frame["close"].tolist() == [456.635, 452.906, 451.447, 452.1]  # 461.247 * 0.99 = 456.635 ...


def test_unwritable_cache_warns_and_still_returns_data(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.warns(JpMacroWarning, match="could not write the cache"):
        bars = load_bars("UST10Y", cache=Cache(blocker / "cache"), fetchers={"fred": Recorder(DGS10)})
    assert bars.frame["close"].tolist() == [3.88, 3.95, 3.91]


def test_failed_refresh_warns_and_uses_the_cache(tmp_path):
    load_bars("UST10Y", cache=Cache(tmp_path, clock=lambda: DAY1), fetchers={"fred": Recorder(DGS10)})
    later = Cache(tmp_path, clock=lambda: DAY1 + timedelta(days=1))
    with pytest.warns(JpMacroWarning, match="UST10Y: using cached fred data up to 2024-01-03; refreshing it failed"):
        bars = load_bars("UST10Y", cache=later, fetchers={"fred": unreachable("fred.stlouisfed.org")})
    assert bars.frame["close"].tolist() == [3.88, 3.95, 3.91]


def test_offline_uses_a_stale_cache_without_fetching(tmp_path):
    load_bars("JGB10Y", cache=Cache(tmp_path, clock=lambda: DAY1), fetchers={"mof": Recorder(MOF)})
    never = unreachable("www.mof.go.jp")
    later = Cache(tmp_path, clock=lambda: DAY1 + timedelta(days=30))
    bars = load_bars("JGB10Y", offline=True, cache=later, fetchers={"mof": never})
    assert never.urls == []
    assert bars.frame["close"].iloc[-1] == 2.644  # R8.6.29 in the excerpt


def test_offline_miss_message(cache):
    with pytest.raises(DataError) as info:
        load_bars("UST10Y", offline=True, cache=cache)
    assert str(info.value) == (
        "no cached data for UST10Y (sources tried: fred, yahoo); "
        "run `jpmacro-bt data fetch UST10Y` with network or pass --data-dir DIR"
    )


def test_corrupt_cache_is_refetched_online_and_reported_offline(cache):
    fred = Recorder(DGS10)
    load_bars("UST10Y", cache=cache, fetchers={"fred": fred})
    data_path, _ = cache.paths("fred", "DGS10")
    data_path.write_bytes(b"garbage")
    with pytest.raises(SourceError, match=rf"{data_path} is corrupt"):
        load_bars("UST10Y", source="fred", offline=True, cache=cache)
    bars = load_bars("UST10Y", cache=cache, fetchers={"fred": fred})
    assert len(fred.urls) == 2 and bars.frame["close"].tolist() == [3.88, 3.95, 3.91]
    assert cache.get("fred", "DGS10") is not None


def test_ecb_needs_no_network_and_no_cache(cache):
    bars = load_bars("USDJPY", offline=True, cache=cache)
    assert bars.source == "ecb" and bars.close == "14:15 Europe/Berlin"
    assert not cache.root.exists()


def test_load_many_lists_every_missing_symbol(cache):
    with pytest.raises(DataError) as info:
        load_many(["USDJPY", "JGB10Y", "UST10Y", "NOPE"], offline=True, cache=cache)
    lines = str(info.value).splitlines()
    assert lines[0] == "could not load 3 of 4 symbols:"
    assert lines[1].startswith("  JGB10Y: no cached data for JGB10Y (sources tried: mof)")
    assert lines[2].startswith("  UST10Y: no cached data for UST10Y (sources tried: fred, yahoo)")
    assert lines[3].startswith("  NOPE: unknown symbol 'NOPE'")
    assert len(lines) == 4


def test_load_many_returns_every_symbol(cache):
    out = load_many(["USDJPY", "UST10Y"], cache=cache, fetchers={"fred": Recorder(DGS10)})
    assert list(out) == ["USDJPY", "UST10Y"]
    assert out["UST10Y"].source == "fred"
