"""`jpmacro-bt study` and `jpmacro_bt.research.studies`: choosing events, loading data, the study folder and its numbers."""

from __future__ import annotations

import json
from datetime import date

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from typer.testing import CliRunner

from jpmacro_bt.cli import app
from jpmacro_bt.data import load_market_data
from jpmacro_bt.errors import CalendarError, DataError
from jpmacro_bt.events import load_calendar, load_events
from jpmacro_bt.research.studies import select_events, study

runner = CliRunner(env={"COLUMNS": "250"})


def invoke(*args: str):
    return runner.invoke(app, list(args), catch_exceptions=False)


def planted_market(tmp_path, n: int = 1500, k: int = 25, effect: float = 0.02):
    """NIKKEI225.csv of a seeded random walk with ``effect`` added to the return of ``k`` event days, and an events CSV.

    Events are announced at 12:00 Tokyo on the event day, before the 15:00 close, so day 0 is that day's bar.
    """
    rng = np.random.default_rng(11)
    dates = pd.bdate_range("2015-01-05", periods=n)
    rets = rng.normal(0.0, 0.01, n)
    pos = np.sort(rng.choice(np.arange(40, n - 40, 45), k, replace=False))
    rets[pos] += effect
    close = 100 * np.cumprod(1 + rets)
    folder = tmp_path / "market"
    folder.mkdir()
    pd.DataFrame({"date": dates.strftime("%Y-%m-%d"), "close": close}).to_csv(folder / "NIKKEI225.csv", index=False)
    events = tmp_path / "events.csv"
    pd.DataFrame({"time": [f"{dates[p]:%Y-%m-%d}T12:00:00+09:00" for p in pos], "label": [f"e{i:02d}" for i in range(k)]}).to_csv(events, index=False)
    return folder, events, dates, rets, pos


def test_a_planted_effect_is_found_through_the_cli_and_its_numbers_match_a_hand_computation(tmp_path):
    folder, events, dates, rets, pos = planted_market(tmp_path)
    done = invoke("study", str(events), "--asset", "NIKKEI225", "--data-dir", str(folder), "--offline", "--placebo", "2000",
                  "--bootstrap", "300", "--reports-dir", str(tmp_path / "r"))  # fmt: skip
    assert done.exit_code == 0, done.stderr
    (out,) = (tmp_path / "r").iterdir()
    assert sorted(p.name for p in out.iterdir()) == ["events.csv", "study.html", "study.json"]
    data = json.loads((out / "study.json").read_text())
    # Independent: the mean daily return over bars outside every window [p-10, p+20] (bar 0 has no return), then
    # abnormal moves from the returns array: day 0's return less mu; five days compounded less (1 + mu)^5 - 1.
    quiet = np.ones(len(rets), dtype=bool)
    quiet[0] = False
    for p in pos:
        quiet[p - 10 : p + 21] = False
    mu = rets[quiet].mean()
    h1 = rets[pos] - mu
    h5 = np.array([np.prod(1 + rets[p : p + 5]) - 1 for p in pos]) - ((1 + mu) ** 5 - 1)
    summary = {row["horizon"]: row for row in data["summary"]}
    assert data["settings"]["expected_daily"] == pytest.approx(mu, rel=1e-9)
    assert summary[1]["n"] == len(pos)
    assert summary[1]["mean"] == pytest.approx(h1.mean(), rel=1e-9)
    assert summary[5]["mean"] == pytest.approx(h5.mean(), rel=1e-9)
    assert summary[1]["t_pvalue"] == pytest.approx(stats.ttest_1samp(h1, 0.0).pvalue, rel=1e-9)
    # 25 planted days of +2 % are 10 sd of a 25-day placebo mean away: no draw reaches them, p is the floor 1 / 2001.
    assert summary[1]["placebo_pvalue"] == pytest.approx(1 / 2001)
    assert summary[1]["verdict"] == "evidence of an effect"
    table = pd.read_csv(out / "events.csv")
    assert table["label"].tolist() == [f"e{i:02d}" for i in range(len(pos))]
    assert table["day0"].tolist() == [f"{dates[p]:%Y-%m-%d}" for p in pos]  # noon Tokyo: that day's 15:00 close
    assert table["used"].all()
    assert "events on NIKKEI225: 25 of 25 events used" in done.stdout  # the CSV's stem names the events
    assert f"report: {out / 'study.html'}" in done.stdout
    page = (out / "study.html").read_text()
    assert page.count("<svg") == 1  # the chart is inline
    assert not any(ref in page for ref in ("<script", "<link", "src='http", 'src="http', "href='http", 'href="http'))


def test_no_effect_is_not_found(tmp_path):
    folder, events, *_ = planted_market(tmp_path, effect=0.0)
    result = study(events, "NIKKEI225", data_dir=folder, offline=True, placebo=2000, bootstrap=0)
    assert (result.summary["placebo_pvalue"] > 0.05).all()
    assert not result.summary["verdict"].eq("evidence of an effect").any()


def test_boj_hikes_on_usdjpy_run_offline_from_the_bundled_ecb_rates(tmp_path):
    done = invoke("study", "boj:hike", "--asset", "USDJPY", "--offline", "--placebo", "1000", "--bootstrap", "200", "--reports-dir", str(tmp_path))
    assert done.exit_code == 0, done.stderr
    (out,) = tmp_path.iterdir()
    data = json.loads((out / "study.json").read_text())
    hikes = load_events().boj.select("hike")
    assert len(data["events"]) == len(hikes)
    assert data["data"]["USDJPY"]["source"] == "ecb"
    # Day 0 by hand: the first ECB fixing (14:15 Frankfurt) at or after the announcement.
    fixes = load_market_data(["USDJPY"], offline=True).close("USDJPY").index
    for row, hike in zip(data["events"], hikes):
        after = [d for d in fixes if pd.Timestamp(f"{d:%Y-%m-%d} 14:15").tz_localize("Europe/Berlin") >= hike.announced_at]
        assert row["day0"] == (f"{after[0]:%Y-%m-%d}" if after else None)
        assert row["used"] is (row["reason"] == "")  # an unused event (a hike after the data) says why
    assert sum(row["used"] for row in data["events"]) >= 8  # 2000, 2006, 2007, 2024 (2), 2025, 2025, 2026
    # The others are flagged by name: every flag names a bundled calendar and a date inside the event's window.
    flags = [f for row in data["events"] for f in row["contaminated_by"].split("; ") if f]
    assert flags and all(f.split(" ")[0] in ("boj", "fomc", "mof", "elections") for f in flags)


def test_the_python_api_gives_the_cli_numbers(tmp_path):
    folder, events, *_ = planted_market(tmp_path)
    done = invoke("study", str(events), "--asset", "NIKKEI225", "--data-dir", str(folder), "--offline", "--placebo", "500",
                  "--bootstrap", "100", "--window", "-5:10", "--horizons", "1,3", "--reports-dir", str(tmp_path / "r"))  # fmt: skip
    assert done.exit_code == 0, done.stderr
    (out,) = (tmp_path / "r").iterdir()
    cli = json.loads((out / "study.json").read_text())
    api = study(events, "NIKKEI225", data_dir=folder, offline=True, placebo=500, bootstrap=100, window="-5:10", horizons=(1, 3))
    assert isinstance(api.summary, pd.DataFrame) and isinstance(api.events, pd.DataFrame) and isinstance(api.bands, pd.DataFrame)
    assert api.to_dict()["summary"] == cli["summary"]
    assert api.to_dict()["bands"] == cli["bands"]
    fig = api.plot()
    assert len(fig.axes) == 2 and fig.axes[0].get_title() == "events on NIKKEI225: path around the events"


def test_a_calendar_selection_keeps_the_other_decisions_as_contaminants():
    chosen = select_events("boj:hike")
    boj = load_events().boj
    hikes = [e.announced_at for e in boj.events if e.decision == "hike"]
    assert list(chosen.times) == hikes and chosen.name == "boj:hike"
    assert len(chosen.others["boj"]) == len(boj.events) - len(hikes) and not set(hikes) & set(chosen.others["boj"])
    assert set(chosen.others) == {"boj", "fomc", "mof", "elections"}
    assert chosen.others["elections"] == [e.announced_at for e in load_calendar("elections").events]
    assert "boj" not in select_events("boj").others  # every BoJ event is studied
    mof = select_events("mof:yen_buying")
    assert all(e.decision == "yen_buying" for e in load_events().mof.events if e.announced_at in set(mof.times))


def test_an_events_csv_takes_times_with_offsets_or_dates_with_zones(tmp_path):
    path = tmp_path / "mine.csv"
    path.write_text("date,tz,label\n2024-07-31 12:30,Asia/Tokyo,hike\n2024-08-05,Asia/Tokyo,crash\n")
    chosen = select_events(path)
    # A date without a clock time stands for 23:59 local, so no bar of that day counts as after it.
    assert list(chosen.times) == [pd.Timestamp("2024-07-31 12:30", tz="Asia/Tokyo"), pd.Timestamp("2024-08-05 23:59", tz="Asia/Tokyo")]
    assert list(chosen.times.index) == ["hike", "crash"] and chosen.name == "mine"
    offsets = tmp_path / "offsets.csv"
    offsets.write_text("time\n2024-07-31T12:30:00+09:00\n")
    assert select_events(offsets).times.iloc[0] == pd.Timestamp("2024-07-31 03:30", tz="UTC")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("time\n2024-07-31 12:30\n", "line 2: bad announcement time (no UTC offset)"),
        ("when\n2024-07-31\n", "have neither 'time'"),
        ("time,label\n2024-07-31T12:30+09:00,a\n2024-08-01T12:30+09:00,a\n", "labels must be non-empty and unique"),
        ("time\n", "has no events"),
    ],
)
def test_a_bad_events_csv_names_the_problem(tmp_path, text, message):
    path = tmp_path / "bad.csv"
    path.write_text(text)
    with pytest.raises(CalendarError, match=None) as info:
        select_events(path)
    assert message in str(info.value)


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (["study", "boj:hikes", "--asset", "USDJPY"], "CalendarError: unknown decision 'hikes' (did you mean hike?); use one of "),
        (["study", "bojj:hike", "--asset", "USDJPY"], "CalendarError: unknown events 'bojj:hike' (did you mean boj?); use CALENDAR[:DECISION]"),
        (["study", "nowhere.csv", "--asset", "USDJPY"], "CalendarError: events file 'nowhere.csv' does not exist; check the path"),
        (["study", "boj:hike", "--asset", "TIC_JAPAN_UST"], "DataError: TIC_JAPAN_UST is a level (Japan's US Treasury holdings, USD bn, monthly), not a price or a yield"),
        (["study", "boj:hike", "--asset", "USDJPY", "--window", "5:10"], "JpMacroError: window '5:10' must hold day 0"),
        (["study", "boj:hike", "--asset", "USDJPY", "--horizons", "1,x"], "JpMacroError: --horizons '1,x' is not a list of whole numbers of bars"),
        (["study", "boj:hike", "--asset", "USDJPY", "--horizons", "1,40"], "JpMacroError: horizon 40 must be a whole number from 1 to 21"),
        (["study", "boj:hike", "--asset", "NIKKEI225", "--offline"], "DataError: could not load 1 of 1 symbols:"),
    ],
)
def test_user_errors_are_one_line_and_write_nothing(tmp_path, args, line):
    done = invoke(*args, "--reports-dir", str(tmp_path / "r"))
    assert done.exit_code == 1
    assert done.stderr.startswith(line), done.stderr
    assert not (tmp_path / "r").exists()


def test_start_and_end_cut_the_bars_and_events_outside_say_why(tmp_path):
    folder, events, dates, _, pos = planted_market(tmp_path)
    cut = dates[pos[12]].date()
    result = study(events, "NIKKEI225", data_dir=folder, offline=True, placebo=0, bootstrap=0, start=cut, end=date(2099, 1, 1))
    assert result.result.settings.first_bar == cut.isoformat()
    why = result.events.set_index("label")["reason"]
    assert why["e00"].startswith("before the data start") and why["e12"].startswith("too little data before")
    assert (why[[f"e{i:02d}" for i in range(13, 25)]] == "").all()
    with pytest.raises(DataError, match="widen --start/--end"):
        study(events, "NIKKEI225", data_dir=folder, offline=True, start="2099-01-01")
