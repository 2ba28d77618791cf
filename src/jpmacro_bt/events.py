"""Bundled event calendars and the one rule that makes an event tradable.

The timing rule (:func:`tradable_positions`): a bar's timestamp is its close.
An event is tradable at the first bar whose close is at or after the event's
announcement time, both compared in UTC. Every strategy goes through it, so no
strategy can act on an event before it was public.

Calendars are CSV files shipped in ``jpmacro_bt/calendars`` and described by
``calendars.json`` (time zone, default announcement time, the date through
which each is known complete). An event without a known announcement time is
taken as announced at the calendar's ``default_time``, chosen late on purpose.
"""

from __future__ import annotations

import json
import math
import warnings
from dataclasses import dataclass
from datetime import date
from functools import cache
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from .errors import CalendarError, CalendarWarning, did_you_mean

__all__ = [
    "CALENDARS",
    "Event",
    "EventCalendar",
    "Events",
    "load_calendar",
    "load_events",
    "tradable_positions",
]

CALENDARS = ("boj", "fomc", "mof")
_DECISIONS = {"hike", "cut", "hold", "other", "unknown"}


@dataclass(frozen=True)
class Event:
    """One dated event.

    ``announced_at`` is tz-aware; ``time_known`` is False when the calendar's
    default time stands in for an unknown announcement time.
    """

    date: date
    announced_at: pd.Timestamp
    time_known: bool
    decision: str
    rate_after: float | None
    note: str
    verification: str
    source: str


def tradable_positions(event_times: pd.DatetimeIndex, bar_close: pd.DatetimeIndex) -> np.ndarray:
    """Position of the first bar whose close is at or after each event time.

    Parameters
    ----------
    event_times, bar_close : tz-aware timestamps (any zones; compared in UTC).
        ``bar_close`` must be ascending.

    Returns
    -------
    ndarray of int
        One position per event; ``len(bar_close)`` where no bar closes after
        it, and also for an event more than a day before the first bar, whose
        first tradable bar lies before the data begin.
    """
    if event_times.tz is None or bar_close.tz is None:
        raise CalendarError("event and bar times must carry a time zone; localise them first")
    # Compare integers of one unit: pandas keeps each index's own resolution (s, us, ns).
    ev = event_times.tz_convert("UTC").as_unit("ns").asi8
    bars = bar_close.tz_convert("UTC").as_unit("ns").asi8
    pos = np.searchsorted(bars, ev, side="left")
    if len(bars):
        pos[ev < bars[0] - pd.Timedelta(days=1).value] = len(bars)
    return pos


@dataclass(frozen=True)
class EventCalendar:
    """A calendar of dated events with the range over which it is complete."""

    name: str
    events: tuple[Event, ...]
    tz: str
    last_reviewed: date
    complete_from: date
    complete_through: date
    gaps: str = ""

    def select(self, decision: str | None = None) -> tuple[Event, ...]:
        """Events, optionally only those with ``decision`` (``"hike"``, ``"cut"``, ...)."""
        if decision is None:
            return self.events
        if decision not in _DECISIONS:
            raise CalendarError(f"unknown decision {decision!r}{did_you_mean(decision, _DECISIONS)}; use one of {', '.join(sorted(_DECISIONS))}")
        return tuple(e for e in self.events if e.decision == decision)

    def times(self, decision: str | None = None) -> pd.DatetimeIndex:
        """Announcement times (UTC) of the selected events."""
        stamps = [e.announced_at for e in self.select(decision)]
        return pd.DatetimeIndex(stamps, tz="UTC") if stamps else pd.DatetimeIndex([], tz="UTC")

    def tradable(self, bar_close: pd.Series, decision: str | None = None) -> pd.Series:
        """Boolean series, True at the first tradable bar of each selected event.

        Parameters
        ----------
        bar_close : Series indexed by bar date whose values are the tz-aware
            close timestamps of those bars (``MarketData.bar_close(symbol)``).
        """
        pos = tradable_positions(self.times(decision), pd.DatetimeIndex(bar_close.array))
        mask = np.zeros(len(bar_close), dtype=bool)
        mask[pos[pos < len(bar_close)]] = True
        return pd.Series(mask, index=bar_close.index, name=f"{self.name}_{decision or 'any'}")

    def warn_if_incomplete(self, start: pd.Timestamp | date, end: pd.Timestamp | date) -> None:
        """Warn when a backtest starts before or runs past the range this calendar is known complete."""
        if pd.Timestamp(start).date() < self.complete_from:
            warnings.warn(
                f"the {self.name} calendar starts on {self.complete_from}; events before that are missing, "
                f"so start the backtest there (--start {self.complete_from})",
                CalendarWarning,
                stacklevel=2,
            )
        if pd.Timestamp(end).date() > self.complete_through:
            warnings.warn(
                f"the {self.name} calendar is complete through {self.complete_through} "
                f"(reviewed {self.last_reviewed}); decisions after that may be missing",
                CalendarWarning,
                stacklevel=2,
            )

    def to_frame(self) -> pd.DataFrame:
        """The calendar as a table, one row per event."""
        rows = [
            {
                "date": e.date,
                "announced": e.announced_at.strftime("%H:%M %Z") + ("" if e.time_known else " (assumed)"),
                "decision": e.decision,
                "rate_after": e.rate_after,
                "note": e.note,
                "verification": e.verification,
                "source": e.source,
            }
            for e in self.events
        ]
        return pd.DataFrame(rows)


@dataclass(frozen=True)
class Events:
    """All bundled calendars, handed to every strategy's ``signals()``."""

    boj: EventCalendar
    fomc: EventCalendar
    mof: EventCalendar

    def used(self, names: tuple[str, ...]) -> tuple[EventCalendar, ...]:
        return tuple(getattr(self, n) for n in names)


def _calendar_dir() -> Path:
    return Path(str(resources.files("jpmacro_bt") / "calendars"))


def _meta(directory: Path) -> dict:
    try:
        return json.loads((directory / "calendars.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise CalendarError(f"cannot read {directory / 'calendars.json'}: {exc}") from exc


def _opt_float(value: object) -> float | None:
    f = float(value) if value not in ("", None) else math.nan
    return None if math.isnan(f) else f


def load_calendar(name: str, directory: Path | None = None) -> EventCalendar:
    """Load one bundled calendar (``"boj"``, ``"fomc"``, ``"mof"``).

    Raises
    ------
    CalendarError
        Unknown name, unreadable file, or a row with a bad date, time or decision.
    """
    directory = directory or _calendar_dir()
    meta_all = _meta(directory)
    if name not in meta_all:
        raise CalendarError(f"unknown calendar {name!r}{did_you_mean(name, meta_all)}; choose one of {', '.join(meta_all)}")
    meta = meta_all[name]
    path = directory / meta["file"]
    try:
        table = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (OSError, ValueError) as exc:
        raise CalendarError(f"cannot read calendar {path}: {exc}") from exc
    events = []
    for i, row in enumerate(table.to_dict("records"), start=2):
        where = f"{path.name} line {i}"
        time_known = bool(row.get("announced_at"))
        hhmm = row["announced_at"] if time_known else meta["default_time"]
        try:
            stamp = pd.Timestamp(f"{row['date']} {hhmm}").tz_localize(meta["tz"])
        except (ValueError, TypeError) as exc:
            raise CalendarError(f"{where}: bad date/time {row['date']!r} {hhmm!r}: {exc}") from exc
        decision = row.get("decision") or row.get("direction") or "other"
        if name in ("boj", "fomc") and decision not in _DECISIONS:
            raise CalendarError(f"{where}: unknown decision {decision!r}; use one of {', '.join(sorted(_DECISIONS))}")
        if name == "mof":
            # A stealth intervention is public only when the MoF discloses it.
            disclosed = row.get("disclosed_on") or row["date"]
            if disclosed != row["date"]:
                stamp = pd.Timestamp(f"{disclosed} {meta['default_time']}").tz_localize(meta["tz"])
                time_known = False
        events.append(
            Event(
                date=date.fromisoformat(row["date"]),
                announced_at=stamp,
                time_known=time_known,
                decision=decision,
                rate_after=_opt_float(row.get("rate_after")),
                note=row.get("note", ""),
                verification=row.get("verification", ""),
                source=row.get("source", ""),
            )
        )
    events.sort(key=lambda e: e.announced_at)
    return EventCalendar(
        name=name,
        events=tuple(events),
        tz=meta["tz"],
        last_reviewed=date.fromisoformat(meta["last_reviewed"]),
        complete_from=date.fromisoformat(meta["complete_from"]),
        complete_through=date.fromisoformat(meta["complete_through"]),
        gaps=meta.get("gaps", ""),
    )


@cache
def load_events() -> Events:
    """The bundled calendars."""
    return Events(*(load_calendar(n) for n in CALENDARS))
