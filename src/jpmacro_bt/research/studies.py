"""Event studies of named events on loaded market data: what ``jpmacro-bt study`` and :func:`jpmacro_bt.study` run.

Events are chosen by a short text (:func:`select_events`):

* ``CALENDAR`` or ``CALENDAR:DECISION`` from the bundled calendars read through
  :mod:`jpmacro_bt.events`: ``boj:hike``, ``boj:cut``, ``fomc:hike``,
  ``mof:yen_buying``, ``mof:yen_selling``, ``elections``;
* or the path of a CSV file of announcement times: a ``time`` column (ISO with
  its UTC offset, ``2024-07-31T12:00+09:00``), or ``date`` (``YYYY-MM-DD`` or
  ``YYYY-MM-DD HH:MM``) with ``tz`` (an IANA zone); an optional ``label``
  column. A date without a clock time stands for 23:59 local, so no bar closing
  that day counts as after the announcement.

Every other bundled event (the other calendars and, for ``boj:hike``, the
BoJ's other decisions) is checked for contamination of each event's window.
The moves and tests are those of :func:`~jpmacro_bt.research.eventstudy.event_study`.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import cache
from pathlib import Path
from typing import Any

import pandas as pd

from jpmacro_bt.data import MarketData, load_market_data
from jpmacro_bt.errors import CalendarError, DataError, did_you_mean
from jpmacro_bt.events import EventCalendar, load_calendar, load_events, need_for
from jpmacro_bt.research.eventstudy import KINDS, EventStudy, event_study, parse_window
from jpmacro_bt.symbols import get_symbol

__all__ = ["CALENDAR_NAMES", "EventSelection", "Study", "select_events", "study"]

CALENDAR_NAMES = ("boj", "fomc", "mof", "elections")
_WHAT = {"meetings": "every meeting", "changes": "every policy change", "partial": "some events"}


@dataclass(frozen=True)
class EventSelection:
    """Events to study, and the other events that may contaminate their windows.

    Attributes
    ----------
    spec : the text that chose them (``"boj:hike"``, a CSV path, a signal's description).
    name : the studied events' name in overlap flags.
    times : announcement times (tz-aware), indexed by unique labels.
    others : other event sets, name -> announcement times, checked for contamination.
    description : one line on what was chosen.
    coverage : where the source is complete, and what it lacks ("" when not known).
    """

    spec: str
    name: str
    times: pd.Series
    others: dict[str, list[pd.Timestamp]] = field(default_factory=dict)
    description: str = ""
    coverage: str = ""


@cache
def _calendar(name: str) -> EventCalendar:
    if name in ("boj", "fomc", "mof"):
        return getattr(load_events(), name)
    return load_calendar(name)


def _labelled(times: list[pd.Timestamp], labels: list[str] | None = None) -> pd.Series:
    """Times indexed by labels: given ones, else local dates (with the time where a date repeats)."""
    if labels is None:
        labels = [t.date().isoformat() for t in times]
        if len(set(labels)) != len(labels):
            labels = [t.strftime("%Y-%m-%d %H:%M") for t in times]
    return pd.Series(list(times), index=pd.Index(labels, dtype=object), dtype=object)


def _others(exclude: str | None, skip: set[pd.Timestamp]) -> dict[str, list[pd.Timestamp]]:
    """Every bundled event but the studied ones, by calendar."""
    out = {}
    for name in CALENDAR_NAMES:
        if name == exclude and not skip:
            continue
        times = [e.announced_at for e in _calendar(name).events if name != exclude or e.announced_at not in skip]
        if times:
            out[name] = times
    return out


def _from_calendar(spec: str, cal_name: str, decision: str) -> EventSelection:
    cal = _calendar(cal_name)
    chosen = cal.select(decision or None)
    if not chosen:
        raise CalendarError(f"the {cal_name} calendar has no {decision or ''} events; see `jpmacro-bt events {cal_name}`")
    need = need_for(decision or None)
    since = cal.complete_since(need)
    if since is None:
        coverage = f"The {cal_name} calendar never holds {_WHAT[need]}: events are missing throughout."
    else:
        coverage = (
            f"The {cal_name} calendar holds {_WHAT[need]} from {since} through {cal.complete_through} "
            f"(reviewed {cal.last_reviewed}); events before {since} are a partial list."
        )
    times = [e.announced_at for e in chosen]
    skip = set(times) if decision else set()
    unknown = [e for e in chosen if not e.time_known]
    description = f"{cal_name} calendar, {decision or 'every event'}: {len(chosen)} events" + (
        f" ({len(unknown)} of them at the calendar's default time, {unknown[0].announced_at:%H:%M %Z}, as their time is not known)" if unknown else ""
    )
    return EventSelection(spec, spec, _labelled(times), _others(cal_name, skip), description, coverage)


def _read_csv(path: Path) -> EventSelection:
    try:
        table = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (OSError, ValueError) as exc:
        detail = " ".join(str(exc).split())  # one line, whatever the parser said
        raise CalendarError(f"cannot read events file {path}: {detail}; give a CSV with a time column (ISO with offset) or date and tz columns, and a label column") from None
    table.columns = [str(c).strip().lower() for c in table.columns]
    has_time, has_date = "time" in table.columns, {"date", "tz"} <= set(table.columns)
    if not (has_time or has_date):
        raise CalendarError(
            f"{path}: columns {list(table.columns)} have neither 'time' (ISO with offset, e.g. 2024-07-31T12:00+09:00) "
            "nor 'date' and 'tz' (e.g. 2024-07-31 12:00, Asia/Tokyo); add one of them"
        )
    times = []
    for line, row in enumerate(table.to_dict("records"), start=2):
        try:
            if has_time and row["time"].strip():
                ts = pd.Timestamp(row["time"].strip())
                if ts.tz is None:
                    raise ValueError("no UTC offset")
            else:
                text = row["date"].strip()
                ts = pd.Timestamp(text if ":" in text else f"{text} 23:59").tz_localize(row["tz"].strip())
        except (ValueError, TypeError, KeyError) as exc:
            raise CalendarError(f"{path.name} line {line}: bad announcement time ({exc}); write time=2024-07-31T12:00+09:00 or date=2024-07-31 12:00 with tz=Asia/Tokyo") from None
        times.append(ts)
    if not times:
        raise CalendarError(f"{path} has no events; add one row per announcement")
    labels = [str(x).strip() for x in table["label"]] if "label" in table.columns else None
    if labels is not None and (any(not x for x in labels) or len(set(labels)) != len(labels)):
        raise CalendarError(f"{path}: labels must be non-empty and unique; fix the 'label' column or drop it")
    series = _labelled(times, labels)
    return EventSelection(str(path), path.stem, series, _others(None, set()), f"{path.name}: {len(times)} events", "")


def select_events(spec: str | Path) -> EventSelection:
    """Events chosen by ``spec``: ``CALENDAR[:DECISION]`` or an events CSV (see the module docstring).

    Raises
    ------
    CalendarError
        Unknown calendar or decision, no such file, a malformed CSV, or no events.
    """
    text = str(spec).strip()
    cal_name, _, decision = text.partition(":")
    if cal_name in CALENDAR_NAMES:
        return _from_calendar(text, cal_name, decision.strip())
    path = Path(text).expanduser()
    if path.is_file():
        return _read_csv(path)
    if path.suffix.lower() == ".csv":
        raise CalendarError(f"events file {text!r} does not exist; check the path")
    raise CalendarError(
        f"unknown events {text!r}{did_you_mean(cal_name, CALENDAR_NAMES)}; use CALENDAR[:DECISION] with CALENDAR one of "
        f"{', '.join(CALENDAR_NAMES)} (e.g. boj:hike, fomc:cut, mof:yen_buying) or the path of a CSV of announcement times"
    )


@dataclass(frozen=True, eq=False)
class Study:
    """An event study of ``selection`` on ``asset``, with what it ran on.

    ``events``, ``paths``, ``summary`` and ``bands`` are the DataFrames of
    :class:`~jpmacro_bt.research.eventstudy.EventStudy`; :meth:`plot` draws
    the paths and the tests.
    """

    id: str
    selection: EventSelection
    asset: str
    result: EventStudy
    fingerprint: dict[str, Any]
    created_at: datetime
    options: dict[str, Any]

    @property
    def events(self) -> pd.DataFrame:
        return self.result.events

    @property
    def paths(self) -> pd.DataFrame:
        return self.result.paths

    @property
    def summary(self) -> pd.DataFrame:
        return self.result.summary

    @property
    def bands(self) -> pd.DataFrame:
        return self.result.bands

    @property
    def title(self) -> str:
        return f"{self.selection.name} on {self.asset}"

    def plot(self):
        """A matplotlib Figure: the paths with their bands, and each horizon's moves against the placebo."""
        from jpmacro_bt.research.eventplots import study_figure

        return study_figure(self)

    def to_dict(self) -> dict[str, Any]:
        """Strict-JSON-safe: the study (:meth:`EventStudy.to_dict`) plus what chose the events and the data."""
        return {
            "study_id": self.id,
            "events_spec": self.selection.spec,
            "events_name": self.selection.name,
            "events_description": self.selection.description,
            "coverage": self.selection.coverage,
            "asset": self.asset,
            "created_at": self.created_at.isoformat(timespec="seconds"),
            "options": {k: (str(v) if isinstance(v, (Path, date)) else v) for k, v in self.options.items()},
            "data": self.fingerprint,
            **self.result.to_dict(),
        }


def _slug(text: str) -> str:
    stem = Path(text).stem if text.lower().endswith(".csv") else text
    return re.sub(r"[^A-Za-z0-9]+", "-", stem).strip("-").lower()[:40] or "events"


def study(
    events: str | Path | EventSelection,
    asset: str,
    *,
    window: str | tuple[int, int] = (-10, 20),
    horizons: tuple[int, ...] | list[int] = (1, 5, 20),
    placebo: int = 10_000,
    bootstrap: int = 2000,
    exclude_contaminated: bool = False,
    expected: str = "mean",
    level: float = 0.95,
    seed: int = 0,
    start: date | str | None = None,
    end: date | str | None = None,
    source: str | None = None,
    data_dir: Path | None = None,
    offline: bool = False,
    data: MarketData | None = None,
    now: datetime | None = None,
) -> Study:
    """Event study of ``events`` (``"boj:hike"``, a CSV path, an :class:`EventSelection`) on ``asset``.

    Loads ``asset`` like a run does (``end``, ``source``, ``data_dir``,
    ``offline``), unless ``data`` already holds it; ``start``/``end`` cut the
    bars studied, which is also the period placebo days are drawn from.
    ``placebo`` and ``bootstrap`` are the numbers of draws (0: off); the
    other settings are :func:`~jpmacro_bt.research.eventstudy.event_study`'s.

    Raises
    ------
    JpMacroError
        Unknown events or symbol, a symbol that is neither a price nor a
        yield, data that cannot be loaded, or bad settings.
    """
    selection = events if isinstance(events, EventSelection) else select_events(events)
    sym = get_symbol(asset)
    if sym.kind not in KINDS:
        raise DataError(f"{sym.name} is a {sym.kind} ({sym.description}), not a price or a yield: it has no event-study move; study a price or a yield")
    first, last = parse_window(window)
    start_ts = pd.Timestamp(start) if start is not None else None
    end_ts = pd.Timestamp(end) if end is not None else None
    if data is None or sym.name not in data.symbols:
        data = load_market_data([sym.name], end=end_ts.date() if end_ts is not None else None, source=source, data_dir=data_dir, offline=offline)
    close = data.close(sym.name).loc[start_ts:end_ts]
    if len(close) < 3:
        raise DataError(f"{sym.name} has {len(close)} bars between {start or 'the start'} and {end or 'the end'}; widen --start/--end")
    result = event_study(
        close, selection.times, kind=sym.kind, bar_close=data.bar_close(sym.name), window=(first, last), horizons=tuple(horizons),
        name=selection.name, others=selection.others, exclude_contaminated=exclude_contaminated, expected=expected, level=level,
        n_boot=bootstrap, n_placebo=placebo, seed=seed,
    )  # fmt: skip
    options = {
        "window": [first, last], "horizons": list(result.settings.horizons), "placebo": placebo, "bootstrap": bootstrap,
        "exclude_contaminated": exclude_contaminated, "expected": expected, "level": level, "seed": seed,
        "start": start_ts.date().isoformat() if start_ts is not None else None, "end": end_ts.date().isoformat() if end_ts is not None else None,
        "source": source, "data_dir": str(data_dir) if data_dir else None, "offline": offline,
    }  # fmt: skip
    now = now or datetime.now(UTC)
    key = json.dumps({"events": selection.spec, "asset": sym.name, **options}, sort_keys=True, default=str)
    study_id = f"{_slug(selection.spec)}-{sym.name}-{now:%Y%m%d-%H%M%S}-{hashlib.sha256(key.encode()).hexdigest()[:6]}"
    fingerprint = {k: v for k, v in data.fingerprint().items() if k == sym.name}
    return Study(study_id, selection, sym.name, result, fingerprint, now, options)

