"""Bundled event calendars, where each is complete, and the one rule that makes an event tradable.

The timing rule (:func:`tradable_positions`): a bar's timestamp is its close.
An event is tradable at the first bar whose close is at or after the event's
announcement time, both compared in UTC. Every strategy goes through it, so no
strategy can act on an event before it was public.

Calendars are CSV files shipped in ``jpmacro_bt/calendars`` and described by
``calendars.json`` (time zone, default announcement time, coverage). An event
without a known announcement time is taken as announced at the calendar's
``default_time``, chosen late on purpose.

Coverage. A calendar is complete in different senses over different periods:
``"meetings"`` (every meeting with its outcome, holds included), ``"changes"``
(every policy change, e.g. every hike and cut, or every intervention day, but
not every hold) or ``"partial"`` (some events only). Each is stricter than the
one after it. A strategy trading hikes needs ``"changes"``; one trading holds,
or every decision, needs ``"meetings"``. :func:`coverage` lists the periods,
:meth:`EventCalendar.complete_since` says from when a calendar is complete in
a given sense, and :func:`required_start` is the rule a strategy calls to get
that date, with a :class:`~jpmacro_bt.errors.CalendarWarning` when a backtest
starts before it. ``EventCalendar.complete_from`` is where ``"changes"``
coverage begins: the default start of an event strategy.
"""

from __future__ import annotations

import json
import math
import warnings
from dataclasses import dataclass, replace
from datetime import date
from functools import cache
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from jpmacro_bt.errors import CalendarError, CalendarWarning, did_you_mean

__all__ = [
    "CALENDARS",
    "COMPLETENESS",
    "CoveragePeriod",
    "Event",
    "EventCalendar",
    "Events",
    "coverage",
    "load_calendar",
    "load_events",
    "need_for",
    "required_start",
    "tradable_positions",
]

CALENDARS = ("boj", "fomc", "mof")
_DECISIONS = {"hike", "cut", "hold", "other", "unknown"}
_DIRECTIONS = {"yen_buying", "yen_selling"}

# Kinds of completeness, strictest first: "meetings" implies "changes" implies "partial".
COMPLETENESS = ("meetings", "changes", "partial")
_WHAT = {"meetings": "every meeting (holds included)", "changes": "every policy change", "partial": "some events"}


def need_for(decision: str | None) -> str:
    """The completeness a strategy selecting ``decision`` needs.

    Hikes and cuts (and MoF intervention directions) are policy changes:
    ``"changes"``. Holds, ``other``/``unknown`` decisions and every event
    (``None``) need every meeting: ``"meetings"``.
    """
    return "changes" if decision in ("hike", "cut") or decision in _DIRECTIONS else "meetings"


def _satisfies(complete: str, need: str) -> bool:
    return COMPLETENESS.index(complete) <= COMPLETENESS.index(need)


def _check_need(need: str) -> None:
    if need not in COMPLETENESS or need == "partial":
        raise CalendarError(f"unknown completeness {need!r}{did_you_mean(need, COMPLETENESS)}; use 'changes' or 'meetings'")


@dataclass(frozen=True)
class CoveragePeriod:
    """``start`` .. ``end`` (inclusive), over which a calendar is complete in the sense ``complete``."""

    start: date
    end: date
    complete: str
    note: str = ""


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
    """A calendar of dated events and the periods over which it is complete.

    ``complete_from`` is where its ``"changes"`` coverage begins (the default
    start of a strategy trading it) and ``complete_through`` where its
    coverage ends. ``coverage`` lists the periods (:class:`CoveragePeriod`);
    a calendar made without them is taken as complete for every meeting from
    ``complete_from`` through ``complete_through``.
    """

    name: str
    events: tuple[Event, ...]
    tz: str
    last_reviewed: date
    complete_from: date
    complete_through: date
    gaps: str = ""
    coverage: tuple[CoveragePeriod, ...] = ()

    @property
    def periods(self) -> tuple[CoveragePeriod, ...]:
        """The coverage periods, oldest first."""
        return self.coverage or (CoveragePeriod(self.complete_from, self.complete_through, "meetings"),)

    def complete_since(self, need: str = "changes") -> date | None:
        """First day from which the calendar is complete in the sense ``need`` through ``complete_through``.

        ``None`` when its latest period is not complete in that sense (for
        instance ``"meetings"`` for the MoF calendar, which has no meetings).
        """
        _check_need(need)
        since = None
        for p in reversed(self.periods):
            if not _satisfies(p.complete, need) or (since is not None and (since - p.end).days > 1):
                break
            since = p.start
        return since

    def select(self, decision: str | None = None) -> tuple[Event, ...]:
        """Events, optionally only those with ``decision`` (``"hike"``, ``"cut"``, ``"yen_buying"``, ...)."""
        if decision is None:
            return self.events
        known = _DECISIONS | {e.decision for e in self.events}
        if decision not in known:
            raise CalendarError(f"unknown decision {decision!r}{did_you_mean(decision, known)}; use one of {', '.join(sorted(known))}")
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

    def warn_if_incomplete(self, start: pd.Timestamp | date, end: pd.Timestamp | date, need: str = "changes") -> None:
        """Warn when a backtest starts before the calendar is complete in the sense ``need``, or runs past its coverage.

        ``need`` is ``"changes"`` for a strategy trading policy changes (the
        default) and ``"meetings"`` for one that also needs holds (see :func:`need_for`).
        """
        _warn_start(self, need, start, end, stacklevel=3)
        if pd.Timestamp(end).date() > self.complete_through:
            warnings.warn(
                f"the {self.name} calendar is complete through {self.complete_through} "
                f"(reviewed {self.last_reviewed}); decisions after that may be missing",
                CalendarWarning,
                stacklevel=2,
            )

    def coverage_frame(self) -> pd.DataFrame:
        """The coverage periods as a table: ``from``, ``through``, ``complete``, ``note``."""
        rows = [{"from": p.start, "through": p.end, "complete": p.complete, "note": p.note} for p in self.periods]
        return pd.DataFrame(rows, columns=["from", "through", "complete", "note"])

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


def _warn_start(cal: EventCalendar, need: str, start: pd.Timestamp | date, end: pd.Timestamp | date | None, *, stacklevel: int) -> date | None:
    """Warn when ``start`` is before ``cal`` is complete for ``need``; returns that date (None: never complete)."""
    since = cal.complete_since(need)
    first = pd.Timestamp(start).date()
    if since is None:
        kinds = ", ".join(sorted({p.complete for p in cal.periods}))
        warnings.warn(
            f"the {cal.name} calendar never holds {_WHAT[need]} (its coverage: {kinds}); a backtest that needs them "
            f"misses events throughout",
            CalendarWarning,
            stacklevel=stacklevel,
        )
    elif first < since:
        whole = end is not None and pd.Timestamp(end).date() < since
        warnings.warn(
            f"the {cal.name} calendar holds {_WHAT[need]} only from {since}; "
            f"{'the whole backtest lies before that' if whole else 'events before that are missing'}, "
            f"so start the backtest there (--start {since})",
            CalendarWarning,
            stacklevel=stacklevel,
        )
    return since


def required_start(
    calendar: EventCalendar | str,
    need: str = "changes",
    start: pd.Timestamp | date | None = None,
    end: pd.Timestamp | date | None = None,
) -> date:
    """The earliest date from which a backtest needing ``need`` of ``calendar`` is complete.

    The rule a strategy (or the run code) calls with the completeness it
    needs: ``"changes"`` for one trading hikes or cuts, ``"meetings"`` for one
    that needs holds (:func:`need_for` maps a ``decision`` to it). When
    ``start`` is given and earlier than that date, a
    :class:`~jpmacro_bt.errors.CalendarWarning` says so.

    Parameters
    ----------
    calendar : a calendar, or the name of a bundled one (``"boj"``, ``"fomc"``, ``"mof"``).
    need : ``"changes"`` or ``"meetings"``.
    start, end : the backtest's range (optional; ``end`` only sharpens the message).

    Raises
    ------
    CalendarError
        For an unknown ``need``, or when the calendar is never complete in that sense.
    """
    cal = load_calendar(calendar) if isinstance(calendar, str) else calendar
    _check_need(need)
    since = cal.complete_since(need)
    if since is None:
        kinds = ", ".join(sorted({p.complete for p in cal.periods}))
        raise CalendarError(f"the {cal.name} calendar never holds {_WHAT[need]} (its coverage: {kinds}); choose another calendar or need")
    if start is not None:
        _warn_start(cal, need, start, end, stacklevel=3)
    return since


def coverage(name: str, directory: Path | None = None) -> pd.DataFrame:
    """The coverage periods of a bundled calendar: ``from``, ``through``, ``complete``, ``note``, oldest first.

    For example ``coverage("boj")``: every policy change from 1998-04-01,
    every meeting from 2016-01-01.
    """
    return load_calendar(name, directory).coverage_frame()


def _calendar_dir() -> Path:
    return Path(str(resources.files("jpmacro_bt") / "calendars"))


def _meta(directory: Path) -> dict:
    try:
        return json.loads((directory / "calendars.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise CalendarError(f"cannot read {directory / 'calendars.json'}: {exc}") from exc


def _coverage(name: str, meta: dict) -> tuple[CoveragePeriod, ...]:
    """Coverage periods from ``calendars.json``: its ``coverage`` list, or the older ``complete_from``/``complete_through`` keys."""
    where = f"calendars.json, calendar {name!r}"
    raw = meta.get("coverage")
    try:
        if raw is None:
            return (CoveragePeriod(date.fromisoformat(meta["complete_from"]), date.fromisoformat(meta["complete_through"]), "meetings"),)
        periods = tuple(
            CoveragePeriod(date.fromisoformat(p["from"]), date.fromisoformat(p["through"]), p["complete"], p.get("note", "")) for p in raw
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise CalendarError(f"{where}: bad coverage ({exc!r}); give a list of {{\"from\": YYYY-MM-DD, \"through\": YYYY-MM-DD, \"complete\": ...}}") from exc
    if not periods:
        raise CalendarError(f"{where}: empty coverage; give at least one period")
    for i, p in enumerate(periods):
        if p.complete not in COMPLETENESS:
            raise CalendarError(f"{where}: complete={p.complete!r}{did_you_mean(p.complete, COMPLETENESS)}; use one of {', '.join(COMPLETENESS)}")
        if p.start > p.end:
            raise CalendarError(f"{where}: period from {p.start} is after its end {p.end}")
        if i and p.start <= periods[i - 1].end:
            raise CalendarError(f"{where}: period from {p.start} overlaps or precedes the one ending {periods[i - 1].end}; list periods oldest first")
    return periods


def _opt_float(value: object) -> float | None:
    f = float(value) if value not in ("", None) else math.nan
    return None if math.isnan(f) else f


def load_calendar(name: str, directory: Path | None = None) -> EventCalendar:
    """Load one bundled calendar (``"boj"``, ``"fomc"``, ``"mof"``).

    Raises
    ------
    CalendarError
        Unknown name, unreadable file, a row with a bad date, time or
        decision, or bad coverage periods in ``calendars.json``.
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
        if name == "mof" and decision not in _DIRECTIONS:
            raise CalendarError(f"{where}: unknown direction {decision!r}; use one of {', '.join(sorted(_DIRECTIONS))}")
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
    periods = _coverage(name, meta)
    cal = EventCalendar(
        name=name,
        events=tuple(events),
        tz=meta["tz"],
        last_reviewed=date.fromisoformat(meta["last_reviewed"]),
        complete_from=periods[0].start,
        complete_through=periods[-1].end,
        gaps=meta.get("gaps", ""),
        coverage=periods,
    )
    # The default start of a strategy: where "changes" coverage begins (a partial prefix does not count).
    since = cal.complete_since("changes")
    return replace(cal, complete_from=since) if since is not None else cal


@cache
def load_events() -> Events:
    """The bundled calendars."""
    return Events(*(load_calendar(n) for n in CALENDARS))
