"""Event studies on small synthetic data: timing, anchoring, units, tests, placebo calibration, flags, JSON."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from jpmacro_bt.errors import DataError, JpMacroError
from jpmacro_bt.research.eventstudy import event_study, minimum_detectable_effect, parse_window

NY_CLOSE = "16:00 America/New_York"


def random_walk(n: int, seed: int, vol: float = 0.01, start: str = "2010-01-04") -> tuple[pd.Series, np.ndarray]:
    """Business-day closes of a seeded random walk (tz-naive dates) and its daily returns."""
    rng = np.random.default_rng(seed)
    rets = rng.normal(0.0, vol, n)
    return pd.Series(100 * np.cumprod(1 + rets), index=pd.bdate_range(start, periods=n, name="date")), rets


def spaced_positions(n: int, k: int, gap: int, margin: int, seed: int) -> np.ndarray:
    """``k`` sorted bar positions at least ``gap`` apart and ``margin`` from either end."""
    rng = np.random.default_rng(seed)
    return np.sort(rng.choice(np.arange(margin, n - margin, gap), k, replace=False))


def ny_times(close: pd.Series, pos: np.ndarray, hhmm: str = "14:00") -> list[pd.Timestamp]:
    """Announcements at ``hhmm`` New York on the bar dates at ``pos``: before the 16:00 close, so day 0 = that bar."""
    return [pd.Timestamp(f"{close.index[p].date()} {hhmm}").tz_localize("America/New_York") for p in pos]


@pytest.fixture
def planted():
    """2000 bars, 30 events 40+ bars apart, +2 % added to each day-0 return."""
    close, rets = random_walk(2000, seed=7)
    pos = spaced_positions(2000, 30, gap=40, margin=30, seed=8)
    rets = rets.copy()
    rets[pos] += 0.02
    close = pd.Series(100 * np.cumprod(1 + rets), index=close.index)
    return close, rets, pos


def test_planted_effect_is_found(planted):
    close, rets, pos = planted
    before = close.copy()
    study = event_study(close, ny_times(close, pos), kind="price", bar_close=NY_CLOSE, expected="zero", n_placebo=10_000)
    pd.testing.assert_series_equal(close, before)  # input unchanged
    h1 = study.summary.set_index("horizon").loc[1]
    # Horizon 1 is day 0's own return: the mean of the planted day returns, taken straight from the generator.
    assert h1["n"] == 30
    assert h1["mean"] == pytest.approx(rets[pos].mean(), rel=1e-10)
    assert h1["mean"] == pytest.approx(0.02, abs=0.004)  # 0.02 plus noise of sd 0.01 / sqrt(30) = 0.0018
    assert h1["t_pvalue"] < 0.01
    # No placebo mean of 30 unplanted days comes near 2 % (10 sd away), so p is the +1-corrected floor 1 / 10001.
    assert h1["placebo_pvalue"] == pytest.approx(1 / 10_001)
    assert h1["verdict"] == "evidence of an effect"
    # Hand formulas: t = mean / (sd / sqrt(n)); CI = mean -/+ t_{0.975, 29} sd / sqrt(n); every planted day rose.
    x = rets[pos]
    se = x.std(ddof=1) / np.sqrt(30)
    assert h1["t_stat"] == pytest.approx(x.mean() / se, rel=1e-9)
    assert (h1["ci_lo"], h1["ci_hi"]) == pytest.approx((x.mean() - stats.t.ppf(0.975, 29) * se, x.mean() + stats.t.ppf(0.975, 29) * se), rel=1e-9)
    assert (h1["n_up"], h1["n_down"]) == ((x > 0).sum(), (x < 0).sum())
    # Horizon 5: compounded returns of days 0..4, computed from the returns array.
    h5 = [np.prod(1 + rets[p : p + 5]) - 1 for p in pos]
    assert study.events["move_5"].to_numpy() == pytest.approx(h5, rel=1e-9)


def test_abnormal_moves_subtract_the_mean_daily_return(planted):
    close, rets, pos = planted
    raw = event_study(close, ny_times(close, pos), kind="price", bar_close=NY_CLOSE, expected="zero", n_boot=0, n_placebo=0)
    abn = event_study(close, ny_times(close, pos), kind="price", bar_close=NY_CLOSE, expected="mean", n_boot=0, n_placebo=0)
    # mu: the mean return of bars outside every window [-10, 20], recomputed here with a plain mask.
    quiet = np.ones(len(rets), dtype=bool)
    quiet[0] = False  # bar 0 has no return
    for p in pos:
        quiet[p - 10 : p + 21] = False
    mu = rets[quiet].mean()
    assert abn.settings.expected_daily == pytest.approx(mu, rel=1e-9)
    # Horizon 5's expected move is (1 + mu)^5 - 1.
    assert abn.events["move_5"].to_numpy() == pytest.approx(raw.events["move_5"].to_numpy() - ((1 + mu) ** 5 - 1), rel=1e-9)
    assert abn.summary.loc[0, "mean"] == pytest.approx(0.02, abs=0.004)


def test_no_effect_is_not_found():
    close, _ = random_walk(2000, seed=7)
    pos = spaced_positions(2000, 30, gap=40, margin=30, seed=8)
    study = event_study(close, ny_times(close, pos), kind="price", bar_close=NY_CLOSE)
    assert (study.summary["t_pvalue"] > 0.05).all()
    assert (study.summary["placebo_pvalue"] > 0.05).all()
    assert not study.summary["verdict"].eq("evidence of an effect").any()


def test_placebo_pvalues_are_calibrated():
    # 300 no-effect samples: a 5 % test should reject about 15 times; 2 %..9 % is 6..27 (about -3 and +5 binomial sd).
    n, runs, rejections = 800, 300, 0
    index = pd.date_range("2010-01-04 21:00", periods=n, freq="B", tz="UTC")  # tz-aware close times
    rng = np.random.default_rng(2024)
    for i in range(runs):
        close = pd.Series(100 * np.exp(np.cumsum(rng.normal(0, 0.01, n))), index=index)
        pos = np.sort(rng.choice(np.arange(10, n - 10, 12), 20, replace=False))
        study = event_study(close, list(index[pos] - pd.Timedelta(hours=1)), kind="price", window=(-5, 5), horizons=(1,), n_boot=0, n_placebo=999, seed=i)
        rejections += study.summary.loc[0, "placebo_pvalue"] < 0.05
    assert 0.02 <= rejections / runs <= 0.09


def test_bands_bracket_the_mean_path(planted):
    close, _, pos = planted
    study = event_study(close, ny_times(close, pos), kind="price", bar_close=NY_CLOSE, n_placebo=0)
    b = study.bands
    # Mean and median paths are the row means and medians of the paths table.
    assert b["mean"].to_numpy() == pytest.approx(study.paths.mean(axis=1).to_numpy(), rel=1e-12)
    assert b["median"].to_numpy() == pytest.approx(study.paths.median(axis=1).to_numpy(), rel=1e-12)
    assert (b.loc[-1, ["mean", "mean_lo", "mean_hi", "mean_sim_lo", "mean_sim_hi"]] == 0).all()  # the anchor
    days = b.index[b.index != -1]
    # The pointwise band is close to the normal one, mean -/+ 1.96 sd / sqrt(n) (independent of the bootstrap).
    half = 1.96 * study.paths.loc[days].std(axis=1, ddof=1) / np.sqrt(30)
    assert ((b.loc[days, "mean_hi"] - b.loc[days, "mean_lo"]) / (2 * half)).between(0.8, 1.2).all()
    # Simultaneous over 30 days is wider than pointwise on every day.
    assert (b.loc[days, "mean_sim_hi"] > b.loc[days, "mean_hi"]).all()
    assert (b.loc[days, "mean_sim_lo"] < b.loc[days, "mean_lo"]).all()


def test_yield_paths_are_summed_bp_changes():
    # Ten JGB closes in percent; the event at 12:00 Tokyo on row 4's date trades at row 4's 15:00 close.
    y = pd.Series([1.00, 1.02, 1.05, 1.01, 0.98, 1.10, 1.12, 1.11, 1.15, 1.20], index=pd.bdate_range("2024-07-22", periods=10))
    event = pd.Timestamp("2024-07-26 12:00", tz="Asia/Tokyo")
    study = event_study(y, [event], kind="yield", bar_close="15:00 Asia/Tokyo", window=(-2, 3), horizons=(1, 2, 4), expected="zero", n_boot=0, n_placebo=0)
    # By hand, anchored at day -1 = 1.01 %: day -2 1.05 -> +4 bp; day 0 0.98 -> -3; day 1 1.10 -> +9 (= -3 + 12);
    # day 2 1.12 -> +11; day 3 1.11 -> +10.
    assert study.paths.iloc[:, 0].tolist() == pytest.approx([4, 0, -3, 9, 11, 10], abs=1e-9)
    assert study.events.loc[0, "day0"] == pd.Timestamp("2024-07-26")
    assert study.events.loc[0, ["move_1", "move_2", "move_4"]].tolist() == pytest.approx([-3, 9, 10], abs=1e-9)
    assert study.settings.unit == "bp"


def test_price_paths_compound():
    close = pd.Series([100.0, 100.0, 110.0, 121.0, 108.9], index=pd.bdate_range("2024-01-01", periods=5))
    event = pd.Timestamp("2024-01-03 09:00", tz="America/New_York")
    study = event_study(close, [event], kind="price", bar_close=NY_CLOSE, window=(-1, 2), horizons=(1, 2, 3), expected="zero", n_boot=0, n_placebo=0)
    # By hand: +10 %, then 121 / 100 - 1 = +21 % (not +20 %), then 108.9 / 100 - 1 = +8.9 %.
    assert study.paths.iloc[:, 0].tolist() == pytest.approx([0.0, 0.10, 0.21, 0.089], abs=1e-12)


def test_day0_follows_the_timing_rule():
    # Nikkei-style bars closing 15:00 Tokyo, Monday 2024-07-29 .. Friday 2024-08-09.
    close, _ = random_walk(10, seed=1, start="2024-07-29")
    events = pd.Series(
        [
            pd.Timestamp("2024-07-31 12:00", tz="Asia/Tokyo"),  # before the close: that bar
            pd.Timestamp("2024-07-31 15:30", tz="Asia/Tokyo"),  # after the close: next bar
            pd.Timestamp("2024-08-01 06:00", tz="UTC"),  # 15:00 Tokyo exactly: at the close counts
            pd.Timestamp("2024-08-03 10:00", tz="Asia/Tokyo"),  # Saturday: Monday's bar
            pd.Timestamp("2024-07-31 14:00", tz="America/New_York"),  # FOMC: 03:00 Tokyo on Aug 1, that day's bar
        ],
        index=["midday", "after close", "at close", "saturday", "fomc"],
    )
    study = event_study(close, events, kind="price", bar_close="15:00 Asia/Tokyo", window=(-1, 1), horizons=(1,), n_boot=0, n_placebo=0)
    day0 = study.events.set_index("label")["day0"].dt.strftime("%Y-%m-%d").to_dict()
    assert day0 == {"midday": "2024-07-31", "after close": "2024-08-01", "at close": "2024-08-01", "saturday": "2024-08-05", "fomc": "2024-08-01"}


def test_unused_events_say_why():
    close, _ = random_walk(60, seed=3)  # 2010-01-04 .. 2010-03-26
    events = pd.Series(
        {
            "early": pd.Timestamp("2010-01-05 10:00", tz="America/New_York"),  # day 0 is bar 1: 1 bar before, needs 10
            "fine": pd.Timestamp("2010-02-10 10:00", tz="America/New_York"),
            "late": pd.Timestamp("2010-03-22 10:00", tz="America/New_York"),  # 4 bars after, needs 20
            "before": pd.Timestamp("2009-06-01 10:00", tz="America/New_York"),
            "after": pd.Timestamp("2010-04-01 10:00", tz="America/New_York"),
        }
    )
    study = event_study(close, events, kind="price", bar_close=NY_CLOSE, expected="zero", n_boot=0, n_placebo=0)
    why = study.events.set_index("label")["reason"]
    assert why["fine"] == ""
    assert why["early"].startswith("too little data before") and "the window needs 10" in why["early"]
    assert why["late"].startswith("window runs past the data end") and "the data have 4" in why["late"]
    assert why["before"].startswith("before the data start")
    assert why["after"].startswith("after the data end")
    assert study.events.set_index("label")["used"].to_dict() == {"before": False, "early": False, "fine": True, "late": False, "after": False}
    assert list(study.paths.columns) == ["fine"]


def test_a_gap_in_the_data_is_reported():
    close, _ = random_walk(80, seed=4)
    close = close.drop(close.index[30:45])  # three weeks missing
    event = pd.Timestamp(f"{close.index[29].date()} 17:00", tz="America/New_York")  # after bar 29's close
    study = event_study(close, [event], kind="price", bar_close=NY_CLOSE, n_boot=0, n_placebo=0)
    assert study.events.loc[0, "reason"].startswith("gap in the data")


def test_contamination_and_same_calendar_overlap():
    close, _ = random_walk(200, seed=5)
    d = close.index

    def at(i: int) -> pd.Timestamp:  # noon New York: day 0 = bar i
        return pd.Timestamp(f"{d[i].date()} 12:00", tz="America/New_York")

    def iso(i: int) -> str:
        return d[i].date().isoformat()

    boj = [at(50), at(54), at(120)]
    others = {"fomc": [at(52), at(180)], "mof": pd.DatetimeIndex([at(118)])}
    study = event_study(close, boj, kind="price", bar_close=NY_CLOSE, window=(-3, 5), horizons=(1, 5), name="boj", others=others, n_boot=0, n_placebo=0)
    by = study.events.set_index("label")["contaminated_by"]
    # By hand: bar 50's window 47..55 holds fomc (52) and boj (54); bar 54's window 51..59 holds boj 50? no (50 < 51),
    # fomc 52 yes; bar 120's window 117..125 holds mof 118. fomc 180 is in nobody's window.
    assert by[iso(50)] == f"fomc {iso(52)}; boj {iso(54)}"
    assert by[iso(54)] == f"fomc {iso(52)}"
    assert by[iso(120)] == f"mof {iso(118)}"
    assert study.events["used"].all() and study.events["contaminated"].all()

    clean = event_study(close, boj, kind="price", bar_close=NY_CLOSE, window=(-3, 5), horizons=(1, 5), name="boj", others={"fomc": others["fomc"]}, exclude_contaminated=True, n_boot=0, n_placebo=0)
    ev = clean.events.set_index("label")
    assert ev["used"].to_dict() == {iso(50): False, iso(54): False, iso(120): True}
    assert ev.loc[iso(50), "reason"] == f"contaminated by fomc {iso(52)}; boj {iso(54)}"
    assert list(clean.paths.columns) == [iso(120)]


def test_same_calendar_overlap_is_symmetric_for_a_symmetric_window():
    close, _ = random_walk(100, seed=6)
    at = [pd.Timestamp(f"{close.index[i].date()} 12:00", tz="America/New_York") for i in (40, 44)]
    study = event_study(close, at, kind="price", bar_close=NY_CLOSE, window=(-5, 5), horizons=(1, 5), n_boot=0, n_placebo=0)
    assert study.events["contaminated_by"].tolist() == [f"event {close.index[44].date()}", f"event {close.index[40].date()}"]


def test_minimum_detectable_effect_has_the_stated_power():
    mde = minimum_detectable_effect(30, 1.0)
    # Published value (Cohen; G*Power, one-sample two-sided t, n = 30): d = 0.529.
    assert mde == pytest.approx(0.529, abs=0.001)
    # Independent check by simulation: 20000 samples of 30 N(mde, 1) draws; the t-test rejects 80 % +- 1 %.
    x = np.random.default_rng(0).normal(mde, 1.0, size=(20_000, 30))
    power = (stats.ttest_1samp(x, 0.0, axis=1).pvalue < 0.05).mean()
    assert power == pytest.approx(0.80, abs=0.01)
    assert minimum_detectable_effect(30, 2.5) == pytest.approx(2.5 * mde)  # linear in the dispersion


def test_to_dict_is_strict_json(planted):
    close, _, pos = planted
    times = ny_times(close, pos) + [pd.Timestamp("2030-01-01 09:00", tz="Asia/Tokyo")]  # an unused event: NaN moves
    study = event_study(close, times, kind="price", bar_close=NY_CLOSE, others={"fomc": ny_times(close, pos[:3] + 2)}, n_boot=200, n_placebo=500)
    data = json.loads(json.dumps(study.to_dict(), allow_nan=False))
    assert data["events"][-1]["used"] is False and data["events"][-1]["move_1"] is None
    assert data["events"][0]["day0"] == close.index[pos[0]].date().isoformat()
    assert data["paths"]["day"][0] == -10 and len(data["paths"]["events"]) == 30
    assert data["settings"]["window"] == [-10, 20] and data["settings"]["others"] == ["fomc"]
    assert [row["horizon"] for row in data["summary"]] == [1, 5, 20]


def test_too_few_events_still_give_a_result():
    close, _ = random_walk(100, seed=9)
    study = event_study(close, [pd.Timestamp(f"{close.index[50].date()} 12:00", tz="America/New_York")], kind="price", bar_close=NY_CLOSE)
    assert study.summary["verdict"].eq("too few events").all()
    assert study.summary["t_pvalue"].isna().all() and study.bands["mean_lo"].isna().all()
    json.dumps(study.to_dict(), allow_nan=False)


@pytest.mark.parametrize(
    ("kwargs", "error", "words"),
    [
        ({"bar_close": None}, DataError, "bar_close='HH:MM Zone'"),
        ({"window": "-10..20"}, JpMacroError, "'-10..20'"),
        ({"window": (2, 5)}, JpMacroError, "must hold day 0"),
        ({"horizons": (1, 30)}, JpMacroError, "horizon 30"),
        ({"kind": "level"}, JpMacroError, "'level'"),
        ({"kind": "prices"}, JpMacroError, "did you mean price"),
        ({"expected": "market"}, JpMacroError, "'market'"),
        ({"bar_close": "4pm New York"}, DataError, "'4pm New York'"),
    ],
)
def test_bad_settings_name_the_value_and_the_fix(kwargs, error, words):
    close, _ = random_walk(100, seed=10)
    args = {"kind": "price", "bar_close": NY_CLOSE} | kwargs
    with pytest.raises(error, match=None) as info:
        event_study(close, [pd.Timestamp("2010-03-01 12:00", tz="America/New_York")], **args)
    assert words in str(info.value)


def test_bad_data_name_the_value_and_the_fix():
    close, _ = random_walk(100, seed=11)
    event = [pd.Timestamp("2010-03-01 12:00", tz="America/New_York")]
    gappy = close.copy()
    gappy.iloc[7] = np.nan
    with pytest.raises(DataError, match=r"close is nan on 2010-01-13 .*close\.dropna\(\)"):
        event_study(gappy, event, kind="price", bar_close=NY_CLOSE)
    with pytest.raises(DataError, match="has no time zone"):
        event_study(close, [pd.Timestamp("2010-03-01 12:00")], kind="price", bar_close=NY_CLOSE)
    with pytest.raises(DataError, match="must be unique"):
        event_study(close, event * 2, kind="price", bar_close=NY_CLOSE, labels=["a", "a"])
    with pytest.raises(DataError, match="positive"):
        event_study(close - 200, event, kind="price", bar_close=NY_CLOSE)


def test_parse_window():
    assert parse_window("-10:20") == (-10, 20)
    assert parse_window((0, 5)) == (0, 5)
    with pytest.raises(JpMacroError, match="whole bars"):
        parse_window((-1.5, 3))
