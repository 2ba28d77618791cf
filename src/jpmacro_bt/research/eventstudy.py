"""Event studies: how an asset moved around many macro events, and whether that beats luck.

The computational core only: pure functions over pandas objects; pages and the
CLI build on :func:`event_study` and its :class:`EventStudy`.

Timing. Day 0 of an event is the first bar whose close is at or after its
announcement, compared in UTC: the package's one timing rule,
:func:`jpmacro_bt.events.tradable_positions`. Day -1 is the bar before it, whose
close was public before the announcement. Window days count bars, not calendar
days.

Anchoring. Every path is 0 at the close of day -1, so day 0's value is the
reaction to the event. The value on window day ``k`` is the move from the close
of day -1 to the close of day ``k`` (for ``k < -1``, from day -1 back to day
``k``, so a path read left to right reaches 0 on day -1):

* ``kind="price"``: the cumulative simple return ``close[k] / close[-1] - 1``, a
  fraction (day returns compounded);
* ``kind="yield"`` (levels in percent): the summed change in basis points,
  ``(yield[k] - yield[-1]) * 100``, never compounded.

Horizon ``h`` is the move from the close of day -1 to the close of day
``h - 1``: horizon 1 is day 0's own move.

Abnormal moves. With ``expected="mean"`` (the default) every move, path, band and
statistic is abnormal: the move minus what the period's mean daily move ``mu``
gives over as many bars (``(1 + mu) ** (k + 1) - 1`` for prices, ``(k + 1) * mu``
bp for yields), ``mu`` taken over the bars outside every event window. With
``expected="zero"`` moves are raw.

Contamination. An event's window holds another event when that event's day 0
(same rule, same bars) falls on one of the window's days ``first..last``.
Events of other calendars and other events of the studied calendar are both
named (``"fomc 2024-07-31"``); ``exclude_contaminated=True`` leaves such events
out of the statistics.

Placebo. The statistic (mean abnormal move at a horizon) is recomputed on
``n_placebo`` random sets of as many non-event days, drawn with replacement,
with a seeded generator, from the bars of the data given (slice ``close`` to
choose the period). A placebo day is drawn as an uncontaminated event would be:
its whole window fits in the data and holds no studied event's day 0 (nor, with
``exclude_contaminated=True``, another calendar's). The two-sided p-value is
``(1 + #{|placebo - c| >= |observed - c|}) / (n_placebo + 1)``, ``c`` the mean
over all placebo days.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from datetime import date, datetime
from typing import Any

import numpy as np
import pandas as pd

from jpmacro_bt.data import bar_close_times
from jpmacro_bt.errors import DataError, JpMacroError, did_you_mean
from jpmacro_bt.events import Event, EventCalendar, tradable_positions
from jpmacro_bt.research.eventstats import (
    bootstrap_bands,
    horizon_tests,
    minimum_detectable_effect,
    placebo_tests,
)

__all__ = ["KINDS", "EventStudy", "StudySettings", "event_study", "minimum_detectable_effect", "parse_window"]

KINDS = {"price": "fraction", "yield": "bp"}  # kind -> unit of its moves
_EXPECTED = ("mean", "zero")

EventTimes = pd.Series | pd.DatetimeIndex | EventCalendar | Iterable[pd.Timestamp | datetime | Event]


@dataclass(frozen=True)
class StudySettings:
    """What an :class:`EventStudy` was computed with, and the data it saw.

    Attributes
    ----------
    name : name of the studied calendar, used in overlap flags.
    kind, unit : ``"price"`` and ``"fraction"``, or ``"yield"`` and ``"bp"``.
    window : (first, last) window day, bars relative to day 0.
    horizons : horizons ``h`` in bars; ``h`` ends at the close of day ``h - 1``.
    expected : ``"mean"`` (abnormal moves) or ``"zero"`` (raw moves).
    expected_daily : ``mu``, the mean daily move subtracted (0.0 for ``"zero"``).
    level, power : confidence level of intervals and bands; power of the MDE,
        whose test size is ``1 - level``.
    n_boot, n_placebo, seed : bootstrap resamples, placebo draws, generator seed.
    exclude_contaminated, max_lag_days : see :func:`event_study`.
    others : names of the other calendars checked for contamination.
    first_bar, last_bar, n_bars : the data's range (ISO dates or times) and length.
    placebo_days : how many bars a placebo draw chooses from.
    """

    name: str
    kind: str
    unit: str
    window: tuple[int, int]
    horizons: tuple[int, ...]
    expected: str
    expected_daily: float
    level: float
    power: float
    n_boot: int
    n_placebo: int
    seed: int
    exclude_contaminated: bool
    max_lag_days: float
    others: tuple[str, ...]
    first_bar: str
    last_bar: str
    n_bars: int
    placebo_days: int


@dataclass(frozen=True, eq=False)
class EventStudy:
    """The result of :func:`event_study`.

    Attributes
    ----------
    events : one row per event, by announcement time: ``label``,
        ``announced_at`` (UTC), ``day0`` (the bar's index label), ``day0_close``
        (UTC), ``used``, ``reason`` (why not used, else ``""``),
        ``contaminated``, ``contaminated_by`` (``"; "``-joined, else ``""``) and
        ``move_<h>`` per horizon (NaN for unused events).
    paths : window day (index ``day``) x used event (columns: labels).
    summary : one row per horizon: ``n``, ``mean``, ``median``, ``std``,
        ``ci_lo``/``ci_hi`` (t interval of the mean), ``t_stat``/``t_pvalue``
        (one-sample t-test), ``n_up``/``n_down``/``sign_pvalue`` (binomial sign
        test, zeros dropped), ``wilcoxon_stat``/``wilcoxon_pvalue`` (signed
        rank), ``placebo_center``/``placebo_lo``/``placebo_hi`` (placebo mean
        and its central ``level`` range), ``placebo_pvalue``, ``mde`` (minimum
        detectable effect) and ``verdict``.
    bands : per window day: ``n``, ``mean``, ``median`` and for each of the
        two their bootstrap bands ``*_lo``/``*_hi`` (pointwise percentile) and
        ``*_sim_lo``/``*_sim_hi`` (simultaneous, sup-t over the window).
    settings : :class:`StudySettings`.
    """

    events: pd.DataFrame
    paths: pd.DataFrame
    summary: pd.DataFrame
    bands: pd.DataFrame
    settings: StudySettings

    def to_dict(self) -> dict[str, Any]:
        """Everything as strict-JSON-safe Python: NaN and NaT become None, times ISO strings."""
        return {
            "settings": _json(asdict(self.settings)),
            "events": _json(self.events.to_dict("records")),
            "paths": {
                "day": _json(list(self.paths.index)),
                "events": {str(c): _json(self.paths[c].tolist()) for c in self.paths.columns},
            },
            "summary": _json(self.summary.to_dict("records")),
            "bands": _json(self.bands.reset_index().to_dict("records")),
        }


def parse_window(window: str | tuple[int, int]) -> tuple[int, int]:
    """``"-10:20"`` or ``(-10, 20)`` -> ``(-10, 20)``: first and last window day, in bars from day 0.

    Raises
    ------
    JpMacroError
        Not two whole numbers, or a window that does not hold day 0.
    """
    try:
        parts = window.split(":") if isinstance(window, str) else list(window)
        first, last = (int(p) if isinstance(p, str) else operator.index(p) for p in parts)
    except (TypeError, ValueError):
        raise JpMacroError(f"window {window!r} is not FIRST:LAST in whole bars, e.g. '-10:20'") from None
    if not first <= 0 <= last:
        raise JpMacroError(f"window {window!r} must hold day 0 (the event's bar): first <= 0 <= last, e.g. '-10:20'")
    return first, last


def event_study(
    close: pd.Series, events: EventTimes, *, kind: str, bar_close: str | pd.Series | pd.DatetimeIndex | None = None,
    window: str | tuple[int, int] = (-10, 20), horizons: Sequence[int] = (1, 5, 20), labels: Sequence[str] | None = None,
    name: str = "event", others: Mapping[str, EventTimes] | None = None, exclude_contaminated: bool = False, expected: str = "mean",
    level: float = 0.95, power: float = 0.8, n_boot: int = 2000, n_placebo: int = 10_000, max_lag_days: float = 10.0, seed: int = 0,
) -> EventStudy:  # fmt: skip
    """Measure an asset's moves around events and test them (see the module docstring for conventions).

    Parameters
    ----------
    close : daily closes (prices, or yields in percent), ascending, no NaN; indexed
        by tz-aware bar close times, or by tz-naive bar dates with ``bar_close``.
    events : announcement times (tz-aware): a Series (values: times, index:
        labels unless a RangeIndex), a DatetimeIndex, an EventCalendar, or an
        iterable of Timestamps or :class:`~jpmacro_bt.events.Event`.
    kind : ``"price"`` or ``"yield"`` (``get_symbol(NAME).kind``).
    bar_close : for a tz-naive index: ``"HH:MM Zone"`` (``get_symbol(NAME).close``),
        or the close times per bar (``MarketData.bar_close(NAME)``).
    window : first and last window day, ``"-10:20"`` or ``(-10, 20)``.
    horizons : bars after day -1 at which moves are tested; each ``<= last + 1``.
    labels : one per event (default: the announcement's local date); unique.
    name : the studied calendar's name in overlap flags (``"boj 2024-07-31"``).
    others : other calendars, name -> times, checked for contamination.
    exclude_contaminated : leave events whose window holds another event out.
    expected : ``"mean"`` (abnormal moves, constant-mean model) or ``"zero"``.
    level : confidence level of intervals and bands; ``1 - level`` is the test size.
    power : power at which the minimum detectable effect is computed.
    n_boot : bootstrap resamples of events for the bands (0: no bands).
    n_placebo : placebo draws (0: no placebo test).
    max_lag_days : an event whose day 0 closes more than this many days after the
        announcement (a hole in the data) is not used.
    seed : seeds the bootstrap and the placebo draws (independent streams).

    Returns
    -------
    EventStudy

    Raises
    ------
    DataError
        Bad closes, close times or event times.
    JpMacroError
        Bad settings (window, horizons, kind, level, counts).
    """
    first, last = parse_window(window)
    hs = _check_settings(kind, horizons, last, expected, level, power, n_boot, n_placebo, max_lag_days)
    values, index, times = _bars(close, bar_close, kind)
    ev_times, ev_labels = _events(events, labels)
    n = len(values)
    pos = _positions(ev_times, times)
    reasons = _reasons(pos, ev_times, times.as_unit("ns").asi8, index, first, last, max_lag_days)
    others = dict(others or {})
    other_marks = [(q, f"{cal} {d}") for cal, obj in others.items() for q, d in _mapped(obj, times, f"others[{cal!r}]")]
    hits = _overlaps(pos, n, first, last, [(int(p), f"{name} {lab}") for p, lab in zip(pos, ev_labels)], other_marks)
    if exclude_contaminated:
        reasons = [r or (f"contaminated by {'; '.join(h)}" if h else "") for r, h in zip(reasons, hits)]
    blocked = [p for p in pos if p < n] + ([q for q, _ in other_marks] if exclude_contaminated else [])
    settings = StudySettings(
        name=name, kind=kind, unit=KINDS[kind], window=(first, last), horizons=hs, expected=expected, expected_daily=0.0, level=level,
        power=power, n_boot=n_boot, n_placebo=n_placebo, seed=seed, exclude_contaminated=exclude_contaminated, max_lag_days=max_lag_days,
        others=tuple(others), first_bar=_iso(index[0]), last_bar=_iso(index[-1]), n_bars=n, placebo_days=0,
    )  # fmt: skip
    return _measure(values, index, times, (ev_times, ev_labels, pos), reasons, hits, blocked, settings)


def _measure(values, index, times, events, reasons: list[str], hits: list[list[str]], blocked: list[int], s: StudySettings) -> EventStudy:
    """Moves, tests and bands of the usable events; ``s`` gains the expected daily move and the size of the placebo pool."""
    ev_times, ev_labels, pos = events
    n, (first, last), hs = len(values), s.window, s.horizons
    used = np.array([r == "" for r in reasons], dtype=bool)
    mu = _expected_daily(values, s.kind, blocked, first, last) if s.expected == "mean" else 0.0
    days = np.arange(first, last + 1)
    expected_path = (1 + mu) ** (days + 1) - 1 if s.kind == "price" else (days + 1) * mu
    paths = _moves(values, pos[used], days, s.kind) - expected_path
    at = [h - 1 - first for h in hs]
    moves = paths[:, at]

    placebo_days = _placebo_days(n, blocked, first, last)
    null = _moves(values, placebo_days, np.array(hs) - 1, s.kind) - expected_path[at]
    boot_rng, placebo_rng = (np.random.default_rng(x) for x in np.random.SeedSequence(s.seed).spawn(2))
    placebo = placebo_tests(null, moves.mean(axis=0) if len(moves) else None, len(moves), s.n_placebo, s.level, placebo_rng)

    table = pd.DataFrame(
        {
            "label": ev_labels,
            "announced_at": pd.DatetimeIndex([t.tz_convert("UTC") for t in ev_times], tz="UTC"),
            "day0": [index[p] if p < n else pd.NaT for p in pos],
            "day0_close": pd.DatetimeIndex([times[p] if p < n else pd.NaT for p in pos], tz="UTC"),
            "used": used,
            "reason": reasons,
            "contaminated": [bool(h) for h in hits],
            "contaminated_by": ["; ".join(h) for h in hits],
        }
        | {f"move_{h}": _scatter(moves[:, j], used) for j, h in enumerate(hs)}
    )
    summary = pd.DataFrame([horizon_tests(h, moves[:, j], s.level, s.power, placebo[j] if placebo else None) for j, h in enumerate(hs)])
    labels_used = [lab for lab, u in zip(ev_labels, used) if u]
    return EventStudy(
        events=table,
        paths=pd.DataFrame(paths.T, index=pd.Index(days, name="day"), columns=pd.Index(labels_used, dtype=object)),
        summary=summary,
        bands=bootstrap_bands(paths, days, s.level, s.n_boot, boot_rng),
        settings=replace(s, expected_daily=float(mu), placebo_days=len(placebo_days)),
    )


# --- inputs ------------------------------------------------------------------


def _check_settings(kind, horizons, last, expected, level, power, n_boot, n_placebo, max_lag_days) -> tuple[int, ...]:
    if kind not in KINDS:
        raise JpMacroError(
            f"kind {kind!r} has no event-study move{did_you_mean(str(kind), KINDS)}; use 'price' "
            "(returns) or 'yield' (a level in percent, moves in bp)"
        )
    if expected not in _EXPECTED:
        raise JpMacroError(f"expected={expected!r}; use 'mean' (abnormal moves) or 'zero' (raw moves)")
    if not 0 < level < 1 or not 1 - level < power < 1:
        raise JpMacroError(f"level={level} and power={power} must satisfy 0 < level < 1 and 1 - level < power < 1, e.g. 0.95 and 0.8")
    for what, count in (("n_boot", n_boot), ("n_placebo", n_placebo)):
        if not isinstance(count, (int, np.integer)) or count < 0:
            raise JpMacroError(f"{what}={count!r} must be a whole number >= 0 (0 turns it off)")
    if not max_lag_days > 0:
        raise JpMacroError(f"max_lag_days={max_lag_days!r} must be > 0, e.g. 10")
    hs = tuple(horizons)
    if not hs or len(set(hs)) != len(hs):
        raise JpMacroError(f"horizons {horizons!r} must be distinct whole numbers of bars, e.g. (1, 5, 20)")
    for h in hs:
        if not isinstance(h, (int, np.integer)) or not 1 <= h <= last + 1:
            raise JpMacroError(
                f"horizon {h!r} must be a whole number from 1 to {last + 1}: horizon h ends on day h - 1 and "
                f"the window ends on day {last}; widen the window or drop it"
            )
    return tuple(int(h) for h in hs)


def _bars(close: pd.Series, bar_close, kind: str) -> tuple[np.ndarray, pd.Index, pd.DatetimeIndex]:
    """Closes as floats, the original index, and the UTC close time of each bar."""
    if not isinstance(close, pd.Series) or not isinstance(close.index, pd.DatetimeIndex):
        raise DataError("close must be a pandas Series indexed by bar dates or close times (a DatetimeIndex); set close.index = pd.to_datetime(close.index)")
    if len(close) < 3:
        raise DataError(f"close has {len(close)} bars; an event study needs at least a window's worth")
    if not close.index.is_monotonic_increasing or close.index.has_duplicates:
        raise DataError("close's index must be ascending without duplicates; use close.sort_index() and drop repeated dates")
    values = close.to_numpy(dtype=float)
    bad = ~np.isfinite(values) | ((values <= 0) if kind == "price" else False)
    if bad.any():
        i = int(np.argmax(bad))
        raise DataError(
            f"close is {values[i]} on {_iso(close.index[i])} ({int(bad.sum())} such bars); a {kind} close must be "
            + ("a positive number (a yield or spread is kind='yield')" if kind == "price" else "a number")
            + ": drop missing bars with close.dropna()"
        )
    if close.index.tz is not None:
        if bar_close is not None:
            raise DataError("close is indexed by tz-aware close times, so bar_close is redundant; pass one or the other")
        return values, close.index, close.index.tz_convert("UTC")
    if bar_close is None:
        raise DataError(
            "close has tz-naive bar dates, so when each bar closed is unknown: pass bar_close='HH:MM Zone' "
            "(get_symbol(NAME).close) or bar_close=MarketData.bar_close(NAME)"
        )
    if isinstance(bar_close, str):
        try:
            times = bar_close_times(close.index, bar_close)
        except (ValueError, KeyError) as exc:
            raise DataError(f"bar_close={bar_close!r} is not 'HH:MM Zone', e.g. '15:00 Asia/Tokyo' ({exc})") from None
    else:
        raw = bar_close.reindex(close.index) if isinstance(bar_close, pd.Series) else bar_close
        times = pd.DatetimeIndex(raw)
        if len(times) != len(close) or times.tz is None or times.hasnans:
            raise DataError("bar_close must give a tz-aware close time for every bar of close (MarketData.bar_close(NAME))")
    times = times.tz_convert("UTC")
    if not times.is_monotonic_increasing:
        raise DataError("bar close times must ascend with the bars; check bar_close")
    return values, close.index, times


def _times_of(obj: EventTimes, what: str) -> tuple[list[pd.Timestamp], list[str] | None]:
    """Announcement times (tz-aware Timestamps) and labels carried by the container, if any."""
    given = None
    if isinstance(obj, EventCalendar):
        raw = [e.announced_at for e in obj.events]
    elif isinstance(obj, pd.Series):
        raw = list(obj.array)
        given = None if isinstance(obj.index, pd.RangeIndex) else [str(x) for x in obj.index]
    else:
        raw = [e.announced_at if isinstance(e, Event) else e for e in obj]
    out = []
    for t in raw:
        try:
            ts = pd.Timestamp(t)
        except (TypeError, ValueError):
            raise DataError(f"{what}: {t!r} is not a time; give tz-aware timestamps") from None
        if pd.isna(ts) or ts.tz is None:
            raise DataError(f"{what}: announcement time {t!r} has no time zone; localise it, e.g. ts.tz_localize('Asia/Tokyo')")
        out.append(ts)
    return out, given


def _events(events: EventTimes, labels: Sequence[str] | None) -> tuple[list[pd.Timestamp], list[str]]:
    """Times and labels (default: local dates) of the studied events, sorted by time (stable)."""
    times, given = _times_of(events, "events")
    if labels is not None:
        given = [str(x) for x in labels]
        if len(given) != len(times):
            raise DataError(f"{len(given)} labels for {len(times)} events; give one label per event")
    dates = [t.date().isoformat() for t in times]
    if given is None:
        given = dates if len(set(dates)) == len(dates) else [t.strftime("%Y-%m-%d %H:%M %Z") for t in times]
    dupes = sorted({x for x in given if given.count(x) > 1})
    if dupes:
        raise DataError(f"event labels must be unique; {dupes[0]!r} appears more than once: pass labels=[...]")
    order = sorted(range(len(times)), key=lambda i: times[i].value)
    return [times[i] for i in order], [given[i] for i in order]


def _positions(ev_times: list[pd.Timestamp], times: pd.DatetimeIndex) -> np.ndarray:
    if not ev_times:
        return np.zeros(0, dtype=np.int64)
    return tradable_positions(pd.DatetimeIndex([t.tz_convert("UTC") for t in ev_times]), times).astype(np.int64)


def _mapped(obj: EventTimes, times: pd.DatetimeIndex, what: str) -> list[tuple[int, str]]:
    """(day-0 position, local date) of another calendar's events that fall inside the data."""
    ts, _ = _times_of(obj, what)
    pos = _positions(ts, times)
    return [(int(p), t.date().isoformat()) for p, t in zip(pos, ts) if p < len(times)]


def _reasons(pos, ev_times, bar_ns, index, first: int, last: int, max_lag_days: float) -> list[str]:
    """Why each event cannot be used ("" when it can)."""
    n, before = len(bar_ns), max(1, -first)
    out = []
    for p, t in zip(pos, ev_times):
        if p >= n:
            out.append(
                f"before the data start: announced before the first bar ({_iso(index[0])})"
                if t.value < bar_ns[0]
                else f"after the data end: no bar closes at or after the announcement (last bar {_iso(index[-1])})"
            )
        elif p < before:
            out.append(f"too little data before: day 0 ({_iso(index[p])}) has {p} bars before it, the window needs {before}")
        elif p + last >= n:
            out.append(f"window runs past the data end: day 0 ({_iso(index[p])}) needs {last} bars after it, the data have {n - 1 - p}")
        elif (lag := (bar_ns[p] - t.value) / 86_400e9) > max_lag_days:
            out.append(f"gap in the data: day 0 ({_iso(index[p])}) closes {lag:.1f} days after the announcement (max_lag_days={max_lag_days})")
        else:
            out.append("")
    return out


def _overlaps(pos, n: int, first: int, last: int, own: list[tuple[int, str]], other: list[tuple[int, str]]) -> list[list[str]]:
    """Per event, the other events whose day 0 falls on a day of its window, in time order."""
    marks = [(q, text, i) for i, (q, text) in enumerate(own) if q < n] + [(q, text, -1) for q, text in other]
    marks.sort(key=lambda m: (m[0], m[2] < 0, m[1]))
    out = []
    for i, p in enumerate(pos):
        hits = [text for q, text, owner in marks if owner != i and p + first <= q <= p + last] if p < n else []
        out.append(list(dict.fromkeys(hits)))
    return out


# --- moves -------------------------------------------------------------------


def _moves(values: np.ndarray, day0: np.ndarray, days: np.ndarray, kind: str) -> np.ndarray:
    """Move from the close of day -1 to the close of each of ``days``: shape (len(day0), len(days))."""
    day0 = np.asarray(day0, dtype=np.int64)
    base = values[day0 - 1][:, None]
    level = values[day0[:, None] + np.asarray(days)[None, :]]
    return level / base - 1.0 if kind == "price" else (level - base) * 100.0


def _scatter(values: np.ndarray, used: np.ndarray) -> np.ndarray:
    """``values`` at the used events, NaN elsewhere."""
    out = np.full(len(used), np.nan)
    out[used] = values
    return out


def _coverage(n: int, marks: Sequence[int], first: int, last: int) -> np.ndarray:
    """How many of the windows [m + first, m + last] cover each bar."""
    m = np.asarray(marks, dtype=np.int64)
    diff = np.zeros(n + 1, dtype=np.int64)
    np.add.at(diff, np.clip(m + first, 0, n), 1)
    np.add.at(diff, np.clip(m + last + 1, 0, n), -1)
    return np.cumsum(diff)[:n]


def _expected_daily(values: np.ndarray, kind: str, blocked: Sequence[int], first: int, last: int) -> float:
    """Mean daily move (return, or bp change) over bars outside every event window."""
    daily = values[1:] / values[:-1] - 1.0 if kind == "price" else np.diff(values) * 100.0
    quiet = _coverage(len(values), blocked, first, last)[1:] == 0
    if not quiet.any():
        raise DataError("every bar lies in some event's window, so there is no quiet period to estimate the expected move from; use expected='zero' or a shorter window")
    return float(daily[quiet].mean())


def _placebo_days(n: int, blocked: Sequence[int], first: int, last: int) -> np.ndarray:
    """Bars whose whole window fits in the data and holds no blocked event's day 0."""
    d = np.arange(max(1, -first), n - last)
    if not len(d):
        return d
    # Day d's window [d + first, d + last] holds mark m exactly when m's reversed window [m - last, m - first] covers d.
    covered = _coverage(n, blocked, -last, -first)
    return d[covered[d] == 0]


# --- output ------------------------------------------------------------------


def _iso(value: Any) -> str:
    """A bar label or time as ISO text: a date for a midnight tz-naive stamp."""
    ts = pd.Timestamp(value)
    return ts.date().isoformat() if ts.tz is None and ts == ts.normalize() else ts.isoformat()


def _json(value: Any) -> Any:
    """Strict-JSON-safe copy: None for NaN/NaT, ISO strings for times, plain ints, floats and lists."""
    if value is None or value is pd.NaT or (isinstance(value, np.datetime64) and np.isnat(value)):
        return None
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, str):
        return value
    if isinstance(value, (pd.Timestamp, datetime, date, np.datetime64)):
        return _iso(value)
    if isinstance(value, Mapping):
        return {str(k): _json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, np.ndarray)):
        return [_json(v) for v in value]
    raise TypeError(f"cannot make {type(value).__name__} JSON-safe: {value!r}")
