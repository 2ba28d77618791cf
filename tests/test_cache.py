"""The parquet + JSON cache: location, round trip, integrity checks, atomic writes."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest

from jpmacro_bt.sources import cache as cache_module
from jpmacro_bt.sources.cache import Cache, cache_dir, merge_tail, overlap_agrees
from jpmacro_bt.errors import SourceError
from jpmacro_bt.sources.base import Bars, data_sha256

NOON = datetime(2026, 7, 1, 12, 0, tzinfo=UTC)


def jgb10y(rows: dict[str, float] | None = None) -> Bars:
    # JGB 10-year yields typed from the MoF file (R8.6.24 .. R8.6.30 = 2026-06-24 .. 30).
    rows = rows or {"2026-06-24": 2.674, "2026-06-25": 2.637, "2026-06-26": 2.611, "2026-06-29": 2.644, "2026-06-30": 2.69}
    frame = pd.DataFrame({"close": list(rows.values())}, index=pd.DatetimeIndex(list(rows), name="date"))
    return Bars(frame, "mof", "10", "15:00 Asia/Tokyo", "https://www.mof.go.jp/x.csv")


@pytest.fixture
def cache(tmp_path) -> Cache:
    return Cache(tmp_path / "c", clock=lambda: NOON)


def test_location_precedence(monkeypatch, tmp_path):
    monkeypatch.setenv("JPMACRO_CACHE_DIR", str(tmp_path / "env"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_dir() == tmp_path / "env"
    monkeypatch.delenv("JPMACRO_CACHE_DIR")
    assert cache_dir() == tmp_path / "xdg" / "jpmacro-bt"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert cache_dir() == tmp_path / "home" / ".cache" / "jpmacro-bt"


def test_default_root_is_the_test_cache():
    # conftest points JPMACRO_CACHE_DIR at a temporary folder for every test.
    assert Cache().root == Path(os.environ["JPMACRO_CACHE_DIR"])


def test_round_trip(cache):
    bars = jgb10y()
    data_path = cache.put(bars, "JGB10Y")
    back = cache.get("mof", "10")
    pd.testing.assert_frame_equal(back.frame, bars.frame, check_freq=False)
    assert back.sha256 == bars.sha256
    assert (back.source, back.upstream_id, back.close) == ("mof", "10", "15:00 Asia/Tokyo")
    meta = json.loads(data_path.with_suffix(".json").read_text())
    assert meta["symbol"] == "JGB10Y" and meta["rows"] == 5
    assert (meta["start"], meta["end"]) == ("2026-06-24", "2026-06-30")
    assert meta["fetched_at"] == "2026-07-01T12:00:00+00:00"
    assert meta["sha256"] == data_sha256(bars.frame)


def test_ids_are_safe_file_names(cache):
    bars = Bars(jgb10y().frame, "yahoo", "^N225", "15:00 Asia/Tokyo")
    path = cache.put(bars, "NIKKEI225")
    assert path.name == "%5EN225.parquet"
    assert cache.get("yahoo", "^N225") is not None


def test_miss_is_none(cache):
    assert cache.get("fred", "DGS10") is None
    assert not cache.is_fresh("fred", "DGS10")


def test_corrupted_parquet_is_reported(cache):
    path = cache.put(jgb10y(), "JGB10Y")
    path.write_bytes(b"PAR1 this is not parquet")
    with pytest.raises(SourceError, match=rf"cache: {path}.*corrupt or truncated"):
        cache.get("mof", "10")


def test_changed_data_fails_the_checksum(cache):
    # A valid parquet file with one value changed: readable, but not what was recorded.
    path = cache.put(jgb10y(), "JGB10Y")
    meta = path.with_suffix(".json").read_text()
    cache.put(jgb10y({"2026-06-24": 2.674, "2026-06-25": 9.999, "2026-06-26": 2.611, "2026-06-29": 2.644, "2026-06-30": 2.69}), "JGB10Y")
    path.with_suffix(".json").write_text(meta)
    with pytest.raises(SourceError, match="does not match 10.json .*checksum differs"):
        cache.get("mof", "10")


def test_truncated_sidecar_is_reported(cache):
    path = cache.put(jgb10y(), "JGB10Y")
    sidecar = path.with_suffix(".json")
    sidecar.write_text(sidecar.read_text()[:40])
    with pytest.raises(SourceError, match=rf"{sidecar} is unreadable or truncated"):
        cache.get("mof", "10")


def test_data_without_sidecar_is_not_an_entry(cache):
    # The sidecar is the commit record: a data file alone (crash before the sidecar) is a miss.
    path = cache.put(jgb10y(), "JGB10Y")
    path.with_suffix(".json").unlink()
    assert cache.get("mof", "10") is None


def test_interrupted_write_keeps_the_old_entry(cache, monkeypatch):
    old = jgb10y()
    path = cache.put(old, "JGB10Y")
    newer = jgb10y({"2026-06-30": 2.69, "2026-07-01": 2.70})

    def crash(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(cache_module.os, "replace", crash)
    with pytest.raises(OSError, match="disk full"):
        cache.put(newer, "JGB10Y")
    monkeypatch.undo()
    pd.testing.assert_frame_equal(cache.get("mof", "10").frame, old.frame, check_freq=False)
    assert sorted(p.name for p in path.parent.iterdir()) == ["10.json", "10.parquet"]  # no temp file left


def test_writer_failing_midway_leaves_no_temp_file(cache, monkeypatch):
    path = cache.put(jgb10y(), "JGB10Y")

    def half_write(table, fh, **kwargs):
        fh.write(b"PAR1 half")
        raise KeyboardInterrupt

    monkeypatch.setattr(cache_module.pq, "write_table", half_write)
    with pytest.raises(KeyboardInterrupt):
        cache.put(jgb10y({"2026-07-01": 2.70}), "JGB10Y")
    monkeypatch.undo()
    assert cache.get("mof", "10").frame.index[-1] == pd.Timestamp("2026-06-30")
    assert sorted(p.name for p in path.parent.iterdir()) == ["10.json", "10.parquet"]


def test_freshness_is_the_utc_day(tmp_path):
    Cache(tmp_path, clock=lambda: NOON).put(jgb10y(), "JGB10Y")
    assert Cache(tmp_path, clock=lambda: NOON + timedelta(hours=11)).is_fresh("mof", "10")  # 23:00 same day
    assert not Cache(tmp_path, clock=lambda: NOON + timedelta(hours=12)).is_fresh("mof", "10")  # next day


def test_entries_and_clear(tmp_path):
    Cache(tmp_path, clock=lambda: NOON).put(jgb10y(), "JGB10Y")
    Cache(tmp_path, clock=lambda: NOON).put(Bars(jgb10y().frame, "fred", "DGS10", "16:00 America/New_York"), "UST10Y")
    later = Cache(tmp_path, clock=lambda: NOON + timedelta(days=2))
    entries = {e["symbol"]: e for e in later.entries()}
    assert set(entries) == {"JGB10Y", "UST10Y"}
    assert entries["JGB10Y"]["age"] == timedelta(days=2)
    assert (entries["UST10Y"]["source"], entries["UST10Y"]["rows"], entries["UST10Y"]["end"]) == ("fred", 5, "2026-06-30")
    assert later.clear("UST10Y") == 1
    assert [e["symbol"] for e in later.entries()] == ["JGB10Y"]
    assert later.clear() == 1
    assert later.entries() == []


def test_entries_list_a_broken_sidecar(cache):
    path = cache.put(jgb10y(), "JGB10Y")
    path.with_suffix(".json").write_text("{")
    (entry,) = cache.entries()
    assert entry["upstream_id"] == "10" and "unreadable" in entry["error"]


def test_merge_tail_new_values_win():
    cached = jgb10y().frame
    # A refetched tail revising 2026-06-30 (made-up 2.70) and adding 2026-07-01 (made-up 2.71).
    tail = pd.DataFrame({"close": [2.70, 2.71]}, index=pd.DatetimeIndex(["2026-06-30", "2026-07-01"], name="date"))
    merged = merge_tail(cached, tail)
    assert merged["close"].tolist() == [2.674, 2.637, 2.611, 2.644, 2.70, 2.71]
    assert merged.index.is_unique and merged.index.is_monotonic_increasing
    assert cached["close"].iloc[-1] == 2.69  # input unchanged


def test_nothing_is_pickled(cache):
    path = cache.put(jgb10y(), "JGB10Y")
    assert path.read_bytes()[:4] == b"PAR1"
    json.loads(path.with_suffix(".json").read_text())


def test_overlap_agrees():
    cached = jgb10y().frame  # 06-24 2.674, 06-25 2.637, 06-26 2.611, 06-29 2.644, 06-30 2.69
    def tail(rows):
        return pd.DataFrame({"close": list(rows.values())}, index=pd.DatetimeIndex(list(rows), name="date"))
    # The last cached bar (06-30) may change; the older shared bars (06-26, 06-29) must not.
    assert overlap_agrees(cached, tail({"2026-06-26": 2.611, "2026-06-29": 2.644, "2026-06-30": 2.70}))
    assert not overlap_agrees(cached, tail({"2026-06-26": 2.611, "2026-06-29": 2.650, "2026-06-30": 2.69}))
    # Nothing but the last bar shared: no evidence the history is unchanged.
    assert not overlap_agrees(cached, tail({"2026-06-30": 2.69, "2026-07-01": 2.70}))
