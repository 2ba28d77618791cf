"""The bundled calendars back to the 1990s: well formed, known facts present, coverage honoured.

Every date and rate typed below was read off the cited source rows (the BoJ's and the Fed's
statements, the RBA and Banxico reports named in each row's ``source``).
"""

from __future__ import annotations

import csv
import warnings
from datetime import date
from importlib import resources
from itertools import pairwise
from pathlib import Path

import pandas as pd
import pytest

from jpmacro_bt.carry import carry_price, load_policy_rates, rate_changes
from jpmacro_bt.errors import CalendarError, CalendarWarning
from jpmacro_bt.events import (
    coverage,
    load_calendar,
    load_events,
    need_for,
    required_start,
)

from .strategies.helpers import ECB, market, series

CALENDAR_DIR = Path(str(resources.files("jpmacro_bt") / "calendars"))
FILES = {"boj": "boj_decisions.csv", "fomc": "fomc_decisions.csv", "mof": "mof_interventions.csv", "elections": "elections.csv"}
EVENT_FILES = list(FILES.values())


def _rows(name: str) -> list[dict[str, str]]:
    with open(CALENDAR_DIR / name, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


@pytest.mark.parametrize("name", EVENT_FILES)
def test_event_files_are_sorted_unique_and_sourced(name):
    rows = _rows(name)
    dates = [r["date"] for r in rows]
    assert dates == sorted(dates), f"{name} is not sorted by date"
    assert len(dates) == len(set(dates)), f"{name} has duplicate dates: {sorted({d for d in dates if dates.count(d) > 1})}"
    assert all(date.fromisoformat(d) for d in dates)
    # Every row says where it comes from (the 2026 FOMC meetings whose outcome was not found excepted).
    unsourced = [r["date"] for r in rows if not r["source"].strip() and r.get("decision") != "unknown"]
    assert unsourced == []
    assert all(r["verification"].strip() for r in rows)


@pytest.mark.parametrize("name", sorted(FILES))
def test_calendars_parse(name):
    assert len(load_calendar(name).events) == len(_rows(FILES[name]))


def test_policy_rate_table_is_sorted_unique_and_sourced():
    table = load_policy_rates()
    for currency, rows in table.groupby("currency"):
        assert rows["date"].is_monotonic_increasing and rows["date"].is_unique, currency
    assert table["source"].str.strip().astype(bool).all()


@pytest.mark.parametrize("name", ["boj", "fomc"])
def test_the_rate_after_each_decision_follows_from_the_one_before(name):
    # A hike raises the rate, a cut lowers it, a hold or another measure leaves it.
    # One exception: the BoJ's 2010-10-05 cut from 0.1 % to a 0-0.1 % range, whose upper bound
    # (the file's convention for ranges) is 0.1 % again.
    exceptions = {("boj", "2010-10-05")}
    rated = [e for e in load_calendar(name).events if e.rate_after is not None]
    wrong = []
    for prev, e in pairwise(rated):
        step = round(e.rate_after - prev.rate_after, 6)
        ok = {"hike": step > 0, "cut": step < 0, "hold": step == 0, "other": step == 0}[e.decision]
        if not ok and (name, e.date.isoformat()) not in exceptions:
            wrong.append(f"{e.date} {e.decision} {prev.rate_after} -> {e.rate_after}")
    assert wrong == []


@pytest.mark.parametrize(
    ("day", "decision", "rate_after"),
    [
        ("1998-09-09", "cut", 0.25),  # call-rate guideline to about 0.25 % (BoJ release k980909c)
        ("1999-02-12", "cut", 0.15),  # zero interest rate policy, first guided to about 0.15 %
        ("2000-08-11", "hike", 0.25),  # end of ZIRP
        ("2001-03-19", "cut", 0.00),  # quantitative easing: the call rate no longer targeted, about zero
        ("2006-03-09", "other", 0.00),  # end of QE, rate "effectively zero"
        ("2006-07-14", "hike", 0.25),
        ("2007-02-21", "hike", 0.50),
        ("2008-10-31", "cut", 0.30),
        ("2008-12-19", "cut", 0.10),
        ("2010-10-05", "cut", 0.10),  # comprehensive monetary easing: 0-0.1 %, upper bound
        ("2013-04-04", "other", 0.10),  # QQE: the monetary base becomes the target
        ("2014-10-31", "other", 0.10),  # QQE expansion
        ("2016-01-29", "cut", -0.10),  # negative rate; the overlap row, once
    ],
)
def test_known_boj_decisions(day, decision, rate_after):
    hits = [e for e in load_calendar("boj").events if e.date == date.fromisoformat(day)]
    assert len(hits) == 1
    assert (hits[0].decision, hits[0].rate_after) == (decision, rate_after)


@pytest.mark.parametrize(
    ("day", "decision", "rate_after", "at"),
    [
        ("1994-02-04", "hike", 3.25, None),  # time not verified: the 16:00 default
        ("1998-10-15", "cut", 5.00, "15:15"),  # inter-meeting, 3:15 p.m. (CBS News)
        ("2001-01-03", "cut", 6.00, "13:25"),  # inter-meeting, about 1:15-1:25 p.m.: the later
        ("2001-09-17", "cut", 3.00, "09:30"),  # inter-meeting, before the NYSE reopened
        ("2006-06-29", "hike", 5.25, "14:15"),
        ("2007-09-18", "cut", 4.75, "14:15"),
        ("2008-01-22", "cut", 3.50, "08:30"),  # inter-meeting, -75 bp
        ("2008-12-16", "cut", 0.25, "14:15"),  # range 0-0.25 %: upper bound 0.25
        ("2012-06-20", "hold", 0.25, "12:30"),  # press-conference meeting
        ("2015-12-16", "hike", 0.50, "14:00"),
        ("2020-03-15", "cut", 0.25, "23:59"),  # Sunday evening, time not sourced: end of day
        ("2021-12-15", "hold", 0.25, "14:00"),
        ("2022-03-16", "hike", 0.50, "14:00"),
    ],
)
def test_known_fomc_decisions(day, decision, rate_after, at):
    hits = [e for e in load_calendar("fomc").events if e.date == date.fromisoformat(day)]
    assert len(hits) == 1
    e = hits[0]
    assert (e.decision, e.rate_after) == (decision, rate_after)
    assert e.time_known == (at is not None)
    assert e.announced_at.strftime("%H:%M") == (at or "16:00")


def test_fomc_has_every_scheduled_meeting_since_1994():
    per_year = pd.Series([e.date.year for e in load_calendar("fomc").events]).value_counts().sort_index()
    assert (per_year.loc[1994:2025] >= 8).all()


def test_a_boj_meeting_that_ended_late_is_not_assumed_earlier():
    # ZIRP: the meeting of 1999-02-12 ended at 17:34 Tokyo, after the 15:30 default.
    e = next(e for e in load_calendar("boj").events if e.date == date(1999, 2, 12))
    assert e.announced_at == pd.Timestamp("1999-02-12 17:34", tz="Asia/Tokyo") and e.time_known


@pytest.mark.parametrize(
    ("day", "direction", "amount", "disclosed"),
    [
        ("1998-04-10", "yen_buying", 2620.0, "1998-04-10"),
        ("1998-06-17", "yen_buying", None, "1998-06-17"),
        ("2010-09-15", "yen_selling", 2124.9, "2010-09-15"),
        ("2011-10-31", "yen_selling", 8072.0, "2011-10-31"),
        ("2011-11-04", "yen_selling", 306.2, "2012-02-07"),  # stealth: public in the quarterly data
        ("2022-09-22", "yen_buying", 2838.2, "2022-09-22"),
    ],
)
def test_known_interventions(day, direction, amount, disclosed):
    row = next(r for r in _rows("mof_interventions.csv") if r["date"] == day)
    assert row["direction"] == direction
    assert (float(row["amount_jpy_bn"]) if row["amount_jpy_bn"] else None) == amount
    e = next(e for e in load_calendar("mof").events if e.date == date.fromisoformat(day))
    assert e.decision == direction and e.announced_at.date() == date.fromisoformat(disclosed)


@pytest.mark.parametrize(
    ("day", "currency", "rate"),
    [
        ("1998-12-02", "AUD", 4.75),
        ("2000-08-02", "AUD", 6.25),
        ("2007-11-07", "AUD", 6.75),
        ("2008-10-07", "AUD", 6.00),
        ("2013-08-06", "AUD", 2.50),
        ("2009-07-17", "MXN", 4.50),
        ("2013-03-08", "MXN", 4.00),
        ("2013-10-25", "MXN", 3.50),
        ("2014-06-06", "MXN", 3.00),
    ],
)
def test_known_policy_rates(day, currency, rate):
    table = load_policy_rates()
    hit = table[(table["date"] == pd.Timestamp(day)) & (table["currency"] == currency)]
    assert hit["rate_pct"].tolist() == [rate]


def test_usd_and_jpy_rows_of_the_table_agree_with_the_calendars():
    # The table's USD and JPY rows are copies; from the day after each, the calendar's rate must match.
    ev = load_events()
    table = load_policy_rates()
    for currency, cal in (("USD", ev.fomc), ("JPY", ev.boj)):
        rated = pd.Series(
            [e.rate_after for e in cal.events if e.rate_after is not None],
            index=pd.DatetimeIndex([e.date for e in cal.events if e.rate_after is not None]),
        )
        for _, row in table[table["currency"] == currency].iterrows():
            assert rated.loc[: row["date"]].iloc[-1] == row["rate_pct"], (currency, row["date"])


# Coverage


def test_coverage_periods_as_a_table():
    boj = coverage("boj")
    assert list(boj.columns) == ["from", "through", "complete", "note"]
    assert boj[["from", "through", "complete"]].values.tolist() == [
        [date(1998, 4, 1), date(2015, 12, 31), "changes"],
        [date(2016, 1, 1), date(2026, 6, 16), "meetings"],
    ]
    assert coverage("fomc")["complete"].eq("meetings").all() and coverage("fomc")["from"].iloc[0] == date(1994, 1, 1)
    assert coverage("mof")["complete"].tolist() == ["partial", "changes"]


def test_default_start_is_where_changes_are_complete():
    # What the run code uses without --start: a hike strategy starts with the BoJ history.
    assert load_calendar("boj").complete_from == date(1998, 4, 1)
    assert load_calendar("fomc").complete_from == date(1994, 1, 1)
    assert load_calendar("mof").complete_from == date(2004, 4, 1)  # the days of 1998-2004 are not all known
    assert load_calendar("boj").complete_through == date(2026, 6, 16)


def test_required_start_by_need():
    assert need_for("hike") == need_for("cut") == need_for("yen_buying") == "changes"
    assert need_for("hold") == need_for(None) == "meetings"
    assert required_start("boj", need_for("hike")) == date(1998, 4, 1)
    assert required_start("boj", need_for("hold")) == date(2016, 1, 1)
    assert required_start("fomc", "meetings") == date(1994, 1, 1)
    with pytest.raises(CalendarError, match="never holds every meeting"):
        required_start("mof", "meetings")
    with pytest.raises(CalendarError, match="unknown completeness 'meeting' \\(did you mean meetings\\?\\)"):
        required_start("boj", "meeting")


def test_a_strategy_needing_holds_before_they_are_complete_is_warned():
    with pytest.warns(CalendarWarning, match=r"boj calendar holds every meeting \(holds included\) only from 2016-01-01"):
        assert required_start("boj", "meetings", start="2005-01-03", end="2026-01-01") == date(2016, 1, 1)
    with pytest.warns(CalendarWarning, match="the whole backtest lies before that"):
        required_start("boj", "meetings", start="2005-01-03", end="2010-01-01")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        # Hikes since 1999 are complete; so are holds since 2016.
        required_start("boj", "changes", start="1999-01-04", end="2026-01-01")
        required_start("boj", "meetings", start="2016-01-04", end="2026-01-01")


def _write_meta(tmp_path, coverage_json: str) -> Path:
    (tmp_path / "calendars.json").write_text(
        '{"boj": {"file": "b.csv", "tz": "Asia/Tokyo", "default_time": "15:30", "last_reviewed": "2026-01-01", '
        f'"coverage": {coverage_json}}}}}'
    )
    (tmp_path / "b.csv").write_text("date,announced_at,decision,rate_after,note,verification,source\n2024-03-19,,hike,0.1,,v,s\n")
    return tmp_path


@pytest.mark.parametrize(
    ("periods", "message"),
    [
        ('[{"from": "2016-01-01", "through": "2020-01-01", "complete": "holds"}]', "complete='holds'"),
        (
            (
                '[{"from": "2016-01-01", "through": "2020-01-01", "complete": "changes"}, '
                '{"from": "2019-01-01", "through": "2026-01-01", "complete": "meetings"}]'
            ),
            "overlaps",
        ),
        ('[{"from": "2016-01-01", "complete": "changes"}]', "bad coverage"),
        ("[]", "empty coverage"),
    ],
)
def test_bad_coverage_is_named(tmp_path, periods, message):
    with pytest.raises(CalendarError, match=message):
        load_calendar("boj", _write_meta(tmp_path, periods))


def test_a_gap_between_periods_breaks_completeness(tmp_path):
    periods = (
        '[{"from": "2000-01-01", "through": "2009-12-31", "complete": "meetings"}, '
        '{"from": "2012-01-01", "through": "2026-01-01", "complete": "meetings"}]'
    )
    cal = load_calendar("boj", _write_meta(tmp_path, periods))
    assert cal.complete_since("changes") == date(2012, 1, 1) == cal.complete_from


# Carry over the BoJ's 2007 hike


def test_carry_over_the_2007_02_21_boj_hike_by_hand():
    # A flat AUDJPY (100 at every ECB fixing), Mon 19 to Fri 23 February 2007, with the bundled rates:
    # AUD 6.25 % (RBA, 8 Nov 2006), JPY 0.25 % (BoJ, 14 Jul 2006) until the hike to 0.50 % on Wed 21 Feb,
    # announced at 15:30 Tokyo (06:30 UTC, the default time) and so in force at that day's fixing
    # (14:15 Berlin = 13:15 UTC). The return from bar t-1 to t uses the rates in force at t-1's close:
    #   Mon->Tue, Tue->Wed: (1 + 0.0625/365) - (1 + 0.0025/365) = 0.0600/365 a day
    #   Wed->Thu, Thu->Fri: (1 + 0.0625/365) - (1 + 0.0050/365) = 0.0575/365 a day
    # so the price ends at 100 * (1 + 0.06/365)^2 * (1 + 0.0575/365)^2.
    index = pd.bdate_range("2007-02-19", "2007-02-23", name="date")
    data = market(AUDJPY=(series([100.0] * len(index), index=index), ECB))
    price = carry_price(data, "AUDJPY", load_events())
    before, after = 0.06 / 365, 0.0575 / 365
    expected = [100.0, 100 * (1 + before), 100 * (1 + before) ** 2, 100 * (1 + before) ** 2 * (1 + after), 100 * (1 + before) ** 2 * (1 + after) ** 2]
    assert price.tolist() == pytest.approx(expected, rel=1e-12)
    jpy = rate_changes("JPY", load_events())
    assert jpy.loc[pd.Timestamp("2007-02-21 15:30", tz="Asia/Tokyo")] == 0.50


def test_carry_starts_with_the_fx_data_for_aud_usd_and_jpy():
    # The first ECB fixings (January 1999) already have AUD, USD and JPY rates; MXN waits for July 2009.
    index = pd.bdate_range("1999-01-04", "1999-01-08", name="date")
    flat = series([100.0] * len(index), index=index)
    for pair in ("AUDJPY", "USDJPY"):
        price = carry_price(market(**{pair: (flat, ECB)}), pair, load_events())
        assert price.index[0] == pd.Timestamp("1999-01-04"), pair
    mxn_index = pd.bdate_range("2009-07-15", "2009-07-22", name="date")
    mxn = carry_price(market(MXNJPY=(series([7.0] * len(mxn_index), index=mxn_index), ECB)), "MXNJPY", load_events())
    # Banxico's cut to 4.50 % of Fri 17 July 2009 applies from 00:00 Mexico City on Sat 18 July.
    assert mxn.index[0] == pd.Timestamp("2009-07-20")
