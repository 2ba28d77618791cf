"""Daily bars from Yahoo Finance through ``yfinance.download``.

The download goes through an injectable ``downloader`` (tests pass a fake);
the default imports ``yfinance`` only when called. Choices made explicit:

- ``auto_adjust`` is the source's ``adjusted`` flag (default True: prices
  adjusted for dividends and splits, the honest default for holding returns);
  ``progress=False``, ``actions=False``, one ticker, flat columns;
- a timezone-aware index is converted to the exchange's zone and the bar keeps
  that local date (never the UTC date, which would move Tokyo bars a day back);
  a date Yahoo lists twice keeps its later row (the live bar can repeat);
- an empty frame, a frame that misses the requested range, or a rate limit
  after the retries raise :class:`~jpmacro_bt.errors.SourceError` naming the
  ticker and the range; rate limits and connection errors are retried with
  exponential backoff (``base_delay * 2**k``; ``sleep`` is injectable).

Yahoo FX daily bars (tickers ending ``=X``)
-------------------------------------------
Yahoo stamps FX daily bars at 00:00 London (the exchange zone of ``=X`` is
Europe/London). Measured on USDJPY (``JPY=X``, 1996-2026) against the ECB
14:15 CET fix and the FRED noon New York rate (DEXJPUS), moving the Yahoo
dates by k business days and comparing daily log changes (correlation; median
absolute gap in bp), with :func:`fx_shift_scores`:

- from about July 2010 on, the bar dated D carries the rate of about 00:00
  London on D, i.e. the end of D-1. Against FRED noon New York (2020-08 ..
  2025-08): k = -1 0.86 (9 bp), k = 0 0.14 (29 bp), k = +1 -0.03 (45 bp).
  Against the ECB, whose fix falls halfway between two such closes:
  k = -1 0.50 (20 bp), k = 0 0.48 (20 bp), k = +1 0.01 (37 bp). Read as a
  17:00 New York close on D it is a day-old price, so events of day D would
  look tradable at a rate from before them (look-ahead).
- before about July 2010 the bar dated D closes at the end of the London day
  D, between the ECB fixes of D and D+1 (1999-01 .. 2010-06: k = 0 0.43
  (24 bp), k = +1 0.35 (28 bp), k = -1 -0.01 (45 bp)). Quarterly scores
  switch between 2010Q2 and 2010Q3.

Correction: every FX bar is stamped ``close = "00:00 Europe/London"`` on its
date, which is exact for the bars since July 2010; bars dated before
:data:`FX_STAMP_CHANGE` are first moved one business day later (end of D =
00:00 London on D+1), so both eras share one honest close time. After the
correction the whole history scores k = -1 0.46, k = 0 0.41, k = +1 0.00
against the ECB: every bar sits between the fixes of D-1 and D, as a close at
00:00 London on D should. Weekend-dated FX rows (rare artefacts) are dropped.
A single date shift would be wrong somewhere: +1 day makes the modern bars a
further day stale, -1 day dates the pre-2010 bars before their rate existed. The switch date was
measured on USDJPY only; :func:`fx_shift_scores` repeats the measurement for
any pair. For FX history the ECB source remains the first choice.
"""

from __future__ import annotations

import logging
import time
import warnings
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from pandas.tseries.offsets import BDay

from jpmacro_bt.errors import SourceError
from jpmacro_bt.sources.base import Bars, to_bars
from jpmacro_bt.sources.fetch import retry

__all__ = [
    "FX_CLOSE",
    "FX_STAMP_CHANGE",
    "RANGE_SLACK",
    "Downloader",
    "YahooRateLimitError",
    "YahooSource",
    "exchange_zone",
    "fx_shift_scores",
    "is_fx_ticker",
    "to_fx_bars",
    "to_yahoo_frame",
    "yfinance_download",
]

Downloader = Callable[..., pd.DataFrame]

FX_CLOSE = "00:00 Europe/London"
FX_STAMP_CHANGE = pd.Timestamp("2010-07-01")
# A download "covers" a range when its first/last bars lie this close to the
# range's ends; more than a long holiday (Golden Week, New Year) apart is a cut.
RANGE_SLACK = pd.Timedelta(days=10)

_HINT = "try --data-dir DIR with SYMBOL.csv files, or --offline to use the cache"


class YahooRateLimitError(Exception):
    """Yahoo answered "Too Many Requests" (raised by the default downloader)."""


def is_fx_ticker(ticker: str) -> bool:
    """True for Yahoo FX tickers such as ``JPY=X`` and ``EURJPY=X``."""
    return ticker.upper().endswith("=X")


def exchange_zone(ticker: str, close: str) -> str:
    """IANA zone of the ticker's Yahoo exchange: London for FX, else the zone of ``close``."""
    return "Europe/London" if is_fx_ticker(ticker) else close.split()[-1]


def _is_rate_limit(exc: BaseException) -> bool:
    text = f"{type(exc).__name__} {exc}".lower()
    return isinstance(exc, YahooRateLimitError) or any(m in text for m in ("ratelimit", "rate limit", "too many requests"))


def _is_transient(exc: BaseException) -> bool:
    name = type(exc).__name__.lower()
    return _is_rate_limit(exc) or isinstance(exc, (ConnectionError, TimeoutError)) or "timeout" in name


def yfinance_download(ticker: str, **kwargs: Any) -> pd.DataFrame:
    """``yfinance.download`` for one ticker, with its swallowed errors raised.

    ``yfinance`` catches download errors and logs them; here they are caught
    from its logger (and kept off the console) and raised:
    :class:`YahooRateLimitError` for "Too Many Requests", ``RuntimeError``
    otherwise, but only when the frame came back empty.
    """
    import yfinance  # imported here: slow to import, and only needed online

    messages: list[str] = []

    class _Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            messages.append(record.getMessage())

    logger = logging.getLogger("yfinance")
    handler, propagate = _Collect(level=logging.ERROR), logger.propagate
    logger.addHandler(handler)
    logger.propagate = False
    try:
        # yfinance 1.7 calls pandas methods pandas 3.1 deprecates; the user can do nothing about those warnings.
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", category=DeprecationWarning, module="yfinance")
            warnings.filterwarnings("ignore", category=FutureWarning, module="yfinance")
            frame = yfinance.download(ticker, **kwargs)
    finally:
        logger.removeHandler(handler)
        logger.propagate = propagate
    if frame is None or frame.empty:
        text = " ".join(m.strip() for m in messages)
        if "rate limit" in text.lower() or "too many requests" in text.lower():
            raise YahooRateLimitError(text)
        if text:
            raise RuntimeError(text)
        return pd.DataFrame()
    return frame


def to_yahoo_frame(raw: pd.DataFrame, *, adjusted: bool, zone: str, what: str) -> pd.DataFrame:
    """Normalise a ``yfinance.download`` frame to :func:`~.base.to_bars` form (pure).

    Flattens ``(Price, Ticker)`` columns, takes ``Adj Close`` as the close when
    ``adjusted`` and present (``Close`` otherwise: with ``auto_adjust=True``
    it is already adjusted), and turns an aware index into ``zone``-local dates.
    """
    frame = raw.copy()
    if isinstance(frame.columns, pd.MultiIndex):
        level = next((i for i in range(frame.columns.nlevels) if "Close" in frame.columns.get_level_values(i)), 0)
        frame.columns = frame.columns.get_level_values(level)
    cols = {str(c).strip().lower(): c for c in frame.columns}
    close_col = cols.get("adj close") if adjusted and "adj close" in cols else cols.get("close")
    if close_col is None:
        raise SourceError(f"{what}: Yahoo returned no Close column (columns: {', '.join(map(str, frame.columns))})")
    out = pd.DataFrame({"close": frame[close_col]})
    for name in ("open", "high", "low", "volume"):
        if name in cols:
            out[name] = frame[cols[name]]
    index = pd.DatetimeIndex(frame.index)
    if index.tz is not None:
        index = index.tz_convert(zone).tz_localize(None)
    out.index = index
    # Yahoo may list the live bar twice (once as of now, once as the day's row): the later row is the newer.
    return to_bars(out, what=what, duplicates="last")


def to_fx_bars(frame: pd.DataFrame) -> pd.DataFrame:
    """Date Yahoo FX bars so that each close is the rate at 00:00 London on its date (pure).

    Bars before :data:`FX_STAMP_CHANGE` close at the end of their London day and
    move one business day later; a moved bar that lands on an existing date is
    dropped (the unmoved bar is the rate at that moment). Weekend rows go.
    """
    out = frame[frame.index.day_of_week < 5]
    early = out.index < FX_STAMP_CHANGE
    moved = pd.DatetimeIndex(np.where(early, out.index + BDay(1), out.index), name=out.index.name)
    out = out.set_axis(moved)
    clash = pd.Index(moved).duplicated(keep=False) & early
    return out[~clash].sort_index()


def fx_shift_scores(yahoo_close: pd.Series, reference: pd.Series, shifts: tuple[int, ...] = (-1, 0, 1)) -> pd.DataFrame:
    """How well Yahoo closes match a reference after moving Yahoo dates by k business days (pure).

    Returns one row per shift with ``n`` (shared dates), ``corr`` (correlation
    of daily log changes) and ``median_bp`` (median absolute log gap, basis
    points). The best shift has the highest ``corr`` and lowest ``median_bp``.
    """
    weekdays = yahoo_close[yahoo_close.index.day_of_week < 5]
    rows = {}
    for k in shifts:
        moved = weekdays.set_axis(weekdays.index + BDay(k)) if k else weekdays
        moved = moved[~moved.index.duplicated(keep="last")]
        both = pd.concat([np.log(moved).rename("y"), np.log(reference).rename("r")], axis=1, join="inner").dropna()
        changes = both.diff().dropna()
        rows[k] = {
            "n": len(both),
            "corr": float(changes["y"].corr(changes["r"])),
            "median_bp": float((both["y"] - both["r"]).abs().median() * 1e4),
        }
    return pd.DataFrame.from_dict(rows, orient="index").rename_axis("shift")


def _describe(start: date | None, end: date | None) -> str:
    return f"{start or 'the start'} .. {end or 'today'}"


class YahooSource:
    """Yahoo Finance daily bars.

    Parameters
    ----------
    downloader : called as ``downloader(ticker, start=..., end=..., period=...,
        auto_adjust=..., progress=False, ...)``; default :func:`yfinance_download`.
    adjusted : passed as ``auto_adjust``; True (default) for dividend- and split-adjusted prices.
    attempts : tries per download when rate-limited or the connection fails.
    base_delay : seconds before the first retry; doubles each time.
    sleep : how to wait (tests pass a recorder).
    """

    name: ClassVar[str] = "yahoo"

    def __init__(
        self,
        downloader: Downloader | None = None,
        *,
        adjusted: bool = True,
        attempts: int = 4,
        base_delay: float = 2.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.downloader = downloader or yfinance_download
        self.adjusted = adjusted
        self.attempts = attempts
        self.base_delay = base_delay
        self.sleep = sleep

    def _download(self, ticker: str, start: date | None, end: date | None) -> pd.DataFrame:
        kwargs: dict[str, Any] = {
            "auto_adjust": self.adjusted,
            "progress": False,
            "actions": False,
            "threads": False,
            "multi_level_index": False,
            "interval": "1d",
        }
        if start is None and end is None:
            kwargs["period"] = "max"
        else:
            kwargs["start"] = f"{start:%Y-%m-%d}" if start else None
            kwargs["end"] = f"{end + timedelta(days=1):%Y-%m-%d}" if end else None  # yfinance's end is exclusive
        what = f"yahoo: {ticker} ({_describe(start, end)})"
        try:
            return retry(
                lambda: self.downloader(ticker, **kwargs),
                attempts=self.attempts,
                base_delay=self.base_delay,
                is_transient=_is_transient,
                sleep=self.sleep,
            )
        except Exception as exc:
            if _is_rate_limit(exc):
                raise SourceError(
                    f"{what}: rate-limited by Yahoo after {self.attempts} tries (Yahoo could not be reached); "
                    f"wait and retry, or {_HINT}"
                ) from exc
            raise SourceError(
                f"{what}: download failed ({type(exc).__name__}: {exc}); Yahoo could not be reached; {_HINT}"
            ) from exc

    def load(self, upstream_id: str, *, close: str, start: date | None = None, end: date | None = None) -> Bars:
        """Download ``upstream_id`` (a Yahoo ticker such as ``^N225`` or ``JPY=X``).

        Without ``start``/``end`` the whole history is requested. FX tickers
        are re-dated and stamped :data:`FX_CLOSE` (see the module docstring).

        Raises
        ------
        SourceError
            For an empty download, a download short of ``start``/``end`` by
            more than :data:`RANGE_SLACK`, or a rate limit that outlasts the retries.
        """
        ticker = upstream_id
        what = f"yahoo: {ticker} ({_describe(start, end)})"
        raw = self._download(ticker, start, end)
        if raw is None or raw.empty:
            raise SourceError(
                f"{what}: Yahoo returned no data (Yahoo could not be reached, or it does not list {ticker}); {_HINT}"
            )
        frame = to_yahoo_frame(raw, adjusted=self.adjusted, zone=exchange_zone(ticker, close), what=what)
        first, last = frame.index[0], frame.index[-1]
        short_start = start is not None and first > pd.Timestamp(start) + RANGE_SLACK
        short_end = end is not None and last < pd.Timestamp(end) - RANGE_SLACK
        if short_start or short_end:
            raise SourceError(
                f"{what}: Yahoo returned only {first:%Y-%m-%d} .. {last:%Y-%m-%d} (a partial download, or a "
                f"shorter history); retry later, choose --start/--end inside that range, or {_HINT}"
            )
        if is_fx_ticker(ticker):
            frame, close = to_fx_bars(frame), FX_CLOSE
        frame = frame.loc[pd.Timestamp(start) if start else None : pd.Timestamp(end) if end else None]
        if frame.empty:
            raise SourceError(f"{what}: Yahoo returned no bars inside the range; {_HINT}")
        return Bars(frame, self.name, ticker, close, f"yahoo:{ticker}")
