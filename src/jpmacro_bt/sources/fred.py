"""FRED series through the public CSV download (no API key).

``https://fred.stlouisfed.org/graph/fredgraph.csv?id=SERIES`` returns
``observation_date,SERIES`` (older downloads: ``DATE,VALUE``), one row per
observation; ``.`` or an empty cell marks a day without a value (a holiday),
and such rows are dropped. ``&cosd=YYYY-MM-DD`` limits the download to the
tail from that date, which is how a cached series is refreshed.

FRED dates are the observation's local date; the moment the value was public
is the symbol's ``close`` (e.g. Treasury yields: the New York close), passed in
by the caller.
"""

from __future__ import annotations

import urllib.parse
from datetime import date
from typing import ClassVar

import pandas as pd

from jpmacro_bt.errors import SourceError
from jpmacro_bt.sources.base import Bars
from jpmacro_bt.sources.csvdir import parse_csv
from jpmacro_bt.sources.fetch import Fetcher, http_get

__all__ = ["FRED_CSV_URL", "FredSource", "fred_url", "parse_fred_csv"]

FRED_CSV_URL = "https://fred.stlouisfed.org/graph/fredgraph.csv"


def fred_url(series: str, start: date | None = None) -> str:
    """The CSV download URL of ``series``, from ``start`` when given."""
    params = {"id": series}
    if start is not None:
        params["cosd"] = f"{start:%Y-%m-%d}"
    return f"{FRED_CSV_URL}?{urllib.parse.urlencode(params)}"


def parse_fred_csv(data: bytes | str, *, series: str | None = None) -> pd.DataFrame:
    """Parse a FRED CSV download into a frame with a float ``close`` column.

    Parameters
    ----------
    data : the downloaded bytes or text.
    series : the requested series id; the value column must carry it (or be ``VALUE``).

    Raises
    ------
    SourceError
        For a web page instead of CSV (an unknown series), a wrong series or no values.
    """
    what = f"fred:{series}" if series else "fred"
    text = data.decode("utf-8-sig", errors="replace") if isinstance(data, bytes) else data
    if text.lstrip().startswith("<"):
        hint = f"https://fred.stlouisfed.org/series/{series}" if series else "https://fred.stlouisfed.org"
        raise SourceError(f"{what}: got a web page, not CSV; check the series id at {hint}")
    return parse_csv(text, series=series, what=what)


class FredSource:
    """Daily FRED series; ``fetcher`` does the download (tests pass a fake).

    Parameters
    ----------
    fetcher : ``url -> bytes``; default :func:`~.fetch.http_get`.
    """

    name: ClassVar[str] = "fred"

    def __init__(self, fetcher: Fetcher | None = None) -> None:
        self.fetcher = fetcher or http_get

    def load(self, upstream_id: str, *, close: str, start: date | None = None) -> Bars:
        """Download series ``upstream_id`` (from ``start`` when given).

        Raises
        ------
        SourceError
            When the download fails or holds no values.
        """
        url = fred_url(upstream_id, start)
        frame = parse_fred_csv(self.fetcher(url), series=upstream_id)
        if start is not None:
            frame = frame.loc[pd.Timestamp(start) :]
            if frame.empty:
                raise SourceError(f"fred:{upstream_id}: no values since {start}")
        return Bars(frame, self.name, upstream_id, close, url)
