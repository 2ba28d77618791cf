"""Carry-inclusive FX prices: the accrual by hand, where each rate comes from, and when it applies."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pandas as pd
import pytest

from jpmacro_bt.carry import (
    carry_price,
    coverage_warnings,
    load_policy_rates,
    rate_changes,
    rate_coverage,
    rates_on_bars,
    to_carry_price,
    warn_if_uncovered,
)
from jpmacro_bt.engine.simulate import backtest
from jpmacro_bt.errors import CalendarError, CalendarWarning, DataError
from jpmacro_bt.events import CoveragePeriod, load_events
from jpmacro_bt.strategy import Signals

from .strategies.helpers import ECB, calendar, events, market, series

# Thu 4, Fri 5, Mon 8, Tue 9 January 2024: bars 1, 3 and 1 calendar days apart.
DATES = pd.DatetimeIndex(["2024-01-04", "2024-01-05", "2024-01-08", "2024-01-09"], name="date")


def _flat(rate_pct: float) -> pd.Series:
    return pd.Series(rate_pct, index=DATES)


def test_flat_fx_accrues_base_minus_quote_per_calendar_day():
    # 3.65 % a year is 0.0001 a day (act/365); quote rate 0. Thu->Fri 1 day, Fri->Mon 3, Mon->Tue 1.
    price = to_carry_price(pd.Series(100.0, index=DATES), _flat(3.65), _flat(0.0))
    assert price.tolist() == pytest.approx([100.0, 100.0 * 1.0001, 100.0 * 1.0001 * 1.0003, 100.0 * 1.0001 * 1.0003 * 1.0001])


def test_the_quote_rate_is_paid():
    # Base 0, quote 3.65 %: a long pays 0.0001 a day.
    price = to_carry_price(pd.Series(100.0, index=DATES), _flat(0.0), _flat(3.65))
    assert price.tolist() == pytest.approx([100.0, 100.0 * 0.9999, 100.0 * 0.9999 * 0.9997, 100.0 * 0.9999 * 0.9997 * 0.9999])


def test_spot_move_and_carry_combine_as_a_funded_deposit():
    # Thu->Fri: 100 -> 101, base 3.65 %, quote 0.365 %: 101/100 * (1 + 0.0001) - (1 + 0.00001) = 0.010091.
    close = pd.Series([100.0, 101.0, 101.0, 100.0], index=DATES)
    price = to_carry_price(close, _flat(3.65), _flat(0.365))
    r1 = 1.01 * 1.0001 - 1.00001
    r2 = 1.0 * 1.0003 - 1.00003
    r3 = (100 / 101) * 1.0001 - 1.00001
    assert r1 == pytest.approx(0.010091)
    assert price.tolist() == pytest.approx([100.0, 100 * (1 + r1), 100 * (1 + r1) * (1 + r2), 100 * (1 + r1) * (1 + r2) * (1 + r3)])


def test_bar_252_accrues_per_bar_whatever_the_calendar_gap():
    price = to_carry_price(pd.Series(100.0, index=DATES), _flat(2.52), _flat(0.0), day_count="bar/252")
    assert price.tolist() == pytest.approx([100.0, 100.01, 100.01 * 1.0001, 100.01 * 1.0001**2])


def test_a_rate_change_counts_from_the_next_bar():
    # The base rate becomes 3.65 % at the Fri 5 Jan close: the Fri->Mon bar earns it, the Thu->Fri bar does not.
    base = pd.Series([0.0, 3.65, 3.65, 3.65], index=DATES)
    price = to_carry_price(pd.Series(100.0, index=DATES), base, _flat(0.0))
    assert price.tolist() == pytest.approx([100.0, 100.0, 100.03, 100.03 * 1.0001])


def test_a_short_pays_the_carry():
    # Short the carry price of a flat pair that earns 0.0001 a day: equity falls by the accrual.
    close = to_carry_price(pd.Series(100.0, index=DATES), _flat(3.65), _flat(0.0)).rename("AUDJPY")
    entries = pd.Series([True, False, False, False], index=DATES)
    sig = Signals(close=close, short_entries=entries)
    equity = backtest(sig, init_cash=100.0, size=1.0, fees=0.0, slippage=0.0).equity
    # Short 1 unit at 100, marked at the carry price: equity = 200 - price.
    assert equity.iloc[-1] == pytest.approx(200.0 - close.iloc[-1])
    assert equity.iloc[-1] < 100.0


def test_rates_must_be_known_and_aligned():
    close = pd.Series(100.0, index=DATES)
    with pytest.raises(DataError, match="no rate on 2024-01-04"):
        to_carry_price(close, pd.Series([None, 1.0, 1.0, 1.0], index=DATES, dtype=float), _flat(0.0))
    with pytest.raises(DataError, match="not indexed like close"):
        to_carry_price(close, _flat(1.0).iloc[1:], _flat(0.0))
    with pytest.raises(DataError, match="day_count"):
        to_carry_price(close, _flat(1.0), _flat(0.0), day_count="30/360")


def test_rates_on_bars_takes_the_last_change_at_or_before_each_close():
    changes = pd.Series([1.0, 2.0], index=pd.DatetimeIndex(["2024-01-05 13:15", "2024-01-08 20:00"], tz="UTC"))
    data = market(USDJPY=(series([150, 151, 152, 153], index=DATES), ECB))  # fixing at 13:15 UTC in winter
    got = rates_on_bars(changes, data.bar_close("USDJPY"))
    # 4 Jan: before any change (NaN); 5 Jan: the change at exactly the close counts; 8 Jan 13:15 is before 20:00.
    assert got.isna().tolist() == [True, False, False, False]
    assert got.iloc[1:].tolist() == [1.0, 1.0, 2.0]


def test_jpy_rates_come_from_the_boj_calendar_and_the_csv_before_it():
    ev = events(boj=[("2016-01-29 15:30", "cut", -0.1), ("2024-03-19 15:30", "hike", 0.1), ("2024-04-26 15:30", "unknown", None)])
    got = rate_changes("JPY", ev)
    # The CSV back-fill (0.10 from the day after 5 Oct 2010, Tokyo), then the calendar; an unknown decision adds nothing.
    assert got.tolist() == [0.10, -0.1, 0.1]
    assert got.index[0] == pd.Timestamp("2010-10-06 00:00", tz="Asia/Tokyo")
    assert got.index[1] == pd.Timestamp("2016-01-29 15:30", tz="Asia/Tokyo")


def test_usd_rates_before_the_fomc_calendar_come_from_the_csv():
    ev = events(fomc=[("2022-03-16 14:00", "hike", 0.5)])
    got = rate_changes("USD", ev)
    before = got[got.index < pd.Timestamp("2022-03-16 18:00", tz="UTC")]
    assert before.iloc[-1] == 0.25  # cut to 0-0.25 % on 15 March 2020 (upper bound)
    assert before.index[-1] == pd.Timestamp("2020-03-16 00:00", tz="America/New_York")
    assert got.iloc[-1] == 0.5


def test_aud_and_mxn_come_from_the_csv_from_the_day_after_the_announcement():
    aud = rate_changes("AUD", events())
    # RBA, 3 Feb 2026: +25 bp to 3.85 %, effective 4 Feb (00:00 Sydney = 13:00 UTC on 3 Feb, daylight saving).
    assert aud.iloc[-1] == 3.85
    assert aud.index[-1] == pd.Timestamp("2026-02-03 13:00", tz="UTC")
    mxn = rate_changes("MXN", events())
    # Banxico, 18 Dec 2025: -25 bp to 7.00 %.
    assert mxn.iloc[-1] == 7.0
    assert mxn.index[-1] == pd.Timestamp("2025-12-19 00:00", tz="America/Mexico_City")


def test_the_bundled_table_is_well_formed():
    table = load_policy_rates()
    assert set(table["currency"]) == {"AUD", "MXN", "USD", "JPY"}
    assert table["rate_pct"].between(0.0, 15.0).all()
    # A URL, or a file in a public GitHub repository ("github owner/repo:path").
    assert table["source"].str.match(r"(https?://|github )").all()
    for _, rows in table.groupby("currency"):
        assert rows["date"].is_monotonic_increasing
        # Each row is a change: no two consecutive rows of a currency with the same rate.
        assert (rows["rate_pct"].diff().iloc[1:] != 0).all()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("date,currency,rate_pct,note,source\n2024-01-01,AUX,1.0,,x\n", "unknown currency .AUX. \\(did you mean AUD"),
        ("date,currency,rate_pct,note,source\n2024-13-01,AUD,1.0,,x\n", "line 2: bad date"),
        ("date,currency,rate_pct,note,source\n2024-01-01,AUD,one,,x\n", "not a number"),
        ("date,currency,rate,note,source\n2024-01-01,AUD,1.0,,x\n", "missing column"),
        ("date,currency,rate_pct,note,source\n2024-01-01,AUD,1.0,,x\n2024-01-01,AUD,2.0,,x\n", "two rows for AUD"),
    ],
)
def test_a_bad_table_names_the_problem(tmp_path, text, message):
    path = tmp_path / "rates.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CalendarError, match=message):
        load_policy_rates(path)


def test_unknown_currency():
    with pytest.raises(DataError, match="no policy rates for 'EUR'"):
        rate_changes("EUR", events())


def test_carry_price_starts_where_both_rates_are_known():
    # AUD rates start with the RBA cut to 4.75 % of 2 Dec 1998, applied from 00:00 Sydney on 3 Dec
    # (13:00 UTC on 2 Dec, daylight saving): the 2 Dec fixing (13:15 UTC) is after it, the 1 Dec one before.
    # JPY: 0.25 % since the BoJ cut of 9 Sep 1998. (A made-up series: the ECB fixes start in 1999.)
    index = pd.bdate_range("1998-11-30", "1998-12-07", name="date")
    data = market(AUDJPY=(series([90.0] * len(index), index=index), ECB))
    price = carry_price(data, "AUDJPY", load_events())
    assert f"{price.index[0]:%Y-%m-%d}" == "1998-12-02"
    # 4.75 % - 0.25 % = 4.50 % a year. Wed 2 -> Thu 3 -> Fri 4 -> Mon 7 Dec: 1, 1 and 3 days.
    daily = (4.75 - 0.25) / 100 / 365
    assert price.iloc[1] == pytest.approx(90.0 * (1 + daily))
    assert price.iloc[-1] / price.iloc[0] == pytest.approx((1 + daily) ** 2 * (1 + 3 * daily))


def test_coverage_warnings_name_what_is_assumed():
    ev = load_events()
    messages = coverage_warnings(("AUD", "JPY", "USD"), "1990-01-01", "2026-10-30", ev)
    assert any("AUD policy rates start on 1998-12-03" in m for m in messages)
    assert any("AUD policy rates (policy_rates.csv) are complete through 2026-02-03" in m for m in messages)
    assert any("JPY policy rates start on 1998-09-09" in m for m in messages)
    assert any("JPY policy rates (the boj calendar) are complete through 2026-06-16" in m for m in messages)
    assert any("USD policy rates start on 1994-02-04" in m for m in messages)
    # From the first ECB fixing: only MXN (Banxico from July 2009) is missing.
    assert coverage_warnings(("AUD", "JPY", "USD"), "1999-01-04", "2025-01-01", ev) == []
    assert coverage_warnings(("MXN",), "1999-01-04", "2025-01-01", ev) == [
        "MXN policy rates start on 2009-07-18; carry before that is not modelled (the carry price starts there)"
    ]
    with pytest.warns(CalendarWarning, match="MXN policy rates"):
        warn_if_uncovered(("MXN",), "2016-01-01", "2026-10-30", ev)


def test_rate_coverage_follows_the_calendars_for_jpy_and_usd():
    ev = load_events()
    assert rate_coverage("JPY", ev) == (date(1998, 9, 9), date(2026, 6, 16))
    assert rate_coverage("USD", ev) == (date(1994, 2, 4), date(2026, 6, 17))
    assert rate_coverage("AUD", ev) == (date(1998, 12, 3), date(2026, 2, 3))
    assert rate_coverage("MXN", ev) == (date(2009, 7, 18), date(2025, 12, 18))
    # A hand-made calendar starting in 2016: the CSV copy (0.10 % from 5 Oct 2010) comes first.
    assert rate_coverage("JPY", events(boj=[("2016-01-29 15:30", "cut", -0.1)]))[0] == date(2010, 10, 6)
    with pytest.raises(DataError, match="no policy rates for 'EUR'"):
        rate_coverage("EUR", ev)


def test_decisions_before_a_calendars_coverage_are_not_used():
    # Coverage from 2010: a rate announced in 2005 is not trusted, so the 2005 rate is not in the series.
    cal = calendar("boj", [("2005-01-05 12:00", "hike", 9.0), ("2016-01-29 15:30", "cut", -0.1)], "Asia/Tokyo")
    cal = replace(cal, coverage=(CoveragePeriod(date(2010, 1, 1), date(2030, 1, 1), "changes"),))
    ev = replace(events(), boj=cal)
    got = rate_changes("JPY", ev)
    assert 9.0 not in got.tolist() and got.iloc[-1] == -0.1


def test_each_set_of_calendars_gets_its_own_rates_and_a_copy_to_keep():
    # The bundled table's rate changes are remembered per Events object: another object (even built many times
    # over, so ids get reused) gets its own, and what a caller changes in its copy is not seen by the next call.
    for rate in (0.5, 0.75, 1.0, 0.5, 0.75):
        ev = events(boj=[("2016-01-29 15:30", "cut", -0.1), ("2025-01-24 12:00", "hike", rate)])
        first = rate_changes("JPY", ev)
        assert first.iloc[-1] == rate
        first.iloc[-1] = 99.0
        assert rate_changes("JPY", ev).iloc[-1] == rate
    bundled = load_events()
    assert rate_changes("JPY", bundled).equals(rate_changes("JPY", bundled, load_policy_rates()))
