"""The event-timing rule and the bundled calendars."""

from __future__ import annotations

import warnings
from datetime import date

import pandas as pd
import pytest

from jpmacro_bt.data import bar_close_times
from jpmacro_bt.errors import CalendarError, CalendarWarning
from jpmacro_bt.events import load_calendar, load_events, tradable_positions

ECB = "14:15 Europe/Berlin"


def _bars(dates, close=ECB):
    return bar_close_times(pd.DatetimeIndex(dates), close)


def _first_bar(event: str, dates, close=ECB) -> int:
    return int(tradable_positions(pd.DatetimeIndex([pd.Timestamp(event)]), _bars(dates, close))[0])


def test_midday_tokyo_decision_trades_at_the_same_days_ecb_fix():
    # 12:00 JST = 03:00 UTC; that day's fix is 14:15 CET = 13:15 UTC, later the same day.
    assert _first_bar("2024-03-19 12:00+09:00", ["2024-03-18", "2024-03-19", "2024-03-20"]) == 1


def test_event_exactly_at_the_close_is_tradable_at_that_close():
    assert _first_bar("2024-01-10 14:15+01:00", ["2024-01-10", "2024-01-11"]) == 0


def test_event_a_minute_after_the_close_waits_for_the_next_bar():
    assert _first_bar("2024-01-10 14:16+01:00", ["2024-01-10", "2024-01-11"]) == 1


@pytest.mark.parametrize(("day", "expected"), [("2024-03-26", 0), ("2024-04-02", 1)])
def test_summer_time_moves_the_fix_in_utc(day, expected):
    # 13:00 UTC is before the winter fix (13:15 UTC, CET) but after the summer one
    # (12:15 UTC, CEST from 2024-03-31): same-day bar in March, next bar in April.
    nxt = (pd.Timestamp(day) + pd.offsets.BDay()).strftime("%Y-%m-%d")
    assert _first_bar(f"{day} 13:00+00:00", [day, nxt]) == expected


def test_unknown_boj_time_is_assumed_after_the_tokyo_close():
    # BoJ rows without a sourced time are taken at 15:30 JST: after the Nikkei's 15:00 close,
    # so a Nikkei strategy trades the next day; the ECB fix (evening in Tokyo) still the same day.
    boj = load_calendar("boj")
    hike = next(e for e in boj.events if e.date == date(2024, 3, 19))
    assert not hike.time_known and hike.announced_at == pd.Timestamp("2024-03-19 15:30", tz="Asia/Tokyo")
    days = ["2024-03-19", "2024-03-21"]  # 2024-03-20 was a Tokyo holiday
    assert _first_bar(str(hike.announced_at), days, "15:00 Asia/Tokyo") == 1
    assert _first_bar(str(hike.announced_at), days, ECB) == 0


def test_event_on_a_market_holiday_trades_at_the_next_bar():
    assert _first_bar("2024-12-25 12:00+09:00", ["2024-12-24", "2024-12-27"]) == 1


def test_event_after_the_last_bar_is_not_tradable():
    assert _first_bar("2024-12-31 12:00+09:00", ["2024-12-27", "2024-12-30"]) == 2


def test_naive_times_are_refused():
    with pytest.raises(CalendarError, match="must carry a time zone"):
        tradable_positions(pd.DatetimeIndex(["2024-01-01"]), _bars(["2024-01-01"]))


def test_boj_hikes_since_1998():
    hikes = load_calendar("boj").select("hike")
    # The end of the zero-rate policy (2000), the exit hikes of 2006-07, then the end of negative
    # rates and 0.25 %, 0.5 %, 0.75 % and 1 %.
    assert [e.date.isoformat() for e in hikes] == [
        "2000-08-11", "2006-07-14", "2007-02-21",
        "2024-03-19", "2024-07-31", "2025-01-24", "2025-12-19", "2026-06-16",
    ]  # fmt: skip
    assert [e.rate_after for e in hikes] == [0.25, 0.25, 0.50, 0.10, 0.25, 0.50, 0.75, 1.00]


def test_calendar_covers_every_year_since_2016():
    years = {e.date.year for e in load_calendar("boj").events}
    assert set(range(2016, 2027)) <= years


def test_tradable_mask_marks_the_hike_bars():
    days = pd.bdate_range("2024-07-29", "2024-08-02")
    bar_close = pd.Series(_bars(days), index=days)
    mask = load_events().boj.tradable(bar_close, decision="hike")
    assert list(mask[mask].index) == [pd.Timestamp("2024-07-31")]


def test_unknown_decision_and_calendar_are_named():
    with pytest.raises(CalendarError, match=r"unknown decision 'hikes' \(did you mean hike\?\)"):
        load_calendar("boj").select("hikes")
    with pytest.raises(CalendarError, match=r"unknown calendar 'bj' \(did you mean boj\?\)"):
        load_calendar("bj")


def test_warns_outside_the_complete_range():
    boj = load_calendar("boj")
    with pytest.warns(CalendarWarning, match="complete through 2026-06-16"):
        boj.warn_if_incomplete(date(2020, 1, 1), date(2026, 10, 30))
    with pytest.warns(CalendarWarning, match="every policy change only from 1998-04-01"):
        boj.warn_if_incomplete(date(1995, 1, 1), date(2020, 1, 1))
    # Holds are there only from 2016: a strategy that needs them is warned before that.
    with pytest.warns(CalendarWarning, match=r"every meeting \(holds included\) only from 2016-01-01"):
        boj.warn_if_incomplete(date(2010, 1, 1), date(2020, 1, 1), need="meetings")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        boj.warn_if_incomplete(date(1999, 1, 4), date(2026, 6, 16))
        boj.warn_if_incomplete(date(2016, 1, 1), date(2026, 6, 16), need="meetings")


def test_stealth_intervention_is_public_only_when_disclosed():
    mof = load_calendar("mof")
    oct21 = next(e for e in mof.events if e.date == date(2022, 10, 21))
    assert oct21.announced_at.date() == date(2023, 2, 7)


def test_malformed_row_is_named(tmp_path):
    (tmp_path / "calendars.json").write_text(
        '{"boj": {"file": "b.csv", "tz": "Asia/Tokyo", "default_time": "15:30", "last_reviewed": "2026-01-01",'
        ' "complete_from": "2016-01-01", "complete_through": "2026-01-01"}}'
    )
    (tmp_path / "b.csv").write_text("date,announced_at,decision,rate_after,note,verification,source\n2024-13-01,,hike,0.1,,,\n")
    with pytest.raises(CalendarError, match="b.csv line 2: bad date/time '2024-13-01'"):
        load_calendar("boj", tmp_path)


def test_event_before_the_data_is_not_put_on_the_first_bar():
    # A hike in March must not appear as a signal on the first bar of data starting in July.
    assert _first_bar("2024-03-19 12:00+09:00", ["2024-07-29", "2024-07-30"]) == 2
    # ...but an event in the day before the first close still maps to it.
    assert _first_bar("2024-07-28 20:00+00:00", ["2024-07-29", "2024-07-30"]) == 0
