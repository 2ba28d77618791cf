"""Hand-made markets and calendars for the strategy tests.

``market`` builds MarketData from plain lists, each symbol on its own clock, so
a test can state exactly which close was public before which.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import pandas as pd

from jpmacro_bt.data import MarketData
from jpmacro_bt.events import Event, EventCalendar, Events, load_events
from jpmacro_bt.sources.base import Bars
from jpmacro_bt.catalog import StrategySpec, discover

TOKYO = "15:00 Asia/Tokyo"
NEW_YORK = "16:00 America/New_York"
ECB = "14:15 Europe/Berlin"
UTC_DAY = "24:00 UTC"

SPECS: dict[str, StrategySpec] = discover()


def days(start: str, n: int, freq: str = "B") -> pd.DatetimeIndex:
    return pd.date_range(start, periods=n, freq=freq, name="date")


def series(values: Sequence[float], start: str = "2024-01-01", freq: str = "B", index: pd.DatetimeIndex | None = None) -> pd.Series:
    index = index if index is not None else days(start, len(values), freq)
    return pd.Series([float(v) for v in values], index=index, name="close")


def market(**symbols: tuple[pd.Series, str]) -> MarketData:
    """``market(NIKKEI225=(series, TOKYO), USDJPY=(series, ECB))``."""
    return MarketData({s: Bars(v.to_frame("close").rename_axis("date"), "test", s, close) for s, (v, close) in symbols.items()})


def calendar(name: str, rows: Sequence[tuple[str, str, float | None]], tz: str) -> EventCalendar:
    """``rows`` of ("YYYY-MM-DD HH:MM" local, decision, rate_after)."""
    events = tuple(
        Event(pd.Timestamp(when).date(), pd.Timestamp(when).tz_localize(tz), True, decision, rate, "", "test", "test")
        for when, decision, rate in rows
    )
    return EventCalendar(name, events, tz, date(2026, 1, 1), date(2000, 1, 1), date(2030, 1, 1))


def events(boj: Sequence[tuple[str, str, float | None]] = (), fomc: Sequence[tuple[str, str, float | None]] = ()) -> Events:
    """Events with hand-made BoJ and FOMC calendars (and the bundled MoF one)."""
    return Events(calendar("boj", boj, "Asia/Tokyo"), calendar("fomc", fomc, "America/New_York"), load_events().mof)


def build(sid: str, **params):
    return SPECS[sid].build(params)


def flags(s: pd.Series) -> list[str]:
    """Dates where a boolean series is True, as YYYY-MM-DD."""
    return [f"{d:%Y-%m-%d}" for d in s.index[s.to_numpy(dtype=bool)]]
